"""The ``as2_message`` table: AS2 messages in and out, and their MDNs kept for non-repudiation.

Functions take a session and never commit. ``mdn_facts`` reads what an MDN says (who answers
which message, the disposition, the MIC, the signature) from its raw bytes, for storing. An MDN
that must change nothing goes to ``as2_suspect_mdn`` instead, with an alert (``keep_suspect_mdn``).
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import storage
from gateway.alerts import raise_alert
from gateway.model.status import AlertKind
from gateway.model.status import As2Status

IN, OUT = "in", "out"
SUSPECT_MDN_ALERT = AlertKind.AS2_SUSPECT_MDN

_SIGNATURE_TYPES = ("application/pkcs7-signature", "application/x-pkcs7-signature")
_TEXT_LIMIT = 4000


@dataclass(frozen=True, slots=True)
class MdnFacts:
    """What one MDN states, read from its bytes."""

    message_id: str | None
    original_message_id: str | None
    disposition: str | None
    mic: str | None
    signature: bytes | None


def http_message(headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """Headers and body as one MIME message: what pyas2lib parses, and what we store."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return head.encode("utf-8", "surrogateescape") + b"\r\n" + body


def split_http_message(raw: bytes) -> tuple[dict[str, str], bytes]:
    """``http_message`` undone: the headers (for a POST) and the body."""
    head, _, body = raw.partition(b"\r\n\r\n")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "surrogateescape").split("\r\n"):
        name, _, value = line.partition(":")
        if name:
            headers[name.strip()] = value.strip()
    return headers, body


def mdn_facts(raw: bytes) -> MdnFacts:
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    signature: bytes | None = None
    report: Any = None
    for part in parsed.walk():
        kind = part.get_content_type()
        if kind in _SIGNATURE_TYPES:
            payload = part.get_payload(decode=True)
            signature = payload if isinstance(payload, bytes) else None
        elif kind == "message/disposition-notification":
            fields = part.get_payload()
            report = fields[0] if isinstance(fields, list) and fields else None
    message_id = (parsed.get("Message-ID") or "").strip().strip("<>") or None
    if report is None:
        return MdnFacts(message_id, None, None, None, signature)
    original = (report.get("Original-Message-ID") or "").strip().strip("<>") or None
    disposition = report.get("Disposition")
    mic = report.get("Received-Content-MIC")
    return MdnFacts(
        message_id,
        original,
        disposition.strip() if disposition else None,
        mic.strip() if mic else None,
        signature,
    )


@dataclass(frozen=True, slots=True)
class Processed:
    """An inbound Message-ID already stored and answered: its document and that document's hash."""

    document_id: int | None
    sha256: str | None


def processed(session: Session, partner_as2_id: str, message_id: str) -> Processed | None:
    """This Message-ID from this partner, if it was stored and answered with a positive MDN."""
    message, document = storage.As2Message, storage.Document
    found = session.execute(
        select(message.status, message.document_id, document.sha256)
        .outerjoin(document, document.id == message.document_id)
        .where(
            message.partner_as2_id == partner_as2_id,
            message.message_id == message_id,
            message.direction == IN,
        )
    ).first()
    if found is None or found.status != As2Status.PROCESSED:
        return None
    return Processed(found.document_id, found.sha256)


def claim(
    session: Session,
    *,
    direction: str,
    partner: str,
    partner_as2_id: str,
    message_id: str,
    status: str,
    at: datetime,
    **fields: Any,
) -> storage.As2Message:
    """The row for this message, created or taken over by one more attempt, with ``fields`` set."""
    message = storage.As2Message
    key = (message.partner_as2_id == partner_as2_id, message.message_id == message_id)
    row = session.scalar(select(message).where(*key, message.direction == direction).with_for_update())
    if row is None:
        try:
            with session.begin_nested():
                row = message(
                    direction=direction,
                    partner=partner,
                    partner_as2_id=partner_as2_id,
                    message_id=message_id,
                    status=status,
                    attempts=0,
                    signed=False,
                    encrypted=False,
                    compressed=False,
                    created_at=at,
                    updated_at=at,
                )
                session.add(row)
                session.flush()
        except IntegrityError:  # the same message, claimed by a concurrent attempt
            row = session.scalar(select(message).where(*key, message.direction == direction))
            assert row is not None
    row.attempts += 1
    row.status, row.updated_at, row.error = status, at, None
    update(row, **fields)
    return row


