"""Whether a cancelling webhook topic is borne out by its signed body (the topic header is not signed).

Shopify's ``orders/cancelled`` body is the order with ``cancelled_at`` set; WooCommerce's
``order.deleted`` body is the bare ``{"id": N}`` (``WC_Webhook::build_payload`` for a deleted
resource), or, where a plugin filters the payload, the order with ``status`` ``cancelled`` or
``trash``. Any other body under a cancelling topic is a live order: a captured signed body replayed
with the header changed, or a shop that does not send what its documents say. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._channel_json import JsonRefusal
from ._channel_json import Node
from ._channel_json import load_json

WOO_CANCELLED_STATUSES = frozenset({"cancelled", "trash"})


@dataclass(frozen=True, slots=True)
class TopicCheck:
    """What the body says of a cancelling topic: ``agrees`` with ``evidence`` (its pointer) or not."""

    agrees: bool
    evidence: str | None  # the pointer of what cancels ("" for a bare {"id": N}); None: nothing
    order: str | None  # the body's order number (Shopify ``name``, WooCommerce ``number`` or ``id``)
    said: str  # what the body says, for messages


def cancel_check(kind: str, root: Node) -> TopicCheck:
    """Whether the ``kind`` order document ``root`` is itself a cancellation."""
    if kind == "shopify":
        wrapped = root.get("order")
        node = wrapped if wrapped is not None and wrapped.is_object else root
        order = _text(node.get("name"))
        cancelled = node.get("cancelled_at")
        if cancelled is not None and _text(cancelled):
            return TopicCheck(True, cancelled.pointer, order, f"cancelled_at {cancelled.value!r}")
        return TopicCheck(False, None, order, "cancelled_at is null or absent")
    if kind == "woocommerce":
        order = _text(root.get("number")) or _text(root.get("id"))
        if root.is_object and set(root.keys()) == {"id"}:
            return TopicCheck(True, "", order, "the bare {id} of a deleted order")
        status = root.get("status")
        text = _text(status)
        if status is not None and text is not None and text.lower() in WOO_CANCELLED_STATUSES:
            return TopicCheck(True, status.pointer, order, f"status {text!r}")
        return TopicCheck(False, None, order, f"status {text!r}" if text else "no status")
    return TopicCheck(False, None, None, f"no cancellation is read from a {kind or 'channel'} body")


def cancel_topic_check(kind: str, raw: bytes) -> TopicCheck:
    """``cancel_check`` of the raw body; a body that is no JSON object agrees with nothing."""
    try:
        document = load_json(raw)
    except JsonRefusal as exc:
        return TopicCheck(False, None, None, f"not JSON ({exc})")
    root = Node(document, "")
    if not root.is_object:
        return TopicCheck(False, None, None, "not one JSON object")
    return cancel_check(kind, root)


def _text(node: Node | None) -> str | None:
    if node is None or isinstance(node.value, bool) or not isinstance(node.value, str | int):
        return None
    return str(node.value).strip()[:80] or None
