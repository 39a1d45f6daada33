"""Amazon Selling Partner API, Orders v0: one order and its items into a canonical order.

The stored document is one JSON object: the ``Order`` exactly as ``getOrders`` returns it in
``payload.Orders[]`` (``AmazonOrderId``, ``PurchaseDate``, ``OrderStatus``...), plus one key,
``"OrderItems"``, holding ``getOrderItems``' ``payload.OrderItems`` list (``SellerSKU``,
``QuantityOrdered``, ``ItemPrice``). The marketplace pollers write it so; this contract is shared
with them. ``AmazonOrderId`` is the order number. ``ItemPrice.Amount`` is the price of the line
(the item's price times ``QuantityOrdered``, as the API documents it), so the unit price is that over
the quantity. A ``Canceled`` order is a cancellation. ``Pending`` orders carry no prices: their lines
have none, and validation says so.
"""

from __future__ import annotations

from gateway.model.order import Channel
from gateway.model.order import OrderPurpose

from ._channel_json import AddressKeys
from ._channel_json import ChannelOptions
from ._channel_json import LineNodes
from ._channel_json import Node
from ._channel_json import Reading
from ._channel_json import channel_order
from ._channel_json import numbered_lines
from ._channel_json import unit_price_of_line
from ._events import FoundOrders

ITEMS_KEY = "OrderItems"  # the one key the pollers add to the Order object
CANCELED = "Canceled"
_ADDRESS = AddressKeys(
    name=("Name",),
    lines=("AddressLine1", "AddressLine2", "AddressLine3"),
    city="City",
    region="StateOrRegion",
    postal_code="PostalCode",
    country="CountryCode",
    phone="Phone",
    company="CompanyName",
)
_BUYER = AddressKeys(name=("BuyerName",), email="BuyerEmail", company="BuyerCompanyName")


def parse_amazon_order(root: Node, options: ChannelOptions) -> FoundOrders:
    """The order in an Amazon ``Order`` object with its ``OrderItems``."""
    reading = Reading("amazon", options.document_id)
    order = channel_order(Channel.AMAZON, options)
    reading.order_number(order, root.get("AmazonOrderId"), within=root, named="AmazonOrderId")
    reading.put(order, "po_date", root.get("PurchaseDate"), reading.day(root.get("PurchaseDate")))
    status = root.get("OrderStatus")
    if reading.text(status) == CANCELED:
        reading.put(order, "purpose", status, OrderPurpose.CANCEL)
    reading.references(
        order,
        root,
        {
            "order_status": "OrderStatus",
            "marketplace_id": "MarketplaceId",
            "sales_channel": "SalesChannel",
            "seller_order_id": "SellerOrderId",
        },
    )
    reading.parties(
        order, [("ST", root.get("ShippingAddress"), _ADDRESS), ("BY", root.get("BuyerInfo"), _BUYER)]
    )
    currency = root.path("OrderTotal", "CurrencyCode")
    reading.put(order, "currency", currency, reading.text(currency, field_name="currency"))
    items = root.get(ITEMS_KEY)
    if items is None or not isinstance(items.value, list):
        reading.problem(
            "no_items",
            f"the order has no {ITEMS_KEY} list: the document must be the Order with getOrderItems' "
            f"payload.OrderItems under {ITEMS_KEY!r}",
            root.pointer,
        )
    elif not items.items():
        reading.problem("no_lines", f"{ITEMS_KEY} is empty", items.pointer)
    for line_no, item, line in numbered_lines(reading, options, items, _line_nodes):
        amount = item.path("ItemPrice", "Amount")
        total = reading.decimal(amount, what="ItemPrice.Amount", line_no=line_no, field_name="unit_price")
        if total is not None and amount is not None and line.quantity is not None:
            price = unit_price_of_line(reading, total, line.quantity.value, amount.pointer, line_no=line_no)
            reading.put(line, "unit_price", amount, price)
        if order.currency is None:
            code = item.path("ItemPrice", "CurrencyCode")
            reading.put(order, "currency", code, reading.text(code, field_name="currency"))
        order.lines.append(line)
    return FoundOrders(orders=[order], issues=reading.issues)


def _line_nodes(item: Node) -> LineNodes:
    """An ``OrderItems[]`` entry: ``SellerSKU``, ``QuantityOrdered``, ``Title``, and its ASIN and item id."""
    return LineNodes(
        sku=item.get("SellerSKU"),
        quantity=item.get("QuantityOrdered"),
        description=item.get("Title"),
        other_ids={"asin": item.get("ASIN"), "amazon_order_item_id": item.get("OrderItemId")},
    )
