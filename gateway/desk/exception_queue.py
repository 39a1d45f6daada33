"""The exception queue, read side: what waits for a person, oldest first, filtered, searched and paged.

Two kinds of row:

- ``order``: a purchase order in status ``exception``. Its reasons come from its blocking
  findings (action ``hold`` or ``reject``), each finding code mapped to one of ``REASONS``
  (codes no reason names, and an order held with no blocking finding, are ``other``).
- ``document``: an inbound document that produced no order and that nobody has answered
  (``gateway.storage.tally_documents`` keeps which ones, with the other counts of the tally):
  ``unknown_partner`` (no profile matched its sender), ``failed`` (processing crashed),
  ``held`` (stored unprocessed for a person, e.g. an AS2 Message-ID reused with other content) and
  ``rejected`` (unreadable: a broken PDF, bytes of no known format) when no acknowledgment
  or reply went back for it. An X12 interchange rejected with a 997/TA1 has been answered:
  its sender knows, so it is not in the queue (the documents screen still lists it).

Everything is counted, ordered and paged over the indexes of migrations 0009, 0022, 0024 and 0025:
only the page's rows are loaded (each kind read in order up to the page's end, then merged).
The whole queue's counts and its facets come from the tally (``gateway.storage._tally``), the
waiting documents' too, and a search is a union of index ranges over the open orders (a prefix of
the PO number, customer account or partner) plus one pass over the waiting documents' partial
index (their text holds the needle anywhere: no index range finds that), so a page's cost follows
the page, not the orders or documents stored (``bench/desk_queue.py`` times ``/queue`` and a
search at 1,000 and 100,000 orders). Facets (the counts behind the filter dropdowns) cover the
whole open queue, not the filtered part, so the dropdowns do not change under the clerk's
hand. Age is counted from when the order was stored (for a document, when it was received);
an item older than the SLA is ``overdue``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Literal

from sqlalchemy import ColumnElement
from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy import SQLColumnExpression
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import literal_column
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import union
from sqlalchemy.orm import Session

from gateway import storage
from gateway.model.order import Channel
from gateway.model.status import WAITING_DOCUMENTS
from gateway.model.status import DocumentStatus
from gateway.model.status import OrderStatus
from validators import FindingCode

from ._like import contains
from ._like import starts_with
from ._revalidation import BLOCKING

RowKind = Literal["order", "document"]

OTHER = "other"
DEFAULT_SLA_HOURS = 4.0
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_EXPORT_ROWS = 10_000
MAX_PAGE = 1_000_000
MAX_HOURS = 24.0 * 366 * 10
MAX_SEARCH = 100
MAX_NAME = 64
CHANNELS: tuple[str, ...] = tuple(c.value for c in Channel)
# A document's format (``parsers.detect_format``) as the channel its orders would have had.
FORMAT_CHANNEL: dict[str, str] = {
    "x12": Channel.X12.value,
    "pdf": Channel.PDF.value,
    "image": Channel.PDF.value,  # a scan read by OCR, as a scanned PDF is
    "xlsx": Channel.EXCEL.value,
    "csv": Channel.EXCEL.value,
    "email": Channel.EMAIL.value,
}
_CUSTOMER_NAMES_LIMIT = 500


@dataclass(frozen=True, slots=True)
class ReasonSpec:
    """Why an item waits: a label for people, the finding codes and document statuses it covers."""

    key: str
    label: str
    codes: frozenset[str] = frozenset()
    document_statuses: frozenset[str] = frozenset()
    hint: str = ""


def _codes(*codes: FindingCode) -> frozenset[str]:
    return frozenset(code.value for code in codes)


REASONS: dict[str, ReasonSpec] = {
    spec.key: spec
    for spec in (
        ReasonSpec(
            "unknown_sku",
            "Unknown SKU",
            _codes(FindingCode.UNKNOWN_ITEM),
            hint="Pick a suggested SKU or search the catalog.",
        ),
        ReasonSpec(
            "price",
            "Price",
            _codes(FindingCode.PRICE_MISMATCH, FindingCode.CURRENCY_MISMATCH),
            hint="Accept the customer's price with a reason, or reject.",
        ),
        ReasonSpec(
            "credit",
            "Credit",
            _codes(FindingCode.CREDIT_LIMIT, FindingCode.CREDIT_HOLD),
            hint="A credit user may release the hold.",
        ),
        ReasonSpec(
            "stock",
            "Stock",
            _codes(FindingCode.SHORT_STOCK),
            hint="Correct the quantity, or approve once stock is free.",
        ),
        ReasonSpec(
            "duplicate",
            "Duplicate PO",
            _codes(FindingCode.DUPLICATE_PO),
            frozenset({DocumentStatus.HELD}),
            hint="Merge it into the earlier order, or dismiss the duplicate. A held document: "
            "process it if it is new, otherwise leave it.",
        ),
        ReasonSpec(
            "parse_confidence",
            "Parse confidence",
            _codes(FindingCode.LOW_CONFIDENCE, FindingCode.SYNTAX),
            frozenset({DocumentStatus.REJECTED}),
            hint="Check the values read against the original document.",
        ),
        ReasonSpec(
            "unknown_partner",
            "Unknown partner",
            _codes(FindingCode.UNKNOWN_PARTNER),
            frozenset({DocumentStatus.UNKNOWN_PARTNER}),
            hint="On the document's page: assign its customer, or (admin) create the X12 sender's profile.",
        ),
    )
}

OTHER_REASON = ReasonSpec(
    OTHER,
    "Other",
    frozenset(code.value for code in FindingCode) - frozenset().union(*(s.codes for s in REASONS.values())),
    frozenset({DocumentStatus.FAILED}),
    hint="Read the findings: order rules such as minimums, pack sizes, dates and ship-to.",
)
ALL_REASONS: dict[str, ReasonSpec] = {**REASONS, OTHER: OTHER_REASON}
REASON_OF_CODE: dict[str, str] = {code: spec.key for spec in REASONS.values() for code in spec.codes}
REASON_OF_STATUS: dict[str, str] = {
    status: spec.key for spec in ALL_REASONS.values() for status in spec.document_statuses
}


def reason_for_code(code: str) -> str:
    """The ``REASONS`` key a finding code files under; ``other`` for the rest."""
    return REASON_OF_CODE.get(code, OTHER)


def reason_label(key: str) -> str:
    spec = ALL_REASONS.get(key)
    return spec.label if spec else key


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the clerk asked to see; ``from_args`` reads it from a query string, never raising.

    ``problems`` says, in words for the clerk, which values were unusable and ignored.
    """

    reason: str | None = None
    partner: str | None = None
    channel: str | None = None
    older_than_hours: float | None = None
    newer_than_hours: float | None = None
    search: str | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> QueueFilter:
        """Filters from query-string values (a dict or a werkzeug ``MultiDict``); bad ones become defaults."""
        problems: list[str] = []
        reason = _choice(args, "reason", ALL_REASONS, problems)
        channel = _choice(args, "channel", CHANNELS, problems)
        partner = _text(args, "partner", MAX_NAME, problems)
        search = _text(args, "search", MAX_SEARCH, problems, truncate=True)
        older = _hours(args, "older_than_hours", problems)
        newer = _hours(args, "newer_than_hours", problems)
        page = _integer(args, "page", 1, 1, MAX_PAGE, problems)
        per_page = _integer(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE, problems)
        return cls(reason, partner, channel, older, newer, search, page, per_page, tuple(problems))

    def to_args(self, **changes: Any) -> dict[str, str]:
        """The query-string values that differ from the defaults, with ``changes`` (``page=2``) applied."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "problems"}
        values.update(changes)
        defaults = QueueFilter()
        return {
            name: _arg_text(value)
            for name, value in values.items()
            if value is not None and value != getattr(defaults, name)
        }

    @property
    def active(self) -> bool:
        """Whether anything but paging narrows the queue."""
        return any(
            value is not None
            for value in (
                self.reason,
                self.partner,
                self.channel,
                self.older_than_hours,
                self.newer_than_hours,
                self.search,
            )
        )


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One item waiting for a person. ``id`` is the order's id (kind ``order``) or the document's.

    ``reasons`` are ``ALL_REASONS`` keys in that order; ``summary`` is the first blocking
    finding's message, or the document's error. ``version`` is the order's, for the desk's
    optimistic locking (None for documents).
    """

    kind: RowKind
    id: int
    order_id: int | None
    document_id: int
    po_number: str | None
    partner: str | None
    customer_account: str | None
    channel: str | None
    received_at: datetime
    age_hours: float
    overdue: bool
    reasons: list[str]
    summary: str
    version: int | None
    customer_name: str | None = None
    status: str = OrderStatus.EXCEPTION
    filename: str | None = None
    codes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class QueueFacets:
    """Counts over the whole open queue for the filter dropdowns; an item counts under each of its reasons."""

    reasons: list[tuple[str, int]]
    partners: list[tuple[str, int]]
    channels: list[tuple[str, int]]
    total: int


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of the queue; ``total`` and ``overdue`` count every item the filters match."""

    rows: list[QueueRow]
    total: int
    page: int
    per_page: int
    pages: int
    facets: QueueFacets
    overdue: int
    sla_hours: float
    filters: QueueFilter

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def exception_queue(
    session: Session, filters: QueueFilter, *, now: datetime, sla_hours: float = DEFAULT_SLA_HOURS
) -> QueuePage:
    """The page of the queue ``filters`` asks for, oldest first, with totals and facets.

    A page past the last is the last page. A ``reason`` or ``channel`` that is no key of
    ``ALL_REASONS`` or ``CHANNELS`` raises ``ValueError``; ``QueueFilter.from_args`` never makes one.
    """
    now = as_utc(now)
    overdue_before = now - timedelta(hours=sla_hours)
    orders, documents = _queries(session, filters, now)
    waiting = waiting_groups(session)
    matched: list[Row[Any]] | None = None
    if filters.active:
        total, overdue = _count(session, orders, storage.PurchaseOrder.created_at, overdue_before)
        if documents is not None:  # one pass over the waiting documents let through: counted, then paged
            matched = list(session.execute(_oldest_first(documents)))
            total += len(matched)
            overdue += sum(as_utc(row.at) < overdue_before for row in matched)
    else:  # the whole queue: the tally's totals, less the items stored within the SLA (short index ranges)
        assert documents is not None
        total = sum(storage.open_counts(session, storage.TALLY_CHANNEL).values())
        total += sum(group.count for group in waiting)
        recent_orders = orders.where(storage.PurchaseOrder.created_at >= overdue_before)
        recent_documents = documents.where(storage.Document.received_at >= overdue_before)
        overdue = total - sum(
            _count(session, recent, moment, overdue_before)[0]
            for recent, moment in (
                (recent_orders, storage.PurchaseOrder.created_at),
                (recent_documents, storage.Document.received_at),
            )
        )
    per_page = min(max(filters.per_page, 1), MAX_PER_PAGE)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(filters.page, 1), pages)
    keys = _page_keys(
        session, orders, documents, limit=per_page, offset=(page - 1) * per_page, matched=matched
    )
    rows = _rows(session, keys, now=now, sla_hours=sla_hours)
    return QueuePage(
        rows=rows,
        total=total,
        page=page,
        per_page=per_page,
        pages=pages,
        facets=queue_facets(session, waiting),
        overdue=overdue,
        sla_hours=sla_hours,
        filters=filters,
    )


def all_queue_rows(
    session: Session,
    filters: QueueFilter,
    *,
    now: datetime,
    sla_hours: float = DEFAULT_SLA_HOURS,
    limit: int = MAX_EXPORT_ROWS,
) -> list[QueueRow]:
    """Every item ``filters`` lets through (its paging ignored), oldest first, at most ``limit``: for exports.

    Raises ``ValueError`` as ``exception_queue`` does.
    """
    now = as_utc(now)
    orders, documents = _queries(session, filters, now)
    keys = _page_keys(session, orders, documents, limit=limit, offset=0)
    return _rows(session, keys, now=now, sla_hours=sla_hours)


def queue_neighbours(session: Session, order_id: int) -> tuple[int | None, int | None]:
    """The orders in exception just before and just after order ``order_id`` in the queue's order
    (oldest first); the order itself need not be in the queue any more (just approved)."""
    order = storage.PurchaseOrder
    at = session.scalar(select(order.created_at).where(order.id == order_id))
    if at is None:
        return None, None
    waiting = select(order.id).where(_open_order(), order.id != order_id)
    earlier = or_(order.created_at < at, and_(order.created_at == at, order.id < order_id))
    later = or_(order.created_at > at, and_(order.created_at == at, order.id > order_id))
    before = session.scalar(
        waiting.where(earlier).order_by(order.created_at.desc(), order.id.desc()).limit(1)
    )
    after = session.scalar(waiting.where(later).order_by(order.created_at, order.id).limit(1))
    return before, after


def _queries(
    session: Session, filters: QueueFilter, now: datetime
) -> tuple[Select[Any, int, datetime], Select[Any, int, datetime] | None]:
    """The orders and the documents ``filters`` lets through; None for documents when none can be."""
    if filters.reason is not None and filters.reason not in ALL_REASONS:
        raise ValueError(f"unknown reason {filters.reason!r}")
    if filters.channel is not None and filters.channel not in CHANNELS:
        raise ValueError(f"unknown channel {filters.channel!r}")
    needle = (filters.search or "").strip().lower()
    postgres = session.get_bind().dialect.name == "postgresql"
    search = _Search(needle, _customers_named(session, needle), postgres) if needle else None
    return _order_query(filters, now, search), _document_query(filters, now, search)


def queue_facets(session: Session, waiting: list[WaitingGroup] | None = None) -> QueueFacets:
    """Items per reason, partner and channel over the whole open queue (``waiting``: the documents' groups,
    when the caller has them already)."""
    waiting = waiting_groups(session) if waiting is None else waiting
    reasons = open_reason_counts(session, waiting)
    partners = dict(storage.open_counts(session, storage.TALLY_PARTNER))
    channels = dict(storage.open_counts(session, storage.TALLY_CHANNEL))
    total = sum(channels.values())
    for group in waiting:
        _add(partners, group.partner, group.count)
        _add(channels, FORMAT_CHANNEL.get(group.format or ""), group.count)
        total += group.count
    return QueueFacets(
        reasons=list(reasons.items()),
        partners=sorted(partners.items()),
        channels=sorted(channels.items(), key=lambda item: _rank(CHANNELS, item[0])),
        total=total,
    )


def open_reason_counts(session: Session, waiting: list[WaitingGroup] | None = None) -> dict[str, int]:
    """Open items per reason, every reason of ``ALL_REASONS`` in order (0 when none).

    The orders come from the tally of their blocking finding codes (``gateway.storage.open_counts``):
    an order counts once under each reason its codes file under, under ``other`` when it has none.
    """
    counts = dict.fromkeys(ALL_REASONS, 0)
    for codes, count in storage.open_counts(session, storage.TALLY_CODES).items():
        for key in {reason_for_code(code) for code in codes.split(",") if code} or {OTHER}:
            counts[key] += count
    for group in waiting_groups(session) if waiting is None else waiting:
        counts[REASON_OF_STATUS[group.status]] += group.count
    return counts


@dataclass(frozen=True, slots=True)
class WaitingGroup:
    """Waiting documents of one status, partner and format: how many."""

    status: str
    partner: str | None
    format: str | None
    count: int


def waiting_groups(session: Session) -> list[WaitingGroup]:
    """The queue's ``document`` rows counted per status, partner and format, from the tally."""
    return [WaitingGroup(*counted) for counted in storage.waiting_counts(session)]


