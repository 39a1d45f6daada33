"""One gateway process for concurrency tests: says it is ready, waits for a start signal, ingests
files, prints JSON.

``python -m tests.workers.ingest_worker DATABASE_URL GO_FILE PATH...``
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW


def main(url: str, go: Path, paths: list[Path]) -> None:
    engine = storage.make_engine(url)
    pipeline = Pipeline(
        storage.make_sessionmaker(engine), PartnerRegistry.from_directory(), lambda: FIXED_NOW
    )
    engine.connect().close()
    print(json.dumps({"event": "ready"}), flush=True)  # imported and connected: the parent may say go
    deadline = time.monotonic() + 600  # only ends a child whose parent died: siblings start slowly under load
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no start signal")
        time.sleep(0.005)
    for path in paths:
        outcome = pipeline.ingest_path(path)
        print(json.dumps({"document_id": outcome.document_id, "status": outcome.status}), flush=True)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]])
