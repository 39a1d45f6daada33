"""The ATP snapshot and a full 846 for the whole demo catalog: ``python -m bench.atp_846``.

A fresh SQLite store with the demo master data; acme is made to buy every SKU (a cross-reference
each), then one ``GET /api/atp``-sized page of every SKU is read and one 846 for all of them is
emitted, checked by pyx12 and stored, as the daily job would. Prints the two times.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy import select

from gateway import storage
from gateway.inbound.atp import atp_page
from gateway.inbound.master_data import load_demo_master_data
from gateway.outbound.inventory_advice import advise
from partners import InventoryAdviceSettings
from partners import PartnerRegistry

ROOT = Path(__file__).resolve().parent.parent
WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-atp-"))
    engine = storage.make_engine(f"sqlite:///{home / 'gateway.db'}")
    storage.upgrade(engine)
    sessions = storage.make_sessionmaker(engine)
    xref = storage.CustomerPartXref
    with sessions() as session, session.begin():
        load_demo_master_data(session, ROOT / "fixtures" / "master")
        known = set(session.scalars(select(xref.sku).where(xref.customer_account == "C1001")))
        skus = [sku for sku in session.scalars(select(storage.Product.sku)) if sku not in known]
        session.execute(
            insert(xref),
            [{"customer_account": "C1001", "customer_part": f"P-{sku}", "sku": sku} for sku in skus],
        )
    acme = PartnerRegistry.from_directory().get("acme")
    assert acme is not None
    acme = acme.model_copy(update={"inventory_advice": InventoryAdviceSettings(on_change=True)})
    with sessions() as session:
        started = time.perf_counter()
        page = atp_page(session, after=None, limit=10000)
        snapshot = time.perf_counter() - started
    with sessions() as session, session.begin():
        started = time.perf_counter()
        outbox_id = advise(session, acme, now=WHEN)
        emitted = time.perf_counter() - started
        row = session.get(storage.OutboundRecord, outbox_id)
        assert row is not None
        lines = row.content.count(b"LIN*")
        status = row.status
    engine.dispose()
    print(f"ATP snapshot of {len(page)} SKUs: {snapshot * 1000:.0f} ms")
    print(f"846 of {lines} SKUs, emitted, pyx12-checked and stored ({status}): {emitted:.1f} s")


if __name__ == "__main__":
    main()
