"""Shopify: one order of the Admin REST API (2024-10 and later) into a canonical order.

The document is the bare order object (the ``orders/create`` webhook's body) or ``{"order": {...}}``
(``GET /admin/api/2024-10/orders/{id}.json``). ``name`` ("#1001") is the order number; ``id`` is kept
as the reference ``channel_order_id``, ``financial_status`` as one of its own. Line ``price`` is the
unit price in the shop's ``currency`` (a string: "199.00"). An order with ``cancelled_at`` set is a
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
    lines=("address1", "address2"),
    city="city",
    region="province_code",
    postal_code="zip",
    country="country_code",
    phone="phone",
    company="company",
)
_CUSTOMER = AddressKeys(name=("first_name", "last_name"), email="email", phone="phone")


def parse_shopify_order(root: Node, options: ChannelOptions) -> FoundOrders:
    """The order in a Shopify order document (bare or wrapped in ``"order"``)."""
    wrapped = root.get("order")
    node = wrapped if wrapped is not None and wrapped.is_object else root
    reading = Reading("shopify", options.document_id)
    order = channel_order(Channel.SHOPIFY, options)
    name = node.get("name")
    reading.put(order, "po_number", name, reading.text(name, field_name="po_number"))
    if order.po_number is None:
        reading.problem(
            "missing_order_number",
            "the order has no name (its order number)",
            node.pointer,
            field_name="po_number",
        )
    reading.put(order, "po_date", node.get("created_at"), reading.day(node.get("created_at")))
    currency = node.get("currency")
    reading.put(order, "currency", currency, reading.text(currency, field_name="currency"))
    cancelled = node.get("cancelled_at")
    if cancelled is not None:
        reading.put(order, "purpose", cancelled, OrderPurpose.CANCEL)
    for qualifier, key in (("channel_order_id", "id"), ("financial_status", "financial_status")):
        reference = reading.reference(qualifier, node.get(key))
        if reference is not None:
            order.references.append(reference)
    customer = node.get("customer")
    buyer = reading.party("BY", customer, _CUSTOMER) or reading.party("BY", node, AddressKeys(email="email"))
    for role, key in (("ST", "shipping_address"), ("BT", "billing_address")):
        party = reading.party(role, node.get(key), _ADDRESS)
        if party is not None:
            order.parties.append(party)
    if buyer is not None:
        order.parties.append(buyer)
    note = reading.text(node.get("note"))
    if note:
        order.notes.append(note)
    items = node.get("line_items")
    if items is None or not items.items():
        reading.problem("no_lines", "the order has no line_items", node.pointer)
    for index, item in enumerate(items.items() if items else [], start=1):
        line_no = str(index)
        line = channel_line(
            reading,
            options,
            item,
            line_no=line_no,
            sku=item.get("sku"),
            quantity=item.get("quantity"),
            description=item.get("name") or item.get("title"),
            other_ids={"shopify_variant_id": item.get("variant_id"), "shopify_line_id": item.get("id")},
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
