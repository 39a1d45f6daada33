"""856 ASNs and 810 invoices: pre-flight refusals, SSCC labels, HL chains, totals that reconcile, the API."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from emitters import x12_856
from emitters._envelope import Segment
from gateway import storage
from gateway.config import WebConfig
from gateway.errors import ControlNumberExhausted
from gateway.errors import OutboundRefused
from gateway.inbound.pipeline import Pipeline
from gateway.model.gs1 import is_valid_sscc
from gateway.model.gs1 import sscc
from gateway.model.outbound import InvoiceRecord
from gateway.model.outbound import ShipmentRecord
from gateway.model.status import OutboxStatus
from gateway.outbound.invoicing import release_invoice
from gateway.outbound.records import invoice_shipment
from gateway.outbound.records import submit_invoice
from gateway.outbound.records import submit_shipment
from gateway.web import create_app
from parsers.x12 import MAP_DIR
from partners import PartnerRegistry
from tests.conftest import CORPUS
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.conftest import acme_with
from tests.x12.test_acks import pyx12_check

SHIPMENT = ROOT / "fixtures" / "shipments" / "acme-SH-26001.json"
INVOICE = ROOT / "fixtures" / "invoices" / "acme-INV-90001.json"
LATER = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
TOKEN = "test-token-1234"


@pytest.fixture
def shop(master_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The demo store with acme's PO 4500012345 accepted (24 EA, 6 CA, 10 EA)."""
    outcome = Pipeline(
        master_sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW
    ).ingest_path(INBOX / "acme-4500012345.edi")
    with master_sessions() as session:
        order = session.get(storage.PurchaseOrder, outcome.order_ids[0])
        assert order is not None and order.status == "accepted"
    return master_sessions


def shipment(**changes: Any) -> str:
    record = json.loads(SHIPMENT.read_text())
    record.update(changes)
    return json.dumps(record)


def x12(sessions: sessionmaker[Session], outbound_id: int) -> list[list[str]]:
    with sessions() as session:
        row = session.get(storage.OutboundRecord, outbound_id)
        assert row is not None
        text = row.content.decode("ascii")
    return [s.strip().split("*") for s in text.split("~") if s.strip()]


def body(segments: list[list[str]]) -> list[list[str]]:
    start = next(i for i, s in enumerate(segments) if s[0] == "ST")
    end = next(i for i, s in enumerate(segments) if s[0] == "SE")
    return segments[start + 1 : end]


def refused(action: Any) -> list[str]:
    with pytest.raises(OutboundRefused) as caught:
        action()
    return caught.value.problems


# --- SSCC -----------------------------------------------------------------------------------


def test_sscc_has_the_gs1_check_digit() -> None:
    assert sscc("0614141", 123456789, extension=1) == "106141411234567897"  # GS1's own example
    assert is_valid_sscc("106141411234567897") and not is_valid_sscc("106141411234567896")
    with pytest.raises(ValueError, match="does not fit"):
        sscc("0614141", 10**9)


# --- 856 --------------------------------------------------------------------------------------


