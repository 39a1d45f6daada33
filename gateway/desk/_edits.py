"""Field edits on a canonical order: values in, the changed fields' before and after out.

Pure functions over ``gateway.model.order.Order``; the caller loads and stores the order. Changed
fields are named as paths a screen can show: ``lines[3].vendor_sku``, ``dates[002]``,
``lines[3].dates[002]``, ``ship_to.city``, ``lines[4-2]`` (a whole line added, split off or
removed). ``mark_keyed`` then stamps each changed value's provenance "keyed by USER at TIME",
keeping where the document had the value it replaced; the audit log has the before and after.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from gateway.model.order import Address
from gateway.model.order import Channel
from gateway.model.order import DatedEvent
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Party
from gateway.model.order import Provenance
from gateway.model.order import Quantity
from gateway.model.order import Traced

from ._errors import InvalidChange

Changes = tuple[dict[str, Any], dict[str, Any]]
_UOM_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
MAX_PO_NUMBER = 64  # purchase_order.po_number
MAX_TEXT = 80  # a name or address line, as the 855's N1/N3 carry it
# Requested dates an order may be given on the desk when the document had none (X12 DTM01).
REQUESTED_DATES = ("002", "010", "037", "038", "063", "064")
SHIP_TO_FIELDS = ("name", "id", "lines", "city", "region", "postal_code", "country")
_PATH = re.compile(r"^(?:lines\[(?P<line>[^\]]+)\]\.?)?(?P<rest>.*)$")


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
            f"an EDI order's {what} is the partner's own (its 850 says it); it is not corrected here"
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


def set_price(order: Order, line_no: str, price: Decimal | str) -> Changes:
    """A line's unit price as the document has it (a misread or missing one); an agreed price is
    checked against it on approval, as the pipeline checks it. Not on an EDI order."""
    _not_edi(order, "unit price")
    line = find_line(order, line_no)
    value = parse_price(price)
    before = {"unit_price": _text(line.unit_price) if line.unit_price is not None else None}
    line.unit_price = value
    return _diff(f"lines[{line_no}]", before, {"unit_price": _text(value)})


def set_date(order: Order, qualifier: str, value: date, line_no: str | None = None) -> Changes:
    """A requested date (ship, deliver…) the order already carries, by its qualifier (X12 DTM01)."""
    events = find_line(order, line_no).requested_dates if line_no is not None else order.dates
    where = f"lines[{line_no}].dates[{qualifier}]" if line_no is not None else f"dates[{qualifier}]"
    event = next((e for e in events if e.qualifier == qualifier), None)
    if event is None and qualifier in REQUESTED_DATES:  # a requested date the document did not give
        events.append(DatedEvent(qualifier=qualifier, value=value, raw=value.isoformat()))
        return _diff("", {where: None}, {where: value.isoformat()})
    if event is None:
        present = ", ".join(e.qualifier for e in events) or "none"
        scope = f"line {line_no}" if line_no is not None else "the order"
        raise InvalidChange(
            f"{scope} has no date {qualifier} to correct (its dates: {present}); "
            f"a date can be added as one of {', '.join(REQUESTED_DATES)}"
        )
    before = {where: event.value.isoformat() if event.value else None}
    _replace(events, event, event.model_copy(update={"value": value, "raw": value.isoformat()}))
    return _diff("", before, {where: value.isoformat()})


def set_customer(order: Order, partner: str) -> Changes:
    """The customer (partner profile) the order is from; not on an EDI order, whose sender is its ISA ID."""
    _not_edi(order, "customer")
    before = {"customer": order.partner}
    order.partner = partner
    return _diff("", before, {"customer": partner})


def set_currency(order: Order, code: str) -> Changes:
    """The order's currency, an ISO 4217 code such as USD or EUR."""
    currency = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise InvalidChange(f"currency {code!r} must be a three-letter ISO code, e.g. USD or EUR")
    before = {"currency": order.currency}
    order.currency = currency
    return _diff("", before, {"currency": currency})