def count_waiting_documents(session: Session, waiting: list[WaitingGroup] | None = None) -> int:
    """Documents that produced no order and wait for a person (the queue's ``document`` rows)."""
    return sum(group.count for group in (waiting_groups(session) if waiting is None else waiting))


def reason_case(code: SQLColumnExpression[str]) -> ColumnElement[str]:
    """SQL: the reason key of a finding code (``other`` for codes no reason names, and for NULL)."""
    return case(REASON_OF_CODE, value=code, else_=OTHER)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one (SQLite hands them back) is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- the queries ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Search:
    """What the clerk typed, lower-cased, and the customers (account, partner) whose name holds it.

    ``postgres``: compare in PostgreSQL's "C" collation (byte order, as SQLite compares).
    """

    needle: str
    customers: list[tuple[str, str | None]]
    postgres: bool = False

    def hits(self) -> Any:
        """The open orders whose PO number, customer account or partner starts with the needle (in any
        case), or whose customer's name holds it: a union of index ranges (migration 0022's indexes)."""
        order = storage.PurchaseOrder
        held = _open_order()
        low, high = self.needle, _next_prefix(self.needle)
        branches = []
        for column in (order.po_number, order.customer_account, order.partner):
            folded: ColumnElement[str] = func.lower(column)
            if self.postgres:
                folded = folded.collate("C")
            branches.append(select(order.id).where(held, folded >= low, folded < high))
        accounts = [account for account, _ in self.customers]
        if accounts:
            branches.append(select(order.id).where(held, order.customer_account.in_(accounts)))
        return union(*branches).subquery("hits")


