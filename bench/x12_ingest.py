"""X12 ingest throughput: our parse -> canonical -> store, against pyx12's own validator.

Both run in this process on the same generated interchange of 850s, twice:
- reading: parse, canonical orders and store (no business validation), against pyx12's
  ``x12n_document`` validating only;
- as a user's ingest runs it: the same, plus validation against the demo master data and the
  997 (and whatever the profile sends), against ``x12n_document`` writing its 997.

Times are CPU seconds of this process (``time.process_time``): the machines these run on are
shared, so wall-clock time measures the neighbours. Each side loads its maps inside its timing:
pyx12 on every call, the gateway once per process, so the gateway's load is timed once, first,
and added to both of its figures.

Then ``gateway ingest`` as a user runs it: the command in a child process (its start-up, the
maps, validation against the demo master data, the 997 and its one-line summary) on a copy of
a demo store, timed as the child's CPU seconds, against pyx12 writing its 997 above. It runs on
``LINEAR_ORDERS`` POs too when the interchange is bigger, so the CPU per PO of the two sizes
shows whether the ingest stays linear.

The same command on a one-PO interchange is its start-up and fixed cost (the interpreter,
imports, the maps, the first pydantic schemas, the demo master data, one 997): the median of
``STARTUP_RUNS``. Subtracted from both sizes' figures it leaves the CPU per PO without start-up,
which a start-up counted in both runs would flatter for the bigger file.
"""

from __future__ import annotations

import io
import shutil
import statistics
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
from bench.startup import GATEWAY
from bench.startup import _demo_store
from bench.startup import _launch
from gateway import storage
from gateway.inbound.master_data import load_demo_master_data
from gateway.inbound.pipeline import Pipeline
from parsers._pyx12 import load_map
from parsers.x12._map_dir import MAP_DIR
from parsers.x12._reader import MAPS
from partners import PartnerRegistry

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
LINEAR_ORDERS = 2_000  # the smaller size the command's CPU per PO is compared with
STARTUP_RUNS = 3  # runs of the one-PO command whose median is the command's start-up


