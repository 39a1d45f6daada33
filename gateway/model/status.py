"""Every status the store keeps in a ``status`` column, one enum per column; the one place they are spelled.

Members are ``str`` (``StrEnum``): the database, the JSON and the CLI's output hold the plain
values, ``Document.status == DocumentStatus.PROCESSED`` compares in SQL and in Python alike, and
a value read back from the store (a plain ``str``) equals its member. This module imports only
the standard library: storage, the CLI's reading commands and the desk import it freely.
"""

from __future__ import annotations

from enum import StrEnum


class DocumentStatus(StrEnum):
    """``document.status``: where an inbound document stands."""

    RECEIVED = "received"  # stored, not processed yet
    PROCESSED = "processed"  # read: its orders (if any) are stored
    REJECTED = "rejected"  # unreadable, or refused as a whole
    UNKNOWN_PARTNER = "unknown_partner"  # no partner profile or customer could be found for it
    FAILED = "failed"  # processing broke; ``error`` says how
    HELD = "held"  # stored, not processed: a person decides (``process`` releases it)
    DISMISSED = "dismissed"  # made no order, and a person closed it with a reason (the desk)


# The documents that made no order and may wait for a person: the desk's queue shows them (a
# rejected one only while nobody answered it) and ``gateway.storage.tally_documents`` counts them.
WAITING_DOCUMENTS: tuple[DocumentStatus, ...] = (
    DocumentStatus.FAILED,
    DocumentStatus.HELD,
    DocumentStatus.REJECTED,
    DocumentStatus.UNKNOWN_PARTNER,
)


class OrderStatus(StrEnum):
    """``purchase_order.status``; validation's outcome (``validators.Outcome``) speaks the same words."""

    ACCEPTED = "accepted"  # decided: it goes to the ERP
    REJECTED = "rejected"  # decided: it does not
    EXCEPTION = "exception"  # held for a person on the desk
    CANCELLED = "cancelled"  # the partner cancelled it (an 850 or 860 saying so): its stock went back


class OutboxStatus(StrEnum):
    """``outbound_document.status``: a document we send (an ack, ASN, invoice, ERP payload, reply)."""

    PENDING = "pending"  # may leave: the next send pass takes it
    INVALID = "invalid"  # failed its pre-send check, or a held invoice replaced by its correction
    HELD = "held"  # checked, but kept back until a person releases it (an invoice off the order's price)
    DRAFT = "draft"  # a reply to a customer, waiting for the desk to send it
    SENT = "sent"
    AWAITING_MDN = "awaiting_mdn"  # sent by AS2; the partner's asynchronous MDN has not come yet
    DEAD = "dead"  # delivery gave up; ``redeliver`` puts it back


class As2Status(StrEnum):
    """``as2_message.status``. In: processed, refused or failed; out: sending, awaiting_mdn,
    delivered, refused or failed (``gateway.storage.As2Message`` tells what each means)."""

    PROCESSED = "processed"  # in: stored, positive MDN
    REFUSED = "refused"  # negative MDN
    FAILED = "failed"  # in: our store failed (no MDN); out: no usable answer
    SENDING = "sending"
    AWAITING_MDN = "awaiting_mdn"
    DELIVERED = "delivered"  # out: positive MDN


class AlertKind(StrEnum):
    """``alert.kind``: what a person is told about (``gateway.alerts`` raises each, README "Alerts")."""

    DELIVERY_DEAD = "delivery_dead"  # an outbound document (ack, ASN, invoice, ERP payload, reply) gave up
    ACK_REJECTED = "ack_rejected"  # the partner's 997/999 rejected our document, or accepted it in part
    ACK_OVERDUE = "ack_overdue"  # the partner's 997/999 for our document is later than its window
    ERP_PAYLOAD = "erp_payload"  # an accepted order's ERP payload cannot be written
    POLLER_FAILING = "poller_failing"  # a transport failed several times in a row
    DOCUMENT_STUCK = "document_stuck"  # a document still ``received`` long after it was stored
    PROFILE_REFUSED = "profile_refused"  # a partner profile file that does not load
    INVOICE_HELD = "invoice_held"  # an 810 kept back until a person releases it
    ALLOCATIONS = "allocations"  # the stock an order took is not known
    AS2_SUSPECT_MDN = "as2_suspect_mdn"  # an MDN that does not fit the message it names
    AS2_DUPLICATE_ID = "as2_duplicate_id"  # an AS2 Message-ID reused with other content
    CHANNEL_TOPIC_MISMATCH = "channel_topic_mismatch"  # a cancelling webhook topic on a live order


class AlertEvent(StrEnum):
    """``alert_notification.event``: what a notification says."""

    RAISED = "raised"
    RESOLVED = "resolved"
    DIGEST = "digest"  # the daily summary of what is open


class AlertChannel(StrEnum):
    """``alert_notification.channel``: how a person is told (NULL: not fanned out yet)."""

    EMAIL = "email"
    WEBHOOK = "webhook"


class NotificationStatus(StrEnum):
    """``alert_notification.status``: a message to a person on one channel (email, webhook)."""

    PENDING = "pending"  # the next send pass takes it (``next_at`` reached)
    SENT = "sent"
    DEAD = "dead"  # the channel refused it for good (a 5xx SMTP answer, a 4xx webhook answer)
