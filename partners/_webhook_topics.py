"""What a shop's webhook topic asks of the gateway: read the body as the order, cancel it, or only note it.

Shopify names the event in ``X-Shopify-Topic`` (``orders/create``, ``orders/updated``, ``orders/paid``,
``orders/cancelled``...), WooCommerce in ``X-WC-Webhook-Topic`` (``order.created``, ``order.updated``,
``order.deleted``, ``order.restored``). The header is not covered by the body's HMAC; only the
body is, so a cancelling topic cancels only where the signed body agrees (``parsers.cancel_topic_check``).
A request without the header is read as before topics were known: the body is the order.
``X-Shopify-Webhook-Id`` / ``X-WC-Webhook-Delivery-ID`` name the delivery; they are kept for tracing.
"""

from __future__ import annotations

from enum import StrEnum

TOPIC_HEADERS: dict[str, str] = {"shopify": "X-Shopify-Topic", "woocommerce": "X-WC-Webhook-Topic"}
WEBHOOK_TOPIC = "webhook_topic"  # the key of ``document.meta`` that keeps the topic a body came with
DELIVERY_HEADERS: dict[str, str] = {
    "shopify": "X-Shopify-Webhook-Id",
    "woocommerce": "X-WC-Webhook-Delivery-ID",
}
WEBHOOK_DELIVERY = "webhook_delivery"  # the key of ``document.meta`` that keeps the delivery's id


class TopicUse(StrEnum):
    """What the gateway does with a webhook body, by its topic."""

    ORDER = "order"  # the body is the order as it stands now (new, updated, paid, restored)
    CANCEL = "cancel"  # the order of that number is cancelled, where the signed body agrees
    IGNORED = "ignored"  # acknowledged and recorded, never stored as an order


_TOPICS: dict[str, dict[str, TopicUse]] = {
    "shopify": {
        "orders/create": TopicUse.ORDER,
        "orders/updated": TopicUse.ORDER,
        "orders/paid": TopicUse.ORDER,
        "orders/cancelled": TopicUse.CANCEL,
    },
    "woocommerce": {
        "order.created": TopicUse.ORDER,
        "order.updated": TopicUse.ORDER,
        "order.restored": TopicUse.ORDER,  # out of the trash: the order as it stands
        "order.deleted": TopicUse.CANCEL,  # moved to the trash; the body is only {"id": N}
    },
}


def topic_use(kind: str, topic: str | None) -> TopicUse:
    """What a ``kind`` webhook with ``topic`` asks for; no topic (None or blank) is an order, as before."""
    if topic is None or not topic.strip():
        return TopicUse.ORDER
    return _TOPICS.get(kind, {}).get(topic.strip().lower(), TopicUse.IGNORED)


def handled_topics(kind: str) -> list[str]:
    """The topics of ``kind`` the gateway reads, for messages and the README."""
    return sorted(_TOPICS.get(kind, {}))
