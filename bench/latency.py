"""997 latency: a 100-PO file landing in a running gateway's drop inbox, to its 997 in the outbox.

``gateway run`` (web, pollers, worker) is started as a user starts it, on a SQLite store with
the demo master data and acme's drop inbox (``stable_seconds = 5``, ``poll_seconds = 5``).
Files are dropped one at a time, the way partners write them: half opened, written and
closed under their own name, half written under ``.part`` and renamed. The clock starts when
the writer has closed (or renamed) the file and stops when a read-only connection sees the
997 row of its document (polled every 5 ms). The figures are wall-clock, on a shared machine:
the load average is printed beside them. The CPU the gateway's processes spend per file over
the same window is read from /proc.

The baseline, in the same run: ``gateway ingest`` of files of the same size into the same
store, as a cron job would run it (wall-clock and CPU of the command, start-up included).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from bench import _machine
from bench._cpu import tree_cpu
from bench._markdown import Headline
from bench._markdown import table
from bench.generate import write_interchange
from gateway import storage
from gateway.inbound.master_data import load_demo_master_data

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = Path(sys.executable).parent / "gateway"
ORDERS = 100
BASELINE_FILES = 5
_PAUSE = 0.2  # between files: each lands in an idle gateway, as partners' files do


@dataclass(slots=True)
class Result:
    files: int
    size_kb: float
    latencies: list[float] = field(default_factory=list)  # seconds, landing -> 997 stored
    modes: list[str] = field(default_factory=list)  # "write" or "rename", per file
    gateway_cpu: float = 0.0  # CPU seconds of all gateway processes over the dropped files
    ingest_wall: list[float] = field(default_factory=list)
    ingest_cpu: list[float] = field(default_factory=list)
    load: str = ""

    def _percentile(self, values: list[float], share: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        return self._percentile(self.latencies, 0.99)

    @property
    def ingest_p50(self) -> float:
        return statistics.median(self.ingest_wall)

    def _mode(self, mode: str) -> list[float]:
        return [s for s, m in zip(self.latencies, self.modes, strict=True) if m == mode]

    def lines(self) -> list[str]:
        out = [
            f"997 latency: {self.files} files of {ORDERS} POs ({self.size_kb:.0f} KB) dropped into a "
            f"running `gateway run` (SQLite); load average {self.load}",
            f"  landing -> 997 stored: p50 {self.p50:.3f} s, p99 {self.p99:.3f} s, max {max(self.latencies):.3f} s",
        ]
        for mode, label in (("write", "open/write/close"), ("rename", "write .part, rename")):
            if chosen := self._mode(mode):
                out.append(f"    {label}: p50 {statistics.median(chosen):.3f} s over {len(chosen)} files")
        out.append(f"  gateway CPU per file (all its processes): {self.gateway_cpu / self.files:.3f} s")
        out.append(
            f"  baseline `gateway ingest` of one such file: p50 {self.ingest_p50:.3f} s wall, "
            f"{statistics.median(self.ingest_cpu):.3f} s CPU ({len(self.ingest_wall)} runs)"
        )
        out.append(f"  ratio p50 gateway ingest / drop inbox: {self.ingest_p50 / self.p50:.1f}x")
        return out

    def markdown(self) -> str:
        rows = [
            [
                "drop inbox of a running `gateway run`",
                f"{self.p50:.3f}",
                f"{self.p99:.3f}",
                f"{self.gateway_cpu / self.files:.3f}",
                f"{self.ingest_p50 / self.p50:.1f}x",
            ],
            [
                f"`gateway ingest` of the same file (baseline, {len(self.ingest_wall)} runs)",
                f"{self.ingest_p50:.3f}",
                f"{self._percentile(self.ingest_wall, 0.99):.3f}",
                f"{statistics.median(self.ingest_cpu):.3f}",
                "1.0x",
            ],
        ]
        return "\n\n".join(
            [
                f"{self.files} files of {ORDERS} POs ({self.size_kb:.0f} KB) dropped one at a time, half "
                "written in place and half renamed in; from the writer's close (or rename) to the 997 "
                f"row committed. Wall-clock on a shared machine (load average {self.load}).",
                table(["", "p50 s", "p99 s", "CPU s per file", "p50 vs ingest"], rows),
            ]
        )

    def headlines(self) -> list[Headline]:
        return [
            Headline(
                f"997 latency, {ORDERS}-PO file in the drop inbox (p99)",
                f"{self.p99:.2f} s",
                f"{self.ingest_p50 / self.p50:.1f}x",
                f"`gateway ingest`, p50 {self.ingest_p50:.2f} s",
            )
        ]


def _interchange(number: int) -> bytes:
    """A 100-PO acme interchange with its own control and PO numbers (a new document each time)."""
    out = io.StringIO()
    write_interchange(out, orders=ORDERS, control=number)
    return out.getvalue().replace("BEG*00*SA*PO", f"BEG*00*SA*L{number}-").encode("ascii")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prepare(folder: Path) -> tuple[dict[str, str], Path, Path]:
    """The gateway's home (migrated, demo master data), profiles with acme's drop inbox, and its env."""
    home, profiles, inbox = folder / "home", folder / "profiles", folder / "drop"
    home.mkdir()
    inbox.mkdir()
    shutil.copytree(ROOT / "partners" / "profiles", profiles)
    with (profiles / "acme.toml").open("a") as acme:
        acme.write(f'\n[drop]\npath = "{inbox}"\nstable_seconds = 5\npoll_seconds = 5\n')
    database = home / "gateway.db"
    engine = storage.make_engine(f"sqlite:///{database}")
    storage.upgrade(engine)
    with storage.make_sessionmaker(engine)() as session, session.begin():
        load_demo_master_data(session, ROOT / "fixtures" / "master")
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "GATEWAY_HOME": str(home),
        "GATEWAY_PARTNERS_DIR": str(profiles),
        "GATEWAY_PORT": str(_free_port()),
        "GATEWAY_SHUTDOWN_SECONDS": "20",
    }
    return env, inbox, database


def _wait(condition: Callable[[], bool], what: str, *, every: float, patience: float = 300.0) -> None:
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        time.sleep(every)


def _has_997(database: Path, filename: str) -> Callable[[], bool]:
    query = (
        "SELECT 1 FROM outbound_document o JOIN document d ON d.id = o.document_id "
        "WHERE d.filename = ? AND o.kind = '997'"
    )

    def seen() -> bool:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            return connection.execute(query, (filename,)).fetchone() is not None
        except sqlite3.OperationalError:  # locked by a writer this instant
            return False
        finally:
            connection.close()

    return seen


def _drop_poller_ready(database: Path) -> bool:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        row = connection.execute(
            "SELECT last_success_at FROM transport_status WHERE partner = 'acme' AND channel = 'drop'"
        ).fetchone()
    return row is not None and row[0] is not None


def _land(inbox: Path, name: str, content: bytes, mode: str) -> float:
    """Write ``name`` as a partner does; returns the moment it is complete (monotonic)."""
    target = inbox / name if mode == "write" else inbox / f"{name}.part"
    with target.open("wb") as out:
        for start in range(0, len(content), 32_768):
            out.write(content[start : start + 32_768])
            out.flush()
    if mode == "rename":
        os.rename(target, inbox / name)
    return time.monotonic()


def _drop_files(env: dict[str, str], inbox: Path, database: Path, files: int, logs: Path) -> Result:
    result = Result(files, len(_interchange(1)) / 1024)
    with (logs / "run.log").open("wb") as log:
        process = subprocess.Popen([str(GATEWAY), "run"], env=env, stdout=log, stderr=log, cwd=ROOT)
    try:
        _wait(lambda: database.exists() and _drop_poller_ready(database), "the drop poller", every=0.1)
        result.load = _machine.load()
        cpu_before = tree_cpu(process.pid)
        for number in range(1, files + 1):
            if process.poll() is not None:
                raise RuntimeError(f"gateway run exited with {process.returncode}; see {logs}/run.log")
            name, mode = f"drop-{number:03d}.edi", ("write", "rename")[number % 2]
            content = _interchange(number)
            landed = _land(inbox, name, content, mode)
            _wait(_has_997(database, name), f"the 997 of {name}", every=0.005)
            result.latencies.append(time.monotonic() - landed)
            result.modes.append(mode)
            time.sleep(_PAUSE)
        result.gateway_cpu = tree_cpu(process.pid) - cpu_before
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return result


def _baseline(env: dict[str, str], folder: Path, database: Path, result: Result, runs: int) -> None:
    """``gateway ingest`` of files of the same size, one command each, into the same store."""
    for number in range(1, runs + 1):
        path = folder / f"ingest-{number:03d}.edi"
        path.write_bytes(_interchange(10_000 + number))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [str(GATEWAY), "ingest", str(path)], env=env, cwd=ROOT, check=True, capture_output=True
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if not _has_997(database, path.name)():
            raise RuntimeError(f"gateway ingest {path.name} stored no 997")
        result.ingest_wall.append(wall)
        result.ingest_cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def run(files: int = 50, *, baseline_runs: int = BASELINE_FILES) -> Result:
    with tempfile.TemporaryDirectory(prefix="gateway-latency-") as tmp:
        folder = Path(tmp)
        env, inbox, database = _prepare(folder)
        result = _drop_files(env, inbox, database, files, folder)
        _baseline(env, folder, database, result, baseline_runs)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--files", type=int, default=50)
    for line in run(parser.parse_args().files).lines():
        print(line)


if __name__ == "__main__":
    main()
