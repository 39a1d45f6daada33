"""One emitting process for the control-number race test: waits for a start signal, writes 855s.

``python -m tests.workers.emit_worker DATABASE_URL GO_FILE COUNT PARTNER [CRASH_AFTER] [--rollback-every N]``

Each of COUNT iterations is one transaction: an 855 whose ISA13, GS06 and ST02 come from
``storage.ControlNumbers``, stored in the outbox (pyx12-checked) and committed. With
CRASH_AFTER the process commits that many, then dies with ``os._exit(1)`` inside the next
transaction, after its numbers are allocated and its outbox row inserted, before the commit.
With ``--rollback-every N`` every Nth transaction raises after storing and is rolled back.

Prints JSON lines: ``ready`` once connected; then ``crash`` (what the dying transaction held)
or ``done``. ``committed`` and ``failed`` list ``[ISA13, GS06, ST02]`` per transaction.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from emitters import OutboundDocument
from emitters import x12_855
from gateway import storage
from gateway.model.outbound import AckLine
from gateway.model.outbound import AckType
from gateway.model.outbound import LineAck
from gateway.model.outbound import LineStatus
from gateway.model.outbound import OrderAcknowledgment
from gateway.outbound.outbox import store_outbound
from partners import PartnerProfile
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW

ACK_DATE = date(2026, 11, 23)


class DeliberateRollback(Exception):
    """Raised inside a transaction that has allocated numbers, so that it rolls back."""


def acknowledgment(po_number: str) -> OrderAcknowledgment:
    """A small accepted 855: one line, 12 EA at 4.50."""
    return OrderAcknowledgment(
        po_number=po_number,
        po_date=ACK_DATE,
        ack_type=AckType.ACCEPTED,
        ack_date=ACK_DATE,
        currency="USD",
        lines=[
            AckLine(
                line_no="1",
                ordered=Decimal(12),
                uom="EA",
                unit_price=Decimal("4.50"),
                sku="NW-10042",
                acks=[LineAck(status=LineStatus.ACCEPTED, quantity=Decimal(12), uom="EA")],
            )
        ],
    )


def numbers_of(document: OutboundDocument) -> list[int]:
    assert document.interchange_control_number is not None and document.group_control_number is not None
    return [
        document.interchange_control_number,
        document.group_control_number,
        *document.transaction_control_numbers,
    ]


def emit_one(session: Session, partner: PartnerProfile, po_number: str) -> OutboundDocument:
    """Allocate, write and store one 855 in the caller's transaction."""
    document = x12_855.emit(
        acknowledgment(po_number),
        partner,
        numbers=storage.ControlNumbers(session, partner.name),
        when=FIXED_NOW,
    )
    store_outbound(session, document, when=FIXED_NOW)
    return document


def report(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, "pid": os.getpid(), **fields}), flush=True)


def main(
    url: str, go: Path, count: int, partner_name: str, crash_after: int | None, rollback_every: int | None
) -> None:
    partner = PartnerRegistry.from_directory().get(partner_name)
    if partner is None:
        raise SystemExit(f"no partner profile {partner_name!r}")
    engine = storage.make_engine(url)
    sessions = storage.make_sessionmaker(engine)
    engine.connect().close()
    report("ready")
    deadline = time.monotonic() + 600  # only ends a child whose parent died: siblings start slowly under load
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no start signal")
        time.sleep(0.005)
    committed: list[list[int]] = []
    failed: list[list[int]] = []
    for iteration in range(1, count + 1):
        po_number = f"RACE-{os.getpid()}-{iteration}"
        if crash_after is not None and iteration == crash_after + 1:
            with sessions() as session, session.begin():
                held = numbers_of(emit_one(session, partner, po_number))
                report("crash", partner=partner.name, committed=committed, failed=failed, held=held)
                os._exit(1)  # no commit, no rollback, no goodbye to the server
        if rollback_every and iteration % rollback_every == 0:
            try:
                with sessions() as session, session.begin():
                    held = numbers_of(emit_one(session, partner, po_number))
                    raise DeliberateRollback
            except DeliberateRollback:
                failed.append(held)
            continue
        with sessions() as session, session.begin():
            document = emit_one(session, partner, po_number)
        committed.append(numbers_of(document))
    engine.dispose()
    report("done", partner=partner.name, committed=committed, failed=failed)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.workers.emit_worker", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("go", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("partner")
    parser.add_argument("crash_after", type=int, nargs="?")
    parser.add_argument("--rollback-every", type=int)
    args = parser.parse_args()
    main(args.url, args.go, args.count, args.partner, args.crash_after, args.rollback_every)
