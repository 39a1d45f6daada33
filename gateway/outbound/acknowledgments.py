"""From a decided order to its 855: what each finding means to the partner, line by line.

An accepted order with nothing changed is acknowledged AD; one with anything changed on the
way AC: a quantity or price (an auto-fix, a partial or backordered line, a desk correction), an
item (IS), a line removed or cut to nothing (IR), a line split (one ACK per part), or a header
value the desk corrected (ship-to, dates, currency). A rejected one is RD, every line IR, with
the reasons. Each PO1 answers one line the buyer sent, with the buyer's line number and their
identifiers as they sent them; the item we ship instead is named in the IS ACK. Orders still
in the exception queue get no 855 until the order desk decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from pydantic import BaseModel

from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.outbound import AckLine
from gateway.model.outbound import AckType
from gateway.model.outbound import LineAck
from gateway.model.outbound import LineStatus
from gateway.model.outbound import OrderAcknowledgment
from gateway.model.status import OrderStatus

_DEFAULT_UOM = "EA"
_HEADER = ("po_number", "po_date", "currency", "dates", "parties", "partner")


def acknowledgment_for(
    order: Order,
    findings: Sequence[Mapping[str, Any]],
    status: str,
    today: date,
    *,
    received: Order | None = None,
) -> OrderAcknowledgment:
    """The 855 for an order the gateway (or the order desk) accepted or rejected.

    ``received`` is the order as it stood before the desk changed it (None: unchanged). Each of
    its lines is answered once, by the buyer's line number and identifiers: a line the desk
    removed is IR, a line it split has one ACK per part, a line with another item IS.
    """
    if status not in (OrderStatus.ACCEPTED, OrderStatus.REJECTED):
        raise ValueError(
            f"an order {str(status)!r} is not decided; only accepted or rejected orders get an 855"
        )
    sent = received or order
    by_line: dict[str, list[Mapping[str, Any]]] = {}
    for finding in findings:
        if finding.get("line_no") is not None:
            by_line.setdefault(str(finding["line_no"]), []).append(finding)
    asked = {line.line_no for line in sent.lines}
    parts: dict[str, list[OrderLine]] = {}
    added: list[OrderLine] = []
    for line in order.lines:
        origin = line.line_no if line.line_no in asked else line.split_from
        if origin in asked and origin is not None:
            parts.setdefault(origin, []).append(line)
        else:
            added.append(line)
    rejected = status == OrderStatus.REJECTED
    lines = [_answer(line, parts.get(line.line_no, []), by_line, rejected) for line in sent.lines]
    changed = (
        any(a.status != LineStatus.ACCEPTED for line in lines for a in line.acks)
        or bool(added)
        or header_changed(sent, order)
    )
    if rejected:
        ack_type = AckType.REJECTED
        reasons = [f["message"] for f in findings if f.get("action") == "reject"]
    else:
        ack_type = AckType.CHANGED if changed else AckType.ACCEPTED
        reasons = [
            f["message"] for f in findings if f.get("action") in ("auto_fix", "warn") and changes_line(f)
        ]
        reasons += [_added(line) for line in added]
    return OrderAcknowledgment(
        po_number=order.po_number or "",
        po_date=order.po_date,
        ack_type=ack_type,
        ack_date=today,
        currency=order.currency,
        ship_to=order.ship_to,
        reasons=reasons,
        lines=lines,
    )


def header_changed(sent: Order, order: Order) -> bool:
    """Whether the order's header (PO, dates, currency, parties) differs from what the buyer sent."""
    return any(_plain(getattr(sent, name)) != _plain(getattr(order, name)) for name in _HEADER)


def changes_line(finding: Mapping[str, Any]) -> bool:
    """Whether a non-blocking finding changed what the partner gets (quantity or price)."""
    code, action = finding.get("code"), finding.get("action")
    if code == "short_stock":
        return (finding.get("details") or {}).get("disposition") in ("backorder", "partial")
    return action == "auto_fix" and code in ("price_mismatch", "pack_multiple")


