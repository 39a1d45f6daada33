"""Walmart Marketplace Orders API (v3): one ``order`` into a canonical order.

The document is one order object as in ``list.elements.order[]`` of ``GET /v3/orders`` (or the
``order`` of ``GET /v3/orders/{purchaseOrderId}``). ``purchaseOrderId`` is the order number and
``customerOrderId`` a reference. Each ``orderLines.orderLine[]`` has ``item.sku``,
``orderLineQuantity`` (``amount`` a string, ``unitOfMeasurement`` "EACH") and ``charges.charge[]``:
the ``PRODUCT`` charges' ``chargeAmount.amount`` is the line's product amount, so the unit price is
that over the quantity. ``orderDate`` is milliseconds since 1970 (UTC). An order whose every line
is ``Cancelled`` is a cancellation. Walmart cancels by line (``orderLineStatuses.orderLineStatus[]``
with ``status`` ``Cancelled`` and a ``statusQuantity``): in an order that stays open, a line whose
whole quantity is cancelled is left out and a partly cancelled line keeps what is left, each said in
a note with the status's pointer, so a re-read order amends the stored one as any channel snapshot.
"""

from __future__ import annotations

from decimal import Decimal

from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import OrderPurpose

from ._channel_json import AddressKeys
from ._channel_json import ChannelOptions
from ._channel_json import Node
from ._channel_json import Reading
from ._channel_json import channel_line
from ._channel_json import channel_order
from ._channel_json import unit_price_of_line
from ._events import FoundOrders

PRODUCT = "PRODUCT"
CANCELLED = "Cancelled"
_UNITS = {"EACH": "EA", "EA": "EA"}
_ADDRESS = AddressKeys(
    name=("name",),
    lines=("address1", "address2"),
    city="city",
    region="state",
    postal_code="postalCode",
    country="country",
)


def parse_walmart_order(root: Node, options: ChannelOptions) -> FoundOrders:
    """The order in one Walmart ``order`` object."""
    reading = Reading("walmart", options.document_id)
    order = channel_order(Channel.WALMART, options)
    reading.order_number(order, root.get("purchaseOrderId"), within=root, named="purchaseOrderId")
    reading.put(order, "po_date", root.get("orderDate"), reading.epoch_day(root.get("orderDate")))
    reading.references(order, root, {"customer_order_id": "customerOrderId"})
    reading.parties(order, [("ST", root.path("shippingInfo", "postalAddress"), _ADDRESS)])
    lines = root.path("orderLines", "orderLine")
    if lines is None or not lines.items():
        reading.problem("no_lines", "the order has no orderLines.orderLine", root.pointer)
    statuses: list[str | None] = []
    kept: list[tuple[OrderLine, tuple[Decimal, str] | None]] = []
    for index, item in enumerate(lines.items() if lines else [], start=1):
        number_node = item.get("lineNumber")
        line_no = reading.text(number_node) or str(index)
        quantity = item.get("orderLineQuantity")
        unit = reading.text(quantity.get("unitOfMeasurement") if quantity else None)
        line = channel_line(
            reading,
            options,
            item,
            line_no=line_no,
            sku=item.path("item", "sku"),
            quantity=quantity.get("amount") if quantity else None,
            description=item.path("item", "productName"),
            uom=_UNITS.get(unit.upper(), unit.upper()[:8]) if unit else None,
        )
        _product_price(reading, order, item, line)
        found = item.path("orderLineStatuses", "orderLineStatus")
        line_statuses = found.items() if found else []
        statuses.extend(reading.text(status.get("status")) for status in line_statuses)
        kept.append((line, _cancelled(reading, line, line_statuses)))
    if statuses and all(status == CANCELLED for status in statuses) and lines is not None:
        reading.put(order, "purpose", lines, OrderPurpose.CANCEL)
        order.lines = [line for line, _ in kept]
    else:
        order.lines = [line for line, cancelled in kept if not _less(order, line, cancelled)]
    return FoundOrders(orders=[order], issues=reading.issues)


def _cancelled(reading: Reading, line: OrderLine, statuses: list[Node]) -> tuple[Decimal, str] | None:
    """How much of the line Walmart cancelled, and the pointer saying so; None if nothing.

    A ``Cancelled`` status without a readable ``statusQuantity.amount`` cancels the whole line.
    """
    total = Decimal(0)
    pointer: str | None = None
    for status in statuses:
        if reading.text(status.get("status")) != CANCELLED:
            continue
        amount = status.path("statusQuantity", "amount")
        pointer = amount.pointer if amount is not None else status.pointer
        value = (
            reading.decimal(amount, what="statusQuantity.amount", line_no=line.line_no) if amount else None
        )
        if value is None:
            return (line.quantity.value if line.quantity else Decimal(0)), status.pointer
        total += value
    return (total, pointer) if pointer is not None else None


def _less(order: Order, line: OrderLine, cancelled: tuple[Decimal, str] | None) -> bool:
    """Take the cancelled quantity off ``line`` (noted on the order); True when nothing is left of it."""
    if cancelled is None or line.quantity is None:
        return False
    amount, pointer = cancelled
    left = line.quantity.value - amount
    if left <= 0:
        order.notes.append(f"line {line.line_no} was cancelled on Walmart ({pointer})")
        return True
    order.notes.append(
        f"line {line.line_no}: {amount} of {line.quantity.value} cancelled on Walmart ({pointer})"
    )
    line.quantity = line.quantity.model_copy(update={"value": left})
    return False


def _product_price(reading: Reading, order: Order, item: Node, line: OrderLine) -> None:
    """The line's unit price from its PRODUCT charges (summed, over the quantity), and the order's currency."""
    charges = [charge for charge in _charges(item) if reading.text(charge.get("chargeType")) == PRODUCT]
    if not charges:
        reading.problem(
            "no_product_charge",
            f"line {line.line_no} has no PRODUCT charge: its price is unknown",
            item.pointer,
            line_no=line.line_no,
            field_name="unit_price",
            warning=True,
        )
        return
    total = Decimal(0)
    first = charges[0].path("chargeAmount", "amount")
    for charge in charges:
        amount = charge.path("chargeAmount", "amount")
        value = reading.decimal(
            amount, what="chargeAmount.amount", line_no=line.line_no, field_name="unit_price"
        )
        if value is None:
            return
        total += value
        if order.currency is None:
            code = charge.path("chargeAmount", "currency")
            reading.put(order, "currency", code, reading.text(code, field_name="currency"))
    if first is not None and line.quantity is not None:
        price = unit_price_of_line(reading, total, line.quantity.value, first.pointer, line_no=line.line_no)
        reading.put(line, "unit_price", first, price)


def _charges(item: Node) -> list[Node]:
    found = item.path("charges", "charge")
    return found.items() if found else []