def set_ship_to(order: Order, values: dict[str, str | None]) -> Changes:
    """The ship-to party (N1*ST): name, id, address lines (one per line of text), city, region,
    postal code, country. A field left out keeps its value; an empty one is cleared."""
    party = order.ship_to
    if party is None:
        party = Party(role="ST")
        order.parties.append(party)
    address = party.address or Address()
    current = _ship_to_values(party)
    wanted = dict(current)
    for name, raw in values.items():
        if name not in SHIP_TO_FIELDS:
            raise InvalidChange(f"the ship-to has no field {name!r}")
        if raw is None:
            continue
        text = (
            "\n".join(" ".join(part.split()) for part in raw.splitlines() if part.strip())
            if name == "lines"
            else " ".join(raw.split())
        )
        if (text or None) == current[name]:
            continue  # as it was: only what the clerk changed is checked
        if any(len(part) > MAX_TEXT for part in text.splitlines() or [text]):
            raise InvalidChange(f"ship-to {name.replace('_', ' ')} is longer than {MAX_TEXT} characters")
        if name == "country" and text and not re.fullmatch(r"[A-Za-z]{2,3}", text):
            raise InvalidChange("the ship-to country is a two- or three-letter code, e.g. US or DE")
        wanted[name] = text or None
    if not any(wanted.values()):
        raise InvalidChange("give the ship-to a name, an id or an address")
    party.name, party.id = wanted["name"], wanted["id"]
    address.lines = (wanted["lines"] or "").splitlines()
    address.city, address.region = wanted["city"], wanted["region"]
    address.postal_code = wanted["postal_code"]
    address.country = (
        wanted["country"].upper()
        if wanted["country"] and wanted["country"] != current["country"]
        else wanted["country"]
    )
    party.address = address
    return _diff("ship_to", current, wanted)


def _ship_to_values(party: Party) -> dict[str, str | None]:
    address = party.address or Address()
    return {
        "name": party.name,
        "id": party.id,
        "lines": "\n".join(address.lines) or None,
        "city": address.city,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
    }


def add_line(
    order: Order, sku: str, quantity: Decimal | str, uom: str, unit_price: Decimal | str | None
) -> Changes:
    """A line the document has but the reader missed, ordering catalog ``sku``; not on an EDI order."""
    if order.channel == Channel.X12:
        raise InvalidChange(
            "an EDI order's lines are the partner's own; a line it did not send cannot be acknowledged "
            "in its 855: ask the partner for a change order"
        )
    line_no = _next_line_no(order, None)
    line = OrderLine(
        line_no=line_no,
        vendor_sku=sku,
        sku=sku,
        quantity=Quantity(value=parse_quantity(quantity), uom=_uom(uom)),
        unit_price=parse_price(unit_price) if unit_price not in (None, "") else None,
    )
    order.lines.append(line)
    return _diff("", {}, {f"lines[{line_no}]": _line_summary(line)})


def remove_line(order: Order, line_no: str) -> Changes:
    """Take a line off the order (an EDI order's 855 then answers it IR); the last line stays."""
    line = find_line(order, line_no)
    if len(order.lines) == 1:
        raise InvalidChange(f"line {line_no} is the order's only line; reject the order instead")
    order.lines.remove(line)
    return _diff("", {f"lines[{line_no}]": _line_summary(line)}, {f"lines[{line_no}]": None})


