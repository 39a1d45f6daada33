"""Field edits on a canonical order: values in, the changed fields' before and after out.

Pure functions over ``gateway.model.Order``; the caller loads and stores the order. Changed
fields are named as paths a screen can show: ``lines[3].vendor_sku``, ``dates[002]``,
``lines[3].dates[002]``. An edited value keeps its provenance (where the document had it);
the audit log says who changed it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from gateway.model import Channel
from gateway.model import DatedEvent
from gateway.model import Order
from gateway.model import OrderLine
from gateway.model import Quantity

from ._errors import InvalidChange

Changes = tuple[dict[str, Any], dict[str, Any]]
_UOM_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
MAX_PO_NUMBER = 64  # purchase_order.po_number


def find_line(order: Order, line_no: str) -> OrderLine:
    for line in order.lines:
        if line.line_no == line_no:
            return line
    known = ", ".join(line.line_no for line in order.lines) or "none"
    raise InvalidChange(f"the order has no line {line_no} (its lines: {known})")


def set_sku(order: Order, line_no: str, sku: str) -> Changes:
    """The line orders catalog ``sku``: it becomes the vendor SKU, which validation resolves first."""
    line = find_line(order, line_no)
    before = {"vendor_sku": line.vendor_sku, "sku": line.sku}
    line.vendor_sku = sku
    line.sku = sku
    return _diff(f"lines[{line_no}]", before, {"vendor_sku": sku, "sku": sku})


def set_po_number(order: Order, value: str) -> Changes:
    """The PO number as the customer wrote it (a misread or missing one); not on an EDI order."""
    _not_edi(order, "PO number")
    number = value.strip()
    if not number:
        raise InvalidChange("give the PO number")
    if len(number) > MAX_PO_NUMBER:
        raise InvalidChange(f"a PO number is at most {MAX_PO_NUMBER} characters")
    before = {"po_number": order.po_number}
    order.po_number = number
    return _diff("", before, {"po_number": number})


def set_po_date(order: Order, value: date) -> Changes:
    """The PO date as the customer wrote it; not on an EDI order."""
    _not_edi(order, "PO date")
    before = {"po_date": order.po_date.isoformat() if order.po_date else None}
    order.po_date = value
    return _diff("", before, {"po_date": value.isoformat()})


def _not_edi(order: Order, what: str) -> None:
    if order.channel == Channel.X12:
        raise InvalidChange(
            f"an EDI order's {what} is the partner's own (BEG segment); it is not corrected here"
        )


def set_quantity(order: Order, line_no: str, quantity: Decimal | str | None, uom: str | None) -> Changes:
    """A new quantity, unit of measure, or both; the other part stays as it was."""
    if quantity is None and uom is None:
        raise InvalidChange("give a quantity, a unit of measure, or both")
    line = find_line(order, line_no)
    current = line.quantity
    value = parse_quantity(quantity) if quantity is not None else current.value if current else None
    unit = _uom(uom) if uom is not None else current.uom if current else None
    if value is None:
        raise InvalidChange(f"line {line_no} has no quantity: give one with the unit of measure")
    if unit is None:
        raise InvalidChange(f"line {line_no} has no unit of measure: give one with the quantity")
    before = {"quantity": _text(current.value) if current else None, "uom": current.uom if current else None}
    line.quantity = Quantity(value=value, uom=unit)
    return _diff(f"lines[{line_no}]", before, {"quantity": _text(value), "uom": unit})


def set_date(order: Order, qualifier: str, value: date, line_no: str | None = None) -> Changes:
    """A requested date (ship, deliver…) the order already carries, by its qualifier (X12 DTM01)."""
    events = find_line(order, line_no).requested_dates if line_no is not None else order.dates
    where = f"lines[{line_no}].dates[{qualifier}]" if line_no is not None else f"dates[{qualifier}]"
    event = next((e for e in events if e.qualifier == qualifier), None)
    if event is None:
        present = ", ".join(e.qualifier for e in events) or "none"
        scope = f"line {line_no}" if line_no is not None else "the order"
        raise InvalidChange(f"{scope} has no date {qualifier} to correct (its dates: {present})")
    before = {where: event.value.isoformat() if event.value else None}
    _replace(events, event, event.model_copy(update={"value": value, "raw": value.isoformat()}))
    return _diff("", before, {where: value.isoformat()})


def _replace(events: list[DatedEvent], old: DatedEvent, new: DatedEvent) -> None:
    events[events.index(old)] = new


def parse_quantity(raw: Decimal | str) -> Decimal:
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidChange(f"quantity {raw!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise InvalidChange(f"quantity {raw} must be a number above zero")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        raise InvalidChange(f"quantity {raw} has more than 4 decimals")
    return value


def _uom(raw: str) -> str:
    unit = raw.strip().upper()
    if not (1 <= len(unit) <= 8) or not set(unit) <= _UOM_CHARS:
        raise InvalidChange(f"unit of measure {raw!r} must be a code of 1-8 letters or digits, e.g. EA or CA")
    return unit


def _text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _diff(prefix: str, before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """Only what changed, each key under ``prefix``; a change to the same value changes nothing."""
    changed = [key for key in after if before.get(key) != after[key]]
    if not changed:
        raise InvalidChange("that is already the value; nothing to change")
    name = (lambda key: f"{prefix}.{key}") if prefix else (lambda key: key)
    return {name(k): before.get(k) for k in changed}, {name(k): after[k] for k in changed}