def _order_query(filters: QueueFilter, now: datetime, search: _Search | None) -> Select[Any, int, datetime]:
    order = storage.PurchaseOrder
    query: Select[Any, int, datetime] = select(
        literal_column("'order'").label("kind"), order.id.label("id"), order.created_at.label("at")
    )
    query = query.where(_open_order())
    if filters.partner is not None:
        query = query.where(order.partner == filters.partner)
    if filters.channel is not None:
        query = query.where(order.channel == filters.channel)
    if filters.older_than_hours is not None:
        query = query.where(order.created_at <= now - timedelta(hours=filters.older_than_hours))
    if filters.newer_than_hours is not None:
        query = query.where(order.created_at >= now - timedelta(hours=filters.newer_than_hours))
    if filters.reason is not None:
        query = query.where(_has_reason(filters.reason))
    if search is not None:
        hits = search.hits()
        query = query.join(hits, hits.c.id == order.id)
    return query


def _open_order() -> ColumnElement[bool]:
    """SQL: the order is in exception; a literal, so that the partial indexes (migrations 0022 and
    0024: ``WHERE status = 'exception'``) match the query on PostgreSQL, where a parameter cannot."""
    return storage.PurchaseOrder.status == literal(OrderStatus.EXCEPTION, literal_execute=True)


