"""The desk's tally never drifts: after pipeline ingests, partner changes and cancellations, reprocessing,
desk decisions and fixes, and the desk's actions on documents, its rows equal a full recount of the orders
and of the documents waiting for a person (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import shutil
from collections import Counter
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.desk import DocumentDesk
from gateway.desk.dashboard import dashboard
from gateway.desk.exception_queue import REASON_OF_STATUS
from gateway.desk.exception_queue import QueueFilter
from gateway.desk.exception_queue import exception_queue
from gateway.model.status import WAITING_DOCUMENTS
from gateway.model.status import DocumentStatus
from gateway.storage import resolve_bucket
from partners import PartnerRegistry
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.conftest import acme_850
from tests.desk.test_desk_queue import NOW
from tests.desk.test_desk_queue import Desk
from tests.desk.test_desk_queue import build_desk
from tests.desk.test_desk_queue import desk_on
from tests.servers.postgres import store_url
from tests.work import sql_statements

ACME = (INBOX / "acme-4500012345.edi").read_bytes()
BLOCKING = ("hold", "reject")


def recount(session: Session) -> tuple[Counter[tuple[str, date, str]], Counter[tuple[str, str]]]:
    """Every order counted from scratch, straight from its row and its findings."""
    order, finding = storage.PurchaseOrder, storage.Finding
    codes: dict[int | None, set[str]] = {}
    for order_id, code in session.execute(
        select(finding.order_id, finding.code).where(
            finding.action.in_(BLOCKING), finding.order_id.is_not(None)
        )
    ):
        codes.setdefault(order_id, set()).add(code)
    audit = storage.AuditEntry
    changed = {
        int(subject)
        for subject, action in session.execute(
            select(audit.subject_id, audit.action).where(audit.subject_type == "purchase_order")
        )
        if action not in ("order.approve", "order.send_reply", "channel_resent", "order.keyed_in")
    }
    days: Counter[tuple[str, date, str]] = Counter()
    held: Counter[tuple[str, str]] = Counter()
    for row in session.execute(
        select(
            order.id,
            order.created_at,
            order.partner,
            order.channel,
            order.status,
            order.decided_by,
            order.decided_at,
        )
    ):
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        day = created.astimezone(UTC).date()
        if row.decided_by is not None and row.decided_at is not None:  # a person's decision
            decided = row.decided_at if row.decided_at.tzinfo else row.decided_at.replace(tzinfo=UTC)
            minutes = (decided - created).total_seconds() / 60
            days["resolved", decided.astimezone(UTC).date(), str(resolve_bucket(minutes))] += 1
        days["channel", day, row.channel] += 1
        if row.partner:
            days["partner", day, row.partner] += 1
        if row.decided_by is None:
            days["alone", day, row.status] += 1
        if row.status != "exception":  # decided: accurate if accepted with nothing in its audit changing it
            days["settled", day, row.partner or ""] += 1
            if row.status == "accepted" and row.id not in changed:
                days["accurate", day, row.partner or ""] += 1
        if row.status == "exception":
            held["channel", row.channel] += 1
            held["codes", ",".join(sorted(codes.get(row.id, ())))] += 1
            if row.partner:
                held["partner", row.partner] += 1
    return days, held


def recount_waiting(session: Session) -> dict[int, tuple[str, str | None, str | None]]:
    """The documents waiting for a person, by the queue's rule, from scratch: (status, partner, format) by id."""
    document, order, outbound = storage.Document, storage.PurchaseOrder, storage.OutboundRecord
    with_orders = set(session.scalars(select(order.document_id)))
    answered = set(session.scalars(select(outbound.document_id).where(outbound.document_id.is_not(None))))
    return {
        row.id: (row.status, row.partner, row.format)
        for row in session.execute(select(document.id, document.status, document.partner, document.format))
        if row.status in WAITING_DOCUMENTS
        and row.id not in with_orders
        and not (row.status == "rejected" and row.id in answered)
    }


def tallied_waiting(session: Session) -> tuple[Counter[tuple[str, str | None, str | None]], set[int]]:
    """The tally's waiting documents per (status, partner, format), and the ids it marks as waiting."""
    counts = Counter(
        {(status, partner, fmt): n for status, partner, fmt, n in storage.waiting_counts(session) if n}
    )
    document = storage.Document
    return counts, set(session.scalars(select(document.id).where(document.tallied_as.is_not(None))))


