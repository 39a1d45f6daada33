"""WooCommerce: one order of the REST API v3 (``/wp-json/wc/v3/orders``, and its webhooks) into a canonical order.

``number`` is the order number; ``id`` is kept as the reference ``channel_order_id`` and ``status``
as one of its own. A line's ``price`` (a JSON number) is its unit price in the order's
``currency``; ``billing`` and ``shipping`` are the bill-to and ship-to. A ``cancelled`` order is a
cancellation of the order of that number.
"""

from __future__ import annotations

from gateway.model.order import Channel
from gateway.model.order import OrderPurpose

from ._channel_json import AddressKeys
from ._channel_json import ChannelOptions
from ._channel_json import Node
from ._channel_json import Reading
from ._channel_json import channel_line
from ._channel_json import channel_order
from ._events import FoundOrders

_ADDRESS = AddressKeys(
    name=("first_name", "last_name"),
    lines=("address_1", "address_2"),
    city="city",
    region="state",
    postal_code="postcode",
    country="country",
    email="email",
    phone="phone",
    company="company",
)
CANCELLED = "cancelled"


def parse_woocommerce_order(root: Node, options: ChannelOptions) -> FoundOrders:
    """The order in a WooCommerce order document."""
    reading = Reading("woocommerce", options.document_id)
    order = channel_order(Channel.WOOCOMMERCE, options)
    number = root.get("number") or root.get("id")
    reading.put(order, "po_number", number, reading.text(number, field_name="po_number"))
    if order.po_number is None:
        reading.problem(
            "missing_order_number", "the order has no number", root.pointer, field_name="po_number"
        )
    created = root.get("date_created") or root.get("date_created_gmt")  # the shop's own day first
    reading.put(order, "po_date", created, reading.day(created))
    currency = root.get("currency")
    reading.put(order, "currency", currency, reading.text(currency, field_name="currency"))
    status = root.get("status")
    if reading.text(status) == CANCELLED:
        reading.put(order, "purpose", status, OrderPurpose.CANCEL)
    for qualifier, key in (("channel_order_id", "id"), ("order_status", "status")):
        reference = reading.reference(qualifier, root.get(key))
        if reference is not None:
            order.references.append(reference)
    for role, key in (("ST", "shipping"), ("BT", "billing")):
        party = reading.party(role, root.get(key), _ADDRESS)
        if party is not None:
            order.parties.append(party)
    note = reading.text(root.get("customer_note"))
    if note:
        order.notes.append(note)
    items = root.get("line_items")
    if items is None or not items.items():
        reading.problem("no_lines", "the order has no line_items", root.pointer)
    for index, item in enumerate(items.items() if items else [], start=1):
        line_no = str(index)
        line = channel_line(
            reading,
            options,
            item,
            line_no=line_no,
            sku=item.get("sku"),
            quantity=item.get("quantity"),
            description=item.get("name"),
            other_ids={
                "woocommerce_product_id": item.get("product_id"),
                "woocommerce_variation_id": item.get("variation_id"),
                "woocommerce_line_id": item.get("id"),
            },
        )
        if line is None:
            continue
        price = item.get("price")
        reading.put(
            line,
            "unit_price",
            price,
            reading.decimal(price, what="the price", line_no=line_no, field_name="unit_price"),
        )
        order.lines.append(line)
    return FoundOrders(orders=[order], issues=reading.issues)
