"""Eight processes emit 855s for two partners at once on PostgreSQL; control numbers stay exact.

Control numbers are drawn with ``UPDATE ... RETURNING`` inside the emitting transaction, so a
transaction that dies or rolls back after drawing hands its numbers back: the next one gets
them. "No gaps except those a crash leaves" therefore means no gaps at all here: for each
partner the committed ISA13s, GS06s and ST02s are each exactly 1..N, none twice, whatever
the interleaving, the crashes (``os._exit`` with the transaction open) and the deliberate
rollbacks. The numbers are read back from the outbox columns and from the stored bytes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from gateway import storage
from partners import PartnerRegistry
from tests.conftest import ROOT
from tests.servers.postgres import Postgres
from tests.workers.emit_worker import emit_one

COUNT = 8
# (partner, crash after this many commits, roll back every Nth transaction): 4 processes each
PLAN: list[tuple[str, int | None, int | None]] = [
    ("acme", None, None),
    ("acme", None, None),
    ("acme", 4, None),
    ("acme", None, 3),
    ("globex", None, None),
    ("globex", None, None),
    ("globex", 6, None),
    ("globex", None, 4),
]
KINDS = ("ISA", "GS", "ST")


def expected_commits(partner: str) -> int:
    total = 0
    for name, crash_after, rollback_every in PLAN:
        if name == partner:
            attempts = COUNT if crash_after is None else crash_after
            total += attempts - (attempts // rollback_every if rollback_every else 0)
    return total


def start_workers(url: str, go: Path) -> list[subprocess.Popen[bytes]]:
    workers = []
    for partner, crash_after, rollback_every in PLAN:
        command = [sys.executable, "-m", "tests.workers.emit_worker", url, str(go), str(COUNT), partner]
        if crash_after is not None:
            command.append(str(crash_after))
        if rollback_every is not None:
            command += ["--rollback-every", str(rollback_every)]
        workers.append(subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    return workers


def envelope(content: bytes) -> tuple[str, int, int, list[int]]:
    """(element separator, ISA13, GS06, ST02s) read from the bytes; trailers must agree."""
    text = content.decode("ascii")
    separator, terminator = text[3], text[105]  # ISA is fixed width: 106 characters
    segments = [s.strip().split(separator) for s in text.split(terminator) if s.strip()]
    found: dict[str, list[list[str]]] = {}
    for segment in segments:
        found.setdefault(segment[0], []).append(segment)
    (isa,), (gs,), (iea,), (ge,) = found["ISA"], found["GS"], found["IEA"], found["GE"]
    assert iea[2] == isa[13] and ge[2] == gs[6]
    assert [se[2] for se in found["SE"]] == [st[2] for st in found["ST"]]
    return separator, int(isa[13]), int(gs[6]), [int(st[2]) for st in found["ST"]]


def summaries(workers: list[subprocess.Popen[bytes]]) -> Iterator[dict[str, Any]]:
    for worker, (_, crash_after, _) in zip(workers, PLAN, strict=True):
        out, err = worker.communicate(timeout=600)  # only ends a hung run
        last = json.loads(out.decode().splitlines()[-1])
        if crash_after is None:
            assert worker.returncode == 0 and last["event"] == "done", err.decode()
        else:
            assert worker.returncode == 1 and last["event"] == "crash", err.decode()
            last["failed"] = [*last["failed"], last["held"]]
        yield last


def test_concurrent_emitters_never_share_or_skip_a_control_number(postgres: Postgres, tmp_path: Path) -> None:
    url = postgres.migrated_database("control_number_race")
    engine = storage.make_engine(url)
    storage.upgrade(engine)
    sessions = storage.make_sessionmaker(engine)
    registry = PartnerRegistry.from_directory()
    go = tmp_path / "go"
    workers = start_workers(url, go)
    try:
        for worker in workers:  # every worker has imported, connected and is polling for the go file
            assert worker.stdout is not None and worker.stderr is not None
            ready = worker.stdout.readline()
            assert ready, worker.stderr.read().decode()
            assert json.loads(ready)["event"] == "ready"
        go.touch()
        reports = list(summaries(workers))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    # after the race, the next number continues each sequence: nothing was burnt
    extra = {}
    with sessions() as session, session.begin():
        for name in ("acme", "globex"):
            partner = registry.get(name)
            assert partner is not None
            extra[name] = emit_one(session, partner, "AFTER-THE-RACE").interchange_control_number

    with sessions() as session:
        rows = session.scalars(select(storage.OutboundRecord).order_by(storage.OutboundRecord.id)).all()
        counters = {
            (c.partner, c.kind): c.last_value for c in session.scalars(select(storage.ControlCounter))
        }
    engine.dispose()

    for name, separator in (("acme", "*"), ("globex", "|")):
        mine = [row for row in rows if row.partner == name]
        total = expected_commits(name) + 1
        assert {row.status for row in mine} == {"pending"}  # pyx12 passed each one
        columns = {
            "ISA": [row.interchange_control_number for row in mine],
            "GS": [row.group_control_number for row in mine],
            "ST": [n for row in mine for n in row.transaction_control_numbers],
        }
        for row in mine:
            assert envelope(row.content) == (
                separator,
                row.interchange_control_number,
                row.group_control_number,
                row.transaction_control_numbers,
            )
        for kind in KINDS:
            duplicates = [n for n, times in Counter(columns[kind]).items() if times > 1]
            assert duplicates == [], f"{name} {kind} numbers used twice: {duplicates}"
            assert sorted(columns[kind]) == list(range(1, total + 1)), f"{name} {kind} has gaps"
            assert counters[(name, kind)] == total
        assert len(mine) == total and extra[name] == total
        # each worker's commits are in the store, and no two workers committed the same number
        committed = [tuple(n) for r in reports if r["partner"] == name for n in r["committed"]]
        assert len(committed) == len(set(committed)) == total - 1
        stored = {(row.interchange_control_number, row.group_control_number, *row.transaction_control_numbers)
                  for row in mine}  # fmt: skip
        assert set(committed) < stored
        # the numbers a crashed or rolled-back transaction held were handed out again
        failed = [n for r in reports if r["partner"] == name for n in r["failed"]]
        assert len(failed) == sum(
            (COUNT // every if every else 0) + (crash is not None)
            for partner, crash, every in PLAN
            if partner == name
        )
        for numbers in failed:
            for kind, number in zip(KINDS, numbers, strict=True):
                assert number in columns[kind]
