"""Order rules: required fields, duplicate and dangling PO references, dates, ship-tos, packs, minimums."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_CEILING
from decimal import Decimal

from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import OrderPurpose

from ._context import ValidationContext
from ._context import money
from ._context import show
from ._findings import Finding
from ._findings import FindingCode
from ._master import Product

# Codes of the checks run per line, read once: an enum member read from its class is a Python call in 3.11.
_PACK_MULTIPLE, _UNKNOWN_SHIP_TO = FindingCode.PACK_MULTIPLE, FindingCode.UNKNOWN_SHIP_TO
# DTM/DTM-like qualifiers that ask for a delivery or shipment date.
REQUESTED_DATES = frozenset({"002", "010", "037", "038", "063", "064", "074", "106", "118"})


def missing_fields(order: Order, context: ValidationContext) -> list[Finding]:
    required = set(context.policy.required)
    found: list[Finding] = []

    def missing(what: str, field: str, line_no: str | None = None, *, optional: bool = False) -> None:
        where = f"line {line_no}: " if line_no else ""
        action = context.policy.missing if optional else None
        found.append(
            context.finding(
                FindingCode.MISSING_FIELD,
                f"{where}{what} is missing"
                + (" (not required, shown so it is not missed)" if optional else ""),
                action=action,
                line_no=line_no,
                field=field,
            )
        )

    if "po_number" in required and not order.po_number:
        missing("the PO number", "po_number")
    if order.po_date is None:
        missing("the PO date", "po_date", optional="po_date" not in required)
    if "ship_to" in required and order.ship_to is None:
        missing("the ship-to party", "ship_to")
    if not order.lines and order.purpose != OrderPurpose.CANCEL:
        missing("every line", "lines")
    for line in order.lines:
        if "quantity" in required and (line.quantity is None or line.quantity.value <= 0):
            missing("a positive quantity", "quantity", line.line_no)
        if "uom" in required and line.quantity is not None and line.quantity.uom is None:
            missing("the unit of measure", "uom", line.line_no)
        if line.unit_price is None:
            missing("the unit price", "unit_price", line.line_no, optional="unit_price" not in required)
        if "item" in required and not (line.vendor_sku or line.buyer_part or line.upc or line.description):
            missing("an item identifier (SKU, customer part, UPC or description)", "sku", line.line_no)
    return found


NEW_ORDER = (OrderPurpose.ORIGINAL, OrderPurpose.CONFIRMATION)  # a confirmation (06) of one placed before


def order_reference(order: Order, context: ValidationContext) -> list[Finding]:
    """A new PO (or the confirmation of one) must be new to the customer; a change or cancel must
    refer to one we have; any other purpose (BEG01 02 add, 08 status, 22 information copy, 27 verify,
    28 query...) asks for no order to be filled, so a person reads it."""
    if order.purpose == OrderPurpose.OTHER:
        code = order.purpose_code or "?"
        return [
            context.finding(
                FindingCode.PURPOSE_NOT_HANDLED,
                f"BEG01 {code} does not ask for an order to be filled (only 00 original, 01 cancellation, "
                "04 change, 05 replace, 06 confirmation and 07 duplicate do); it is kept for the desk",
                field="purpose_code",
                received=code,
            )
        ]
    if not order.po_number:
        return []
    if order.purpose in (OrderPurpose.CHANGE, OrderPurpose.CANCEL) and not context.po_seen:
        return [
            context.finding(
                FindingCode.UNKNOWN_ORDER_REF,
                f"this {order.purpose.value} refers to PO {order.po_number}, which "
                f"{context.customer_account or 'the customer'} never sent",
                field="po_number",
                received=order.po_number,
            )
        ]
    if order.purpose in NEW_ORDER and context.po_seen:
        return [
            context.finding(
                FindingCode.DUPLICATE_PO,
                f"PO {order.po_number} from {context.customer_account or order.partner} was already "
                "received (on any channel)",
                field="po_number",
                received=order.po_number,
            )
        ]
    return []


def requested_dates(order: Order, context: ValidationContext) -> list[Finding]:
    today = context.today
    horizon = today + timedelta(days=context.policy.horizon_days)
    found: list[Finding] = []
    for line_no, events in (
        (None, order.dates),
        *((line.line_no, line.requested_dates) for line in order.lines),
    ):
        where = f"line {line_no}: " if line_no else ""
        for event in events:
            if event.qualifier not in REQUESTED_DATES or event.value is None:
                continue
            if event.value < today:
                found.append(
                    context.finding(
                        FindingCode.DATE_PAST,
                        f"{where}requested date {event.value} ({event.qualifier}) is before today, {today}",
                        line_no=line_no,
                        field=f"date_{event.qualifier}",
                        expected=f">= {today}",
                        received=event.value,
                    )
                )
            elif event.value > horizon:
                found.append(
                    context.finding(
                        FindingCode.DATE_HORIZON,
                        f"{where}requested date {event.value} ({event.qualifier}) is more than "
                        f"{context.policy.horizon_days} days ahead",
                        line_no=line_no,
                        field=f"date_{event.qualifier}",
                        expected=f"<= {horizon}",
                        received=event.value,
                    )
                )
    return found


def ship_to(order: Order, context: ValidationContext) -> list[Finding]:
    """The ship-to code and every SDQ store must be in the customer's address book."""
    book = context.master.ship_tos(context.customer_account or "")
    found: list[Finding] = []
    party = order.ship_to
    codes: list[tuple[str | None, str]] = []
    if party is not None and party.id:
        codes.append((None, party.id))
    for line in order.lines:
        codes.extend((line.line_no, store.location) for store in line.distribution)
    seen: set[str] = set()
    for line_no, code in codes:
        if code.upper() in book or code in seen:
            continue
        seen.add(code)
        where = f"line {line_no}: store" if line_no else "ship-to"
        found.append(
            context.finding(
                _UNKNOWN_SHIP_TO,
                f"{where} {code} is not in {context.customer_account}'s address book",
                line_no=line_no,
                field="ship_to",
                received=code,
            )
        )
    return found