def _has_reason(reason: str) -> ColumnElement[bool]:
    order = storage.PurchaseOrder
    finding = storage.Finding
    blocking = (finding.order_id == order.id, finding.action.in_(BLOCKING))
    if reason != OTHER:
        return exists().where(*blocking, finding.code.in_(sorted(REASONS[reason].codes)))
    return or_(
        exists().where(*blocking, finding.code.not_in(sorted(REASON_OF_CODE))),
        ~exists().where(*blocking),
    )


def _document_query(
    filters: QueueFilter, now: datetime, search: _Search | None
) -> Select[Any, int, datetime] | None:
    """Waiting documents the filters let through; None when they let none through."""
    document = storage.Document
    statuses = set(WAITING_DOCUMENTS)
    if filters.reason is not None:
        statuses &= ALL_REASONS[filters.reason].document_statuses
    if not statuses:
        return None
    query: Select[Any, int, datetime] = select(
        literal_column("'document'").label("kind"), document.id.label("id"), document.received_at.label("at")
    ).where(*_waiting_documents(statuses))
    if filters.partner is not None:
        query = query.where(document.partner == filters.partner)
    if filters.channel is not None:
        formats = sorted(fmt for fmt, channel in FORMAT_CHANNEL.items() if channel == filters.channel)
        query = query.where(document.format.in_(formats))
    if filters.older_than_hours is not None:
        query = query.where(document.received_at <= now - timedelta(hours=filters.older_than_hours))
    if filters.newer_than_hours is not None:
        query = query.where(document.received_at >= now - timedelta(hours=filters.newer_than_hours))
    if search is not None:
        partners = sorted({partner for _, partner in search.customers if partner})
        query = query.where(
            or_(
                starts_with(document.partner, search.needle),
                contains(document.filename, search.needle),
                contains(document.error, search.needle),
                *([document.partner.in_(partners)] if partners else []),
            )
        )
    return query


