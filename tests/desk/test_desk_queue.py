"""The exception queue's read side on real fixtures: rows, reasons, filters, search, paging, SLA, facets."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import desk
from gateway import storage
from gateway.desk import OrderDesk
from gateway.desk.exception_queue import ALL_REASONS
from gateway.desk.exception_queue import OTHER
from gateway.desk.exception_queue import REASONS
from gateway.desk.exception_queue import QueueFilter
from gateway.desk.exception_queue import QueuePage
from gateway.desk.exception_queue import exception_queue
from gateway.desk.exception_queue import reason_for_code
from gateway.desk.exception_queue import reason_label
from gateway.inbound.pipeline import Pipeline
from gateway.storage import DeskUser
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.conftest import built_once
from tests.web.test_web_desk_support import password
from tests.work import sql_statements
from validators import FindingCode

NOW = FIXED_NOW
Template = tuple[
    Path, dict[str, int], dict[str, int]
]  # the dataset's database, its orders and documents by name
FIXTURES = ROOT / "fixtures"
ERP = "erp.canonical"


class Clock:
    """The pipeline's clock, set before each document so each has its own age."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desk:
    """The known dataset: what was ingested, under which names, and the tools to act on it."""

    sessions: sessionmaker[Session]
    pipeline: Pipeline
    clock: Clock
    orders: dict[str, int]
    documents: dict[str, int]
    staff: dict[str, DeskUser]
    order_desk: OrderDesk

    def page(self, filters: QueueFilter | None = None, *, sla_hours: float = 4.0, **kw: Any) -> QueuePage:
        with self.sessions() as session:
            return exception_queue(session, filters or QueueFilter(**kw), now=NOW, sla_hours=sla_hours)

    def names(self, page: QueuePage) -> list[str]:
        """The page's rows by their dataset names."""
        by_id = {("order", v): k for k, v in self.orders.items()} | {
            ("document", v): k for k, v in self.documents.items()
        }
        return [by_id[row.kind, row.id] for row in page.rows]


# Name, file, hours before NOW it arrives, channel, partner named at ingest.
INTAKE = [
    ("accepted-acme", INBOX / "acme-4500012345.edi", 50, "file", None),
    ("unknown-sender", INBOX / "unknown-sender.edi", 40, "file", None),
    ("accepted-globex", INBOX / "globex-GX-778812.edi", 30, "file", None),
    ("credit", INBOX / "initech-INI-2026-0042.edi", 28, "file", None),
    ("acme-errors", INBOX / "acme-errors.edi", 20, "file", None),
    ("duplicate", FIXTURES / "emails" / "x12-attachment.eml", 10, "email", None),
    ("pdf", FIXTURES / "pdfs" / "unruled-wrapped.pdf", 6, "file", "acme"),
    ("broken-pdf", FIXTURES / "emails" / "broken-pdf.eml", 5, "email", None),
    ("sheet", FIXTURES / "sheets" / "upc-template.xlsx", 3, "file", "acme"),
    ("typed", FIXTURES / "emails" / "typed-lines.eml", 2, "email", None),
    ("no-customer-pdf", FIXTURES / "pdfs" / "ruled-simple.pdf", 1, "file", None),
]
EXCEPTIONS = ["credit", "duplicate", "pdf", "sheet", "typed"]
WAITING = ["unknown-sender", "failed", "broken-pdf", "no-customer-pdf"]
OLDEST_FIRST = [
    "unknown-sender",
    "credit",
    "duplicate",
    "failed",
    "pdf",
    "broken-pdf",
    "sheet",
    "typed",
    "no-customer-pdf",
]