def test_a_shipment_becomes_a_valid_sopi_asn_that_reconciles_to_the_po(shop: sessionmaker[Session]) -> None:
    outcome = submit_shipment(shop, PartnerRegistry.from_directory(), SHIPMENT.read_bytes(), when=LATER)
    assert outcome["status"] == OutboxStatus.PENDING and outcome["errors"] == [] and not outcome["duplicate"]
    segments = x12(shop, outcome["outbound_id"])
    with shop() as session:
        content = session.get(storage.OutboundRecord, outcome["outbound_id"]).content  # type: ignore[union-attr]
    assert pyx12_check(content, MAP_DIR) == (True, [])
    asn = body(segments)
    assert asn[0][:6] == ["BSN", "00", "SH-26001", "20261124", "1430", "0001"]
    assert [s[3] for s in asn if s[0] == "HL"] == ["S", "O", "P", "I", "I", "P", "I"]
    assert x12_856.hierarchy_errors(asn, "SOPI") == []
    assert ["TD5", "", "2", "UPSN", "M", "UPS GROUND"] in asn and ["REF", "CN", "1Z999AA10123456784"] in asn
    assert ["REF", "BM", "BOL-77001"] in asn and ["TD1", "CTN25", "2", "", "", "", "G", "84.5", "LB"] in asn
    assert ["PRF", "4500012345", "", "", "20261118"] in asn
    assert [s[1] for s in asn if s[0] == "N1"] == ["SF", "ST"], "ship-to taken from the PO"
    labels = [s[2] for s in asn if s[0] == "MAN"]
    assert labels == outcome["ssccs"] and all(
        is_valid_sscc(label) and label.startswith("00614141") for label in labels
    )
    shipped: dict[str, Decimal] = {}
    for lin, sn1 in zip([s for s in asn if s[0] == "LIN"], [s for s in asn if s[0] == "SN1"], strict=True):
        shipped[lin[1]] = shipped.get(lin[1], Decimal(0)) + Decimal(sn1[2])
    assert shipped == {"1": 24, "2": 6, "3": 10}, "the SN1 quantities add up to the ordered lines"
    assert ["LIN", "1", "VN", "NW-10042", "UP", "012345678905", "BP", "AC-778"] in asn
    assert asn[-1] == ["CTT", "7"]


def test_the_same_shipment_twice_is_one_asn_and_a_changed_one_is_refused(shop: sessionmaker[Session]) -> None:
    partners = PartnerRegistry.from_directory()
    first = submit_shipment(shop, partners, SHIPMENT.read_bytes(), when=LATER)
    again = submit_shipment(shop, partners, SHIPMENT.read_bytes(), when=LATER)
    assert again["duplicate"] and again["outbound_id"] == first["outbound_id"]
    problems = refused(lambda: submit_shipment(shop, partners, shipment(tracking_number="OTHER"), when=LATER))
    assert "already sent with other contents" in problems[0]


def test_over_shipment_unknown_po_line_and_unit_are_refused_with_every_reason(
    shop: sessionmaker[Session],
) -> None:
    partners = PartnerRegistry.from_directory()
    submit_shipment(shop, partners, SHIPMENT.read_bytes(), when=LATER)
    record = json.loads(SHIPMENT.read_text())
    record["shipment_id"] = "SH-26002"
    record["orders"][0]["packs"] = [
        {"items": [{"line_no": "1", "quantity": "1", "uom": "EA"}, {"line_no": "9", "quantity": "1"}]},
        {"items": [{"line_no": "2", "quantity": "1", "uom": "EA"}]},
    ]
    record["orders"].append(
        {"po_number": "NOPE-1", "packs": [{"items": [{"line_no": "1", "quantity": "1"}]}]}
    )
    problems = refused(lambda: submit_shipment(shop, partners, json.dumps(record), when=LATER))
    text = "\n".join(problems)
    assert "line 1: ships 1, ordered 24, already shipped 24" in text
    assert "has no line 9" in text
    assert "line 2 was ordered in CA, the shipment says EA" in text
    assert "PO NOPE-1 is unknown" in text
    with shop() as session:
        assert session.scalars(select(storage.ShipmentRow)).all().__len__() == 1, (
            "nothing of a refusal is kept"
        )


def test_a_partial_shipment_then_the_rest(shop: sessionmaker[Session]) -> None:
    partners = PartnerRegistry.from_directory()
    record = json.loads(SHIPMENT.read_text())
    record["orders"][0]["packs"] = [{"items": [{"line_no": "1", "quantity": "20", "uom": "EA"}]}]
    submit_shipment(shop, partners, json.dumps(record), when=LATER)
    record["shipment_id"] = "SH-26003"
    record["orders"][0]["packs"] = [{"items": [{"line_no": "1", "quantity": "4", "uom": "EA"}]}]
    assert submit_shipment(shop, partners, json.dumps(record), when=LATER)["status"] == OutboxStatus.PENDING
    record["shipment_id"] = "SH-26004"
    record["orders"][0]["packs"] = [{"items": [{"line_no": "1", "quantity": "1", "uom": "EA"}]}]
    assert (
        "already shipped 24"
        in refused(lambda: submit_shipment(shop, partners, json.dumps(record), when=LATER))[0]
    )


