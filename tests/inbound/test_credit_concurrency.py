"""Orders for one customer validated at the same instant by several processes on PostgreSQL.

Each process locks the customer's credit row before it sums the open orders, so however the
processes interleave, exactly as many orders are accepted as the limit allows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from gateway import storage
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.servers.postgres import Postgres

PROCESSES = 6
ORDER_TOTAL = Decimal("544.80")  # the demo acme 850
OPEN_AR = Decimal("1000.00")
LIMIT = OPEN_AR + ORDER_TOTAL * 2 + Decimal("100.00")  # room for two orders, not three


def test_concurrent_orders_do_not_all_slip_under_the_credit_limit(postgres: Postgres, tmp_path: Path) -> None:
    url = postgres.seeded_database("credit_race")
    engine = storage.make_engine(url)
    sessions = storage.make_sessionmaker(engine)
    with sessions() as session, session.begin():
        session.execute(
            update(storage.CreditAccount)
            .where(storage.CreditAccount.account == "C1001")
            .values(open_ar=OPEN_AR, credit_limit=LIMIT)
        )
    original = (INBOX / "acme-4500012345.edi").read_bytes()
    go = tmp_path / "go"
    workers = []
    for n in range(PROCESSES):
        path = tmp_path / f"po-{n}.edi"
        path.write_bytes(
            original.replace(b"4500012345", f"45000300{n:02d}".encode()).replace(
                b"000001001", f"0000050{n:02d}".encode()
            )
        )
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.workers.ingest_worker", url, str(go), str(path)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    for worker in workers:  # every worker has imported, connected and is polling for the go file
        assert worker.stdout is not None and worker.stderr is not None
        ready = worker.stdout.readline()
        assert ready, worker.stderr.read().decode()
        assert json.loads(ready)["event"] == "ready"
    go.touch()
    for worker in workers:
        out, err = worker.communicate(timeout=600)  # only ends a hung run
        assert worker.returncode == 0, err.decode()
        assert json.loads(out)["status"] == "processed"
    with sessions() as session:
        orders = session.scalars(
            select(storage.PurchaseOrder).where(storage.PurchaseOrder.customer_account == "C1001")
        ).all()
        statuses = sorted(o.status for o in orders)
        exposure = OPEN_AR + sum((o.order_total or 0 for o in orders if o.status == "accepted"), Decimal(0))
        held = session.scalar(
            select(func.count()).select_from(storage.Finding).where(storage.Finding.code == "credit_limit")
        )
    engine.dispose()
    assert statuses == ["accepted"] * 2 + ["exception"] * (PROCESSES - 2)
    assert exposure <= LIMIT and held == PROCESSES - 2
