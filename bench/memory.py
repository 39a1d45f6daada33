"""Peak memory ingesting one big X12 interchange (200 MB of 850s by default) into SQLite.

The interchange is written and ingested by ``tests/workers/big_ingest.py`` (the runner the bounded-
memory test uses) in a child process, so the peak RSS is the child's own ``VmHWM``: Linux's
``ru_maxrss`` would also count this parent's RSS at the fork. The ingest is the pipeline's
parse, canonical orders and store, without business validation, as in the X12 ingest bench.
The figure that matters is peak RSS / input size: a reader holding the whole interchange or
all its orders would grow with the file, a streaming one stays near constant.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench._markdown import Headline
from bench._markdown import table

ROOT = Path(__file__).resolve().parent.parent


@dataclass(slots=True)
class Result:
    requested_mb: int
    size_mb: float
    seconds: float
    status: str
    orders: int
    rss_before_mb: float
    peak_rss_mb: float
    cpu_seconds: float = 0.0  # the child's user + system time, writing the file included

    @property
    def mb_per_second(self) -> float:
        return self.size_mb / self.seconds

    @property
    def orders_per_second(self) -> float:
        return self.orders / self.seconds

    @property
    def rss_per_input(self) -> float:
        return self.peak_rss_mb / self.size_mb

    def lines(self) -> list[str]:
        return [
            f"memory: one interchange of {self.orders:,} 850s x 20 lines, {self.size_mb:.1f} MB, "
            f"ingested into SQLite in a child process ({self.status})",
            f"  {self.seconds:.1f} s  {self.mb_per_second:.2f} MB/s  {self.orders_per_second:,.0f} orders/s "
            f"(the child's CPU time, writing the file included: {self.cpu_seconds:.0f} s)",
            f"  peak RSS (child's VmHWM): {self.peak_rss_mb:.0f} MB ({self.rss_before_mb:.0f} MB before the "
            f"ingest); peak RSS / input size: {self.rss_per_input:.2f}",
        ]

    def markdown(self) -> str:
        rows = [
            ["input", f"{self.size_mb:.1f} MB, {self.orders:,} 850s x 20 lines, one interchange"],
            ["status", self.status],
            ["time", f"{self.seconds:.1f} s"],
            ["child's CPU time (writing the file included)", f"{self.cpu_seconds:.0f} s"],
            ["throughput", f"{self.mb_per_second:.2f} MB/s, {self.orders_per_second:,.0f} orders/s"],
            ["RSS before the ingest", f"{self.rss_before_mb:.0f} MB"],
            ["peak RSS (VmHWM)", f"{self.peak_rss_mb:.0f} MB"],
            ["peak RSS / input size", f"{self.rss_per_input:.2f}"],
        ]
        return table(["", f"{self.requested_mb} MB ingest, SQLite"], rows, right=())

    def headlines(self) -> list[Headline]:
        return [
            Headline(
                f"peak RSS ingesting {self.size_mb:.0f} MB",
                f"{self.peak_rss_mb:.0f} MB",
                f"{self.rss_per_input:.2f}",
                "input size",
            )
        ]


def run(megabytes: int = 200) -> Result:
    """Write and ingest an interchange of about ``megabytes`` MB in a child process."""
    cpu_before = _children_cpu()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        child = subprocess.run(
            [sys.executable, "-m", "tests.workers.big_ingest", tmp, str(megabytes)],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
    if child.returncode != 0:
        raise RuntimeError(f"the ingest child failed ({child.returncode}): {child.stderr.strip()[-2000:]}")
    facts = json.loads(child.stdout.strip().splitlines()[-1])
    if facts["status"] != "processed":
        raise RuntimeError(f"the interchange was not processed: {facts}")
    return Result(
        requested_mb=megabytes,
        size_mb=facts["size_mb"],
        seconds=facts["seconds"],
        status=facts["status"],
        orders=facts["orders"],
        rss_before_mb=facts["rss_before_mb"],
        peak_rss_mb=facts["peak_rss_mb"],
        cpu_seconds=_children_cpu() - cpu_before,
    )


def _children_cpu() -> float:
    """User + system seconds of this process's children that have been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