def test_a_rejected_or_held_po_cannot_ship(shop: sessionmaker[Session]) -> None:
    with shop() as session, session.begin():
        order = session.scalars(select(storage.PurchaseOrder)).one()
        order.status = "exception"
    problems = refused(
        lambda: submit_shipment(shop, PartnerRegistry.from_directory(), SHIPMENT.read_bytes(), when=LATER)
    )
    assert problems == ["PO 4500012345 is exception, not accepted: it cannot ship"]


def test_an_soi_partner_gets_no_pack_level_and_a_5010_one_a_valid_5010_asn(
    shop: sessionmaker[Session], tmp_path: Path
) -> None:
    partners = acme_with(
        tmp_path,
        **{'asn_structure = "SOPI"': 'asn_structure = "SOI"', 'version = "004010"': 'version = "005010"'},
    )
    outcome = submit_shipment(shop, partners, SHIPMENT.read_bytes(), when=LATER)
    assert outcome["status"] == OutboxStatus.PENDING, outcome["errors"]
    segments = x12(shop, outcome["outbound_id"])
    asn = body(segments)
    assert [s[3] for s in asn if s[0] == "HL"] == ["S", "O", "I", "I", "I"]
    assert asn[0][5] == "0004" and next(s for s in segments if s[0] == "GS")[8] == "005010"
    assert [s for s in asn if s[0] == "MAN"] == []


def test_packs_need_an_sscc_or_a_prefix_to_make_one(shop: sessionmaker[Session], tmp_path: Path) -> None:
    partners = acme_with(tmp_path, **{'gs1_company_prefix = "0614141"': ""})
    problems = refused(lambda: submit_shipment(shop, partners, SHIPMENT.read_bytes(), when=LATER))
    assert "sets no gs1_company_prefix" in problems[0]
    record = json.loads(SHIPMENT.read_text())
    record["orders"][0]["packs"][0]["sscc"] = "106141411234567897"
    record["orders"][0]["packs"][1]["sscc"] = "106141411234567896"
    problems = refused(lambda: submit_shipment(shop, partners, json.dumps(record), when=LATER))
    assert problems == ["SSCC 106141411234567896 on PO 4500012345 has a wrong check digit"]


PREFIX = "0614141"


def packed(shipment_id: str, *packs: tuple[str | None, list[dict[str, str]]]) -> str:
    """The demo shipment under ``shipment_id`` with ``packs`` of (SSCC or None, items)."""
    record = json.loads(SHIPMENT.read_text())
    record["shipment_id"] = shipment_id
    record["orders"][0]["packs"] = [
        {"items": items, **({"sscc": label} if label else {})} for label, items in packs
    ]
    return json.dumps(record)


def units(line: str, quantity: int) -> list[dict[str, str]]:
    return [{"line_no": line, "quantity": str(quantity), "uom": "CA" if line == "2" else "EA"}]


def test_an_allocated_sscc_never_equals_one_supplied_in_the_same_shipment(
    shop: sessionmaker[Session],
) -> None:
    supplied = sscc(PREFIX, 1)  # what the counter would hand out first
    record = packed("SH-26101", (None, units("1", 2)), (supplied, units("1", 2)))
    outcome = submit_shipment(shop, PartnerRegistry.from_directory(), record, when=LATER)
    assert outcome["status"] == OutboxStatus.PENDING, outcome["errors"]
    assert outcome["ssccs"] == [sscc(PREFIX, 2), supplied]
    labels = [s[2] for s in body(x12(shop, outcome["outbound_id"])) if s[0] == "MAN"]
    assert labels == outcome["ssccs"] and len(set(labels)) == 2