def update(row: storage.As2Message, **fields: Any) -> None:
    for name, value in fields.items():
        if name == "error" and value is not None:
            value = value[:_TEXT_LIMIT]
        setattr(row, name, value)


def store_mdn(row: storage.As2Message, raw: bytes, *, at: datetime | None) -> MdnFacts:
    """Keep an MDN with its message; ``at`` is when it left or came (None: an async one not yet sent)."""
    facts = mdn_facts(raw)
    update(
        row,
        mdn=raw,
        mdn_signature=facts.signature,
        mdn_message_id=facts.message_id[:255] if facts.message_id else None,
        mdn_disposition=facts.disposition,
        mdn_mic=facts.mic[:160] if facts.mic else None,
        mdn_at=at,
    )
    return facts


def outbound_row(session: Session, partner_as2_id: str, message_id: str) -> storage.As2Message | None:
    message = storage.As2Message
    return session.scalar(
        select(message)
        .where(
            message.partner_as2_id == partner_as2_id,
            message.message_id == message_id,
            message.direction == OUT,
        )
        .with_for_update()
    )


def unanswered_message_id(session: Session, outbound_id: int) -> str | None:
    """The Message-ID of the last attempt at ``outbound_id`` when no MDN answered it: resends keep it.

    Keeping it lets the partner see a resend as a duplicate of what it may already hold; after
    a negative MDN the next attempt is a new message and gets a new id.
    """
    message = storage.As2Message
    last = session.scalar(
        select(message).where(message.outbound_id == outbound_id).order_by(message.id.desc()).limit(1)
    )
    if last is None or last.mdn is not None or last.status == As2Status.DELIVERED:
        return None
    return last.message_id


def pending_async_mdns(session: Session, *, limit: int = 100) -> list[storage.As2Message]:
    """Inbound messages whose asynchronous MDN was built but never delivered."""
    message = storage.As2Message
    return list(
        session.scalars(
            select(message)
            .where(
                message.direction == IN,
                message.mdn_mode == "async",
                message.mdn.is_not(None),
                message.mdn_at.is_(None),
            )
            .order_by(message.id)
            .limit(limit)
        )
    )


def keep_suspect_mdn(
    session: Session,
    *,
    partner: str,
    partner_as2_id: str,
    original_message_id: str,
    sent: storage.As2Message | None,
    raw: bytes,
    reason: str,
    at: datetime,
) -> storage.As2SuspectMdn:
    """Keep an MDN apart from the message it names (which it must not change), and alert a person."""
    facts = mdn_facts(raw)
    suspect = storage.As2SuspectMdn(
        received_at=at,
        partner=partner,
        partner_as2_id=partner_as2_id,
        original_message_id=original_message_id[:255],
        as2_message_id=sent.id if sent is not None else None,
        mdn_message_id=facts.message_id[:255] if facts.message_id else None,
        disposition=facts.disposition,
        raw=raw,
        reason=reason[:_TEXT_LIMIT],
    )
    session.add(suspect)
    session.flush()
    raise_alert(
        session,
        kind=AlertKind.AS2_SUSPECT_MDN,
        partner=partner,
        outbound_id=sent.outbound_id if sent is not None else None,
        message=f"suspect MDN {suspect.id} from {partner} for AS2 message {original_message_id} "
        f"changed nothing: {reason}"[:_TEXT_LIMIT],
        action=f"ask {partner} whether they sent it (compare their AS2 certificate and log); "
        "the message it names keeps its state",
        at=at,
        dedupe_key=f"{AlertKind.AS2_SUSPECT_MDN}:{suspect.id}",
    )
    return suspect