def _waiting_documents(statuses: Iterable[str] = WAITING_DOCUMENTS) -> list[ColumnElement[bool]]:
    """Documents with no order that need a person (a rejected one only while nobody answered it): the ones
    the tally counts (``gateway.storage.tally_documents``), read from migration 0025's partial index."""
    document = storage.Document
    waiting: list[ColumnElement[bool]] = [
        document.tallied_as.is_not(None)
    ]  # the index's own condition, so that it is chosen
    if set(statuses) != set(WAITING_DOCUMENTS):
        waiting.append(document.status.in_(sorted(statuses)))
    return waiting


def _count(
    session: Session,
    query: Select[Any, int, datetime],
    moment: SQLColumnExpression[datetime],
    overdue_before: datetime,
) -> tuple[int, int]:
    counted = query.with_only_columns(
        func.count(), func.count().filter(moment < overdue_before), maintain_column_froms=True
    )
    total, overdue = session.execute(counted).one()
    return int(total), int(overdue or 0)


def _page_keys(
    session: Session,
    orders: Select[Any, int, datetime],
    documents: Select[Any, int, datetime] | None,
    *,
    limit: int,
    offset: int,
    matched: list[Row[Any]] | None = None,
) -> list[tuple[str, int]]:
    """(kind, id) of the page's items, oldest first (ties by id): the first ``offset + limit`` of each kind,
    each read in order (the orders from migration 0024's partial index, the documents from 0025's) and
    stopped there, merged here. ``matched``: every document ``documents`` finds, read already, oldest first.

    Not one ``UNION ALL ... ORDER BY ... LIMIT``: PostgreSQL plans that as an append of both whole
    scans and a top-N sort of every open order, where two ordered scans stop at the page's end.
    """
    order = storage.PurchaseOrder
    wanted = offset + limit
    found = list(session.execute(orders.order_by(order.created_at, order.id).limit(wanted)))
    if documents is not None:
        waiting = (
            matched[:wanted]
            if matched is not None
            else session.execute(_oldest_first(documents).limit(wanted))
        )
        found = list(heapq.merge(found, waiting, key=lambda row: (as_utc(row.at), row.id)))
    return [(kind, id_) for kind, id_, _ in found[offset:wanted]]