def pack_multiple(line: OrderLine, product: Product, context: ValidationContext) -> list[Finding]:
    """Ordered in the catalog unit, the quantity must be a whole number of packs."""
    assert line.quantity is not None
    pack = product.pack_size
    quantity = line.quantity.value
    unit = line.quantity.uom or product.uom  # no unit given: read as the catalog's (see ``no_unit``)
    if pack <= 1 or unit.upper() != product.uom.upper() or quantity % pack == 0:
        return []
    rounded = (quantity / pack).to_integral_value(rounding=ROUND_CEILING) * pack
    fixing = context.policy.action(_PACK_MULTIPLE) == "auto_fix"
    sent, whole = show(quantity), show(rounded)  # each written once, for the message and the fields
    finding = context.finding(
        _PACK_MULTIPLE,
        f"line {line.line_no}: {sent} {unit} of {product.sku} is not a multiple of its "
        f"pack of {show(pack)}" + (f"; rounded up to {whole}" if fixing else ""),
        line_no=line.line_no,
        field="quantity",
        expected=whole,
        received=sent,
    )
    if fixing:
        line.quantity = line.quantity.model_copy(update={"value": rounded})
    return [finding]


def no_unit(line: OrderLine, product: Product, context: ValidationContext) -> Finding:
    """A quantity with no unit is read in the catalog's unit, and said so (``missing_fields`` holds it where
    the policy requires a unit)."""
    return context.finding(
        FindingCode.MISSING_FIELD,
        f"line {line.line_no}: no unit of measure is given; the quantity is read in {product.sku}'s "
        f"catalog unit {product.uom}",
        action="warn",
        line_no=line.line_no,
        field="uom",
        expected=product.uom,
    )


def unconvertible_unit(line: OrderLine, product: Product, context: ValidationContext) -> Finding:
    assert line.quantity is not None
    return context.finding(
        FindingCode.PACK_MULTIPLE,
        f"line {line.line_no}: ordered in {line.quantity.uom}, which does not convert to {product.sku}'s "
        f"unit {product.uom} (pack of {show(product.pack_size)})",
        action="hold",
        line_no=line.line_no,
        field="uom",
        expected=product.uom,
        received=line.quantity.uom,
    )


def minimum_value(total: Decimal, currency: str, context: ValidationContext) -> list[Finding]:
    minimum = context.policy.minimum_order_value
    if minimum is None or total >= minimum:
        return []
    return [
        context.finding(
            FindingCode.BELOW_MINIMUM,
            f"order value {money(total)} {currency} is below the minimum of {money(minimum)}",
            field="total",
            expected=money(minimum),
            received=money(total),
        )
    ]