def test_an_sscc_is_used_once_ever_whoever_chose_it(shop: sessionmaker[Session]) -> None:
    partners = PartnerRegistry.from_directory()
    first = submit_shipment(shop, partners, packed("SH-26102", (None, units("1", 2))), when=LATER)
    [allocated] = first["ssccs"]
    again = packed("SH-26103", (allocated, units("1", 2)))
    assert refused(lambda: submit_shipment(shop, partners, again, when=LATER)) == [
        f"SSCC {allocated} on PO 4500012345 is already used, on shipment SH-26102 to Acme Retail; "
        "an SSCC is never used twice"
    ]
    twice = packed("SH-26104", (sscc(PREFIX, 7), units("1", 1)), (sscc(PREFIX, 7), units("1", 1)))
    assert refused(lambda: submit_shipment(shop, partners, twice, when=LATER)) == [
        f"SSCC {sscc(PREFIX, 7)} is on two packs of shipment SH-26104; an SSCC is never used twice"
    ]
    supplied = packed("SH-26105", (sscc(PREFIX, 2), units("1", 1)), (sscc(PREFIX, 3), units("1", 1)))
    assert submit_shipment(shop, partners, supplied, when=LATER)["status"] == OutboxStatus.PENDING
    later = submit_shipment(shop, partners, packed("SH-26106", (None, units("1", 1))), when=LATER)
    assert later["ssccs"] == [sscc(PREFIX, 4)], "the serials supplied meanwhile are skipped"
    with shop() as session:
        used = {row.sscc: (row.shipment_id, row.allocated) for row in session.scalars(select(storage.Sscc))}
    assert used == {
        allocated: ("SH-26102", True),
        sscc(PREFIX, 2): ("SH-26105", False),
        sscc(PREFIX, 3): ("SH-26105", False),
        sscc(PREFIX, 4): ("SH-26106", True),
    }, "a refused shipment claims nothing"


def test_a_corrected_shipment_whose_856_never_left_keeps_its_ssccs(shop: sessionmaker[Session]) -> None:
    partners = PartnerRegistry.from_directory()
    label = sscc(PREFIX, 5)
    first = submit_shipment(shop, partners, packed("SH-26107", (label, units("1", 2))), when=LATER)
    with shop() as session, session.begin():  # as if it had failed its pre-send check
        row = session.get(storage.OutboundRecord, first["outbound_id"])
        assert row is not None
        row.status = OutboxStatus.INVALID
    corrected = submit_shipment(shop, partners, packed("SH-26107", (label, units("1", 3))), when=LATER)
    assert corrected["status"] == OutboxStatus.PENDING and corrected["ssccs"] == [label]


def test_sscc_serials_count_per_company_prefix_not_per_partner(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        storage.claim_sscc(session, sscc(PREFIX, 1), partner="acme", shipment_id="S-0", when=LATER)
        labels = [
            storage.allocate_sscc(session, PREFIX, partner=partner, shipment_id="S-1", when=LATER)
            for partner in ("acme", "globex", "acme")
        ]
        other = storage.allocate_sscc(session, "0614142", partner="globex", shipment_id="S-2", when=LATER)
    assert labels == [sscc(PREFIX, 2), sscc(PREFIX, 3), sscc(PREFIX, 4)] and other == sscc("0614142", 1)


def test_sscc_serials_that_run_out_refuse_the_shipment(sessions: sessionmaker[Session]) -> None:
    prefix = "061414112345"  # 12 digits leave 4 for the serial
    with sessions() as session, session.begin():
        session.add(storage.ControlCounter(partner=f"gs1:{prefix}", kind="SSCC", last_value=9998))
        assert storage.allocate_sscc(session, prefix, partner="acme", shipment_id="S", when=LATER) == sscc(
            prefix, 9999
        )
        with pytest.raises(ControlNumberExhausted, match="prefix 061414112345 are used up"):
            storage.allocate_sscc(session, prefix, partner="acme", shipment_id="S", when=LATER)


def test_a_malformed_record_names_each_bad_field(shop: sessionmaker[Session]) -> None:
    record = json.loads(SHIPMENT.read_text())
    record["ship_date"] = "yesterday"
    record["orders"][0]["packs"][0]["items"][0]["quantity"] = "-3"
    problems = refused(
        lambda: submit_shipment(shop, PartnerRegistry.from_directory(), json.dumps(record), when=LATER)
    )
    assert any(p.startswith("ship_date:") for p in problems)
    assert any(p.startswith("orders.0.packs.0.items.0.quantity:") for p in problems)
    assert refused(lambda: submit_shipment(shop, PartnerRegistry.from_directory(), b"{not json", when=LATER))


def hl(number: int, parent: int | None, level: str) -> Segment:
    return ["HL", str(number), "" if parent is None else str(parent), level]


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([hl(1, None, "S"), hl(2, 1, "O"), hl(3, 2, "P"), hl(4, 3, "I")], []),
        ([hl(1, None, "S"), hl(2, 1, "O"), hl(3, 2, "P"), hl(4, 9, "I")], ["not an earlier HL"]),
        ([hl(1, None, "S"), hl(2, 1, "O"), hl(3, 2, "I")], ["hangs under a O level, not P"]),
        ([hl(1, None, "S"), hl(3, 1, "O"), hl(4, 3, "P"), hl(5, 4, "I")], ["out of sequence"]),
        (
            [hl(1, None, "S"), hl(2, 1, "O"), hl(3, 1, "O"), hl(4, 3, "P"), hl(5, 4, "I")],
            ["HL 2 (O) has nothing"],
        ),
        ([hl(1, None, "O"), hl(2, 1, "P"), hl(3, 2, "I")], ["first HL must be the shipment"]),
        ([hl(1, 7, "S"), hl(2, 1, "O"), hl(3, 2, "P"), hl(4, 3, "I")], ["must not have a parent"]),
    ],
)
def test_a_broken_hl_chain_is_caught(levels: list[Segment], expected: list[str]) -> None:
    problems = x12_856.hierarchy_errors(levels, "SOPI")
    assert bool(problems) == bool(expected)
    for words in expected:
        assert any(words in problem for problem in problems), problems


