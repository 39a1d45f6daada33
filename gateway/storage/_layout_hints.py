"""Layout hints learned on the order desk: read by sender, learned, confirmed and forgotten, each change audited."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._audit import record_audit
from ._models import AuditEntry
from ._models import LayoutHintRecord

if TYPE_CHECKING:
    from partners import LayoutHint

HINT_SUBJECT = "layout_hint"


def learned_hints(session: Session, partner: str | None = None) -> dict[str, list[LayoutHint]]:
    """Every learned hint (or ``partner``'s), by partner name, best supported first."""
    record = LayoutHintRecord
    query = select(record).order_by(record.partner, record.support.desc(), record.id)
    if partner is not None:
        query = query.where(record.partner == partner)
    found: dict[str, list[LayoutHint]] = {}
    for row in session.scalars(query):
        found.setdefault(row.partner, []).append(_hint(row))
    return found


def hint_records(session: Session, partner: str) -> list[LayoutHintRecord]:
    record = LayoutHintRecord
    return list(
        session.scalars(select(record).where(record.partner == partner).order_by(record.kind, record.field))
    )


def learn_hint(
    session: Session,
    *,
    partner: str,
    hint: LayoutHint,
    document_id: int | None,
    actor: str,
    at: datetime,
) -> tuple[LayoutHintRecord, AuditEntry]:
    """One more correction behind ``hint``: the same place adds to its support, another place replaces it."""
    row = _locked(session, partner, hint.kind, hint.field)
    if row is None:
        try:
            with session.begin_nested():
                row = LayoutHintRecord(
                    partner=partner, kind=hint.kind, field=hint.field, label=hint.label,
                    geometry=hint.geometry, support=0, last_document_id=document_id,
                    created_at=at, updated_at=at, updated_by=actor,
                )  # fmt: skip
                session.add(row)
                session.flush()
        except IntegrityError:  # another clerk learned it a moment ago
            row = _locked(session, partner, hint.kind, hint.field)
            if row is None:
                raise
    before = _state(row) if row.support else None
    if (row.label, row.geometry) != (hint.label, hint.geometry):
        row.label, row.geometry, row.support, row.created_at = hint.label, hint.geometry, 0, at
    row.support += 1
    row.last_document_id, row.updated_at, row.updated_by = document_id, at, actor
    entry = _audit(
        session, "layout.learn", row, before, _state(row) | {"document_id": document_id}, actor, at
    )
    return row, entry


def confirm_hints(
    session: Session,
    *,
    partner: str,
    kind: str,
    fields: Iterable[str],
    read_at: datetime,
    document_id: int,
    actor: str,
    at: datetime,
) -> list[LayoutHintRecord]:
    """Values an order was read with and approved unchanged: each of ``fields``' hints gains one support.

    Only hints in place (at their label) when the order was read, at ``read_at``, and not learned from this document.
    """
    record = LayoutHintRecord
    wanted = list(fields)
    if not wanted:
        return []
    rows = session.scalars(
        select(record)
        .where(record.partner == partner, record.kind == kind, record.field.in_(wanted))
        .with_for_update()
        .order_by(record.id)
    )
    confirmed: list[LayoutHintRecord] = []
    for row in rows:
        if _aware(row.created_at) > _aware(read_at) or row.last_document_id == document_id:
            continue
        before = _state(row)
        row.support += 1
        row.last_document_id, row.updated_at, row.updated_by = document_id, at, actor
        _audit(session, "layout.confirm", row, before, _state(row) | {"document_id": document_id}, actor, at)
        confirmed.append(row)
    return confirmed


def forget_hints(
    session: Session,
    *,
    partner: str,
    actor: str,
    at: datetime,
    field: str | None = None,
    kind: str | None = None,
) -> list[LayoutHintRecord]:
    """Delete ``partner``'s learned hints (only ``field``'s, or ``kind``'s, when given), each with an audit entry."""
    record = LayoutHintRecord
    query = select(record).where(record.partner == partner).with_for_update().order_by(record.id)
    if field is not None:
        query = query.where(record.field == field)
    if kind is not None:
        query = query.where(record.kind == kind)
    gone = list(session.scalars(query))
    for row in gone:
        _audit(session, "layout.forget", row, _state(row), None, actor, at)
        session.delete(row)
    session.flush()
    return gone


def _locked(session: Session, partner: str, kind: str, field: str) -> LayoutHintRecord | None:
    record = LayoutHintRecord
    return session.scalars(
        select(record)
        .where(record.partner == partner, record.kind == kind, record.field == field)
        .with_for_update()
    ).first()


def learned_hints_of(records: Iterable[LayoutHintRecord]) -> list[LayoutHint]:
    return [_hint(row) for row in records]


def _hint(row: LayoutHintRecord) -> LayoutHint:
    from partners import LayoutHint  # with the profiles' models: not for every user of the store

    return LayoutHint(row.kind, row.field, row.label, row.geometry, row.support)  # type: ignore[arg-type]


def _state(row: LayoutHintRecord) -> dict[str, Any]:
    return {"label": row.label, "geometry": row.geometry, "support": row.support}


def _audit(
    session: Session,
    action: str,
    row: LayoutHintRecord,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    actor: str,
    at: datetime,
) -> AuditEntry:
    return record_audit(
        session,
        actor=actor,
        action=action,
        subject_type=HINT_SUBJECT,
        subject_id=f"{row.partner}:{row.kind}:{row.field}",
        before=before,
        after=after,
        at=at,
    )


def _aware(when: datetime) -> datetime:
    """SQLite gives back naive UTC datetimes; PostgreSQL aware ones."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)
