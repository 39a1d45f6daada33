"""A partner's change or cancellation of a PO we hold (850 BEG01 01/04/05): what it does to the stored order.

A cancellation cancels the order; a change replaces its canonical as a new version. Either way the
stock the order took goes back and its value stops counting towards credit, in the caller's
transaction; a change then takes stock and counts again as validation decides. An order already
shipped or invoiced is not changed here: the change waits on the desk (``shipped``).
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

import validators
from gateway import storage
from gateway.inbound.rows import replace_findings
from gateway.inbound.rows import replace_lines
from gateway.inbound.validation import LiveStock
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.outbound import AckType
from gateway.model.outbound import OrderAcknowledgment
from gateway.model.status import AlertKind
from gateway.model.status import OrderStatus
from gateway.outbound.outbox import queue_erp_payload
from gateway.outbound.outbox import store_acknowledgment
from partners import PartnerProfile

SUBJECT = "purchase_order"  # the audit subject, as the desk's (gateway.desk._locking.SUBJECT)
_OPEN = (OrderStatus.ACCEPTED, OrderStatus.EXCEPTION)
_SHIPPING_DOCUMENTS = ("856", "810")


def original_of(session: Session, account: str, key: str) -> storage.PurchaseOrder | None:
    """The open order (accepted or waiting on the desk) with PO ``key`` of customer ``account``, locked."""
    order = storage.PurchaseOrder
    return session.scalars(
        select(order)
        .where(order.customer_account == account, order.po_key == key, order.status.in_(_OPEN))
        .order_by(order.id)
        .limit(1)
        .with_for_update()
    ).first()


def applied(old: Order, change: Order) -> Order:
    """The order as the change leaves it: a whole order (850 BEG01 04/05) replaces the old one; an 860's
    line changes (POC) apply to the old lines. The result keeps the original's purpose."""
    keep = {"purpose": old.purpose, "purpose_code": old.purpose_code}
    if not any(line.change for line in change.lines):
        return change.model_copy(update=keep)
    order = old.model_copy(deep=True, update=keep)
    for field_name in ("po_date", "currency", "ship_to"):
        if getattr(change, field_name) is not None:
            setattr(order, field_name, getattr(change, field_name))
    if change.dates:
        order.dates = change.dates
    for poc in change.lines:
        code = (poc.change or "").upper()
        index = next((i for i, line in enumerate(order.lines) if line.line_no == poc.line_no), None)
        if code == "DI":
            if index is not None:
                del order.lines[index]
            continue
        if index is None:  # AI, or a change to a line the order lacks: the line as the 860 gives it
            order.lines.append(poc.model_copy(update={"change": None}))
            continue
        line = order.lines[index]
        updates = {
            name: getattr(poc, name)
            for name in (
                "quantity",
                "unit_price",
                "price_basis",
                "vendor_sku",
                "buyer_part",
                "upc",
                "description",
            )
            if getattr(poc, name) is not None
        }
        if updates.get("quantity") is not None and updates["quantity"].uom is None and line.quantity:
            updates["quantity"] = updates["quantity"].model_copy(update={"uom": line.quantity.uom})
        if poc.requested_dates:
            updates["requested_dates"] = poc.requested_dates
        order.lines[index] = line.model_copy(update=updates)
    return order


def shipped(session: Session, stored: storage.PurchaseOrder) -> bool:
    """An 856 or an 810 went out for the order, or it is invoiced."""
    if stored.invoiced_at is not None:
        return True
    record = storage.OutboundRecord
    sent = session.scalar(
        select(func.count())
        .select_from(record)
        .where(record.order_id == stored.id, record.kind.in_(_SHIPPING_DOCUMENTS))
    )
    return bool(sent)


def allocations_json(allocations: Mapping[str, Decimal] | None) -> dict[str, str] | None:
    """How ``purchase_order.allocations`` keeps what an order took: ``{}`` when it took nothing, None
    when it takes nothing (not accepted) or, in a store from before 0020, when it is not known."""
    if allocations is None:
        return None
    return {sku: str(quantity) for sku, quantity in allocations.items() if quantity > 0}