def test_the_asn_follows_the_order_of_a_real_vics_asn(shop: sessionmaker[Session]) -> None:
    outcome = submit_shipment(shop, PartnerRegistry.from_directory(), SHIPMENT.read_bytes(), when=LATER)
    ours = body(x12(shop, outcome["outbound_id"]))
    real = CORPUS / "olmelabs__EdiEngine/EdiEngine.Tests/TestData/856.Crossdock.OK.edi"
    theirs = body(split_x12(real.read_text()))
    assert_same_relative_order(ours, theirs)


def split_x12(text: str) -> list[list[str]]:
    """Segments of a real interchange, whatever its terminator (the character after ISA16)."""
    text = text.lstrip()
    terminator = text[105]
    return [s.strip().split(text[3]) for s in text.split(terminator) if s.strip()]


def assert_same_relative_order(ours: list[list[str]], theirs: list[list[str]], minimum: int = 6) -> None:
    """Segments both write come in the same order: each id's first use, compared pairwise."""

    def firsts(segments: list[list[str]]) -> list[str]:
        seen: list[str] = []
        for segment in segments:
            if segment[0] not in seen:
                seen.append(segment[0])
        return seen

    mine, real = firsts(ours), firsts(theirs)
    shared = [s for s in mine if s in real]
    assert len(shared) >= minimum, shared
    assert shared == [s for s in real if s in mine]


# --- 810 --------------------------------------------------------------------------------------


def test_an_invoice_totals_reconcile_and_pass_pyx12(shop: sessionmaker[Session]) -> None:
    outcome = submit_invoice(shop, PartnerRegistry.from_directory(), INVOICE.read_bytes(), when=LATER)
    assert outcome["status"] == OutboxStatus.PENDING and outcome["errors"] == []
    segments = x12(shop, outcome["outbound_id"])
    with shop() as session:
        row = session.get(storage.OutboundRecord, outcome["outbound_id"])
        assert row is not None and pyx12_check(row.content, MAP_DIR) == (True, [])
    invoice = body(segments)
    lines = sum((Decimal(s[2]) * Decimal(s[4]) for s in invoice if s[0] == "IT1"), Decimal(0))
    charges = sum(
        (Decimal(s[5]) / 100 * (1 if s[1] == "C" else -1) for s in invoice if s[0] == "SAC"), Decimal(0)
    )
    tax = sum((Decimal(s[2]) for s in invoice if s[0] == "TXI"), Decimal(0))
    [tds] = [s for s in invoice if s[0] == "TDS"]
    assert Decimal(tds[1]) / 100 == lines + charges + tax == Decimal("590.07")
    assert Decimal(outcome["total"]) == Decimal("590.07")
    assert invoice[0] == ["BIG", "20261124", "INV-90001", "20261118", "4500012345"]
    assert ["ITD", "01", "3", "2", "", "30", "", "60", "", "", "", "", "2% 30 NET 60"] in invoice
    assert ["CAD", "M", "", "", "UPSN", "UPS GROUND"] in invoice and invoice[-1] == ["CTT", "3"]
    with shop() as session:
        order = session.scalars(select(storage.PurchaseOrder)).one()
        assert order.invoiced_at is not None, "an invoiced order leaves open-order credit exposure"