def _oldest_first(documents: Select[Any, int, datetime]) -> Select[Any, int, datetime]:
    return documents.order_by(storage.Document.received_at, storage.Document.id)


def _rows(
    session: Session, keys: list[tuple[str, int]], *, now: datetime, sla_hours: float
) -> list[QueueRow]:
    order_ids = [id_ for kind, id_ in keys if kind == "order"]
    document_ids = [id_ for kind, id_ in keys if kind == "document"]
    built: dict[tuple[str, int], QueueRow] = {}
    if order_ids:
        built.update(_order_rows(session, order_ids, now=now, sla_hours=sla_hours))
    if document_ids:
        built.update(_document_rows(session, document_ids, now=now, sla_hours=sla_hours))
    return [built[key] for key in keys if key in built]


def _order_rows(
    session: Session, order_ids: list[int], *, now: datetime, sla_hours: float
) -> dict[tuple[str, int], QueueRow]:
    order = storage.PurchaseOrder
    finding = storage.Finding
    stored = session.execute(
        select(
            order.id,
            order.document_id,
            order.po_number,
            order.partner,
            order.customer_account,
            order.channel,
            order.created_at,
            order.version,
            order.status,
        ).where(order.id.in_(order_ids))
    ).all()
    held: dict[int, list[tuple[str, str]]] = {}
    first_any: dict[int, str] = {}
    for order_id, code, action, message in session.execute(
        select(finding.order_id, finding.code, finding.action, finding.message)
        .where(finding.order_id.in_(order_ids))
        .order_by(finding.order_id, finding.id)
    ):
        if order_id is None:  # never: in_() does not match NULL
            continue
        first_any.setdefault(order_id, message)
        if action in BLOCKING:
            held.setdefault(order_id, []).append((code, message))
    names = dict(
        session.execute(
            select(storage.CreditAccount.account, storage.CreditAccount.name).where(
                storage.CreditAccount.account.in_(
                    {row.customer_account for row in stored if row.customer_account}
                )
            )
        ).all()
    )
    rows: dict[tuple[str, int], QueueRow] = {}
    for row in stored:
        blocking = held.get(row.id, [])
        codes = list(dict.fromkeys(code for code, _ in blocking))
        reasons = _ordered({reason_for_code(code) for code in codes} or {OTHER})
        if blocking:
            summary = blocking[0][1]
        else:
            summary = first_any.get(row.id, "held for review; no finding says why")
        received = as_utc(row.created_at)
        age = _age_hours(received, now)
        rows["order", row.id] = QueueRow(
            kind="order",
            id=row.id,
            order_id=row.id,
            document_id=row.document_id,
            po_number=row.po_number,
            partner=row.partner,
            customer_account=row.customer_account,
            channel=row.channel,
            received_at=received,
            age_hours=round(age, 2),
            overdue=age > sla_hours,
            reasons=reasons,
            summary=summary,
            version=row.version,
            customer_name=names.get(row.customer_account) if row.customer_account else None,
            status=row.status,
            codes=codes,
        )
    return rows


