"""WooCommerce: one order of the REST API v3 (``/wp-json/wc/v3/orders``, and its webhooks) into a canonical order.

``number`` is the order number; ``id`` is kept as the reference ``channel_order_id`` and ``status``
as one of its own. A line's ``price`` (a JSON number) is its unit price in the order's
``currency``; ``billing`` and ``shipping`` are the bill-to and ship-to. A ``cancelled`` order is a
cancellation of the order of that number. The ``order.deleted`` webhook (the order moved to the
trash) carries only ``{"id": N}``: a cancellation of order number N, as WooCommerce numbers an order
by its id unless a plugin renumbers them (then the cancellation names no stored order, and says so).
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
    reading.order_number(order, root.get("number") or root.get("id"), within=root, named="number")
    created = root.get("date_created") or root.get("date_created_gmt")  # the shop's own day first
    reading.put(order, "po_date", created, reading.day(created))
    currency = root.get("currency")
    reading.put(order, "currency", currency, reading.text(currency, field_name="currency"))
    status = root.get("status")
    if reading.text(status) == CANCELLED:
        reading.put(order, "purpose", status, OrderPurpose.CANCEL)
    reading.references(order, root, {"channel_order_id": "id", "order_status": "status"})
    reading.parties(order, [("ST", root.get("shipping"), _ADDRESS), ("BT", root.get("billing"), _ADDRESS)])
    note = reading.text(root.get("customer_note"))
    if note:
        order.notes.append(note)
    ids = {
        "woocommerce_product_id": "product_id",
        "woocommerce_variation_id": "variation_id",
        "woocommerce_line_id": "id",
    }
    unit_priced_lines(reading, options, order, root, ids=ids)
    return FoundOrders(orders=[order], issues=reading.issues)


def parse_woocommerce_deletion(root: Node, options: ChannelOptions) -> FoundOrders:
    """The cancellation an ``order.deleted`` body (``{"id": N}``) stands for: order number N."""
    reading = Reading("woocommerce", options.document_id)
    order = channel_order(Channel.WOOCOMMERCE, options)
    reading.order_number(order, root.get("id"), within=root, named="id")
    reading.put(order, "purpose", root, OrderPurpose.CANCEL)
    reading.references(order, root, {"channel_order_id": "id"})
    return FoundOrders(orders=[order], issues=reading.issues)