def split_line(order: Order, line_no: str, quantity: Decimal | str) -> Changes:
    """Split ``quantity`` off a line into a new line right after it; the two quantities sum to the old one."""
    line = find_line(order, line_no)
    if line.quantity is None:
        raise InvalidChange(f"line {line_no} has no quantity to split")
    if line.distribution:
        raise InvalidChange(f"line {line_no} is shared out to stores (SDQ); it cannot be split here")
    part = parse_quantity(quantity)
    if part >= line.quantity.value:
        raise InvalidChange(
            f"split off less than line {line_no}'s {_text(line.quantity.value)}; both parts must be above zero"
        )
    origin = line.split_from or line.line_no
    new_no = _next_line_no(order, origin)
    rest = line.quantity.value - part
    new = line.model_copy(
        deep=True,
        update={
            "line_no": new_no,
            "split_from": origin,
            "quantity": Quantity(value=part, uom=line.quantity.uom),
        },
    )
    line.quantity = Quantity(value=rest, uom=line.quantity.uom)
    order.lines.insert(order.lines.index(line) + 1, new)
    return _diff(
        "",
        {f"lines[{line_no}].quantity": _text(rest + part)},
        {f"lines[{line_no}].quantity": _text(rest), f"lines[{new_no}]": _line_summary(new)},
    )


def _next_line_no(order: Order, origin: str | None) -> str:
    """A new line's number: the next whole number, or ``ORIGIN-2``, ``ORIGIN-3``… for a split part."""
    taken = {line.line_no for line in order.lines}
    if origin is not None:
        n = 2
        while f"{origin}-{n}" in taken:
            n += 1
        return f"{origin}-{n}"
    numbers = [int(no) for no in taken if no.isdigit()]
    n = max(numbers, default=0) + 1
    while str(n) in taken:
        n += 1
    return str(n)


def _line_summary(line: OrderLine) -> dict[str, Any]:
    """A line as its audit entry shows it."""
    return {
        "sku": line.sku or line.vendor_sku,
        "buyer_part": line.buyer_part,
        "quantity": _text(line.quantity.value) if line.quantity else None,
        "uom": line.quantity.uom if line.quantity else None,
        "unit_price": _text(line.unit_price) if line.unit_price is not None else None,
    }


def mark_keyed(order: Order, paths: Iterable[str], by: str, at: str) -> None:
    """Stamp each changed value's provenance "keyed by ``by`` at ``at``" (paths as the edits name them)."""
    for path in paths:
        found = _PATH.match(path)
        assert found is not None  # the pattern matches any text
        line_no, rest = found.group("line"), found.group("rest")
        if line_no is not None:
            line = next((x for x in order.lines if x.line_no == line_no), None)
            if line is None:  # removed: nothing left to stamp
                continue
            if not rest:  # a whole line added or split off: each of its values
                names = [
                    n for n in ("vendor_sku", "sku", "quantity", "unit_price") if getattr(line, n) is not None
                ]
                _stamp(line, names, by, at)
            elif rest.startswith("dates["):
                _stamp_date(line.requested_dates, rest, by, at)
            else:
                _stamp(line, ["quantity" if rest == "uom" else rest], by, at)
        elif rest.startswith("dates["):
            _stamp_date(order.dates, rest, by, at)
        elif rest.startswith("ship_to."):
            party = order.ship_to
            name = rest.split(".", 1)[1]
            if party is not None and name in ("name", "id"):
                _stamp(party, [name], by, at)
            elif party is not None and party.address is not None:
                _stamp(party.address, [name], by, at)
        else:
            _stamp(order, ["partner" if rest == "customer" else rest], by, at)


def _stamp(obj: Traced, names: Iterable[str], by: str, at: str) -> None:
    for name in names:
        was = obj.provenance.get(name) or Provenance()
        obj.provenance[name] = was._replace(keyed_by=by, keyed_at=at, confidence=None)


def _stamp_date(events: list[DatedEvent], path: str, by: str, at: str) -> None:
    qualifier = path[len("dates[") : -1]
    for event in events:
        if event.qualifier == qualifier:
            _stamp(event, ["value"], by, at)


def parse_price(raw: Decimal | str) -> Decimal:
    """A unit price the clerk typed: a number, zero or more, at most 4 decimals."""
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidChange(f"price {raw!r} is not a number") from None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or value < 0 or (isinstance(exponent, int) and exponent < -4):
        raise InvalidChange(f"price {raw} must be zero or more, with at most 4 decimals")
    return value


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
