"""Ingests a generated interchange of a given size in this process and prints facts as JSON.

Run as a subprocess by the bounded-memory test, so that its peak RSS is its own.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench._memory import peak_rss_mb
from bench.generate import write_file
from gateway import storage
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry


def main(folder: Path, megabytes: int) -> None:
    lines = 20
    order_size = 1700  # bytes of one generated 850 with 20 lines, near enough
    path = write_file(folder / "big.edi", orders=megabytes * 1_000_000 // order_size, lines=lines)
    engine = storage.make_engine(f"sqlite:///{folder / 'big.db'}")
    storage.upgrade(engine)
    pipeline = Pipeline(storage.make_sessionmaker(engine), PartnerRegistry.from_directory(), validate=False)
    baseline = peak_rss_mb()
    started = time.perf_counter()
    outcome = pipeline.ingest_path(path)
    facts = {
        "size_mb": path.stat().st_size / 1e6,
        "seconds": time.perf_counter() - started,
        "status": outcome.status,
        "orders": len(outcome.order_ids),
        "outbound": len(outcome.outbound_ids),
        "rss_before_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(facts))


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