def derived_allocations(
    order: Order, short_stock: Mapping[str, Decimal], master: validators.MasterData, *, account: str | None
) -> dict[str, Decimal]:
    """What an accepted order took from stock, worked out again from the order as stored.

    The order goes through ``validators.validate`` as the pipeline ran it, with unlimited stock, so each
    line takes its quantity in catalog units; ``short_stock`` (line number -> quantity, from the order's
    ``short_stock`` findings) caps a line stock could not cover to what it could. Lines keep the SKU
    validation settled on, and nothing is auto-fixed again (the default policy).
    """
    order = order.model_copy(deep=True)
    for line in order.lines:
        if line.sku:
            line.vendor_sku = line.sku
        cap = short_stock.get(line.line_no or "")
        if cap is not None and line.quantity is not None and cap < line.quantity.value:
            line.quantity = line.quantity.model_copy(update={"value": max(cap, Decimal(0))})
    context = validators.ValidationContext(
        master=master,
        policy=validators.ValidationPolicy(),
        today=order.po_date or date.min,
        customer_account=account,
        available=_UNLIMITED,
    )
    return validators.validate(order, context).allocations


def backfill_allocations(session: Session, master: validators.MasterData, *, when: datetime) -> int:
    """Record what each accepted order from before 0020 took (``allocations`` NULL); returns how many.

    Each gets what ``derived_allocations`` says, newest first, but never more of a SKU than is allocated
    in the inventory and not held by the orders that recorded theirs: stock a reload of the inventory
    already gave back (or that an order accepted before validation never took) is not given back twice.
    It cannot tell stock the ERP allocated itself from a legacy order's. An order left with nothing
    records ``{}``; one whose stored order cannot be read stays NULL, with an alert saying so.
    """
    order, inventory, finding = storage.PurchaseOrder, storage.InventoryLevel, storage.Finding
    free = {
        sku: Decimal(total)
        for sku, total in session.execute(
            select(inventory.sku, func.sum(inventory.allocated)).group_by(inventory.sku)
        )
    }
    rows = session.execute(
        select(order.id, order.partner, order.customer_account, order.canonical, order.allocations)
        .where(order.status == OrderStatus.ACCEPTED)
        .order_by(order.id.desc())
    ).all()
    for row in rows:
        for sku, text in (row.allocations or {}).items():
            free[sku] = free.get(sku, Decimal(0)) - Decimal(text)
    legacy = [row for row in rows if row.allocations is None]
    for row in legacy:
        try:
            stored = Order.model_validate(row.canonical)
        except ValidationError as exc:
            # Only migration 0021 runs this, before ``alert`` had its later columns and notifications:
            # so the row is written with 0021's columns, not by ``gateway.alerts.raise_alert``.
            session.execute(
                insert(storage.Alert),
                {
                    "at": when,
                    "kind": AlertKind.ALLOCATIONS,
                    "partner": row.partner,
                    "message": f"order {row.id}: the stock it took is not known (its stored order cannot be "
                    f"read: {exc.errors()[0]['msg']}); a change or cancellation gives back its credit only",
                },
            )
            continue
        short = {
            line_no: Decimal(expected)
            for line_no, expected in session.execute(
                select(finding.line_no, finding.expected).where(
                    finding.order_id == row.id,
                    finding.code == validators.FindingCode.SHORT_STOCK.value,
                )
            )
            if line_no is not None and expected is not None
        }
        given: dict[str, Decimal] = {}
        for sku, quantity in derived_allocations(stored, short, master, account=row.customer_account).items():
            given[sku] = min(quantity, max(free.get(sku, Decimal(0)), Decimal(0)))
            free[sku] = free.get(sku, Decimal(0)) - given[sku]
        session.execute(update(order).where(order.id == row.id).values(allocations=allocations_json(given)))
    return len(legacy)


def release_stock(session: Session, stored: storage.PurchaseOrder, stock: LiveStock | None = None) -> None:
    """Give back the stock the order took (``LiveStock.release``: never below zero). ``stock``: the
    validator's live figures, so an order validated later in the transaction sees it free."""
    stock = stock or LiveStock(session)
    for sku, text in (stored.allocations or {}).items():
        stock.release(sku, Decimal(text))
    stored.allocations = None


