"""A drop inbox poll in its own process, for running without a capability (``setpriv``).

``python -m tests.workers.drop_worker DATABASE_URL PROFILE_JSON``: one ``DropWatcher.poll_once``;
prints the report as JSON (names taken, names waiting, problems).
"""

from __future__ import annotations

import json
import sys

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.transports.drop_inbox import DropWatcher
from partners import PartnerProfile
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW


def main(url: str, profile_json: str) -> None:
    profile = PartnerProfile.model_validate_json(profile_json)
    engine = storage.make_engine(url)
    pipeline = Pipeline(storage.make_sessionmaker(engine), PartnerRegistry.from_directory(), validate=False)
    report = DropWatcher(profile, pipeline, clock=lambda: FIXED_NOW).poll_once()
    taken = [t.name for t in report.taken]
    print(json.dumps({"taken": taken, "waiting": report.waiting, "problems": report.problems}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