def test_tds_rounds_sub_cent_totals_half_up() -> None:
    record = InvoiceRecord.model_validate_json(INVOICE.read_text())
    odd = record.model_copy(
        update={
            "lines": [
                record.lines[0].model_copy(update={"unit_price": Decimal("0.125"), "quantity": Decimal(3)})
            ]
        }
    )
    assert odd.total == Decimal("0.375") + Decimal("18.50") - Decimal("10.00") + Decimal("36.77")
    from emitters.x12_810 import cents

    assert cents(odd.total) == "4565" and cents(Decimal("0.005")) == "1"


def test_over_invoicing_and_wrong_currency_are_refused(shop: sessionmaker[Session]) -> None:
    partners = PartnerRegistry.from_directory()
    submit_invoice(shop, partners, INVOICE.read_bytes(), when=LATER)
    record = json.loads(INVOICE.read_text())
    record.update(invoice_number="INV-90002", currency="EUR")
    problems = refused(lambda: submit_invoice(shop, partners, json.dumps(record), when=LATER))
    assert "invoice currency EUR is not the order's USD" in problems
    assert any("already invoiced 24" in p for p in problems)


def priced(number: str, price: str, line: int = 0) -> str:
    """The demo invoice under ``number`` with line ``line`` at ``price``."""
    record = json.loads(INVOICE.read_text())
    record["invoice_number"] = number
    record["lines"][line]["unit_price"] = price
    return json.dumps(record)


def only_line(number: str, price: str, line: int) -> str:
    """The demo invoice under ``number``, billing only line ``line``, at ``price``."""
    record = json.loads(priced(number, price, line))
    record["lines"] = [record["lines"][line]]
    return json.dumps(record)


INVOICE_HOLD = '[invoicing]\nprice_tolerance = { absolute = "0.01" }\nprice_mismatch = "hold"\n\n[narrow]'


def test_an_invoice_above_the_accepted_price_is_refused_naming_po_line_and_prices(
    shop: sessionmaker[Session],
) -> None:
    partners = PartnerRegistry.from_directory()
    problems = refused(lambda: submit_invoice(shop, partners, priced("INV-90010", "5.99"), when=LATER))
    assert problems == [
        "PO 4500012345 line 1: invoiced at 5.99, the accepted order price is 4.50 "
        "(Acme Retail's tolerance: none)"
    ]
    with shop() as session:
        assert session.scalars(select(storage.InvoiceRow)).first() is None, "nothing of a refusal is kept"
        assert session.scalars(select(storage.PurchaseOrder)).one().invoiced_at is None
    below = refused(lambda: submit_invoice(shop, partners, priced("INV-90011", "52.79", 1), when=LATER))
    assert below == [
        "PO 4500012345 line 2: invoiced at 52.79, the accepted order price is 52.80 "
        "(Acme Retail's tolerance: none)"
    ], "a lower price is a difference too: the partner's three-way match fails either way"


def test_the_partners_tolerance_allows_a_rounding_difference(
    shop: sessionmaker[Session], tmp_path: Path
) -> None:
    partners = acme_with(tmp_path, **{"[narrow]": INVOICE_HOLD.replace('"hold"', '"refuse"')})
    outcome = submit_invoice(shop, partners, only_line("INV-90012", "4.51", 0), when=LATER)
    assert outcome["status"] == OutboxStatus.PENDING and outcome["errors"] == []
    problems = refused(lambda: submit_invoice(shop, partners, only_line("INV-90013", "12.02", 2), when=LATER))
    assert problems == [
        "PO 4500012345 line 3: invoiced at 12.02, the accepted order price is 12.00 "
        "(Acme Retail's tolerance: 0.01)"
    ]


