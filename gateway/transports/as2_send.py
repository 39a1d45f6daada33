"""``As2Sender``: our X12 documents to a partner over AS2, and what the partner's MDN means.

pyas2lib builds the message (compress, sign, encrypt as the profile says) and verifies the
MDN; httpx posts it. A synchronous MDN decides at once: positive (signature good, MIC equal
to ours) is ``Sent(confirmed=True)``, anything else a ``TransportError`` that says why and
whether repeating can help. An answer that does not verify is not stored as the message's
MDN: it is kept apart as suspect, with an alert, and the attempt fails. With an asynchronous MDN the send is ``Sent(confirmed=False)``;
the MDN arrives later at our ``POST /as2`` and is matched by its Original-Message-ID.

A resend of a document whose last message got no MDN keeps that Message-ID, so the partner
can see it as a duplicate; after a negative MDN the next attempt is a new message. The
dispatcher records each attempt's success or failure on the ``as2-out`` status row.
"""

from __future__ import annotations

from gateway.model.status import As2Status
from gateway.transports import _oscrypto_compat  # noqa: F401 - before pyas2lib: see its docstring

# isort: split

import logging
import secrets
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import httpx
from pyas2lib import Mdn
from pyas2lib import Message
from pyas2lib.exceptions import AS2Exception
from pyas2lib.exceptions import ImproperlyConfigured
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import config
from gateway import storage
from gateway.errors import ConfigError
from gateway.errors import TransportError
from gateway.outbound.dispatch import Sent
from gateway.outbound.http_status import worth_retrying
from partners import PartnerProfile

from . import as2_messages as messages
from .as2_identity import As2Identity
from .as2_messages import MdnFacts
from .as2_partners import outbound_partner

log = logging.getLogger(__name__)
CONTENT_TYPE = "application/edi-x12"
# Dispositions that say the message itself was wrong for the partner: sending it again cannot help.
PERMANENT_MODIFIERS = frozenset(
    {
        "authentication-failed",
        "decryption-failed",
        "decompression-failed",
        "insufficient-message-security",
        "integrity-check-failed",
        "invalid-certificate",
        "unknown-trading-partner",
        "unsupported-format",
        "unsupported-mic-algorithms",
    }
)
_MDN_TYPES = ("multipart/report", "multipart/signed")
_NOT_VERIFIED = "Failed to parse received MDN"
_UNSIGNED = "Expected signed MDN but unsigned MDN returned"


@dataclass(frozen=True, slots=True)
class MdnVerdict:
    """What an MDN means for the message it answers."""

    delivered: bool
    retryable: bool
    reason: str
    verified: bool = True  # False: unsigned where signed ones are asked for, a bad signature, or no MDN


def mdn_verdict(
    status: str | None, detail: str | None, *, sent_mic: str | None, facts: MdnFacts
) -> MdnVerdict:
    """Judge pyas2lib's ``Mdn.parse`` result (``status``, ``detail``) and the MIC the MDN states."""
    state, detail = (status or "").strip(), (detail or "").strip()
    if detail.startswith(_UNSIGNED):
        return MdnVerdict(
            False, False, "the MDN is unsigned, but the profile asks for signed MDNs", verified=False
        )
    if detail.startswith(_NOT_VERIFIED):
        return MdnVerdict(
            False,
            False,
            f"the MDN does not verify against the partner's certificate: {detail}",
            verified=False,
        )
    if detail == "mdn-not-found":
        return MdnVerdict(False, True, "the answer is not an MDN", verified=False)
    if state.lower() == "processed":
        if sent_mic and not facts.mic:
            return MdnVerdict(False, False, "the MDN states no Received-Content-MIC, so it proves nothing")
        if sent_mic and facts.mic and facts.mic.split(",")[0].strip() != sent_mic:
            return MdnVerdict(
                False, True, f"MIC mismatch: the partner computed {facts.mic}, we sent {sent_mic}"
            )
        return MdnVerdict(True, False, f"MDN {facts.disposition or state}")
    if state.lower().startswith("processed/warning"):
        if "integrity check failed" in detail.lower():
            return MdnVerdict(
                False, True, f"MIC mismatch: the partner computed {facts.mic}, we sent {sent_mic}"
            )
        return MdnVerdict(True, False, f"MDN with a warning: {facts.disposition or detail}")
    modifier = detail.lower()
    said = facts.disposition or f"{state}: {detail}"
    return MdnVerdict(False, modifier not in PERMANENT_MODIFIERS, f"the partner's MDN refuses it: {said}")


