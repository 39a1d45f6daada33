"""Validation inside the pipeline: live credit exposure, stock allocation, cross-channel duplicates."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli import reports
from gateway.inbound.master_data import import_file
from gateway.inbound.pipeline import Pipeline
from gateway.model.order import po_key
from partners import PartnerRegistry
from tests.conftest import CORPUS
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.conftest import acme_changed

ACME_ORDER = (INBOX / "acme-4500012345.edi").read_bytes()
ACME_TOTAL = Decimal("544.80")  # 24 x 4.50 + 6 x 52.80 + 10 x 12.00


@pytest.fixture
def master(master_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    return master_sessions


@pytest.fixture
def validating(master: sessionmaker[Session], partners: PartnerRegistry) -> Pipeline:
    return Pipeline(master, partners, clock=lambda: FIXED_NOW)


def acme_po(tmp_path: Path, po: str, control: str) -> Path:
    """The demo acme 850 under another PO number and interchange number (same lengths)."""
    assert len(po) == 10 and len(control) == 9
    path = tmp_path / f"{po}.edi"
    path.write_bytes(ACME_ORDER.replace(b"4500012345", po.encode()).replace(b"000001001", control.encode()))
    return path


def report(sessions: sessionmaker[Session], pipeline: Pipeline, path: Path, **kw: str) -> dict:
    outcome = pipeline.ingest_path(path, **kw)
    with sessions() as session:
        return reports.document_report(session, outcome)


def set_credit(sessions: sessionmaker[Session], **values: object) -> None:
    with sessions() as session, session.begin():
        session.execute(
            update(storage.CreditAccount).where(storage.CreditAccount.account == "C1001").values(**values)
        )


def test_clean_order_is_accepted_and_takes_its_stock(
    master: sessionmaker[Session], validating: Pipeline
) -> None:
    def allocated() -> Decimal:
        with master() as session:
            total = session.scalar(
                select(func.sum(storage.InventoryLevel.allocated)).where(
                    storage.InventoryLevel.sku == "NW-10042"
                )
            )
        assert total is not None
        return total

    before = allocated()
    doc = report(master, validating, INBOX / "acme-4500012345.edi")
    [order] = doc["orders"]
    assert order["status"] == "accepted" and order["findings"] == []
    assert allocated() - before == 24
    with master() as session:
        stored = session.get(storage.PurchaseOrder, order["order_id"])
        assert stored is not None and stored.order_total == ACME_TOTAL and stored.customer_account == "C1001"


def test_accepted_orders_count_towards_credit_at_once(
    master: sessionmaker[Session], validating: Pipeline, tmp_path: Path
) -> None:
    set_credit(master, open_ar=Decimal("1000.00"), credit_limit=Decimal("1000.00") + ACME_TOTAL * 3 / 2)
    first = report(master, validating, acme_po(tmp_path, "4500020001", "000002001"))
    second = report(master, validating, acme_po(tmp_path, "4500020002", "000002002"))
    assert first["orders"][0]["status"] == "accepted"
    [finding] = second["orders"][0]["findings"]
    assert second["orders"][0]["status"] == "exception" and finding["code"] == "credit_limit"
    assert "open orders 544.80" in finding["message"] and finding["received"] == "2089.60"


def test_a_850_sent_again_as_a_pdf_is_a_duplicate(
    master: sessionmaker[Session], validating: Pipeline, tmp_path: Path
) -> None:
    edi = report(master, validating, acme_po(tmp_path, "4500077001", "000003001"))
    assert edi["orders"][0]["status"] == "accepted"
    pdf = report(master, validating, ROOT / "fixtures" / "pdfs" / "ruled-simple.pdf", partner="acme")
    [order] = pdf["orders"]
    assert order["po_number"] == "4500077001" and order["status"] == "exception"
    assert [f["code"] for f in order["findings"]] == ["duplicate_po"]


@pytest.mark.parametrize("again", ["ab-4500777", "AB4500777.", "ab 4500777", "#AB4500777"])
def test_a_po_number_differing_only_in_case_or_separators_is_a_duplicate(
    master: sessionmaker[Session], validating: Pipeline, tmp_path: Path, again: str
) -> None:
    first = report(master, validating, acme_po(tmp_path, "AB-4500777", "000003101"))
    assert first["orders"][0]["status"] == "accepted"
    resend = tmp_path / "resend"
    resend.mkdir()
    second = report(master, validating, acme_po(resend, again, "000003102"))
    [order] = second["orders"]
    assert order["status"] == "exception" and [f["code"] for f in order["findings"]] == ["duplicate_po"]
    with master() as session:
        stored = session.get(storage.PurchaseOrder, order["order_id"])
        assert stored is not None and stored.po_number == again.strip(), "the PO number is kept as sent"
        assert stored.po_key == "ab4500777"


def test_po_key_is_the_one_comparison_rule() -> None:
    assert po_key(" PO-123 ") == po_key("po 123") == po_key("po#123 ") == po_key("PO123") == "po123"
    assert po_key("Ｂ－７７８１２") == po_key("b-77812") == "b77812", "full-width forms fold too"
    assert po_key("PO-123") != po_key("PO-1234") and po_key("PO-123") != po_key("123")
    assert po_key(None) is None and po_key(" -#- ") is None and po_key("") is None


def test_the_same_po_twice_in_one_file_is_a_duplicate(
    master: sessionmaker[Session], corpus_partners: PartnerRegistry
) -> None:
    pipeline = Pipeline(master, corpus_partners, clock=lambda: FIXED_NOW)
    doc = report(master, pipeline, CORPUS / "aaronhuggins__node-x12/test/test-data/850_fat.edi")
    first, second = doc["orders"]
    assert first["po_number"] == second["po_number"] == "08292233294"
    assert "duplicate_po" not in {f["code"] for f in first["findings"]}
    [duplicate] = [f for f in second["findings"] if f["code"] == "duplicate_po"]
    assert duplicate["line_no"] is None and second["status"] == "exception"


def test_master_data_imported_later_is_used_on_reprocess(
    master: sessionmaker[Session], validating: Pipeline, tmp_path: Path
) -> None:
    path = tmp_path / "new-item.edi"
    path.write_bytes(ACME_ORDER.replace(b"NW-30555", b"NW-99001").replace(b"000001001", b"000004001"))
    doc = report(master, validating, path)
    unknown = [f for f in doc["orders"][0]["findings"] if f["code"] == "unknown_item"]
    assert unknown and unknown[0]["line_no"] == "3" and unknown[0]["suggestions"]
    assert unknown[0]["suggestions"][0]["sku"] == "NW-30555"
    products = tmp_path / "products.csv"
    products.write_text(
        "SKU,Description,UPC,UOM,Pack_Size,List_Price,Currency\nNW-99001,HEX KEY SET LONG,,EA,1,12.00,USD\n"
    )
    inventory = tmp_path / "inventory.csv"
    inventory.write_text("sku,warehouse,on_hand,allocated\nNW-99001,COL,50,0\n")
    with master() as session, session.begin():
        assert import_file(session, "products", products).loaded == 1
        assert import_file(session, "inventory", inventory).loaded == 1
    again = validating.process(doc["document_id"], again=True)
    with master() as session:
        [order] = reports.document_report(session, again)["orders"]
    assert order["status"] == "accepted" and order["findings"] == []


def test_a_reject_policy_rejects_the_order_and_the_document_says_why(
    master: sessionmaker[Session], tmp_path: Path
) -> None:
    profiles = acme_changed(
        tmp_path / "profiles", {"\n[validation]\n": '\n[validation]\nactions = { credit_hold = "reject" }\n'}
    )
    set_credit(master, on_hold=True)
    pipeline = Pipeline(master, PartnerRegistry.from_directory(profiles), clock=lambda: FIXED_NOW)
    doc = report(master, pipeline, INBOX / "acme-4500012345.edi")
    [order] = doc["orders"]
    assert order["status"] == "rejected" and [f["code"] for f in order["findings"]] == ["credit_hold"]
    assert doc["status"] == "rejected"
    with master() as session:
        stored = session.get(storage.Document, doc["document_id"])
        assert stored is not None and stored.error_code == "credit_hold"
        assert "on credit hold" in (stored.error or "")