def tallied(session: Session) -> tuple[Counter[tuple[str, date, str]], Counter[tuple[str, str]]]:
    day, held = storage.OrderDayTally, storage.OpenOrderTally
    days = Counter(
        {
            (figure, when, key): n
            for figure, when, key, n in session.execute(select(day.figure, day.day, day.key, day.orders))
            if n
        }
    )
    opened = Counter(
        {
            (figure, key): n
            for figure, key, n in session.execute(select(held.figure, held.key, held.orders))
            if n and figure != storage.TALLY_DOCUMENTS  # the documents: see tallied_waiting
        }
    )
    return days, opened


def assert_recount_keeps(
    sessions: sessionmaker[Session], read: Callable[[Session], object], message: str
) -> None:
    """What ``read`` finds in the tally is the same after ``recount_tally`` builds it again from scratch."""
    with sessions() as session:
        before = read(session)
    with sessions() as session, session.begin():
        storage.recount_tally(session)
    with sessions() as session:
        assert read(session) == before, message


def assert_no_drift(sessions: sessionmaker[Session], step: str) -> None:
    with sessions() as session:
        expected, found = recount(session), tallied(session)
        waiting, (counted, marked) = recount_waiting(session), tallied_waiting(session)
    assert found[0] == expected[0], f"order_day_tally drifted after {step}"
    assert found[1] == expected[1], f"open_order_tally drifted after {step}"
    assert counted == Counter(waiting.values()), f"the waiting documents' tally drifted after {step}"
    assert marked == set(waiting), f"the documents marked waiting drifted after {step}"
    assert sum(n for (figure, _), n in found[1].items() if figure == "channel") == sum(
        n for (figure, _), n in expected[1].items() if figure == "channel"
    )


def acme(tmp_path: Path, po: str, control: str, *, purpose: str = "00", price: str = "4.50") -> Path:
    """The demo acme 850 under another PO and interchange number, BEG01 and line 1 price."""
    beg = (b"BEG*00*", f"BEG*{purpose}*".encode())
    return acme_850(tmp_path, po, control, beg, (b"PO1*1*24*EA*4.50*", f"PO1*1*24*EA*{price}*".encode()))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> sessionmaker[Session]:
    """A store at the newest schema with the demo master data, on each backend."""
    name = f"desk_tally_{request.node.originalname[5:40]}"  # one database per test
    engine = storage.make_engine(store_url(request.param, request, tmp_path, name, seeded=True))
    request.addfinalizer(engine.dispose)
    return storage.make_sessionmaker(engine)