def mic_of(message: Message) -> str | None:
    """``base64, alg`` as an MDN states it; None for an unsigned message (pyas2lib computes none)."""
    return f"{message.mic.decode()}, {message.digest_alg}" if message.mic else None


def bare_mic(mic: str | None) -> str | None:
    return mic.split(",")[0].strip() if mic else None


class As2Sender:
    """The dispatcher's ``as2`` route: one ``send`` per attempt, raising ``TransportError`` when it failed."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        identity: As2Identity | None,
        *,
        clock: Callable[[], datetime],
        client: httpx.Client | None = None,
        timeout: float = 300.0,
        profiles_dir: Path | None = None,
        unconfigured: str = "AS2 is not configured: set GATEWAY_AS2_ID and GATEWAY_AS2_KEY_FILE",
    ) -> None:
        """``timeout``: how long the partner may take to answer (a sync MDN comes with the answer).

        With no ``identity`` every send fails, not retryable, saying ``unconfigured``.
        """
        self._sessions = sessions
        self._identity = identity
        self._unconfigured = unconfigured
        self._clock = clock
        self._client = client or httpx.Client(timeout=timeout)
        self._owns_client = client is None
        self._profiles_dir = profiles_dir

    @classmethod
    def from_environment(
        cls, sessions: sessionmaker[Session] | None = None, environ: Mapping[str, str] | None = None
    ) -> As2Sender:
        """Our identity from ``GATEWAY_AS2_*``, the store from ``GATEWAY_DATABASE_URL`` unless given.

        A missing or broken identity does not stop the caller (the worker also sends by SFTP):
        it is logged, and every AS2 send then fails saying why.
        """
        now = config.clock()
        try:
            identity = config.as2_identity_from_environment(environ, at=now())
            problem = "AS2 is not configured: set GATEWAY_AS2_ID and GATEWAY_AS2_KEY_FILE"
        except ConfigError as exc:
            log.error("AS2 sending is off: %s", exc)
            identity, problem = None, f"AS2 is misconfigured: {exc}"
        if sessions is None:
            sessions = config.sessions_from_environment()
        return cls(sessions, identity, clock=now, unconfigured=problem)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def send(self, *, content: bytes, filename: str, profile: PartnerProfile, outbound_id: int) -> Sent:
        if self._identity is None:
            raise TransportError(self._unconfigured, retryable=False)
        link = profile.as2
        if link is None or not link.url:
            raise TransportError(f"partner {profile.name} has no [as2] url to send to", retryable=False)
        mdn_url = link.mdn_url or self._identity.mdn_url
        if link.mdn_mode == "async" and not mdn_url:
            raise TransportError(
                f"partner {profile.name} wants asynchronous MDNs but we have no URL for them: "
                "set as2.mdn_url in its profile or GATEWAY_AS2_MDN_URL",
                retryable=False,
            )
        message = self._build(content, filename, profile, outbound_id, mdn_url)
        with self._sessions() as session, session.begin():
            row = messages.claim(
                session,
                direction=messages.OUT,
                partner=profile.name,
                partner_as2_id=link.as2_id,
                message_id=message.message_id,
                status=As2Status.SENDING,
                at=self._clock(),
                outbound_id=outbound_id,
                filename=filename,
                signed=message.signed,
                encrypted=message.encrypted,
                compressed=message.compressed,
                mic=mic_of(message),
                mdn_mode=link.mdn_mode,
                mdn_url=mdn_url if link.mdn_mode == "async" else None,
            )
            row_id = row.id
        where = f"AS2 message {message.message_id} to {link.url}"
        try:
            response = self._client.post(link.url, content=message.content, headers=message.headers)
        except httpx.TimeoutException as exc:
            self._failed(row_id, f"{where}: no answer in time ({type(exc).__name__})", retryable=True)
        except httpx.HTTPError as exc:
            self._failed(
                row_id, f"{where}: cannot reach the partner: {type(exc).__name__}: {exc}", retryable=True
            )
        if not response.is_success:
            code = response.status_code
            self._failed(
                row_id,
                f"{where}: HTTP {code}: {response.text[:300].strip()}",
                retryable=worth_retrying(code),
            )
        if response.headers.get("content-type", "").split(";")[0].strip().lower() in _MDN_TYPES:
            raw = messages.http_message(response.headers.multi_items(), response.content)
            return self._judge(row_id, message, raw, where)
        if link.mdn_mode == "sync":
            self._failed(
                row_id, f"{where}: HTTP {response.status_code} but no MDN in the answer", retryable=True
            )
        with self._sessions() as session, session.begin():
            sent = session.get(storage.As2Message, row_id, with_for_update=True)
            if sent is not None and sent.status == As2Status.SENDING:  # an MDN may have come already
                sent.status, sent.updated_at = As2Status.AWAITING_MDN, self._clock()
        return Sent(f"{where}; asynchronous MDN due at {mdn_url}", confirmed=False)

    def _build(
        self, content: bytes, filename: str, profile: PartnerProfile, outbound_id: int, mdn_url: str | None
    ) -> Message:
        assert self._identity is not None
        now = self._clock()
        try:
            receiver = outbound_partner(profile, at=now, base_dir=self._profiles_dir)
            sender = self._identity.organization(mdn_url)
        except ConfigError as exc:
            raise TransportError(str(exc), retryable=False) from exc
        with self._sessions() as session:
            previous = messages.unanswered_message_id(session, outbound_id)
        local = previous.rsplit("@", 1)[0] if previous else f"gw-{outbound_id}-{secrets.token_hex(8)}"
        message = Message(sender=sender, receiver=receiver)
        try:
            message.build(
                content,
                filename=filename,
                content_type=CONTENT_TYPE,
                disposition_notification_to=self._identity.notification_address,
                message_id=local,
            )
        except (AS2Exception, ImproperlyConfigured, ValueError) as exc:
            raise TransportError(
                f"cannot build the AS2 message for {profile.name}: {exc}", retryable=False
            ) from exc
        return message

    def _judge(self, row_id: int, message: Message, raw: bytes, where: str) -> Sent:
        """A synchronous MDN: verify it with pyas2lib, keep it, and say what it means."""
        status, detail = Mdn().parse(
            raw, find_message_cb=lambda mid, _to: message if mid == message.message_id else None
        )
        now = self._clock()
        with self._sessions() as session, session.begin():
            row = session.get(storage.As2Message, row_id, with_for_update=True)
            assert row is not None
            verdict = mdn_verdict(status, detail, sent_mic=bare_mic(row.mic), facts=messages.mdn_facts(raw))
            if verdict.verified:  # judged first: only an MDN that verifies is the message's MDN
                messages.store_mdn(row, raw, at=now)
                row.status = As2Status.DELIVERED if verdict.delivered else As2Status.REFUSED
            else:  # no usable answer; the partner may hold the message, so a resend keeps its id
                suspect = messages.keep_suspect_mdn(
                    session,
                    partner=row.partner,
                    partner_as2_id=row.partner_as2_id,
                    original_message_id=row.message_id,
                    sent=row,
                    raw=raw,
                    reason=f"{where}: {verdict.reason}",
                    at=now,
                )
                log.warning("%s: %s; kept apart as suspect MDN %d", where, verdict.reason, suspect.id)
                row.status = As2Status.FAILED
            row.error = None if verdict.delivered else verdict.reason[:4000]
            row.updated_at = now
        if not verdict.delivered:
            raise TransportError(f"{where}: {verdict.reason}", retryable=verdict.retryable)
        return Sent(f"{where}: {verdict.reason}", confirmed=True)

    def _failed(self, row_id: int, error: str, *, retryable: bool) -> NoReturn:
        with self._sessions() as session, session.begin():
            row = session.get(storage.As2Message, row_id, with_for_update=True)
            if row is not None and row.status == As2Status.SENDING:
                messages.update(row, status=As2Status.FAILED, error=error, updated_at=self._clock())
        raise TransportError(error, retryable=retryable)