def test_a_held_invoice_waits_with_an_alert_until_released_or_corrected(
    shop: sessionmaker[Session], tmp_path: Path
) -> None:
    partners = acme_with(tmp_path, **{"[narrow]": INVOICE_HOLD})
    outcome = submit_invoice(shop, partners, only_line("INV-90014", "5.99", 0), when=LATER)
    finding = "PO 4500012345 line 1: invoiced at 5.99, the accepted order price is 4.50 (Acme Retail's tolerance: 0.01)"
    assert outcome["status"] == OutboxStatus.HELD and outcome["errors"] == [finding]
    with shop() as session:
        row = session.get(storage.OutboundRecord, outcome["outbound_id"])
        assert (
            row is not None
            and row.status == OutboxStatus.HELD
            and row.errors == [finding]
            and row.ack_due_at is None
        )
        [alert] = session.scalars(select(storage.Alert)).all()
        assert alert.kind == "invoice_held" and alert.outbound_id == row.id and finding in alert.message
        assert "INV-90014" in alert.message and alert.resolved_at is None
        assert session.scalars(select(storage.PurchaseOrder)).one().invoiced_at is None, "not sent yet"
    again = submit_invoice(shop, partners, only_line("INV-90014", "5.99", 0), when=LATER)
    assert (
        again["duplicate"]
        and again["status"] == OutboxStatus.HELD
        and again["outbound_id"] == outcome["outbound_id"]
    )

    corrected = submit_invoice(shop, partners, only_line("INV-90014", "4.50", 0), when=LATER)
    assert corrected["status"] == OutboxStatus.PENDING and corrected["outbound_id"] != outcome["outbound_id"]
    with shop() as session:
        assert session.scalars(select(storage.Alert)).one().resolved_at is not None
        assert session.scalars(select(storage.PurchaseOrder)).one().invoiced_at is not None
        assert len(session.scalars(select(storage.InvoiceRow)).all()) == 1, "the correction took the number"

    held = submit_invoice(shop, partners, only_line("INV-90015", "14.00", 2), when=LATER)
    assert held["status"] == OutboxStatus.HELD
    acme = partners.get("acme")
    assert acme is not None
    with shop() as session, session.begin():
        assert release_invoice(session, acme, "INV-90015", now=LATER) == held["outbound_id"]
    with shop() as session:
        row = session.get(storage.OutboundRecord, held["outbound_id"])
        assert row is not None and row.status == OutboxStatus.PENDING
        assert (row.ack_window_seconds, row.ack_due_at) == (86400, None), "997 clock starts when it is sent"
        assert all(a.resolved_at is not None for a in session.scalars(select(storage.Alert)))
        [audit] = session.scalars(select(storage.AuditEntry)).all()
        assert (audit.action, audit.actor, audit.subject_id) == ("invoice.release", "cli", str(row.id))
        assert audit.before is not None and "invoiced at 14.00" in audit.before["errors"][0]
    with shop() as session, session.begin(), pytest.raises(OutboundRefused, match="not held"):
        release_invoice(session, acme, "INV-90015", now=LATER)


def test_invoice_policy_is_checked_when_the_profile_loads(tmp_path: Path) -> None:
    registry = acme_with(tmp_path, **{"[narrow]": INVOICE_HOLD.replace('"hold"', '"ignore"')})
    assert registry.get("acme") is None
    [refused] = registry.refused
    assert "price_mismatch" in refused.refusal
    assert PartnerRegistry.from_directory().get("acme").invoicing.price_mismatch == "refuse"  # type: ignore[union-attr]