def _document_rows(
    session: Session, document_ids: list[int], *, now: datetime, sla_hours: float
) -> dict[tuple[str, int], QueueRow]:
    document = storage.Document
    rows: dict[tuple[str, int], QueueRow] = {}
    for row in session.execute(
        select(
            document.id,
            document.partner,
            document.format,
            document.status,
            document.filename,
            document.received_at,
            document.error,
            document.error_code,
        ).where(document.id.in_(document_ids))
    ):
        received = as_utc(row.received_at)
        age = _age_hours(received, now)
        rows["document", row.id] = QueueRow(
            kind="document",
            id=row.id,
            order_id=None,
            document_id=row.id,
            po_number=None,
            partner=row.partner,
            customer_account=None,
            channel=FORMAT_CHANNEL.get(row.format or ""),
            received_at=received,
            age_hours=round(age, 2),
            overdue=age > sla_hours,
            reasons=[REASON_OF_STATUS[row.status]],
            summary=row.error or f"document {row.status.replace('_', ' ')}",
            version=None,
            status=row.status,
            filename=row.filename,
            codes=[row.error_code] if row.error_code else [],
        )
    return rows


def _customers_named(session: Session, needle: str) -> list[tuple[str, str | None]]:
    """(account, partner) of customers whose name contains ``needle`` (the master data's credit accounts)."""
    account = storage.CreditAccount
    return [
        (number, partner)
        for number, partner in session.execute(
            select(account.account, account.partner)
            .where(contains(account.name, needle))
            .order_by(account.account)
            .limit(_CUSTOMER_NAMES_LIMIT)
        )
    ]


# -- small helpers ----------------------------------------------------------------------------


def _ordered(reasons: set[str]) -> list[str]:
    return sorted(reasons, key=lambda key: _rank(tuple(ALL_REASONS), key))


def _rank(known: tuple[str, ...], key: str) -> tuple[int, str]:
    return (known.index(key) if key in known else len(known), key)


def _age_hours(received: datetime, now: datetime) -> float:
    return (now - received).total_seconds() / 3600


def _add(counts: dict[str, int], key: str | None, count: int) -> None:
    if key:
        counts[key] = counts.get(key, 0) + count


def _next_prefix(text: str) -> str:
    """The least string after every string that starts with ``text`` (its last character plus one)."""
    last = ord(text[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # no character there: the next one is U+E000
        last = 0xE000
    if last > 0x10FFFF:
        return _next_prefix(text[:-1]) if len(text) > 1 else "\U0010ffff" * 2
    return text[:-1] + chr(last)


def _raw(args: Mapping[str, Any], key: str) -> Any:
    value = args.get(key)
    if isinstance(value, list | tuple):  # a dict of lists, as urllib.parse.parse_qs makes
        value = value[0] if value else None
    return value


def _text(
    args: Mapping[str, Any], key: str, limit: int, problems: list[str], *, truncate: bool = False
) -> str | None:
    value = _raw(args, key)
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) > limit:
        if truncate:
            problems.append(f"{key} is longer than {limit} characters; searched for the first {limit}")
            return text[:limit].strip() or None
        problems.append(f"{key} is longer than {limit} characters; ignored")
        return None
    if not text.isprintable():
        problems.append(f"{key} holds control characters; ignored")
        return None
    return text


def _choice(args: Mapping[str, Any], key: str, allowed: Iterable[str], problems: list[str]) -> str | None:
    text = _text(args, key, MAX_NAME, problems)
    if text is None:
        return None
    choices = list(allowed)
    if text.lower() in choices:
        return text.lower()
    problems.append(f"{key} {text!r} is not one of {', '.join(choices)}; ignored")
    return None


def _hours(args: Mapping[str, Any], key: str, problems: list[str]) -> float | None:
    text = _text(args, key, MAX_NAME, problems)
    if text is None:
        return None
    try:
        hours = float(text)
    except ValueError:
        problems.append(f"{key} {text!r} is not a number of hours; ignored")
        return None
    if not math.isfinite(hours) or not 0 <= hours <= MAX_HOURS:
        problems.append(f"{key} must be between 0 and {MAX_HOURS:.0f} hours; ignored")
        return None
    return hours


def _integer(
    args: Mapping[str, Any], key: str, default: int, low: int, high: int, problems: list[str]
) -> int:
    text = _text(args, key, MAX_NAME, problems)
    if text is None:
        return default
    try:
        number = int(text)
    except ValueError:
        problems.append(f"{key} {text!r} is not a whole number; using {default}")
        return default
    if not low <= number <= high:
        clamped = min(max(number, low), high)
        problems.append(f"{key} must be between {low} and {high}; using {clamped}")
        return clamped
    return number


def _arg_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
