"""The 846 to partners whose profile asks for one: daily on schedule, and soon after a change.

What a partner was last told is the ``inventory_advised`` audit entry written with each 846, in the
same transaction as its outbox row: its ``after`` holds every figure the partner has been told
(``atp``) and when the last scheduled 846 went (``scheduled_at``). A scheduled 846 carries every
SKU the partner buys (the SKUs of its cross-references and of its orders); an on-change 846 only
those whose ATP now differs from what the partner was told, and no sooner than
``debounce_minutes`` after the previous 846, so a burst of orders makes one 846, not one each.
An 846 pyx12 refuses stays ``invalid`` in the outbox and tells the partner nothing: its figures
go again with the next on-change 846 (still no sooner than the debounce).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from emitters import x12_846
from gateway import storage
from gateway.inbound.atp import atp
from gateway.model.outbound import AdviceReason
from gateway.model.outbound import InventoryAdvice
from gateway.model.outbound import StockLine
from gateway.model.status import OutboxStatus
from gateway.outbound.outbox import emit_and_store
from partners import PartnerProfile

ADVISED = "inventory_advised"
ACTOR = "gateway:846"


def assortment(session: Session, profile: PartnerProfile) -> dict[str, str | None]:
    """Every SKU ``profile``'s partner buys, with its part number for the SKU where it has one."""
    xref = storage.CustomerPartXref
    skus: dict[str, str | None] = {
        sku: part
        for sku, part in session.execute(
            select(xref.sku, xref.customer_part).where(xref.customer_account == profile.customer_account)
        )
    }
    order, line = storage.PurchaseOrder, storage.OrderLineRecord
    ordered = session.scalars(
        select(line.sku)
        .distinct()
        .join(order, order.id == line.order_id)
        .where(order.partner == profile.name, line.sku.is_not(None))
    )
    for sku in ordered:
        if sku is not None:
            skus.setdefault(sku, None)
    return skus


def last_told(session: Session, partner: str) -> dict[str, Any]:
    """The ``after`` of the partner's latest ``inventory_advised`` entry; ``{}`` before its first 846."""
    audit = storage.AuditEntry
    found = session.scalars(
        select(audit.after)
        .where(audit.action == ADVISED, audit.subject_type == "partner", audit.subject_id == partner)
        .order_by(audit.id.desc())
        .limit(1)
    ).first()
    return dict(found or {})


def advise(session: Session, profile: PartnerProfile, *, now: datetime) -> int | None:
    """Queue the 846 ``profile``'s partner is due now, if any; returns its outbox id.

    Runs in the caller's transaction (``emit_and_store`` draws the control numbers there).
    """
    settings = profile.inventory_advice
    if settings is None:
        return None
    parts = assortment(session, profile)
    figures = atp(session, parts, profile.stock)
    told = last_told(session, profile.name)
    told_atp = {sku: Decimal(value) for sku, value in told.get("atp", {}).items()}
    scheduled_at = datetime.fromisoformat(told["scheduled_at"]) if told.get("scheduled_at") else None
    reason = _due(settings.daily_at, settings.on_change, settings.debounce_minutes, now, told, scheduled_at)
    if reason is AdviceReason.SCHEDULE:
        sending = set(figures)
    else:  # on change, or nothing due
        sending = {sku for sku, value in figures.items() if told_atp.get(sku) != value}
    if reason is None or not sending:
        return None
    products = {
        p.sku: p
        for p in session.scalars(select(storage.Product).where(storage.Product.sku.in_(sorted(sending))))
    }
    advice = InventoryAdvice(
        reference=f"ATP{now:%Y%m%d%H%M%S}",
        as_of=now,
        reason=reason,
        lines=[
            StockLine(
                sku=sku,
                available=figures[sku],
                uom=products[sku].uom if sku in products else "EA",
                buyer_part=parts.get(sku),
                upc=products[sku].upc if sku in products else None,
            )
            for sku in sorted(sending)
        ],
    )
    outbox_id = emit_and_store(
        session, profile, lambda numbers: x12_846.emit(advice, profile, numbers=numbers, when=now), when=now
    )
    record = session.get(storage.OutboundRecord, outbox_id)
    refused = (
        record is not None and record.status == OutboxStatus.INVALID
    )  # pyx12 refused it: it cannot leave
    after = {  # a refused 846 told the partner nothing: its figures are not recorded, so they go again
        "atp": {**told.get("atp", {}), **({} if refused else {sku: str(figures[sku]) for sku in sending})},
        "scheduled_at": now.isoformat() if reason is AdviceReason.SCHEDULE else told.get("scheduled_at"),
        "at": now.isoformat(),
        "reason": reason.value,
        "outbox_id": outbox_id,
        "skus": len(sending),
        "refused": refused,
    }
    storage.record_audit(
        session,
        actor=ACTOR,
        action=ADVISED,
        subject_type="partner",
        subject_id=profile.name,
        after=after,
        at=now,
    )
    return outbox_id


def _due(
    daily_at: tuple[int, int] | None,
    on_change: bool,
    debounce_minutes: float,
    now: datetime,
    told: dict[str, Any],
    scheduled_at: datetime | None,
) -> AdviceReason | None:
    """Which 846, if any, is due at ``now``: the day's scheduled one first, else an on-change one."""
    if daily_at is not None:
        slot = now.replace(hour=daily_at[0], minute=daily_at[1], second=0, microsecond=0)
        if now >= slot and (scheduled_at is None or scheduled_at < slot):
            return AdviceReason.SCHEDULE
    if on_change:
        last = datetime.fromisoformat(told["at"]) if told.get("at") else None
        if last is None or now - last >= timedelta(minutes=debounce_minutes):
            return AdviceReason.CHANGE
    return None


def advise_all(
    sessions: sessionmaker[Session], profiles: Iterable[PartnerProfile], *, clock: Callable[[], datetime]
) -> list[int]:
    """One poll of the scheduler's ``846`` job: each partner's due 846, each in a transaction of its own."""
    queued: list[int] = []
    for profile in profiles:
        if profile.inventory_advice is None:
            continue
        with sessions() as session, session.begin():
            outbox_id = advise(session, profile, now=clock())
        if outbox_id is not None:
            queued.append(outbox_id)
    return queued
