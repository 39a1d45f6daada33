"""X12 ingest throughput: our parse -> canonical -> store, against pyx12's own validator.

Both run in this process on the same generated interchange of 850s.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pyx12.params
import pyx12.x12n_document

from bench._markdown import Headline
from bench._markdown import table
from bench._memory import peak_rss_mb
from bench.generate import write_file
from gateway import storage
from gateway.pipeline import Pipeline
from parsers.x12._map_dir import MAP_DIR
from partners import PartnerRegistry


@dataclass(slots=True)
class Result:
    orders: int
    size_mb: float
    ours_seconds: float
    pyx12_seconds: float
    peak_rss_mb_after_ours: float
    peak_rss_mb_after_pyx12: float

    @property
    def ours_rate(self) -> float:
        return self.orders / self.ours_seconds

    @property
    def pyx12_rate(self) -> float:
        return self.orders / self.pyx12_seconds

    def lines(self) -> list[str]:
        return [
            f"X12 850 ingest: {self.orders} POs x 5 lines, {self.size_mb:.1f} MB, one interchange",
            f"  gateway (parse + canonical + store, SQLite): {self.ours_seconds:8.2f} s  {self.ours_rate:8.0f} POs/s",
            f"  pyx12 x12n_document (validation only):       {self.pyx12_seconds:8.2f} s  {self.pyx12_rate:8.0f} POs/s",
            f"  ratio gateway / pyx12: {self.ours_rate / self.pyx12_rate:.2f}x",
            f"  peak RSS after gateway: {self.peak_rss_mb_after_ours:.0f} MB; "
            f"after pyx12: {self.peak_rss_mb_after_pyx12:.0f} MB",
        ]

    def markdown(self) -> str:
        rows = [
            [
                "gateway: parse + canonical + store (SQLite)",
                f"{self.ours_seconds:.2f}",
                f"{self.ours_rate:,.0f}",
            ],
            ["pyx12 x12n_document: validation only", f"{self.pyx12_seconds:.2f}", f"{self.pyx12_rate:,.0f}"],
        ]
        return "\n\n".join(
            [
                f"{self.orders:,} POs x 5 lines, {self.size_mb:.1f} MB, one interchange, in this process.",
                table(["", "seconds", "POs/s"], rows),
                f"Ratio gateway / pyx12: **{self.ours_rate / self.pyx12_rate:.2f}x**. Peak RSS after the "
                f"gateway: {self.peak_rss_mb_after_ours:.0f} MB; after pyx12: {self.peak_rss_mb_after_pyx12:.0f} MB.",
            ]
        )

    def headlines(self) -> list[Headline]:
        return [
            Headline(
                "ingest: parse + canonical + store",
                f"{self.ours_rate:,.0f} POs/s",
                f"{self.ours_rate / self.pyx12_rate:.2f}x",
                f"pyx12 x12n_document, {self.pyx12_rate:,.0f} POs/s",
            )
        ]


def run(orders: int = 20_000) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_file(folder / "bench.edi", orders=orders)
        engine = storage.make_engine(f"sqlite:///{folder / 'bench.db'}")
        storage.upgrade(engine)
        pipeline = Pipeline(
            storage.make_sessionmaker(engine), PartnerRegistry.from_directory(), validate=False
        )

        started = time.perf_counter()
        outcome = pipeline.ingest_path(path)
        ours = time.perf_counter() - started
        if len(outcome.order_ids) != orders:
            raise RuntimeError(
                f"expected {orders} orders, stored {len(outcome.order_ids)} ({outcome.status})"
            )
        rss_ours = peak_rss_mb()

        started = time.perf_counter()
        pyx12.x12n_document.x12n_document(
            pyx12.params.params(), str(path), fd_997=None, fd_html=None, map_path=str(MAP_DIR)
        )
        theirs = time.perf_counter() - started
        engine.dispose()
        return Result(orders, path.stat().st_size / 1e6, ours, theirs, rss_ours, peak_rss_mb())
