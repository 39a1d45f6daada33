"""855 acknowledgments: from validation outcome to line ACK codes, through pyx12, into the outbox."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

import validators
from emitters import OutboundDocument
from emitters import x12_855
from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.model.outbound import AckType
from gateway.model.outbound import OrderAcknowledgment
from gateway.model.status import OutboxStatus
from gateway.outbound.acknowledgments import acknowledgment_for
from gateway.outbound.outbox import store_outbound
from parsers.x12 import MAP_DIR
from partners import PartnerProfile
from partners import PartnerRegistry
from tests.conftest import CORPUS
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import acme_with
from tests.inbound.test_validators import context
from tests.inbound.test_validators import line
from tests.inbound.test_validators import order
from tests.x12.test_acks import Counter
from tests.x12.test_acks import profile
from tests.x12.test_acks import pyx12_check
from tests.x12.test_acks import segments
from tests.x12.test_acks import sets_of

D = Decimal
TODAY = date(2026, 11, 23)
WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def decided(policy: dict[str, Any] | None = None, **kw: Any) -> OrderAcknowledgment:
    """Validate one order of one line and acknowledge what validation decided."""
    lines = kw.pop("lines", None) or [line(**kw)]
    result = validators.validate(order(*lines), context(policy, **kw.pop("ctx", {})))
    rows = [f.model_dump(mode="json") for f in result.findings]
    return acknowledgment_for(result.order, rows, result.outcome, TODAY)


def statuses(ack: OrderAcknowledgment) -> list[tuple[str, str]]:
    return [(a.status.value, f"{a.quantity.normalize():f}") for line in ack.lines for a in line.acks]


def test_a_clean_order_is_acknowledged_without_change() -> None:
    ack = decided(qty="36")
    assert ack.ack_type == AckType.ACCEPTED and statuses(ack) == [("IA", "36")]
    assert ack.reasons == [] and ack.lines[0].sku == "SKU-100"


def test_backorder_splits_a_line_into_accepted_and_backordered() -> None:
    ack = decided({"short_stock": "backorder"}, qty="36", ctx={"available": {"SKU-100": D(24)}})
    assert ack.ack_type == AckType.CHANGED
    assert statuses(ack) == [("IA", "24"), ("IB", "12")]
    assert ack.lines[0].ordered == 36 and "backorder" in ack.reasons[0]


def test_nothing_in_stock_is_all_backordered() -> None:
    ack = decided({"short_stock": "backorder"}, qty="36", ctx={"available": {"SKU-100": D(0)}})
    assert statuses(ack) == [("IB", "36")]


def test_partial_cuts_the_quantity_and_says_what_was_ordered() -> None:
    ack = decided({"short_stock": "partial"}, qty="36", ctx={"available": {"SKU-100": D(24)}})
    assert ack.ack_type == AckType.CHANGED and statuses(ack) == [("IQ", "24")]
    assert ack.lines[0].ordered == 36


def test_an_auto_fixed_price_is_acknowledged_at_our_price() -> None:
    ack = decided({"actions": {"price_mismatch": "auto_fix"}}, price="5.00")
    assert statuses(ack) == [("IP", "24")] and ack.lines[0].unit_price == D("4.4")


def test_a_rounded_pack_multiple_is_a_quantity_change() -> None:
    ack = decided({"actions": {"pack_multiple": "auto_fix"}}, qty="30")
    assert statuses(ack) == [("IQ", "36")] and ack.lines[0].ordered == 30


def test_two_changes_on_one_line_are_ic() -> None:
    ack = decided(
        {"actions": {"pack_multiple": "auto_fix", "price_mismatch": "auto_fix"}}, qty="30", price="5.00"
    )
    assert statuses(ack) == [("IC", "36")]


def test_a_rejected_order_rejects_every_line_with_the_reason() -> None:
    ack = decided({"actions": {"pack_multiple": "reject"}}, qty="30")
    assert ack.ack_type == AckType.REJECTED and statuses(ack) == [("IR", "30")]
    assert ack.reasons and "pack" in ack.reasons[0]


def test_an_order_in_the_queue_gets_no_855_yet() -> None:
    result = validators.validate(order(line(qty="30")), context())
    assert result.outcome == "exception"
    with pytest.raises(ValueError, match="not decided"):
        acknowledgment_for(result.order, [], result.outcome, TODAY)


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("case", ["accepted", "backorder", "rejected"])
def test_the_855_passes_pyx12_with_the_projects_maps_and_reads_back(version: str, case: str) -> None:
    partner = profile(version)
    ack = {
        "accepted": lambda: decided(qty="36"),
        "backorder": lambda: decided(
            {"short_stock": "backorder"}, qty="36", ctx={"available": {"SKU-100": D(24)}}
        ),
        "rejected": lambda: decided({"actions": {"pack_multiple": "reject"}}, qty="30"),
    }[case]()
    document = x12_855.emit(ack, partner, numbers=Counter(), when=WHEN)
    valid, errors = pyx12_check(document.content, MAP_DIR)
    assert valid, "\n".join(errors) + "\n" + document.content.decode()
    found = segments(document, partner)
    gs = next(s for s in found if s[0] == "GS")
    assert gs[1] == "PR" and gs[8] == version
    [body] = list(sets_of(found))
    bak = body[0]
    assert bak[:5] == ["BAK", "00", ack.ack_type.value, ack.po_number, f"{ack.po_date or TODAY:%Y%m%d}"]
    po1 = next(s for s in body if s[0] == "PO1")
    assert po1[1:5] == ["1", f"{ack.lines[0].ordered.normalize():f}", "EA", "4.4"] and po1[6:8] == [
        "VN",
        "SKU-100",
    ]
    read_back = [(s[1], s[2]) for s in body if s[0] == "ACK"]
    assert read_back == statuses(ack)
    # 005010 carries the reasons in MTX02 (it has no MSG in the N9 loop), 004010 in MSG01.
    messages = [s[2] if s[0] == "MTX" else s[1] for s in body if s[0] in ("MSG", "MTX")]
    assert messages == ack.reasons
    assert {s[0] for s in body if s[0] in ("MSG", "MTX")} <= ({"MTX"} if version == "005010" else {"MSG"})


def test_an_invalid_855_stays_in_the_outbox_with_pyx12s_errors(sessions: sessionmaker[Session]) -> None:
    partner = profile()
    good = x12_855.emit(decided(qty="36"), partner, numbers=Counter(), when=WHEN)
    broken = good.content.replace(b"BAK*00*AD*", b"BAK*00**")
    with sessions() as session, session.begin():
        ok_id = store_outbound(session, good, when=WHEN, ack_window=timedelta(hours=4))
        bad_id = store_outbound(
            session, OutboundDocument(**{**good.model_dump(), "content": broken}), when=WHEN
        )
    with sessions() as session:
        ok, bad = session.get(storage.OutboundRecord, ok_id), session.get(storage.OutboundRecord, bad_id)
        assert ok is not None and bad is not None
        assert ok.status == OutboxStatus.PENDING and ok.errors == []
        assert ok.ack_window_seconds == 4 * 3600 and ok.ack_due_at is None, "due once it is sent"
        assert bad.status == OutboxStatus.INVALID and any("BAK02" in e or "BAK" in e for e in bad.errors), (
            bad.errors
        )
        assert bad.ack_due_at is None and bad.ack_window_seconds is None


def outbox(sessions: sessionmaker[Session]) -> list[storage.OutboundRecord]:
    with sessions() as session:
        return list(session.scalars(select(storage.OutboundRecord).order_by(storage.OutboundRecord.id)))


def test_the_pipeline_sends_an_855_for_an_accepted_edi_order(master_sessions: sessionmaker[Session]) -> None:
    partners = PartnerRegistry.from_directory()
    acme = partners.get("acme")
    assert isinstance(acme, PartnerProfile) and acme.wants_855
    outcome = Pipeline(master_sessions, partners, clock=lambda: FIXED_NOW).ingest_path(
        INBOX / "acme-4500012345.edi"
    )
    records = outbox(master_sessions)
    assert [r.kind for r in records] == ["855", "997"]
    ack = records[0]
    assert (
        ack.status == OutboxStatus.PENDING
        and ack.order_id == outcome.order_ids[0]
        and ack.refers_to == "4500012345"
    )
    assert ack.ack_window_seconds == 24 * 3600 and ack.ack_due_at is None, (
        "acme's 997 is due 24 h after the send"
    )
    assert b"BAK*00*AD*4500012345" in ack.content and ack.content.count(b"ACK*IA*") == 3


def test_an_order_held_for_the_desk_gets_no_855_and_a_rejected_one_an_rd(
    master_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    held = Pipeline(master_sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW)
    held.ingest_path(INBOX / "acme-4500012345.edi")
    held.ingest_path(_renumbered(tmp_path, "000000777"))  # the same PO again: duplicate, held
    assert [r.kind for r in outbox(master_sessions)] == ["855", "997", "997"]
    rejecting = acme_with(
        tmp_path, **{"[validation]\n": '[validation]\nactions = { duplicate_po = "reject" }\n'}
    )
    Pipeline(master_sessions, rejecting, clock=lambda: FIXED_NOW).ingest_path(
        _renumbered(tmp_path, "000000778")
    )
    last = [r for r in outbox(master_sessions) if r.kind == "855"][-1]
    assert b"BAK*00*RD*4500012345" in last.content and last.content.count(b"ACK*IR*") == 3
    assert b"MSG*" in last.content


def _renumbered(tmp_path: Path, control: str) -> Path:
    path = tmp_path / f"again-{control}.edi"
    path.write_bytes((INBOX / "acme-4500012345.edi").read_bytes().replace(b"000001001", control.encode()))
    return path


def test_reprocessing_keeps_the_855_already_written(master_sessions: sessionmaker[Session]) -> None:
    pipeline = Pipeline(master_sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW)
    outcome = pipeline.ingest_path(INBOX / "acme-4500012345.edi")
    pipeline.process(outcome.document_id, again=True)
    records = outbox(master_sessions)
    assert [r.kind for r in records].count("855") >= 1
    assert all(r.order_id is None or r.order_id in _order_ids(master_sessions) for r in records)


def _order_ids(sessions: sessionmaker[Session]) -> set[int]:
    with sessions() as session:
        return set(session.scalars(select(storage.PurchaseOrder.id)))


def test_the_855_follows_the_order_of_a_real_855_and_globex_separators_pass(
    master_sessions: sessionmaker[Session],
) -> None:
    from tests.outbound.test_shipments_invoices import assert_same_relative_order
    from tests.outbound.test_shipments_invoices import split_x12

    ack = decided({"short_stock": "backorder"}, qty="36", ctx={"available": {"SKU-100": D(24)}})
    globex = PartnerRegistry.from_directory().get("globex")
    assert globex is not None and globex.separators.element == "|"
    document = x12_855.emit(ack, globex, numbers=Counter(), when=WHEN)
    assert pyx12_check(document.content, MAP_DIR) == (True, [])
    ours = next(iter(sets_of(split_x12(document.content.decode()))))
    real = (CORPUS / "aaronhuggins__node-x12/test/test-data/855.edi").read_text()
    theirs = next(iter(sets_of(split_x12(real))))
    assert_same_relative_order(ours, theirs, minimum=5)
