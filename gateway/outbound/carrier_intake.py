"""A carrier webhook's body stored and its booking recorded, in one transaction.

One transaction: a crash leaves either nothing (unanswered, so the platform sends it again) or
the document with what became of it; never a stored body waiting for a reader (the order
pipeline's recovery pass takes every document left ``received``). A refused booking is stored
with its reasons beside it (``rejected``, ``error``) and tallied onto the desk's queue. The same
bytes again are the same document, with its first outcome.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.errors import OutboundRefused
from gateway.model.status import DocumentStatus
from partners import PartnerRegistry

from .carrier_shipments import earlier_event
from .carrier_shipments import record_booking
from .carrier_webhooks import read_booking

REFUSED = "shipment_refused"


@dataclass(frozen=True, slots=True)
class StoredBooking:
    """What became of one webhook body: its document, its status and (when processed) its meta."""

    document_id: int
    status: str
    meta: dict[str, Any] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    fresh: bool = True  # False: the same bytes were stored before; this is their first outcome


def take_booking(
    sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    name: str,
    platform: str,
    body: bytes,
    *,
    when: datetime,
    again: bool = False,
) -> StoredBooking:
    """Store ``body`` and record its booking for partner ``name``, or store it with why it is refused.

    A delivery of the same booking committing first (an ``IntegrityError`` here) is met by trying
    once ``again``: the stored document then gives its outcome.
    """
    try:
        try:
            booking = read_booking(platform, body)
            with sessions() as session, session.begin():
                document, created = _stored(session, body, platform, name, when)
                if not created and document.status != DocumentStatus.RECEIVED:
                    return _outcome(document, fresh=False)
                meta: dict[str, Any] = {"recorded": False}
                earlier = (
                    None if booking is None else earlier_event(session, platform, name, booking.event_id)
                )
                if earlier is not None:  # the same event again, in other bytes: its first answer
                    meta = {**earlier.meta, "duplicate": True, "duplicate_of": earlier.id}
                elif booking is not None:
                    shipment_id, outcome = record_booking(session, booking, partners, name, when=when)
                    meta = {
                        "recorded": True,
                        "event_id": booking.event_id,
                        "shipment_id": shipment_id,
                        "outbound_id": outcome.outbound_id,
                        "duplicate": outcome.duplicate,
                        "provenance": booking.provenance,
                    }
                document.status, document.meta = DocumentStatus.PROCESSED, {**document.meta, **meta}
                return _outcome(document)
        except OutboundRefused as exc:
            with sessions() as session, session.begin():
                document, created = _stored(session, body, platform, name, when)
                if not created and document.status != DocumentStatus.RECEIVED:
                    return _outcome(document, fresh=False)
                document.status, document.error_code = DocumentStatus.REJECTED, REFUSED
                document.error = "; ".join(exc.problems)
                document.errors = [{"code": REFUSED, "message": p, "location": None} for p in exc.problems]
                storage.tally_documents(session, [document.id])  # onto the desk's queue
                return _outcome(document)
    except IntegrityError:  # the same booking recorded by a delivery running at the same time
        if again:
            raise
        return take_booking(sessions, partners, name, platform, body, when=when, again=True)


def _stored(
    session: Session, body: bytes, platform: str, name: str, when: datetime
) -> tuple[storage.Document, bool]:
    """The body as a document (the one already stored for the same bytes, if any)."""
    document, created = storage.store_document(
        session, io.BytesIO(body), channel=platform, filename=None, received_at=when, partner=name
    )
    if created:
        document.format = platform
    return document, created


def _outcome(document: storage.Document, *, fresh: bool = True) -> StoredBooking:
    refused = [str(error.get("message")) for error in document.errors or []]
    return StoredBooking(document.id, document.status, dict(document.meta or {}), refused, fresh)