def build_desk(
    sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path
) -> tuple[dict[str, int], dict[str, int]]:
    """Ingest the fixtures at their times, plus one document whose processing failed and an X12
    interchange rejected whole and answered with a 997; add two desk users. Returns the ids
    of the orders and documents by name."""
    clock = Clock()
    pipeline = Pipeline(sessions, partners, clock=clock, erp_kind=ERP)
    orders: dict[str, int] = {}
    documents: dict[str, int] = {}
    for name, path, hours, channel, partner in INTAKE:
        clock.now = NOW - timedelta(hours=hours)
        outcome = pipeline.ingest_path(path, channel=channel, partner=partner)
        documents[name] = outcome.document_id
        if len(outcome.order_ids) == 1:
            orders[name] = outcome.order_ids[0]
    no_order = (INBOX / "acme-4500012345.edi").read_bytes()
    no_order = no_order.replace(b"ST*850*0001~", b"ST*999*0001~").replace(b"000001001", b"000002002")
    clock.now = NOW - timedelta(hours=12)
    path = tmp_path / "no-850.edi"
    path.write_bytes(no_order)
    outcome = pipeline.ingest_path(path)
    assert outcome.status == "rejected" and outcome.order_ids == [] and outcome.outbound_ids
    documents["answered-x12"] = outcome.document_id
    with sessions() as session, session.begin():
        failed, _ = storage.store_document(
            session,
            io.BytesIO(b"PK\x03\x04 half a workbook"),
            channel="file",
            filename="orders.xlsx",
            received_at=NOW - timedelta(hours=8),
        )
        session.execute(
            update(storage.Document)
            .where(storage.Document.id == failed.id)
            .values(
                status="failed",
                format="xlsx",
                error_code="internal_error",
                error="internal error while processing: BadZipFile: File is not a zip file",
            )
        )
        storage.tally_documents(session, [failed.id])  # as the pipeline's failure path does
        documents["failed"] = failed.id
        for name, role in (("alice", "clerk"), ("carol", "credit")):
            desk.add_user(session, name, password(name), role, at=NOW)
    return orders, documents