def _answer(
    sent: OrderLine, parts: list[OrderLine], by_line: Mapping[str, list[Mapping[str, Any]]], rejected: bool
) -> AckLine:
    """One PO1 for a line the buyer sent: its own number and identifiers, and one ACK per part now."""
    uom = (sent.quantity.uom if sent.quantity else None) or _DEFAULT_UOM
    ordered = sent.quantity.value if sent.quantity else Decimal(0)
    for part in parts:  # a quantity the pipeline changed at intake says what was ordered
        for finding in by_line.get(part.line_no, []):
            if changes_line(finding) and _cuts_quantity(finding) and len(parts) == 1:
                ordered = _decimal(finding.get("received"), ordered)
    acks: list[LineAck] = []
    if rejected or not parts:  # rejected, or removed on the desk
        acks.append(LineAck(status=LineStatus.REJECTED, quantity=ordered, uom=uom))
    else:
        split = len(parts) > 1
        for part in parts:
            acks += _part(sent, part, by_line.get(part.line_no, []), uom, ordered, split)
        shipped = sum((a.quantity for a in acks if a.status != LineStatus.REJECTED), Decimal(0))
        if split and shipped != ordered and not any(a.status != LineStatus.ACCEPTED for a in acks):
            acks[-1] = acks[-1].model_copy(update={"status": LineStatus.QUANTITY_CHANGED})
    first = parts[0] if parts and not rejected else sent
    return AckLine(
        line_no=sent.line_no,
        ordered=ordered,
        uom=uom,
        unit_price=first.unit_price,
        sku=sent.vendor_sku
        or (None if _substituted(sent, first, by_line.get(first.line_no, [])) else first.sku),
        buyer_part=sent.buyer_part,
        upc=sent.upc,
        description=sent.description,
        acks=acks,
    )


def _part(
    sent: OrderLine,
    line: OrderLine,
    findings: list[Mapping[str, Any]],
    uom: str,
    ordered: Decimal,
    split: bool,
) -> list[LineAck]:
    """The ACKs for one line as it stands (the whole line the buyer sent, or one part of a split)."""
    unit = (line.quantity.uom if line.quantity else None) or uom
    now = line.quantity.value if line.quantity else Decimal(0)
    asked = now if split else ordered
    statuses: list[LineStatus] = []
    backordered = Decimal(0)
    for finding in findings:
        if not changes_line(finding):
            continue
        if finding["code"] == "price_mismatch":
            statuses.append(LineStatus.PRICE_CHANGED)
        elif _cuts_quantity(finding):
            statuses.append(LineStatus.QUANTITY_CHANGED)
        else:  # backorder: what cannot ship now is still owed
            available = _decimal(finding.get("expected"), now)
            backordered = now - available
            now = available
    # what the desk changed against what the buyer sent
    if not split and now + backordered != ordered and LineStatus.QUANTITY_CHANGED not in statuses:
        statuses.append(LineStatus.QUANTITY_CHANGED)
    if line.unit_price != sent.unit_price and LineStatus.PRICE_CHANGED not in statuses:
        statuses.append(LineStatus.PRICE_CHANGED)
    out: list[LineAck] = []
    if now <= 0 and not backordered:  # cut to nothing: the line is not shipped
        return [LineAck(status=LineStatus.REJECTED, quantity=asked, uom=unit)]
    if _substituted(sent, line, findings):
        ids = [("BP", sent.buyer_part)] if sent.buyer_part else []
        ours = line.sku or line.vendor_sku
        status, ids = LineStatus.SUBSTITUTED, ids + ([("VN", ours)] if ours else [])
    else:
        ids = []
        status = (
            statuses[0] if len(statuses) == 1 else LineStatus.CHANGED if statuses else LineStatus.ACCEPTED
        )
    if now > 0:
        out.append(LineAck(status=status, quantity=now, uom=unit, product_ids=ids))
    if backordered > 0:
        out.append(LineAck(status=LineStatus.BACKORDERED, quantity=backordered, uom=unit))
    return out


def _substituted(sent: OrderLine, line: OrderLine, findings: Sequence[Mapping[str, Any]]) -> bool:
    """Another item than the buyer's: the desk picked one, or validation auto-fixed an unknown item."""
    picked = line.vendor_sku is not None and line.vendor_sku != sent.vendor_sku
    fixed = any(f.get("code") == "unknown_item" and f.get("action") == "auto_fix" for f in findings)
    return picked or fixed


def _cuts_quantity(finding: Mapping[str, Any]) -> bool:
    return (
        finding.get("code") == "pack_multiple"
        or (finding.get("details") or {}).get("disposition") == "partial"
    )


def _added(line: OrderLine) -> str:
    item = line.sku or line.vendor_sku or line.description or "an item"
    quantity = (
        f" {line.quantity.value.normalize():f} {line.quantity.uom or ''}".rstrip() if line.quantity else ""
    )
    return f"line {line.line_no} added by the seller:{quantity} {item}"


def _plain(value: Any) -> Any:
    """A value without its provenance: what it says, not where it was read."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "provenance"}
    return value


def _decimal(text: Any, default: Decimal) -> Decimal:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return default