@dataclass(slots=True)
class Result:
    orders: int
    size_mb: float
    ours_seconds: float
    pyx12_seconds: float
    peak_rss_mb_after_ours: float
    peak_rss_mb_after_pyx12: float
    ingest_seconds: float = 0.0  # validation and acks too
    pyx12_997_seconds: float = 0.0  # x12n_document writing its 997
    command_seconds: float = 0.0  # `gateway ingest` in a child process, start-up included
    command_rss_mb: float = 0.0  # ... and its peak RSS
    small_orders: int = 0  # LINEAR_ORDERS, when smaller than ``orders``
    small_command_seconds: float = 0.0  # `gateway ingest` of the smaller interchange
    startup_seconds: float = 0.0  # `gateway ingest` of one PO: start-up and fixed costs (median)
    startup_runs: int = STARTUP_RUNS  # of the one-PO command, whose median is ``startup_seconds``

    @property
    def command_rate(self) -> float:
        return self.orders / self.command_seconds

    @property
    def per_po_ms(self) -> float:
        """CPU ms per PO of the command at ``orders`` POs, its one-PO start-up taken off."""
        return _per_po_ms(self.command_seconds, self.startup_seconds, self.orders)

    @property
    def small_per_po_ms(self) -> float:
        return _per_po_ms(self.small_command_seconds, self.startup_seconds, self.small_orders)

    @property
    def goal_seconds(self) -> float:
        """The whole command's CPU at 10x pyx12 writing its 997 on the same file."""
        return self.pyx12_997_seconds / 10

    def _linear(self) -> str:
        if not self.small_orders:
            return ""
        small = self.small_orders / self.small_command_seconds
        return (
            f"{self.command_rate:,.0f} POs/s at {self.orders:,} POs against {small:,.0f} at "
            f"{self.small_orders:,} ({self.command_rate / small:.2f}x per PO)"
        )

    def _without_startup(self) -> str:
        text = f"{self.per_po_ms:.3f} ms CPU per PO at {self.orders:,} POs"
        if self.small_orders:
            text += (
                f" against {self.small_per_po_ms:.3f} at {self.small_orders:,} "
                f"({self.per_po_ms / self.small_per_po_ms:.2f}x the smaller size's cost per PO)"
            )
        return text

    def _floor(self) -> str:
        return (
            f"10x pyx12 with its 997 needs the whole command in {self.goal_seconds:.2f} s CPU; "
            f"its start-up alone (one PO) is {self.startup_seconds:.2f} s, leaving "
            f"{max(self.goal_seconds - self.startup_seconds, 0) * 1000 / self.orders:.3f} ms per PO "
            f"(now {self.per_po_ms:.3f})"
        )

    @property
    def ours_rate(self) -> float:
        return self.orders / self.ours_seconds

    @property
    def pyx12_rate(self) -> float:
        return self.orders / self.pyx12_seconds

    @property
    def ingest_rate(self) -> float:
        return self.orders / self.ingest_seconds

    @property
    def pyx12_997_rate(self) -> float:
        return self.orders / self.pyx12_997_seconds

    def lines(self) -> list[str]:
        return [
            f"X12 850 ingest: {self.orders} POs x 5 lines, {self.size_mb:.1f} MB, one interchange (CPU seconds)",
            f"  gateway (parse + canonical + store, SQLite):   {self.ours_seconds:8.2f} s  {self.ours_rate:8.0f} POs/s",
            f"  pyx12 x12n_document (validation only):         {self.pyx12_seconds:8.2f} s  {self.pyx12_rate:8.0f} POs/s",
            f"  ratio gateway / pyx12: {self.ours_rate / self.pyx12_rate:.2f}x",
            f"  gateway ingest (+ validation, demo master data, 997): "
            f"{self.ingest_seconds:8.2f} s  {self.ingest_rate:8.0f} POs/s",
            f"  pyx12 x12n_document writing its 997:           {self.pyx12_997_seconds:8.2f} s  "
            f"{self.pyx12_997_rate:8.0f} POs/s",
            f"  ratio gateway ingest / pyx12 with 997: {self.ingest_rate / self.pyx12_997_rate:.2f}x",
            f"  peak RSS after gateway: {self.peak_rss_mb_after_ours:.0f} MB; "
            f"after pyx12: {self.peak_rss_mb_after_pyx12:.0f} MB",
            f"  `gateway ingest` as a user runs it (child process, start-up, demo master data, 997): "
            f"{self.command_seconds:8.2f} s  {self.command_rate:8.0f} POs/s  {self.command_rss_mb:.0f} MB peak",
            f"  ratio `gateway ingest` / pyx12 with 997: {self.command_rate / self.pyx12_997_rate:.2f}x",
            f"  `gateway ingest` of 1 PO (start-up, median of {self.startup_runs}): {self.startup_seconds:8.2f} s",
            f"  without start-up: {self._without_startup()}",
            f"  goal: {self._floor()}",
        ] + ([f"  linear: {self._linear()}"] if self.small_orders else [])

    def markdown(self) -> str:
        rows = [
            [
                "gateway: parse + canonical + store (SQLite)",
                f"{self.ours_seconds:.2f}",
                f"{self.ours_rate:,.0f}",
            ],
            ["pyx12 x12n_document: validation only", f"{self.pyx12_seconds:.2f}", f"{self.pyx12_rate:,.0f}"],
            [
                "gateway: + validation (demo master data) + 997",
                f"{self.ingest_seconds:.2f}",
                f"{self.ingest_rate:,.0f}",
            ],
            [
                "pyx12 x12n_document: validation + its 997",
                f"{self.pyx12_997_seconds:.2f}",
                f"{self.pyx12_997_rate:,.0f}",
            ],
            [
                "`gateway ingest` command (child process: start-up, demo master data, 997)",
                f"{self.command_seconds:.2f}",
                f"{self.command_rate:,.0f}",
            ],
            [
                f"`gateway ingest` of 1 PO (start-up, median of {self.startup_runs})",
                f"{self.startup_seconds:.2f}",
                "",
            ],
        ]
        return "\n\n".join(
            [
                f"{self.orders:,} POs x 5 lines, {self.size_mb:.1f} MB, one interchange, in this process; "
                "CPU seconds.",
                table(["", "CPU seconds", "POs/s"], rows),
                f"Ratio gateway / pyx12: **{self.ours_rate / self.pyx12_rate:.2f}x** reading, "
                f"**{self.ingest_rate / self.pyx12_997_rate:.2f}x** with validation and the 997, "
                f"**{self.command_rate / self.pyx12_997_rate:.2f}x** as the `gateway ingest` command "
                f"(peak RSS {self.command_rss_mb:.0f} MB). "
                + f"Without start-up: {self._without_startup()}. Goal: {self._floor()}. "
                + (f"Linear (start-up counted): {self._linear()}. " if self.small_orders else "")
                + f"Peak RSS after the gateway: {self.peak_rss_mb_after_ours:.0f} MB; "
                f"after pyx12: {self.peak_rss_mb_after_pyx12:.0f} MB.",
            ]
        )

    def headlines(self) -> list[Headline]:
        return [
            Headline(
                "ingest: parse + canonical + store",
                f"{self.ours_rate:,.0f} POs/s",
                f"{self.ours_rate / self.pyx12_rate:.2f}x",
                f"pyx12 x12n_document, {self.pyx12_rate:,.0f} POs/s",
            ),
            Headline(
                "ingest: + validation + 997",
                f"{self.ingest_rate:,.0f} POs/s",
                f"{self.ingest_rate / self.pyx12_997_rate:.2f}x",
                f"pyx12 x12n_document writing its 997, {self.pyx12_997_rate:,.0f} POs/s",
            ),
            Headline(
                "`gateway ingest` command (start-up included)",
                f"{self.command_rate:,.0f} POs/s",
                f"{self.command_rate / self.pyx12_997_rate:.2f}x",
                f"pyx12 x12n_document writing its 997, {self.pyx12_997_rate:,.0f} POs/s",
            ),
        ] + (
            [
                Headline(
                    "`gateway ingest` CPU per PO without start-up",
                    f"{self.per_po_ms:.3f} ms at {self.orders:,} POs",
                    f"{self.per_po_ms / self.small_per_po_ms:.2f}x",
                    f"the same at {self.small_orders:,} POs, {self.small_per_po_ms:.3f} ms",
                )
            ]
            if self.small_orders
            else []
        )