@pytest.fixture(scope="module")
def desk_template(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The dataset, ingested once per run for the three modules that read it, whichever xdist
    processes run them; each test works on its own copy."""
    folder = built_once(tmp_path_factory, "desk-queue", partial(_build_template, master_template))
    orders, documents = json.loads((folder / "ids.json").read_text())
    return folder / "gateway.db", orders, documents


def _build_template(master_template: Path, folder: Path) -> None:
    path = folder / "gateway.db"
    shutil.copyfile(master_template, path)
    engine = storage.make_engine(f"sqlite:///{path}")
    ids = build_desk(storage.make_sessionmaker(engine), PartnerRegistry.from_directory(), folder)
    engine.dispose()
    (folder / "ids.json").write_text(json.dumps(ids))


def desk_on(sessions: sessionmaker[Session], orders: dict[str, int], documents: dict[str, int]) -> Desk:
    """The dataset ``build_desk`` made in ``sessions``, with a pipeline and order desk over it."""
    partners = PartnerRegistry.from_directory()
    clock = Clock()
    with sessions() as session:
        staff = {name: desk.find_user(session, name) for name in ("alice", "carol")}
    return Desk(
        sessions=sessions,
        pipeline=Pipeline(sessions, partners, clock=clock, erp_kind=ERP),
        clock=clock,
        orders=orders,
        documents=documents,
        staff={name: user for name, user in staff.items() if user is not None},
        order_desk=OrderDesk(partners, erp_kind=ERP, clock=lambda: NOW),
    )


def open_desk(template: Template, tmp_path: Path) -> Iterator[Desk]:
    """A copy of the module's dataset for one test."""
    source, orders, documents = template
    path = tmp_path / "desk.db"
    shutil.copyfile(source, path)
    engine = storage.make_engine(f"sqlite:///{path}")
    yield desk_on(storage.make_sessionmaker(engine), orders, documents)
    engine.dispose()


@pytest.fixture
def queue_desk(desk_template: Template, tmp_path: Path) -> Iterator[Desk]:
    yield from open_desk(desk_template, tmp_path)


def test_every_finding_code_files_under_exactly_one_reason() -> None:
    assert list(REASONS) == [
        "unknown_sku",
        "price",
        "credit",
        "stock",
        "duplicate",
        "parse_confidence",
        "unknown_partner",
    ]
    filed = [code for spec in ALL_REASONS.values() for code in spec.codes]
    assert sorted(filed) == sorted(code.value for code in FindingCode), "each code once, none left out"
    assert reason_for_code("unknown_item") == "unknown_sku" and reason_for_code("credit_hold") == "credit"
    assert reason_for_code("pack_multiple") == OTHER and reason_for_code("no_such_code") == OTHER
    assert all(spec.label and spec.hint for spec in ALL_REASONS.values())
    assert reason_label("parse_confidence") == "Parse confidence" and reason_label("nonsense") == "nonsense"


def test_the_queue_lists_orders_in_exception_and_documents_that_need_a_person_oldest_first(
    queue_desk: Desk,
) -> None:
    page = queue_desk.page()
    assert queue_desk.names(page) == OLDEST_FIRST, "accepted, rejected and answered documents stay out"
    assert (page.total, page.page, page.pages, page.per_page) == (9, 1, 1, 50)
    rows = {name: row for name, row in zip(queue_desk.names(page), page.rows, strict=True)}
    credit = rows["credit"]
    assert (credit.kind, credit.id, credit.order_id) == ("order", queue_desk.orders["credit"], credit.id)
    assert credit.document_id == queue_desk.documents["credit"]
    assert (credit.po_number, credit.partner, credit.customer_account) == (
        "INI-2026-0042",
        "initech",
        "C3003",
    )
    assert (credit.customer_name, credit.channel, credit.version, credit.status) == (
        "Initech Supply",
        "x12",
        1,
        "exception",
    )
    assert credit.received_at == NOW - timedelta(hours=28) and credit.age_hours == 28.0
    assert credit.reasons == ["credit"] and credit.codes == ["credit_limit"]
    assert credit.summary.startswith("exposure 5033.00 USD")
    pdf = rows["pdf"]
    assert pdf.reasons == ["price", "parse_confidence", "other"], "in REASONS order, other last"
    assert pdf.summary.startswith("line 1 description was read with confidence"), "the first blocking finding"
    assert rows["sheet"].reasons == ["unknown_sku", "price"] and rows["sheet"].channel == "excel"
    assert rows["duplicate"].reasons == ["duplicate"] and rows["duplicate"].channel == "x12"
    assert rows["typed"].reasons == ["other"] and rows["typed"].channel == "email"
    sender = rows["unknown-sender"]
    assert (sender.kind, sender.order_id, sender.version, sender.po_number) == ("document", None, None, None)
    assert sender.id == sender.document_id == queue_desk.documents["unknown-sender"]
    assert (sender.reasons, sender.status, sender.channel) == (["unknown_partner"], "unknown_partner", "x12")
    assert "STRANGERCO" in sender.summary and sender.filename == "unknown-sender.edi"
    assert rows["broken-pdf"].reasons == ["parse_confidence"] and rows["broken-pdf"].channel == "email"
    assert "PDF cannot be read" in rows["broken-pdf"].summary
    assert rows["failed"].reasons == ["other"] and rows["failed"].codes == ["internal_error"]
    assert rows["no-customer-pdf"].reasons == ["unknown_partner"] and rows["no-customer-pdf"].channel == "pdf"


def test_age_is_measured_against_the_sla(queue_desk: Desk) -> None:
    page = queue_desk.page()
    assert [row.overdue for row in page.rows] == [True] * 6 + [False] * 3
    assert page.overdue == 6 and page.sla_hours == 4.0
    day = queue_desk.page(sla_hours=24)
    assert [queue_desk.names(day)[n] for n, row in enumerate(day.rows) if row.overdue] == [
        "unknown-sender",
        "credit",
    ]
    assert day.overdue == 2
    assert queue_desk.page(reason="price", sla_hours=5).overdue == 1, "overdue counts the filtered items"


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("unknown_sku", ["sheet"]),
        ("price", ["pdf", "sheet"]),
        ("credit", ["credit"]),
        ("stock", []),
        ("duplicate", ["duplicate"]),
        ("parse_confidence", ["pdf", "broken-pdf"]),
        ("unknown_partner", ["unknown-sender", "no-customer-pdf"]),
        ("other", ["failed", "pdf", "typed"]),
    ],
)
def test_filter_by_reason(queue_desk: Desk, reason: str, expected: list[str]) -> None:
    page = queue_desk.page(reason=reason)
    assert queue_desk.names(page) == expected and page.total == len(expected)
    assert all(reason in row.reasons for row in page.rows)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"partner": "acme"}, ["duplicate", "pdf", "sheet", "typed"]),
        ({"partner": "initech"}, ["credit"]),
        ({"partner": "nobody"}, []),
        ({"channel": "x12"}, ["unknown-sender", "credit", "duplicate"]),
        ({"channel": "pdf"}, ["pdf", "no-customer-pdf"]),
        ({"channel": "excel"}, ["failed", "sheet"]),
        ({"channel": "email"}, ["broken-pdf", "typed"]),
        ({"older_than_hours": 9}, ["unknown-sender", "credit", "duplicate"]),
        ({"newer_than_hours": 5.5}, ["broken-pdf", "sheet", "typed", "no-customer-pdf"]),
        ({"older_than_hours": 2.5, "newer_than_hours": 9}, ["failed", "pdf", "broken-pdf", "sheet"]),
        ({"partner": "acme", "channel": "email", "reason": "other"}, ["typed"]),
        ({"channel": "pdf", "reason": "unknown_partner"}, ["no-customer-pdf"]),
    ],
)
def test_filter_by_partner_channel_and_age(queue_desk: Desk, filters: dict, expected: list[str]) -> None:
    page = queue_desk.page(**filters)
    assert queue_desk.names(page) == expected and page.total == len(expected)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("INI-2026", ["credit"]),
        ("ini-2026-0042", ["credit"]),
        ("4500012", ["duplicate"]),
        ("500012", []),
        ("c3003", ["credit"]),
        ("C1001", ["duplicate", "pdf", "sheet", "typed"]),
        ("initech supply", ["credit"]),
        ("Acme Ret", ["duplicate", "pdf", "sheet", "typed"]),
        ("acme", ["duplicate", "pdf", "sheet", "typed"]),
        ("strangerco", ["unknown-sender"]),
        ("po.pdf", ["broken-pdf"]),
        ("%", []),
        ("_", []),
        ("ini_2026", []),
        ("ini-2026-00429", []),
        ("\U0010ffff", []),
        ("'; drop table purchase_order; --", []),
        ("   ", OLDEST_FIRST),
    ],
)
def test_search_by_po_number_prefix_or_customer(queue_desk: Desk, search: str, expected: list[str]) -> None:
    page = queue_desk.page(search=search)
    assert queue_desk.names(page) == expected and page.total == len(expected)


