"""SSCCs on PostgreSQL with several workers: allocated and supplied ones never collide."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.model.gs1 import sscc
from tests.conftest import FIXED_NOW
from tests.servers.postgres import Postgres

PREFIX = "0614141"
WORKERS = 4
EACH = 15


@pytest.fixture
def pg(postgres: Postgres, request: pytest.FixtureRequest) -> Iterator[sessionmaker[Session]]:
    engine = storage.make_engine(postgres.migrated_database(request.node.name.lower()[:40]))
    storage.upgrade(engine)
    yield storage.make_sessionmaker(engine)
    engine.dispose()


def test_workers_allocating_while_others_supply_never_share_an_sscc(pg: sessionmaker[Session]) -> None:
    supplied = [sscc(PREFIX, n) for n in range(2, WORKERS * EACH * 2, 3)]  # where the counter is heading
    allocated: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(WORKERS + 1)

    def allocate(worker: int) -> None:
        try:
            start.wait()
            for n in range(EACH):
                with pg() as session, session.begin():
                    allocated.append(
                        storage.allocate_sscc(
                            session, PREFIX, partner="acme", shipment_id=f"A{worker}-{n}", when=FIXED_NOW
                        )
                    )
        except BaseException as exc:  # reported below, with the thread's own traceback
            failures.append(exc)

    def supply() -> None:
        try:
            start.wait()
            for n, value in enumerate(supplied):
                with pg() as session, session.begin():
                    holder = storage.claim_sscc(
                        session, value, partner="acme", shipment_id=f"S-{n}", when=FIXED_NOW
                    )
                    assert holder is None or holder.allocated, "only an allocation may have got there first"
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=allocate, args=(w,)) for w in range(WORKERS)]
    threads.append(threading.Thread(target=supply))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(allocated) == len(set(allocated)) == WORKERS * EACH
    with pg() as session:
        rows = {row.sscc: row for row in session.scalars(select(storage.Sscc))}
    assert set(allocated) <= set(rows) and all(rows[value].allocated for value in allocated)
    assert set(supplied) <= set(rows), "every supplied SSCC is recorded, by its claim or an allocation"


def test_a_claim_racing_an_uncommitted_one_is_told_who_holds_it(pg: sessionmaker[Session]) -> None:
    value = sscc(PREFIX, 42)
    first = pg()
    first.begin()
    assert storage.claim_sscc(first, value, partner="acme", shipment_id="SH-1", when=FIXED_NOW) is None
    answer: list[str | None] = []

    def second_claim() -> None:
        with pg() as session, session.begin():
            holder = storage.claim_sscc(session, value, partner="globex", shipment_id="SH-9", when=FIXED_NOW)
            answer.append(holder.shipment_id if holder else None)

    thread = threading.Thread(target=second_claim)
    thread.start()
    with pg() as watcher:  # the second claim is waiting on the first's uncommitted key
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database() AND query LIKE 'INSERT INTO sscc%'"
        )
        give_up = time.monotonic() + 120  # a guard against hanging, not a measurement
        while not watcher.scalar(query):
            assert time.monotonic() < give_up and thread.is_alive(), "the second claim never waited"
            watcher.rollback()
            time.sleep(0.02)
    first.commit()
    first.close()
    thread.join()
    assert answer == ["SH-1"]