def test_invoices_from_a_shipment_use_the_accepted_prices(shop: sessionmaker[Session]) -> None:
    partners = PartnerRegistry.from_directory()
    record = json.loads(SHIPMENT.read_text())
    record["orders"][0]["packs"] = [{"items": [{"line_no": "2", "quantity": "4", "uom": "CA"}]}]
    submit_shipment(shop, partners, json.dumps(record), when=LATER)
    [outcome] = invoice_shipment(shop, partners, "acme", "SH-26001", when=LATER)
    assert outcome["status"] == OutboxStatus.PENDING and outcome["invoice_number"] == "IN00000001"
    assert Decimal(outcome["total"]) == Decimal("211.20")  # 4 cases at 52.80
    invoice = body(x12(shop, outcome["outbound_id"]))
    assert ["IT1", "2", "4", "CA", "52.8", "", "VN", "NW-20017", "BP", "AC-913"] in invoice
    assert ["REF", "PK", "SH-26001"] in invoice and [
        "N1",
        "RI",
        "NORTHWIND DISTRIBUTION",
        "92",
        "NW01",
    ] in invoice
    problems = refused(lambda: invoice_shipment(shop, partners, "acme", "SH-NOPE", when=LATER))
    assert problems == ["no shipment SH-NOPE was sent to Acme Retail"]


def test_the_invoice_follows_the_order_of_a_real_810(shop: sessionmaker[Session]) -> None:
    outcome = submit_invoice(shop, PartnerRegistry.from_directory(), INVOICE.read_bytes(), when=LATER)
    ours = body(x12(shop, outcome["outbound_id"]))
    real = CORPUS / "xlate__staedi/src/test/resources/x12/simple810.edi"
    theirs = body(split_x12(real.read_text()))
    assert_same_relative_order(ours, theirs)


# --- HTTP ---------------------------------------------------------------------------------------


def client(sessions: sessionmaker[Session], token: str | None = TOKEN) -> FlaskClient:
    app = create_app(WebConfig(sessions, PartnerRegistry.from_directory(), lambda: LATER, api_token=token))
    return app.test_client()


def test_the_shipment_endpoint_records_and_answers(shop: sessionmaker[Session]) -> None:
    api = client(shop)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    created = api.post(
        "/api/shipments", data=SHIPMENT.read_bytes(), headers=auth, content_type="application/json"
    )
    assert created.status_code == 201 and created.json["status"] == OutboxStatus.PENDING  # type: ignore[index]
    again = api.post(
        "/api/shipments", data=SHIPMENT.read_bytes(), headers=auth, content_type="application/json"
    )
    assert again.status_code == 200 and again.json["duplicate"] is True  # type: ignore[index]
    over = api.post(
        "/api/shipments", data=shipment(shipment_id="SH-2"), headers=auth, content_type="application/json"
    )
    assert over.status_code == 422 and "more than was ordered" in over.json["refused"][0]  # type: ignore[index]
    invoice = api.post(
        "/api/invoices", data=INVOICE.read_bytes(), headers=auth, content_type="application/json"
    )
    assert invoice.status_code == 201 and invoice.json["total"] == "590.07"  # type: ignore[index]


@pytest.mark.parametrize(
    ("token", "headers", "content_type", "status"),
    [
        (None, {"Authorization": f"Bearer {TOKEN}"}, "application/json", 503),
        (TOKEN, {}, "application/json", 401),
        (TOKEN, {"Authorization": "Bearer wrong"}, "application/json", 401),
        (TOKEN, {"Authorization": f"Bearer {TOKEN}"}, "text/plain", 415),
    ],
)
def test_the_api_refuses_what_it_must(
    shop: sessionmaker[Session], token: str | None, headers: dict[str, str], content_type: str, status: int
) -> None:
    response = client(shop, token).post(
        "/api/shipments", data=SHIPMENT.read_bytes(), headers=headers, content_type=content_type
    )
    assert response.status_code == status and response.json["refused"]  # type: ignore[index]
    with shop() as session:
        assert session.scalars(select(storage.ShipmentRow)).first() is None


def test_the_api_refuses_a_huge_body(shop: sessionmaker[Session]) -> None:
    response = client(shop).post(
        "/api/shipments",
        data=b"{" + b" " * (6 * 1024 * 1024) + b"}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        content_type="application/json",
    )
    assert response.status_code == 413


def test_shipment_dates_are_plain_dates() -> None:
    record = ShipmentRecord.model_validate_json(SHIPMENT.read_text())
    assert record.ship_date == date(2026, 11, 24) and record.orders[0].packs[1].items[0].uom == "CA"