def test_the_tally_equals_a_full_recount_after_every_ingest_change_and_desk_action(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    desk: Desk = desk_on(store, *build_desk(store, PartnerRegistry.from_directory(), tmp_path))
    assert_no_drift(store, "the pipeline's ingests")
    with store() as session:
        assert tallied(session)[1][("channel", "x12")] >= 2, "the dataset holds open X12 orders"
    staff, order_desk = desk.staff, desk.order_desk

    desk.clock.now = NOW
    desk.pipeline.ingest_path(acme(tmp_path, "4500030001", "000003001"))
    desk.pipeline.ingest_path(acme(tmp_path, "4500030002", "000003002"))
    desk.pipeline.ingest_path(acme(tmp_path, "4500030003", "000003003", price="9.99"))  # held: price
    assert_no_drift(store, "more ingests, one held for its price")
    desk.pipeline.ingest_path(acme(tmp_path, "4500030001", "000003004", purpose="04", price="9.99"))
    assert_no_drift(store, "a partner's change that no longer validates (accepted -> exception)")
    desk.pipeline.ingest_path(acme(tmp_path, "4500030002", "000003005", purpose="01"))
    assert_no_drift(store, "a partner's cancellation")
    desk.pipeline.ingest_path(acme(tmp_path, "4500030003", "000003006", purpose="04"))
    assert_no_drift(store, "a partner's change that now validates (exception -> accepted)")

    with store() as session, session.begin():
        credit = desk.orders["credit"]
        released = order_desk.release_credit(session, credit, 1, staff["carol"], reason="paid by wire")
        assert order_desk.approve(session, credit, released.version, staff["alice"]).status == "accepted"
    assert_no_drift(store, "a credit release and an approval")
    with store() as session, session.begin():
        order_desk.reject(session, desk.orders["typed"], 1, staff["alice"], reason="not our customer")
    assert_no_drift(store, "a rejection")
    with store() as session, session.begin():
        merged = order_desk.merge_duplicate(session, desk.orders["duplicate"], 1, staff["alice"])
        assert merged.status == "rejected"
    assert_no_drift(store, "a duplicate merged")
    with store() as session:
        held = session.scalars(
            select(storage.PurchaseOrder)
            .where(storage.PurchaseOrder.status == "exception")
            .order_by(storage.PurchaseOrder.id)
        ).all()
    changed = held[0]
    with store() as session, session.begin():
        order_desk.correct_po_number(
            session, changed.id, changed.version, staff["alice"], po_number="FIXED-1"
        )
    assert_no_drift(store, "a fix and the re-validation it makes")
    with store() as session:  # rolled back: nothing it tallied stays
        order_desk.reject(session, held[-1].id, held[-1].version, staff["alice"], reason="rolled back")
        session.rollback()
    assert_no_drift(store, "a rejection rolled back")

    desk.pipeline.process(desk.documents["sheet"], again=True)
    assert_no_drift(store, "a document processed again (its orders deleted and stored anew)")

    assert_recount_keeps(store, tallied, "built from scratch (migration 0022) = kept step by step")


def test_the_waiting_documents_tally_follows_every_change_of_a_document(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    """Dismissed, given a customer, processed again, held, named by a later delivery, changed in a savepoint
    rolled back: the documents the tally counts as waiting are the ones the queue's rule finds."""
    desk: Desk = desk_on(store, *build_desk(store, PartnerRegistry.from_directory(), tmp_path))
    assert_no_drift(store, "the pipeline's ingests, a failed document and an answered one")
    with store() as session:
        assert len(recount_waiting(session)) == 4, "the dataset holds waiting documents"
        page = exception_queue(session, QueueFilter(), now=NOW)
        assert sum(row.kind == "document" for row in page.rows) == 4
    alice = desk.staff["alice"]
    documents = DocumentDesk(desk.pipeline, profiles_dir=tmp_path / "profiles", clock=lambda: NOW)
    documents.dismiss(desk.documents["broken-pdf"], "a note, not an order", alice)
    assert_no_drift(store, "a document dismissed")
    documents.assign_customer(desk.documents["no-customer-pdf"], "acme", alice)
    assert_no_drift(store, "a customer assigned and the document processed with it")
    desk.pipeline.process(desk.documents["failed"], again=True)
    assert_no_drift(store, "a failed document processed again")
    desk.pipeline.hold_stream(
        io.BytesIO(ACME.replace(b"000001001", b"000009001")),
        channel="as2",
        filename="reused.edi",
        partner="acme",
        error_code="as2.message_id_reused",
        error="AS2 Message-ID reused with other content",
    )
    assert_no_drift(store, "a document held for a person")
    pdf = (ROOT / "fixtures" / "pdfs" / "ruled-simple.pdf").read_bytes() + b"\n%another copy\n"
    unnamed = desk.pipeline.ingest_stream(io.BytesIO(pdf), channel="email", filename="again.pdf")
    assert unnamed.status == "unknown_partner"
    assert_no_drift(store, "a PDF of no known customer")
    named = desk.pipeline.ingest_stream(
        io.BytesIO(pdf), channel="email", filename="again.pdf", partner="acme"
    )
    assert named.document_id == unnamed.document_id and named.status != "unknown_partner"
    assert_no_drift(store, "the same PDF delivered again for a customer")

    with store() as session, session.begin():
        [first, *_] = sorted(recount_waiting(session))
        with session.begin_nested() as savepoint:
            stored = session.get(storage.Document, first)
            assert stored is not None
            stored.status = "dismissed"
            storage.tally_documents(session, [first])
            assert first not in tallied_waiting(session)[1], "counted inside the savepoint"
            savepoint.rollback()
    assert_no_drift(store, "a dismissal rolled back in a savepoint")
    assert_recount_keeps(store, tallied_waiting, "built from scratch (migration 0025) = kept step by step")


def test_the_migration_builds_the_tally_of_the_orders_already_stored(
    master_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "gateway.db"
    shutil.copyfile(master_template, path)
    engine = storage.make_engine(f"sqlite:///{path}")
    sessions = storage.make_sessionmaker(engine)
    build_desk(sessions, PartnerRegistry.from_directory(), tmp_path)
    config = Config()
    config.set_main_option("script_location", str(storage.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0020")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    assert_no_drift(sessions, "migration 0022 on a store of orders")
    with sessions() as session:
        assert sum(tallied(session)[0].values()) > 0
    engine.dispose()


@pytest.mark.parametrize(
    ("minutes", "bucket"),
    [
        (-5, 0),
        (0.9, 0),
        (29.99, 29),
        (31, 30),
        (34.9, 30),
        (239, 235),
        (240, 240),
        (269, 240),
        (1439, 1410),
        (1440, 1440),
        (1440 + 119, 1440),
        (7 * 1440 - 1, 7 * 1440 - 120),
        (7 * 1440 + 1439, 7 * 1440),
    ],
)
def test_a_time_to_resolve_is_rounded_down_to_its_bucket(minutes: float, bucket: int) -> None:
    assert resolve_bucket(minutes) == bucket


# (hours from the order stored to a person's decision, days before NOW it was decided); None: the gateway's
DECISIONS: list[tuple[float | None, float]] = [
    (0.0125, 0.1),  # 45 s
    (0.5, 0.2),
    (1.9, 0.3),
    (2.0, 1.5),
    (3.228, 2.5),  # 3 h 13 min 41 s
    (7.2277, 3.5),
    (11.99, 4.5),
    (15.5, 6.5),
    (28.0, 8.5),
    (30.1177, 10.5),
    (49.999, 12.5),
    (77.333, 20.5),
    (350.25, 29.5),  # two weeks and more
    (6.0, 31.5),  # decided before the 30 days: counts in neither window
    (None, 1.0),
    (None, 5.0),
]


def add_decided_orders(sessions: sessionmaker[Session]) -> list[int]:
    """``DECISIONS`` as accepted orders (one document each), tallied as the desk's actions tally them."""
    ids = []
    with sessions() as session, session.begin():
        for n, (hours, days_ago) in enumerate(DECISIONS):
            decided = NOW - timedelta(days=days_ago)
            created = decided - timedelta(hours=hours or 0)
            document = storage.Document(
                sha256=f"{n:064x}",
                size=1,
                channel="sftp",
                filename=f"resolve-{n}.edi",
                partner="acme",
                received_at=created,
                status="processed",
                format="x12",
            )
            session.add(document)
            session.flush()
            order = storage.PurchaseOrder(
                document_id=document.id,
                ordinal=0,
                partner="acme",
                channel="x12",
                po_number=f"RESOLVE-{n}",
                purpose="original",
                status="accepted" if n % 3 else "rejected",
                line_count=0,
                canonical={},
                created_at=created,
                decided_at=decided if hours is not None else None,
                decided_by="alice" if hours is not None else None,
            )
            session.add(order)
            session.flush()
            ids.append(order.id)
        storage.tally_orders(session, ids)
    return ids


def exact_resolve_hours(sessions: sessionmaker[Session], since: datetime, until: datetime) -> list[float]:
    """Every person's decision in ``[since, until)``: hours from stored to decided, straight from the rows."""
    order = storage.PurchaseOrder
    with sessions() as session:
        rows = session.execute(
            select(order.created_at, order.decided_at).where(order.decided_by.is_not(None))
        ).all()
    aware = [tuple(moment if moment.tzinfo else moment.replace(tzinfo=UTC) for moment in row) for row in rows]
    return sorted(
        (decided - created).total_seconds() / 3600 for created, decided in aware if since <= decided < until
    )


def test_the_dashboard_time_to_resolve_reads_the_tally_and_matches_a_recount_to_bucket_precision(
    store: sessionmaker[Session],
) -> None:
    """The median and the count of people's decisions, from the tally's buckets, not from the orders:
    the count exact, the median the exact one's bucket (rounded down: see ``resolve_bucket``)."""
    add_decided_orders(store)
    assert_no_drift(store, "orders decided by people")
    engine = store.kw["bind"]
    for days in (30, 7, 1):
        with sql_statements(engine) as statements, store() as session:
            board = dashboard(session, now=NOW, days=days)
        scanned = [
            statement.split("FROM ", 1)[1].split()[0] for statement, _ in statements if "FROM " in statement
        ]
        assert "purchase_order" not in scanned, "no figure is counted over the orders (only checked by id)"
        exact = exact_resolve_hours(store, board.since, board.until)
        assert board.resolved_by_people == len(exact) > 0, f"{days} days"
        middle = [exact[(len(exact) - 1) // 2], exact[len(exact) // 2]]
        rounded = [resolve_bucket(hours * 60) / 60 for hours in middle]
        assert board.median_resolve_hours == round(sum(rounded) / 2, 2), f"{days} days"
        exact_median = sum(middle) / 2
        assert board.median_resolve_hours is not None
        assert exact_median - 2 <= board.median_resolve_hours <= exact_median, "within its bucket, below"


def test_the_tally_and_the_queue_agree_on_the_statuses_a_waiting_document_has() -> None:
    """The tally and the queue read one list (``gateway.model.status``): the documents that made no
    order and wait for a person, each filed under one of the queue's reasons."""
    waiting = (
        DocumentStatus.UNKNOWN_PARTNER,
        DocumentStatus.FAILED,
        DocumentStatus.REJECTED,
        DocumentStatus.HELD,
    )
    assert sorted(WAITING_DOCUMENTS) == sorted(waiting)
    assert set(REASON_OF_STATUS) == set(WAITING_DOCUMENTS)