def held_allocations(stored: storage.PurchaseOrder) -> dict[str, Decimal]:
    """The stock the order holds, per SKU (``{}`` when none or not known)."""
    return {sku: Decimal(text) for sku, text in (stored.allocations or {}).items()}


def retake_stock(stock: LiveStock, stored: storage.PurchaseOrder, held: Mapping[str, Decimal]) -> None:
    """Take ``held`` again (just given back in this transaction, so it is free) and record it."""
    stock.prefetch(held)
    for sku, quantity in held.items():
        stock.allocate(sku, quantity)
    stored.allocations = allocations_json(held)


def superseded(
    stored: storage.PurchaseOrder,
    findings: list[dict[str, Any]],
    *,
    purpose: str,
    changes: Mapping[str, str] | None,
    document_id: int,
) -> dict[str, Any]:
    """The version in force of an accepted order whose partner change waits on the desk, as
    ``purchase_order.superseded`` keeps it: what refusing the change puts back, and how to answer."""
    return {
        "canonical": stored.canonical,
        "received_canonical": stored.received_canonical,
        "order_total": None if stored.order_total is None else str(stored.order_total),
        "findings": findings,
        "purpose": purpose,
        "changes": dict(changes) if changes is not None else None,
        "document_id": document_id,
    }


def differences(old: Order, new: Order) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a change changes, before and after, in words: PO date, ship-to and each line that differs."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if old.po_date != new.po_date:
        before["po_date"], after["po_date"] = _text(old.po_date), _text(new.po_date)
    old_ship = old.ship_to.id if old.ship_to else None
    new_ship = new.ship_to.id if new.ship_to else None
    if old_ship != new_ship:
        before["ship_to"], after["ship_to"] = old_ship, new_ship
    old_lines = {line.line_no: line for line in old.lines}
    new_lines = {line.line_no: line for line in new.lines}
    was: list[str] = []
    now: list[str] = []
    for line_no in [*old_lines, *(n for n in new_lines if n not in old_lines)]:
        first, second = old_lines.get(line_no), new_lines.get(line_no)
        both = first is not None and second is not None
        with_price = both and first.unit_price != second.unit_price  # type: ignore[union-attr]
        with_item = both and _item(first) != _item(second)
        shown = (_line(first, with_price, with_item), _line(second, with_price, with_item))
        if shown[0] != shown[1]:
            was.append(f"line {line_no}: {shown[0]}")
            now.append(f"line {line_no}: {shown[1]}")
    if was:
        before["lines"], after["lines"] = was, now
    return before, after


def described(before: dict[str, Any], after: dict[str, Any]) -> str:
    """``line 1: 24 EA -> 48 EA; po_date: … -> …``: the difference in one line of text."""
    parts: list[str] = []
    for key, value in before.items():
        if key == "lines":
            parts += [f"{was} -> {now.split(': ', 1)[1]}" for was, now in zip(value, after[key], strict=True)]
        else:
            parts.append(f"{key}: {value} -> {after[key]}")
    return "; ".join(parts) or "nothing the order keeps"


def restore_in_force(session: Session, stored: storage.PurchaseOrder, when: datetime) -> Order:
    """Put back the version in force a partner's change replaced (``stored.superseded``): its canonical,
    total, lines and findings, accepted again. The stock it holds is the caller's; returns that order."""
    kept = stored.superseded or {}
    restored = Order.model_validate(kept["canonical"])
    stored.canonical, stored.received_canonical = kept["canonical"], kept.get("received_canonical")
    stored.order_total = None if kept.get("order_total") is None else Decimal(kept["order_total"])
    stored.line_count, stored.po_date, stored.currency = (
        len(restored.lines),
        restored.po_date,
        restored.currency,
    )
    replace_lines(session, stored.id, restored)
    findings = kept.get("findings") or []  # each with the document it came from
    replace_findings(session, stored.id, findings, document_id=stored.document_id, when=when)
    stored.superseded = None
    stored.status = OrderStatus.ACCEPTED
    return restored


