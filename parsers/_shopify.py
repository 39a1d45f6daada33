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
from ._channel_json import channel_order
from ._channel_json import unit_priced_lines
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
_ORDER_EMAIL = AddressKeys(email="email")  # the buyer of an order with no customer (a guest checkout)


def parse_shopify_order(root: Node, options: ChannelOptions) -> FoundOrders:
    """The order in a Shopify order document (bare or wrapped in ``"order"``)."""
    wrapped = root.get("order")
    node = wrapped if wrapped is not None and wrapped.is_object else root
    reading = Reading("shopify", options.document_id)
    order = channel_order(Channel.SHOPIFY, options)
    reading.order_number(order, node.get("name"), within=node, named="name (its order number)")
    reading.put(order, "po_date", node.get("created_at"), reading.day(node.get("created_at")))
    currency = node.get("currency")
    reading.put(order, "currency", currency, reading.text(currency, field_name="currency"))
    cancelled = node.get("cancelled_at")
    if cancelled is not None:
        reading.put(order, "purpose", cancelled, OrderPurpose.CANCEL)
    reading.references(order, node, {"channel_order_id": "id", "financial_status": "financial_status"})
    buyer = node.get("customer")
    reading.parties(
        order,
        [
            ("ST", node.get("shipping_address"), _ADDRESS),
            ("BT", node.get("billing_address"), _ADDRESS),
            ("BY", buyer, _CUSTOMER) if buyer is not None else ("BY", node, _ORDER_EMAIL),
        ],
    )
    note = reading.text(node.get("note"))
    if note:
        order.notes.append(note)
    unit_priced_lines(
        reading, options, order, node, ids={"shopify_variant_id": "variant_id", "shopify_line_id": "id"}
    )
    return FoundOrders(orders=[order], issues=reading.issues)
