"""Web-shop and marketplace orders: tells which channel a JSON order is from its keys, and reads it.

Shopify, WooCommerce, Amazon (SP-API Orders v0) and Walmart Marketplace each have a reader of their
own; this module reads the JSON once, names the channel by the keys only it uses, and checks the
channel against the sender's profile (a WooCommerce order posted to a Shopify channel is refused, not
guessed at). JSON that is no order of any of them gets a specific error naming what it held.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from partners import PartnerProfile

from ._amazon import ITEMS_KEY
from ._amazon import parse_amazon_order
from ._channel_json import ChannelOptions
from ._channel_json import JsonRefusal
from ._channel_json import Node
from ._channel_json import load_json
from ._events import FoundOrders
from ._shopify import parse_shopify_order
from ._walmart import parse_walmart_order
from ._woocommerce import parse_woocommerce_order

_Reader = Callable[[Node, ChannelOptions], FoundOrders]
READERS: dict[str, _Reader] = {
    "shopify": parse_shopify_order,
    "woocommerce": parse_woocommerce_order,
    "amazon": parse_amazon_order,
    "walmart": parse_walmart_order,
}
# Keys only that channel's order has (Shopify's REST order and WooCommerce's v3 order share
# ``line_items``, ``currency``, ``id``; they differ in these).
_SHOPIFY_KEYS = frozenset(
    {"financial_status", "admin_graphql_api_id", "order_number", "total_price", "fulfillment_status"}
)
_WOO_KEYS = frozenset({"billing", "order_key", "date_created", "prices_include_tax", "cart_tax"})


def channel_kind(root: Node) -> str | None:
    """``shopify``, ``woocommerce``, ``amazon`` or ``walmart`` by the keys the object holds; None if none fits."""
    keys = set(root.keys())
    if "AmazonOrderId" in keys:
        return "amazon"
    if "purchaseOrderId" in keys and "orderLines" in keys:
        return "walmart"
    wrapped = root.get("order")
    if keys == {"order"} and wrapped is not None and wrapped.is_object:
        return "shopify" if channel_kind(wrapped) == "shopify" else None
    if "line_items" in keys:
        if keys & _SHOPIFY_KEYS:
            return "shopify"
        if keys & _WOO_KEYS:
            return "woocommerce"
    return None


def parse_channel_order(
    raw: bytes, *, profile: PartnerProfile | None, document_id: str | None
) -> FoundOrders:
    """The order in one channel JSON document, read for ``profile`` (None: a sender with no profile)."""
    try:
        document = load_json(raw)
    except JsonRefusal as exc:
        return FoundOrders.failed("json.malformed", f"the document is not JSON: {exc}")
    root = Node(document, "")
    if not root.is_object:
        shape = "an array" if isinstance(document, list) else "a single value"
        return FoundOrders.failed(
            "channel.not_an_order",
            f"the JSON document is {shape}, not one order object: a channel document holds one order "
            "(Shopify's or WooCommerce's order, an Amazon Order with its OrderItems, one Walmart order)",
        )
    kind = channel_kind(root)
    if kind is None:
        keys = ", ".join(sorted(root.keys())[:12]) or "none"
        return FoundOrders.failed(
            "channel.unknown_json",
            "the JSON object is no order of Shopify (line_items with financial_status...), WooCommerce "
            f"(line_items with billing...), Amazon (AmazonOrderId, {ITEMS_KEY}) or Walmart (purchaseOrderId, "
            f"orderLines); its keys: {keys}",
        )
    link = profile.channel if profile is not None else None
    if link is not None and link.kind != kind:
        return FoundOrders(
            issues=[
                Issue(
                    code="channel.kind_mismatch",
                    message=f"a {kind} order came for profile {profile.name if profile else ''!r}, "
                    f"whose channel is {link.kind}",
                    level=Level.DOCUMENT,
                )
            ]
        )
    options = ChannelOptions(
        partner=profile.name if profile is not None else None,
        document_id=document_id,
        uom=link.uom if link is not None else "EA",
        own_skus=link.own_skus if link is not None else False,
    )
    return READERS[kind](root, options)
