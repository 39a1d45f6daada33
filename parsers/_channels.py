"""Web-shop and marketplace orders: tells which channel a JSON order is from its keys, and reads it.

Shopify, WooCommerce, Amazon (SP-API Orders v0) and Walmart Marketplace each have a reader of their
own; this module reads the JSON once, names the channel by the keys only it uses, and checks the
channel against the sender's profile (a WooCommerce order posted to a Shopify channel is refused, not
guessed at). JSON that is no order of any of them gets a specific error naming what it held.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.model.order import OrderPurpose
from gateway.model.order import Provenance
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from partners import PartnerProfile
from partners import TopicUse
from partners import topic_use

from ._amazon import ITEMS_KEY
from ._amazon import parse_amazon_order
from ._channel_json import ChannelOptions
from ._channel_json import JsonRefusal
from ._channel_json import Node
from ._channel_json import load_json
from ._events import FoundOrders
from ._shopify import parse_shopify_order
from ._topic_check import cancel_check
from ._walmart import parse_walmart_order
from ._woocommerce import parse_woocommerce_deletion
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
    raw: bytes, *, profile: PartnerProfile | None, document_id: str | None, topic: str | None = None
) -> FoundOrders:
    """The order in one channel JSON document, read for ``profile`` (None: a sender with no profile).

    ``topic`` is the webhook topic the body came with (None: no topic, or not a webhook). The header is
    not signed, so a cancelling topic cancels only where the body agrees (``cancel_check``); under a
    body that is a live order it is noted and the order read as what it is. A topic the gateway does
    not read is refused here too (the webhook acknowledges it without storing it).
    """
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
    link = profile.channel if profile is not None else None
    kind = channel_kind(root)
    use = topic_use(link.kind if link is not None else kind or "", topic)
    if use is TopicUse.IGNORED:
        return FoundOrders.failed(
            "channel.topic_not_handled",
            f"the webhook topic {topic!r} is no order event the gateway reads; nothing was read as an order",
        )
    options = ChannelOptions(
        partner=profile.name if profile is not None else None,
        document_id=document_id,
        uom=link.uom if link is not None else "EA",
        own_skus=link.own_skus if link is not None else False,
    )
    woo_deletion = link is not None and link.kind == "woocommerce" and set(root.keys()) == {"id"}
    if use is TopicUse.CANCEL and kind is None and woo_deletion:
        return parse_woocommerce_deletion(root, options)
    if kind is None:
        keys = ", ".join(sorted(root.keys())[:12]) or "none"
        return FoundOrders.failed(
            "channel.unknown_json",
            "the JSON object is no order of Shopify (line_items with financial_status...), WooCommerce "
            f"(line_items with billing...), Amazon (AmazonOrderId, {ITEMS_KEY}) or Walmart (purchaseOrderId, "
            f"orderLines); its keys: {keys}",
        )
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
    found = READERS[kind](root, options)
    if use is TopicUse.CANCEL:
        _read_cancel_topic(found, kind, root, topic or "")
    return found


def _read_cancel_topic(found: FoundOrders, kind: str, root: Node, topic: str) -> None:
    """A cancelling topic cancels each order only where its body agrees; otherwise it is noted.

    A WooCommerce order in the trash is a cancellation under ``order.deleted`` (its provenance is its
    ``status``); a body that is a live order is read as what it says (see ``parsers._topic_check``).
    """
    check = cancel_check(kind, root)
    for order in found.orders:
        if not check.agrees:
            order.notes.append(
                f"the webhook topic {topic} came with a body that is no cancellation ({check.said}): "
                "read as the order it is, not cancelled"
            )
        elif order.purpose != OrderPurpose.CANCEL and check.evidence is not None:
            order.purpose = OrderPurpose.CANCEL
            order.provenance["purpose"] = Provenance(pointer=check.evidence)
            order.notes.append(f"cancelled: webhook topic {topic}, body {check.said}")