def cancel_order(
    session: Session,
    stored: storage.PurchaseOrder,
    cancellation: Order,
    partner: PartnerProfile,
    *,
    erp_kind: str | None,
    when: datetime,
    document_id: int | None,
    answer: bool,
    changes: Mapping[str, str] | None = None,
) -> int | None:
    """Cancel a stored order as the partner's ``cancellation`` asks, whether the gateway applies it or
    the order desk approves it; the caller writes the audit entry.

    The order gives back its stock and, cancelled, stops counting towards credit. The ERP gets its
    cancel of the version it holds (the one in force while a change waits on the desk) when it had
    the order. With ``answer``, the partner gets an 855 BAK01 01 AT, or an 865 for ``changes`` (an
    860's POC02 by line); returns that outbox row's id.
    """
    in_force = Order.model_validate((stored.superseded or {}).get("canonical") or stored.canonical)
    release_stock(session, stored)
    stored.status = OrderStatus.CANCELLED
    stored.superseded = None
    # the ERP's cancel, to the target that had the order (nothing when none had it)
    queue_erp_payload(session, erp_kind, in_force, partner, order_id=stored.id, when=when, cancel=True)
    if not answer:
        return None
    ack = cancellation_ack(stored, cancellation, when)
    return store_acknowledgment(
        session, ack, partner, when=when, document_id=document_id, order_id=stored.id, changes=changes
    )


def cancellation_ack(stored: storage.PurchaseOrder, order: Order, when: datetime) -> OrderAcknowledgment:
    """The 855 answering a cancellation: BAK01 01 (cancellation), BAK02 AT (accepted), no lines."""
    return OrderAcknowledgment(
        po_number=order.po_number or stored.po_number or "",
        po_date=stored.po_date or order.po_date,
        purpose="01",
        ack_type=AckType.CANCELLED,
        ack_date=when.date(),
        currency=stored.currency,
    )


def record(
    session: Session,
    stored: storage.PurchaseOrder,
    *,
    partner: str,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    document_id: int | None,
    when: datetime,
    actor: str | None = None,
) -> None:
    """Bump the order's version and write one audit entry, naming the partner's document; the actor is
    the partner unless a desk user (``actor``) applied it."""
    old = stored.version
    stored.version = old + 1
    storage.record_audit(
        session,
        actor=actor or f"partner:{partner}",
        action=action,
        subject_type=SUBJECT,
        subject_id=str(stored.id),
        before={"version": old, **before},
        after={"version": stored.version, **after, "document_id": document_id},
        at=when,
    )


def applied_from(session: Session, stored: storage.PurchaseOrder, document_id: int) -> bool:
    """Whether the partner's document ``document_id`` already changed or cancelled ``stored`` (it is
    being processed again): a change applies once."""
    entry = storage.AuditEntry
    afters = session.scalars(
        select(entry.after).where(
            entry.subject_type == SUBJECT,
            entry.subject_id == str(stored.id),
            entry.action.in_(("partner_change", "partner_cancel")),
        )
    )
    return any(after and after.get("document_id") == document_id for after in afters)


class _Unlimited(Mapping[str, Decimal]):
    """Stock enough for any line: what ``derived_allocations`` validates against."""

    def __getitem__(self, sku: str) -> Decimal:
        return Decimal("Infinity")

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


_UNLIMITED = _Unlimited()


def _line(line: OrderLine | None, with_price: bool, with_item: bool) -> str:
    if line is None:
        return "(none)"
    quantity = line.quantity
    text = f"{_text(quantity.value)} {quantity.uom or ''}".strip() if quantity else "no quantity"
    item = line.vendor_sku or line.buyer_part or line.upc
    text = f"{text} of {item}" if with_item and item else text
    return f"{text} at {_text(line.unit_price)}" if with_price else text


def _item(line: OrderLine | None) -> tuple[str | None, ...]:
    return (line.vendor_sku, line.buyer_part, line.upc) if line else ()


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return "" if value is None else str(value)