def _per_po_ms(command: float, startup: float, orders: int) -> float:
    """CPU ms per PO beyond the first: the command's CPU less its one-PO start-up."""
    return (command - startup) * 1000 / max(orders - 1, 1)


def _pipeline(folder: Path, name: str, *, validate: bool) -> Pipeline:
    engine = storage.make_engine(f"sqlite:///{folder / name}")
    storage.upgrade(engine)
    sessions = storage.make_sessionmaker(engine)
    if validate:
        with sessions() as session, session.begin():
            load_demo_master_data(session, FIXTURES / "master")
    return Pipeline(sessions, PartnerRegistry.from_directory(), validate=validate)


def _ours(pipeline: Pipeline, path: Path, orders: int) -> float:
    started = time.process_time()
    outcome = pipeline.ingest_path(path)
    seconds = time.process_time() - started
    if len(outcome.order_ids) != orders:
        raise RuntimeError(f"expected {orders} orders, stored {len(outcome.order_ids)} ({outcome.status})")
    return seconds


def _pyx12(path: Path, *, ack: bool) -> float:
    started = time.process_time()
    pyx12.x12n_document.x12n_document(
        pyx12.params.params(),
        str(path),
        fd_997=io.StringIO() if ack else None,
        fd_html=None,
        map_path=str(MAP_DIR),
    )
    return time.process_time() - started


def _load_maps() -> float:
    """The gateway's maps, loaded (once per process) as the first 850 of a process loads them."""
    started = time.process_time()
    for map_file in ("x12.control.00401.xml", MAPS["004010"]):
        load_map(MAP_DIR, map_file)
    return time.process_time() - started


def run(orders: int = 20_000, *, small: int = LINEAR_ORDERS, startup_runs: int = STARTUP_RUNS) -> Result:
    """``orders`` POs; the command's CPU per PO is compared with ``small`` POs when that is fewer.
    The one-PO command's first run is untimed: it writes the bytecode cache, which the bigger
    runs of the same command then find written."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_file(folder / "bench.edi", orders=orders)
        reading, validating = (
            _pipeline(folder, "read.db", validate=False),
            _pipeline(folder, "ingest.db", validate=True),
        )
        maps = _load_maps()
        ours = maps + _ours(reading, path, orders)
        rss_ours = peak_rss_mb()
        theirs = _pyx12(path, ack=False)
        ingest = maps + _ours(validating, path, orders)
        theirs_997 = _pyx12(path, ack=True)
        store = _demo_store(folder / "demo", ROOT)
        one_path = write_file(folder / "one.edi", orders=1)
        startup = statistics.median(
            _command(store, folder / "command", one_path, 1, warm=not attempt)[0]
            for attempt in range(startup_runs)
        )
        command, command_rss = _command(store, folder / "command", path, orders, warm=False)
        small = small if orders > small else 0
        small_seconds = 0.0
        if small:
            small_path = write_file(folder / "small.edi", orders=small)
            small_seconds, _ = _command(store, folder / "command", small_path, small, warm=False)
        return Result(
            orders,
            path.stat().st_size / 1e6,
            ours,
            theirs,
            rss_ours,
            peak_rss_mb(),
            ingest_seconds=ingest,
            pyx12_997_seconds=theirs_997,
            command_seconds=command,
            command_rss_mb=command_rss,
            small_orders=small,
            small_command_seconds=small_seconds,
            startup_seconds=startup,
            startup_runs=startup_runs,
        )


def _command(store: Path, home: Path, path: Path, orders: int, *, warm: bool = True) -> tuple[float, float]:
    """CPU seconds and peak RSS (MB) of `gateway ingest PATH` on a fresh copy of the demo ``store``,
    after one untimed run that writes the bytecode cache (on another copy) unless ``warm`` is off."""
    figures = (0.0, 0)
    for _ in range(2 if warm else 1):
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(store, home)
        cpu, rss_kb, output = _launch(["-c", GATEWAY, "ingest", str(path)], ROOT, home)
        if f"processed; {orders} orders" not in output:
            raise RuntimeError(f"`gateway ingest` did not process {orders} orders: {output[-2000:]}")
        figures = (cpu, rss_kb)
    return figures[0], figures[1] / 1024
