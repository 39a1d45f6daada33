"""The desk's tally: small summary rows of the orders, kept in the transaction that changes them.

The dashboard and the queue's facets read these rows instead of counting every order:

- ``order_day_tally``: per UTC day of ``created_at``, the orders per ``channel`` and per
  ``partner``, and per status the ones the gateway decided alone (``alone``: ``decided_by`` NULL);
  per UTC day of ``decided_at``, the orders people decided per bucket of their time to resolve
  (``resolved``: ``decided_at - created_at`` rounded down by ``resolve_bucket``, key in minutes),
  so the dashboard's median reads at most a few hundred rows a day, whatever the orders stored;
  per UTC day of ``created_at`` and ``partner`` ("" for none), the orders no longer in exception
  (``settled``) and those of them accepted without any change (``accurate``, see ``UNCHANGING``).
- ``open_order_tally``: the orders in exception now, per ``partner``, per ``channel`` and per
  set of blocking finding ``codes`` (the desk maps codes to its reasons when it reads them).

- ``open_order_tally``, figure ``documents``: the documents waiting for a person now (the desk
  queue's ``document`` rows: status ``unknown_partner``, ``failed``, ``held`` or ``rejected``, no
  order, and a rejected one only while nothing answered it), per status, partner and format.

``tally_orders`` is the one bookkeeping function: every place that stores, changes or deletes
an order (its status, decider or blocking findings) calls it with the order ids. Each order
remembers what it is counted as (``purchase_order.tallied_as``), so the function moves it
between counts exactly once, however often it is called. The ingest's new orders are the one
shortcut: their ``tallied_as`` is written with their INSERT (``new_order_facts``, the same facts
from the row and its findings) and counted by ``tally_new_orders``, without reading them back. The changes to the counts are added
up in the session and written just before it commits, in key order: two transactions never
wait on each other's rows in opposite orders (a deadlock on PostgreSQL). Inside a savepoint
they are written at once, so a savepoint rolled back takes them back too.

An order changed when its audit trail holds an entry other than those in ``UNCHANGING``: a desk edit
(every desk action but approving re-validates the order, so a revalidation is one), a partner's
change, cancellation or refused change, a reject. Every such entry bumps ``purchase_order.version``,
so only orders past version 1 are looked up in the audit log.

``tally_kpi`` adds one timed event (an ERP delivery, an 856, a partner's 997) to ``kpi_day_tally``,
written with the rest before the commit; those events happen once each, so they are not moved.

Documents are tallied the same way, through ``tally_documents``: every place that changes a
document's status, partner or format, stores or deletes its orders or answers it calls it with the
document ids. It only notes them; each is read and moved between counts when the tally is
written (before the commit), so it is counted as the transaction leaves it, once
(``document.tallied_as`` remembers its key, NULL while it does not wait).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import event
from sqlalchemy import exists
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import SessionTransaction

from gateway.model.status import WAITING_DOCUMENTS
from gateway.model.status import DocumentStatus
from gateway.model.status import OrderStatus

from ._engine import conflict_insert
from ._models import AuditEntry
from ._models import Document
from ._models import Finding
from ._models import KpiDayTally
from ._models import OpenOrderTally
from ._models import OrderDayTally
from ._models import OutboundRecord
from ._models import PurchaseOrder
from ._tally_read import _COUNTED
from ._tally_read import TALLY_ACCURATE
from ._tally_read import TALLY_ALONE
from ._tally_read import TALLY_CHANNEL
from ._tally_read import TALLY_CODES
from ._tally_read import TALLY_DOCUMENTS
from ._tally_read import TALLY_PARTNER
from ._tally_read import TALLY_RESOLVED
from ._tally_read import TALLY_SETTLED

BLOCKING = ("hold", "reject")  # finding actions that hold an order (gateway.desk._revalidation.BLOCKING)
# Audit actions on an order that change nothing in it: a person approving it as it stands, a reply
# to its sender, the same order coming again by another channel, a clerk keying in what an unreadable
# document says (its first version: written after it is stored, at version 1) (gateway.desk._actions,
# _replying, _documents, gateway.inbound.pipeline). Any other entry on an order is a change.
UNCHANGING = ("order.approve", "order.send_reply", "channel_resent", "order.keyed_in")
ORDER_SUBJECT = "purchase_order"  # the audit subject of an order (gateway.desk._locking.SUBJECT)
# A time to resolve is counted in the bucket it falls in, rounded down: (below minutes, step).
RESOLVE_STEPS = ((30, 1), (4 * 60, 5), (24 * 60, 30), (7 * 24 * 60, 120))
RESOLVE_STEP_BEYOND = 24 * 60
_PENDING = "gateway.storage.tally"
_PENDING_DOCUMENTS = "gateway.storage.tally.documents"
_CHUNK = 500

# (table name, figure, day or None, key) -> change in orders
Cell = tuple[str, str, date | None, str]


def tally_orders(session: Session, order_ids: Iterable[int], *, removing: bool = False) -> None:
    """Count these orders as they stand now; ``removing``: take them out (call it before deleting them)."""
    ids = sorted(set(order_ids))
    if not ids:
        return
    session.flush()
    changes: Counter[Cell] = Counter()
    order = PurchaseOrder.__table__
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = session.execute(
            select(
                order.c.id,
                order.c.document_id,
                order.c.created_at,
                order.c.partner,
                order.c.channel,
                order.c.status,
                order.c.decided_by,
                order.c.decided_at,
                order.c.version,
                order.c.tallied_as,
            )
            .where(order.c.id.in_(chunk))
            .order_by(order.c.id)
            .with_for_update()
        ).all()
        held = [] if removing else [row.id for row in rows if row.status == OrderStatus.EXCEPTION]
        # an order stored (never counted yet) or removed changes whether its document waits
        tally_documents(session, [row.document_id for row in rows if removing or row.tallied_as is None])
        codes = _blocking_codes(session, held)
        changed = set() if removing else _changed(session, [row.id for row in rows if row.version > 1])
        moved = []
        for row in rows:
            now = None if removing else _facts(row, codes.get(row.id, ()), row.id in changed)
            if now == row.tallied_as:
                continue
            changes.subtract(_cells(row.tallied_as))
            changes.update(_cells(now))
            moved.append({"b_id": row.id, "b_facts": now})
        if moved:
            session.execute(
                update(order).where(order.c.id == bindparam("b_id")).values(tallied_as=bindparam("b_facts")),
                moved,
            )
    _record(session, changes)


def new_order_facts(row: Mapping[str, Any], findings: Iterable[Mapping[str, Any]]) -> list[Any]:
    """What an order about to be stored is counted as, from its ``purchase_order`` row (fitted to its
    columns) and its finding rows: its ``tallied_as``, written with the INSERT. A new order is at
    version 1 and decided by no person; ``tally_new_orders`` then counts it, without reading back
    what was just written (``tally_orders`` reads the same facts from the stored rows)."""
    codes = tuple(sorted({f["code"] for f in findings if f["action"] in BLOCKING}))
    return _facts_of(
        row["created_at"], row["partner"], row["channel"], row["status"], None, None, codes, False
    )


def tally_new_orders(session: Session, facts: Iterable[list[Any]], document_ids: Iterable[int]) -> None:
    """Count orders just stored with ``tallied_as`` set to ``facts`` (``new_order_facts``), from
    ``document_ids``: what ``tally_orders`` does for them after reading them back."""
    changes: Counter[Cell] = Counter()
    for order_facts in facts:
        changes.update(_cells(order_facts))
    tally_documents(session, document_ids)  # an order stored changes whether its document waits
    _record(session, changes)


def tally_documents(session: Session, document_ids: Iterable[int | None]) -> None:
    """Count these documents as the transaction leaves them: noted now, read and counted when the tally
    is written (before the commit, or before the session reads the tally)."""
    ids = {id_ for id_ in document_ids if id_ is not None}
    if ids:
        session.info.setdefault(_PENDING_DOCUMENTS, set()).update(ids)


def waiting_counts(session: Session) -> list[tuple[str, str | None, str | None, int]]:
    """(status, partner, format, documents) of the documents waiting for a person, from the tally."""
    return [
        (status, partner, fmt, count)
        for key, count in open_counts(session, TALLY_DOCUMENTS).items()
        for status, partner, fmt in [json.loads(key)]
    ]


def resolve_bucket(minutes: float) -> int:
    """The bucket of a time to resolve, in whole minutes rounded down: to the minute under 30 min, to 5 min
    under 4 h, to 30 min under a day, to 2 h under a week, to the day beyond (none below 0)."""
    whole = max(0, math.floor(minutes))
    step = next((step for below, step in RESOLVE_STEPS if whole < below), RESOLVE_STEP_BEYOND)
    return whole - whole % step


def recount_tally(session: Session, *, orders: bool = True, documents: bool = True) -> None:
    """Build the tally again from every order and document stored (a store filled by hand, and the
    migrations: 0022 and 0024 count the orders only, as they have no ``document.tallied_as``; 0025 the
    documents only)."""
    if orders:
        session.execute(delete(OrderDayTally))
        session.execute(delete(OpenOrderTally).where(OpenOrderTally.figure != TALLY_DOCUMENTS))
        session.execute(update(PurchaseOrder.__table__).values(tallied_as=None))
        session.info.pop(_PENDING, None)
        order = PurchaseOrder.__table__
        last = 0
        while ids := list(
            session.scalars(
                select(order.c.id).where(order.c.id > last).order_by(order.c.id).limit(_CHUNK * 20)
            )
        ):
            tally_orders(session, ids)
            last = ids[-1]
    session.info.pop(_PENDING_DOCUMENTS, None)  # the orders' notes: the documents are counted below
    if documents:
        session.execute(delete(OpenOrderTally).where(OpenOrderTally.figure == TALLY_DOCUMENTS))
        session.execute(update(Document.__table__).values(tallied_as=None))
        waiting = select(Document.id).where(Document.status.in_(WAITING_DOCUMENTS))  # only these can wait
        tally_documents(session, session.scalars(waiting))
    apply_pending(session)


def open_counts(session: Session, figure: str) -> dict[str, int]:
    """Orders in exception now per key of ``figure`` (``TALLY_CHANNEL``, ``TALLY_PARTNER``, ``TALLY_CODES``)."""
    apply_pending(session)
    tally = OpenOrderTally
    rows = session.execute(select(tally.key, tally.orders).where(tally.figure == figure, tally.orders != 0))
    return {key: orders for key, orders in rows}


def apply_pending(session: Session) -> None:
    """Write the changes ``tally_orders`` added up and count the documents ``tally_documents`` noted in
    this session (done before every commit)."""
    changes = _document_changes(session)
    changes.update(session.info.pop(_PENDING, None) or Counter())  # update, not +: that drops what is below 0
    if changes:
        _write(session, changes)


def _document_changes(session: Session) -> Counter[Cell]:
    """Move the noted documents to the counts they belong in now; their rows are locked first.

    In a savepoint the notes are kept: what it writes goes if it is rolled back, and is looked at again.
    """
    noted: set[int] | None = session.info.get(_PENDING_DOCUMENTS)
    if not noted:
        return Counter()
    if not session.in_nested_transaction():
        session.info.pop(_PENDING_DOCUMENTS, None)
    session.flush()
    document = Document.__table__
    order, outbound = PurchaseOrder.__table__, OutboundRecord.__table__
    has_order = exists().where(order.c.document_id == document.c.id)
    answered = exists().where(outbound.c.document_id == document.c.id)
    changes: Counter[Cell] = Counter()
    ids = sorted(noted)
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(
                document.c.id,
                document.c.status,
                document.c.partner,
                document.c.format,
                document.c.tallied_as,
                has_order.label("has_order"),
                answered.label("answered"),
            )
            .where(document.c.id.in_(ids[start : start + _CHUNK]))
            .order_by(document.c.id)
            .with_for_update(of=document)
        ).all()
        moved = []
        for row in rows:
            waiting = (
                row.status in WAITING_DOCUMENTS
                and not row.has_order
                and not (row.status == DocumentStatus.REJECTED and row.answered)
            )
            now = json.dumps([row.status, row.partner, row.format], ensure_ascii=False) if waiting else None
            if now == row.tallied_as:
                continue
            if row.tallied_as is not None:
                changes[("open_order_tally", TALLY_DOCUMENTS, None, row.tallied_as)] -= 1
            if now is not None:
                changes[("open_order_tally", TALLY_DOCUMENTS, None, now)] += 1
            moved.append({"b_id": row.id, "b_key": now})
        if moved:
            session.execute(
                update(document)
                .where(document.c.id == bindparam("b_id"))
                .values(tallied_as=bindparam("b_key")),
                moved,
            )
    return changes


def _record(session: Session, changes: Counter[Cell]) -> None:
    changes = Counter({cell: n for cell, n in changes.items() if n})
    if not changes:
        return
    if session.in_nested_transaction():
        _write(session, changes)
        return
    pending: Counter[Cell] = session.info.setdefault(_PENDING, Counter())
    pending.update(changes)


def _write(session: Session, changes: Counter[Cell]) -> None:
    """Add ``changes`` to the tally rows, creating missing ones, in key order."""
    insert = conflict_insert(session)
    keys = (
        (OrderDayTally.__table__, ("figure", "day", "key")),
        (OpenOrderTally.__table__, ("figure", "key")),
        (KpiDayTally.__table__, ("figure", "day", "key")),
    )
    for table, key_columns in keys:
        counted = table.c[_COUNTED.get(table.name, "orders")]
        rows = [
            _row(table, figure, day, key, n)
            for (name, figure, day, key), n in sorted(changes.items(), key=_order)
            if name == table.name and n
        ]
        if rows:
            statement = insert(table)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=list(key_columns),
                    set_={counted.name: counted + statement.excluded[counted.name]},
                ),
                rows,
            )


def _row(table: Table, figure: str, day: date | None, key: str, n: int) -> dict[str, Any]:
    row: dict[str, Any] = {"figure": figure, "key": key, _COUNTED.get(table.name, "orders"): n}
    if "day" in table.c:
        row["day"] = day
    return row


def _order(item: tuple[Cell, int]) -> tuple[str, str, str, str]:
    (name, figure, day, key), _ = item
    return name, figure, day.isoformat() if day else "", key


def _blocking_codes(session: Session, order_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    if not order_ids:
        return {}
    found: dict[int, set[str]] = {}
    finding = Finding.__table__
    for order_id, code in session.execute(
        select(finding.c.order_id, finding.c.code).where(
            finding.c.order_id.in_(order_ids), finding.c.action.in_(BLOCKING)
        )
    ):
        found.setdefault(order_id, set()).add(code)
    return {order_id: tuple(sorted(codes)) for order_id, codes in found.items()}


def _changed(session: Session, order_ids: Sequence[int]) -> set[int]:
    """The orders among these whose audit trail holds a change (an entry not in ``UNCHANGING``)."""
    if not order_ids:
        return set()
    audit = AuditEntry.__table__
    subjects = session.scalars(
        select(audit.c.subject_id)
        .where(
            audit.c.subject_type == ORDER_SUBJECT,
            audit.c.subject_id.in_([str(id_) for id_ in order_ids]),
            audit.c.action.not_in(UNCHANGING),
        )
        .distinct()
    )
    return {int(subject) for subject in subjects}


def _facts(row: Any, codes: tuple[str, ...], changed: bool) -> list[Any]:
    """What a stored order (a row read back) is counted as: see ``_facts_of``."""
    return _facts_of(
        row.created_at, row.partner, row.channel, row.status, row.decided_by, row.decided_at, codes, changed
    )


def _facts_of(
    created_at: datetime,
    partner: str | None,
    channel: str,
    status: str,
    decided_by: str | None,
    decided_at: datetime | None,
    codes: tuple[str, ...],
    changed: bool,
) -> list[Any]:
    """What an order is counted as: [day, partner, channel, status, decided alone, blocking codes,
    day a person decided it, its time to resolve's bucket, accurate] (the two before last None unless
    a person decided it; the last None while it is in exception, else whether it was accepted unchanged)."""
    created = _utc(created_at)
    held = list(codes) if status == OrderStatus.EXCEPTION else []
    facts = [created.date().isoformat(), partner, channel, status, decided_by is None, held]
    accurate = None if status == OrderStatus.EXCEPTION else status == OrderStatus.ACCEPTED and not changed
    if decided_by is not None and decided_at is not None:
        decided = _utc(decided_at)
        minutes = (decided - created).total_seconds() / 60
        return [*facts, decided.date().isoformat(), resolve_bucket(minutes), accurate]
    return [*facts, None, None, accurate]


def _utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one (SQLite hands them back) is UTC already."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _cells(facts: list[Any] | None) -> list[Cell]:
    """The tally rows an order with these facts counts in (once each)."""
    if facts is None:
        return []
    day_text, partner, channel, status, alone, codes = facts[:6]
    decided, bucket = facts[6:8] if len(facts) >= 8 else (None, None)  # 0022 wrote six facts
    accurate = facts[8] if len(facts) >= 9 else None  # 0030 added the ninth
    day = date.fromisoformat(day_text)
    cells: list[Cell] = [("order_day_tally", TALLY_CHANNEL, day, channel)]
    if decided is not None:
        cells.append(("order_day_tally", TALLY_RESOLVED, date.fromisoformat(decided), str(bucket)))
    if partner:
        cells.append(("order_day_tally", TALLY_PARTNER, day, partner))
    if alone:
        cells.append(("order_day_tally", TALLY_ALONE, day, status))
    if accurate is not None:
        cells.append(("order_day_tally", TALLY_SETTLED, day, partner or ""))
        if accurate:
            cells.append(("order_day_tally", TALLY_ACCURATE, day, partner or ""))
    if status == OrderStatus.EXCEPTION:
        cells.append(("open_order_tally", TALLY_CHANNEL, None, channel))
        cells.append(("open_order_tally", TALLY_CODES, None, ",".join(codes)))
        if partner:
            cells.append(("open_order_tally", TALLY_PARTNER, None, partner))
    return cells


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    apply_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (written above) or rolled back: nothing stays pending
        session.info.pop(_PENDING, None)
        session.info.pop(_PENDING_DOCUMENTS, None)