def test_the_search_reads_index_ranges_of_the_open_orders_not_every_order(queue_desk: Desk) -> None:
    engine = queue_desk.sessions.kw["bind"]
    with sql_statements(engine) as seen:
        assert queue_desk.names(queue_desk.page(search="INI-2026")) == ["credit"]
    searched = [
        (statement, parameters)
        for statement, parameters in seen
        if "lower(purchase_order.po_number)" in statement
    ]
    assert len(searched) == 2, "the count and the page"
    with engine.connect() as connection:
        for statement, parameters in searched:
            plan = " / ".join(
                row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            for index in (
                "ix_purchase_order_open_po",
                "ix_purchase_order_open_customer",
                "ix_purchase_order_open_partner",
            ):
                assert f"USING INDEX {index}" in plan, plan
            assert "SCAN purchase_order" not in plan and "ix_purchase_order_queue" not in plan, plan


def test_pages_hold_per_page_rows_and_a_page_past_the_end_is_the_last(queue_desk: Desk) -> None:
    first = queue_desk.page(per_page=4)
    assert (first.total, first.pages, first.page, first.has_previous, first.has_next) == (
        9,
        3,
        1,
        False,
        True,
    )
    assert queue_desk.names(first) == OLDEST_FIRST[:4]
    second = queue_desk.page(per_page=4, page=2)
    assert queue_desk.names(second) == OLDEST_FIRST[4:8] and second.has_previous and second.has_next
    beyond = queue_desk.page(per_page=4, page=99)
    assert beyond.page == 3 and queue_desk.names(beyond) == OLDEST_FIRST[8:] and not beyond.has_next
    nothing = queue_desk.page(partner="nobody", page=5)
    assert (nothing.rows, nothing.total, nothing.page, nothing.pages) == ([], 0, 1, 1)
    odd = queue_desk.page(QueueFilter(page=0, per_page=10_000))
    assert (odd.page, odd.per_page) == (1, 200), "out-of-range paging is clamped, not an error"


def test_facets_count_the_whole_open_queue_per_reason_partner_and_channel(queue_desk: Desk) -> None:
    facets = queue_desk.page(partner="initech").facets
    assert facets.total == 9, "facets ignore the filters: the dropdowns keep their counts"
    assert dict(facets.reasons) == {
        "unknown_sku": 1,
        "price": 2,
        "credit": 1,
        "stock": 0,
        "duplicate": 1,
        "parse_confidence": 2,
        "unknown_partner": 2,
        "other": 3,
    }
    assert [key for key, _ in facets.reasons] == list(ALL_REASONS)
    assert facets.partners == [("acme", 4), ("initech", 1)]
    assert facets.channels == [("x12", 3), ("pdf", 2), ("excel", 2), ("email", 2)]


def test_decided_orders_and_named_documents_leave_the_queue(queue_desk: Desk) -> None:
    sessions, staff, order_desk = queue_desk.sessions, queue_desk.staff, queue_desk.order_desk
    credit = queue_desk.orders["credit"]
    with sessions() as session, session.begin():
        released = order_desk.release_credit(session, credit, 1, staff["carol"], reason="paid by wire today")
    with sessions() as session:
        # checked at once: the release answers the hold, so the order waits for approval, no longer for credit
        assert exception_queue(session, QueueFilter(reason="credit"), now=NOW).rows == []
        [row] = [r for r in exception_queue(session, QueueFilter(), now=NOW).rows if r.order_id == credit]
        assert row.version == released.version == 2, "the queue shows the version the desk expects"
    with sessions() as session, session.begin():
        approved = order_desk.approve(session, credit, released.version, staff["alice"])
        assert approved.status == "accepted"
        typed = queue_desk.orders["typed"]
        order_desk.reject(session, typed, 1, staff["alice"], reason="the customer cancelled by phone")
    queue_desk.clock.now = NOW
    again = queue_desk.pipeline.ingest_path(FIXTURES / "pdfs" / "ruled-simple.pdf", partner="acme")
    assert again.document_id == queue_desk.documents["no-customer-pdf"] and again.status == "processed"
    page = queue_desk.page()
    assert queue_desk.names(page) == ["unknown-sender", "duplicate", "failed", "pdf", "broken-pdf", "sheet"]
    assert dict(page.facets.reasons)["credit"] == 0 and page.facets.total == 6


def test_query_string_values_are_read_safely() -> None:
    filters = QueueFilter.from_args(
        {
            "reason": "Price",
            "partner": " acme ",
            "channel": "pdf",
            "older_than_hours": "2.5",
            "newer_than_hours": "48",
            "search": "  INI-2026 ",
            "page": "3",
            "per_page": "25",
        }
    )
    assert filters == QueueFilter("price", "acme", "pdf", 2.5, 48.0, "INI-2026", 3, 25)
    assert filters.problems == () and filters.active
    assert filters.to_args(page=4) == {
        "reason": "price",
        "partner": "acme",
        "channel": "pdf",
        "older_than_hours": "2.5",
        "newer_than_hours": "48",
        "search": "INI-2026",
        "page": "4",
        "per_page": "25",
    }
    assert QueueFilter.from_args({}) == QueueFilter() and not QueueFilter().active
    assert QueueFilter().to_args() == {} and QueueFilter().to_args(page=1) == {}
    assert QueueFilter.from_args({"reason": ["credit", "price"], "page": ["2"]}) == QueueFilter(
        "credit", page=2
    )


def test_bad_query_string_values_become_defaults_with_a_problem_each() -> None:
    filters = QueueFilter.from_args(
        {
            "reason": "<script>",
            "partner": "x" * 65,
            "channel": "fax",
            "older_than_hours": "nan",
            "newer_than_hours": "-1",
            "search": "s" * 150,
            "page": "two",
            "per_page": "100000",
        }
    )
    assert filters == QueueFilter(search="s" * 100, per_page=200)
    assert len(filters.problems) == 8
    assert any("reason '<script>' is not one of unknown_sku" in p for p in filters.problems)
    assert any("page 'two' is not a whole number; using 1" in p for p in filters.problems)
    assert any("per_page must be between 1 and 200; using 200" in p for p in filters.problems)
    for junk in ({"page": "1e9"}, {"older_than_hours": "inf"}, {"search": "a\x00b"}, {"page": "   "}):
        QueueFilter.from_args(junk)  # never raises
    assert QueueFilter.from_args({"page": "   "}).problems == ()


def test_a_reason_or_channel_no_form_offers_is_a_programming_error(queue_desk: Desk) -> None:
    with pytest.raises(ValueError, match="unknown reason"):
        queue_desk.page(reason="weather")
    with pytest.raises(ValueError, match="unknown channel"):
        queue_desk.page(channel="fax")
