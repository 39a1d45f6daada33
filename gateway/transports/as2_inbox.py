"""``As2Inbox``: what our AS2 endpoint does with one POST, a partner's message or its MDN.

A message: pyas2lib's ``Message.parse`` decrypts, verifies the signature against the partner's
pinned certificate, decompresses, computes the MIC and builds the signed MDN. The payload is
then stored durably (the pipeline commits it, then processes it), and only after that does the
MDN go out, synchronously in the answer or posted to the partner's Receipt-Delivery-Option URL
in the background. A Message-ID already processed is verified like any message, then compared
by content: the same bytes get a ``processed/warning: duplicate-document`` MDN and are not
stored again (RFC 4130 7.5.6, 9.3); other bytes are stored but held for a person, marked
``as2.duplicate_message_id`` and alerted, since processing them could double an order, and get
the same disposition, with the MIC of what arrived and a text saying so. One whose earlier
attempt failed before its MDN is taken as new.

Refusals get a negative MDN whose text says why, and every refusal or failure is logged and
recorded on the partner's ``as2-in`` status row (``(unknown)`` when no profile matches).
What is not AS2 at all (no AS2 headers, unknown AS2-From, not addressed to us) gets a 4xx
with the reason in plain text. An MDN answering a message we sent is verified first: only one
that verifies against the partner's pinned certificate (and is signed, where the profile asks
for signed MDNs) is stored and changes the message, and only the first such MDN: a later one
that disagrees with it changes nothing. An MDN that changes nothing is kept apart as suspect,
logged, and alerted (``gateway alerts``).
"""

from __future__ import annotations

from gateway.alerts import raise_alert
from gateway.model.status import AlertKind
from gateway.model.status import As2Status
from gateway.model.status import OutboxStatus
from gateway.transports import _oscrypto_compat  # noqa: F401 - before pyas2lib: see its docstring

# isort: split

import email
import email.policy
import email.utils
import hashlib
import io
import logging
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path

from pyas2lib import Mdn
from pyas2lib import Message
from pyas2lib.exceptions import AS2Exception
from pyas2lib.exceptions import DuplicateDocument
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.errors import ConfigError
from gateway.inbound.pipeline import Pipeline
from gateway.outbound.outbox import confirm_delivery
from gateway.outbound.retries import RetryPolicy
from gateway.outbound.retries import record_failed_attempt
from gateway.outbound.transport_status import record_failure
from gateway.outbound.transport_status import record_success
from parsers import nesting_refusal
from partners import PartnerProfile
from partners import PartnerRegistry

from . import as2_messages as messages
from .as2_courier import MdnCourier
from .as2_courier import MdnJob
from .as2_identity import As2Identity
from .as2_partners import inbound_partner
from .as2_partners import outbound_partner
from .as2_partners import profile_for_as2_id
from .as2_send import bare_mic
from .as2_send import mdn_verdict
from .as2_send import mic_of

log = logging.getLogger(__name__)
IN_CHANNEL, OUT_CHANNEL = "as2-in", "as2-out"
UNKNOWN_SENDER = "(unknown)"  # the status row of senders no profile matches
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}
DUPLICATE_MESSAGE_ID = "as2.duplicate_message_id"  # the held document's error code
DUPLICATE_ID_ALERT = AlertKind.AS2_DUPLICATE_ID


@dataclass(frozen=True, slots=True)
class Reply:
    """The HTTP answer to one POST."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: dict(_TEXT))

    @classmethod
    def text(cls, status: int, text: str) -> Reply:
        return cls(status, (text.rstrip("\n") + "\n").encode("utf-8"))


class As2Inbox:
    """Receives AS2 messages and MDNs for us (``identity``) from the partners in ``partners``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        partners: PartnerRegistry,
        identity: As2Identity,
        *,
        pipeline: Pipeline,
        clock: Callable[[], datetime],
        courier: MdnCourier | None = None,
        profiles_dir: Path | None = None,
    ) -> None:
        self._sessions = sessions
        self._partners = partners
        self._identity = identity
        self._pipeline = pipeline
        self._clock = clock
        self.courier = courier or MdnCourier(sessions, clock)
        self._profiles_dir = profiles_dir

    def receive(self, headers: Iterable[tuple[str, str]], body: bytes, *, mdn_only: bool = False) -> Reply:
        """One POST: its headers (as received) and body."""
        items = list(headers)
        now = self._clock()
        named = {name.lower(): value for name, value in items}
        as2_from, as2_to = _as2_name(named.get("as2-from", "")), _as2_name(named.get("as2-to", ""))
        profile = profile_for_as2_id(self._partners, as2_from) if as2_from else None
        who = profile.name if profile else UNKNOWN_SENDER
        missing = [h for h in ("AS2-From", "AS2-To", "Message-ID") if not named.get(h.lower(), "").strip()]
        if missing:
            return self._reject(400, who, f"not an AS2 message: no {', '.join(missing)} header", now)
        if not body:
            return self._reject(400, who, f"AS2 message from {as2_from!r} has an empty body", now)
        if as2_to != self._identity.as2_id:
            return self._reject(
                403, who, f"AS2-To {as2_to!r} is not us: our AS2 id is {self._identity.as2_id!r}", now
            )
        if profile is None:
            return self._reject(
                403,
                who,
                f"unknown AS2-From {as2_from!r}: no partner profile has [as2] as2_id = {as2_from!r}",
                now,
            )
        raw = messages.http_message(items, body)
        nesting = nesting_refusal(raw)  # the MIME parsers (ours, pyas2lib's) would recurse too deep
        if nesting is not None:
            return self._reject(400, profile.name, f"cannot read the AS2 message: {nesting}", now)
        if mdn_only or _is_mdn(named.get("content-type", ""), raw):
            return self._take_mdn(profile, raw, now)
        return self._take_message(profile, named["message-id"].strip().strip("<>"), raw, now)

    def refuse(self, headers: Iterable[tuple[str, str]], status: int, error: str) -> Reply:
        """Turn a request away before reading it (too large), recorded against its AS2-From."""
        as2_from = _as2_name(dict((k.lower(), v) for k, v in headers).get("as2-from", ""))
        profile = profile_for_as2_id(self._partners, as2_from) if as2_from else None
        return self._reject(status, profile.name if profile else UNKNOWN_SENDER, error, self._clock())

    def redeliver_mdns(self) -> int:
        """Queue every async MDN a restart left undelivered; returns how many."""
        with self._sessions() as session:
            rows = messages.pending_async_mdns(session)
            jobs = [MdnJob(r.partner, r.mdn_url or "", r.mdn or b"", r.message_id, r.id) for r in rows]
        for job in jobs:
            self.courier.submit(job)
        return len(jobs)

    # -- messages ---------------------------------------------------------------------------

    def _take_message(self, profile: PartnerProfile, message_id: str, raw: bytes, now: datetime) -> Reply:
        try:
            sender = inbound_partner(profile, at=now, base_dir=self._profiles_dir)
            organization = self._identity.organization()
        except ConfigError as exc:  # ours to fix; the partner sends again later
            return self._reject(
                503, profile.name, f"cannot check AS2 messages from {profile.name}: {exc}", now
            )
        try:  # asked here, not inside pyas2lib: a store that is down must not become a negative MDN
            with self._sessions() as session:
                seen = messages.processed(session, sender.as2_name, message_id)
        except Exception as exc:
            log.exception("cannot look up AS2 message %s from %s", message_id, profile.name)
            return self._reject(
                503, profile.name, f"cannot take AS2 messages now ({type(exc).__name__})", now
            )
        message = Message()
        try:
            disposition, (problem, _), mdn = message.parse(
                raw,
                find_org_cb=lambda as2_id: organization if as2_id == organization.as2_name else None,
                find_partner_cb=lambda as2_id: sender if as2_id == sender.as2_name else None,
            )  # no find_message_cb: pyas2lib would answer a known id before verifying anything
        except Exception as exc:  # pyas2lib fails outside its own guard (e.g. building the MDN)
            log.warning("AS2 message from %s cannot be parsed", profile.name, exc_info=True)
            return self._reject(
                400, profile.name, f"cannot read the AS2 message: {type(exc).__name__}: {exc}", now
            )
        if problem is not None or disposition != "processed":  # the processed message's row stays as it is
            return self._refuse(profile, message, disposition, problem, mdn, now, claim=seen is None)
        if seen is not None:
            return self._reused(profile, message, seen, mdn, now)
        return self._accept(profile, message, _Receipt.of(mdn), now)

    def _accept(
        self, profile: PartnerProfile, message: Message, mdn: _Receipt | None, now: datetime
    ) -> Reply:
        filename = message.payload.get_filename() if message.payload is not None else None
        try:  # stored and committed before anything answers the partner
            outcome = self._pipeline.ingest_stream(
                io.BytesIO(message.content), channel="as2", filename=filename, partner=profile.name
            )
        except Exception as exc:
            log.exception("AS2 message %s from %s could not be stored", message.message_id, profile.name)
            error = (
                f"AS2 message {message.message_id} could not be stored ({type(exc).__name__}); "
                "no MDN was sent, so the partner should send it again"
            )
            try:
                with self._sessions() as session, session.begin():
                    detail = f"{error}: {exc}"
                    self._claim(
                        session,
                        profile,
                        message,
                        None,
                        As2Status.FAILED,
                        now,
                        filename=filename,
                        error=detail,
                    )
                    record_failure(session, partner=profile.name, channel=IN_CHANNEL, at=now, error=detail)
            except Exception:  # the store is down: the partner still hears why
                log.exception("could not record the AS2 failure")
            return Reply.text(503, error)
        same = ", the same bytes as an earlier document" if outcome.duplicate else ""
        with self._sessions() as session, session.begin():
            row = self._claim(
                session,
                profile,
                message,
                mdn,
                As2Status.PROCESSED,
                now,
                filename=filename,
                document_id=outcome.document_id,
            )
            record_success(
                session,
                partner=profile.name,
                channel=IN_CHANNEL,
                at=now,
                detail=f"AS2 message {message.message_id}: document {outcome.document_id} ({outcome.status}{same})",
            )
            row_id = row.id
        return self._answer(profile, message, mdn, row_id, f"document {outcome.document_id} stored")

    def _claim(
        self,
        session: Session,
        profile: PartnerProfile,
        message: Message,
        mdn: _Receipt | None,
        status: str,
        now: datetime,
        **fields: object,
    ) -> storage.As2Message:
        """The message's row in its new state, with the MDN that answers it (if one was asked for)."""
        assert profile.as2 is not None
        row = messages.claim(
            session,
            direction=messages.IN,
            partner=profile.name,
            partner_as2_id=profile.as2.as2_id,
            message_id=message.message_id or "",
            status=status,
            at=now,
            signed=message.signed,
            encrypted=message.encrypted,
            compressed=message.compressed,
            mic=mic_of(message),
            mdn_mode=mdn.mode if mdn else None,
            mdn_url=mdn.url if mdn else None,
            **fields,
        )
        if mdn is not None:
            messages.store_mdn(row, mdn.raw, at=now if mdn.mode == "sync" else None)
        return row

    def _refuse(
        self,
        profile: PartnerProfile,
        message: Message,
        status: str,
        problem: BaseException | None,
        mdn: Mdn | None,
        now: datetime,
        *,
        claim: bool = True,
    ) -> Reply:
        modifier = getattr(problem, "disposition_modifier", "") or "unexpected-processing-error"
        if isinstance(problem, AS2Exception):
            reason = str(problem)
        else:
            reason = f"cannot read it: {type(problem).__name__}: {str(problem)[:200]}"
        # rebuilt so its text part says why, not just that it failed
        text = f"The AS2 message could not be processed: {reason}"
        receipt = _Receipt.of(_explained(message, mdn, status, modifier, text) if mdn else None)
        error = f"AS2 message {message.message_id} refused ({status}: {modifier}): {reason}"
        log.warning("%s: %s", profile.name, error)
        with self._sessions() as session, session.begin():
            row_id = None
            if claim:
                row = self._claim(session, profile, message, receipt, As2Status.REFUSED, now, error=error)
                row_id = row.id
            record_failure(session, partner=profile.name, channel=IN_CHANNEL, at=now, error=error)
        if receipt is None:
            return Reply.text(400, error)
        return self._answer(profile, message, receipt, row_id, error)

    def _reused(
        self,
        profile: PartnerProfile,
        message: Message,
        seen: messages.Processed,
        mdn: Mdn | None,
        now: datetime,
    ) -> Reply:
        """A Message-ID already processed, verified again: the same bytes are a resend, others are held."""
        message_id = message.message_id
        if hashlib.sha256(message.content).hexdigest() == seen.sha256:
            log.warning(
                "%s: AS2 message %s was already processed; answered duplicate-document, not stored again",
                profile.name,
                message_id,
            )
            text = f"An identical message already exists at the destination (document {seen.document_id})."
            return self._answer(
                profile, message, _duplicate_mdn(message, mdn, text), None, "duplicate of a processed message"
            )
        filename = message.payload.get_filename() if message.payload is not None else None
        error = (
            f"AS2 message {message_id} from {profile.name} reuses the Message-ID of document "
            f"{seen.document_id}, with other content: held unprocessed, as processing it could double an "
            "order. Process it if it is a new document; otherwise leave it"
        )
        try:  # stored and committed before anything answers the partner
            outcome = self._pipeline.hold_stream(
                io.BytesIO(message.content),
                channel="as2",
                filename=filename,
                partner=profile.name,
                error_code=DUPLICATE_MESSAGE_ID,
                error=error,
                meta={"as2_message_id": message_id},
            )
        except Exception as exc:
            log.exception("AS2 message %s from %s could not be stored", message_id, profile.name)
            return self._reject(
                503,
                profile.name,
                f"AS2 message {message_id} could not be stored ({type(exc).__name__}); "
                "no MDN was sent, so the partner should send it again",
                now,
            )
        document_id = outcome.document_id
        if outcome.duplicate:
            what = f"the same content as document {document_id}, stored already: nothing new was stored"
        else:
            what = f"stored as document {document_id} and held for review by a person; it was not processed"
        log.warning("%s: AS2 Message-ID %s reused with other content: %s", profile.name, message_id, what)
        with self._sessions() as session, session.begin():
            if not outcome.duplicate:
                raise_alert(
                    session,
                    kind=AlertKind.AS2_DUPLICATE_ID,
                    partner=profile.name,
                    document_id=document_id,
                    message=f"document {document_id}: {error}",
                    action=f"compare it with the earlier message on the desk; process it (`gateway reprocess "
                    f"{document_id}`) if it is a new order, and ask {profile.name} to use a new Message-ID",
                    at=now,
                )
            record_success(
                session,
                partner=profile.name,
                channel=IN_CHANNEL,
                at=now,
                detail=f"AS2 message {message_id}: reused Message-ID, {what}",
            )
        text = (
            f"This message reuses Message-ID {message_id} of a message already processed, with different "
            f"content. It was {what}. Send each new document with a new Message-ID."
        )
        return self._answer(profile, message, _duplicate_mdn(message, mdn, text), None, what)

    def _answer(
        self, profile: PartnerProfile, message: Message, mdn: _Receipt | None, row_id: int | None, what: str
    ) -> Reply:
        if mdn is None:
            return Reply.text(200, f"AS2 message {message.message_id}: {what}; no MDN was asked for")
        if mdn.url is None:
            return Reply(200, mdn.body, mdn.headers)
        self.courier.submit(MdnJob(profile.name, mdn.url, mdn.raw, message.message_id, row_id))
        return Reply.text(200, f"AS2 message {message.message_id}: {what}; the MDN follows to {mdn.url}")

    # -- MDNs for what we sent --------------------------------------------------------------

    def _take_mdn(self, profile: PartnerProfile, raw: bytes, now: datetime) -> Reply:
        assert profile.as2 is not None
        facts = messages.mdn_facts(raw)
        original = facts.original_message_id
        if not original:
            return self._reject(400, profile.name, "an MDN without Original-Message-ID", now, OUT_CHANNEL)
        with self._sessions() as session:
            sent = messages.outbound_row(session, profile.as2.as2_id, original)
            mic = sent.mic if sent is not None else None
        if sent is None:
            return self._reject(
                404,
                profile.name,
                f"MDN for message {original}, which we never sent to {profile.name}",
                now,
                OUT_CHANNEL,
            )
        try:
            receiver = outbound_partner(profile, at=now, base_dir=self._profiles_dir)
        except ConfigError as exc:
            return self._reject(
                503, profile.name, f"cannot verify MDNs from {profile.name}: {exc}", now, OUT_CHANNEL
            )
        original_message = Message(sender=self._identity.organization(), receiver=receiver)
        original_message.message_id = original
        bare = bare_mic(mic)  # None exactly when mic is empty
        original_message.mic = bare.encode() if bare is not None else None
        status, detail = Mdn().parse(
            raw, find_message_cb=lambda mid, _to: original_message if mid == original else None
        )
        verdict = mdn_verdict(status, detail, sent_mic=bare_mic(mic), facts=facts)
        text = f"MDN for AS2 message {original}: {verdict.reason}"
        with self._sessions() as session, session.begin():  # judged first; stored only if it counts
            row = messages.outbound_row(session, profile.as2.as2_id, original)
            assert row is not None
            if not verdict.verified:
                suspect = self._keep_apart(session, profile, row, raw, text, now)
                return Reply.text(403, f"{text}; kept apart as suspect MDN {suspect}, nothing changed")
            if row.mdn is not None:  # answered already: one MDN per message, and the first one stays
                if raw == row.mdn or verdict.delivered == (row.status == As2Status.DELIVERED):
                    log.info("%s: MDN for AS2 message %s repeated; nothing changes", profile.name, original)
                    return Reply.text(200, f"MDN for AS2 message {original}: already answered ({row.status})")
                error = (
                    f"MDN for AS2 message {original} contradicts the MDN already kept "
                    f"({row.status}: {row.mdn_disposition}): {verdict.reason}"
                )
                suspect = self._keep_apart(session, profile, row, raw, error, now)
                return Reply.text(409, f"{error}; kept apart as suspect MDN {suspect}, nothing changed")
            messages.store_mdn(row, raw, at=now)
            row.updated_at = now
            if verdict.delivered:
                row.status, row.error = As2Status.DELIVERED, None
                if row.outbound_id is not None:
                    confirm_delivery(session, row.outbound_id, at=now)
                record_success(session, partner=profile.name, channel=OUT_CHANNEL, at=now, detail=text)
            else:
                row.status = As2Status.REFUSED
                messages.update(row, error=text)
                self._undelivered(session, profile, row.outbound_id, text, verdict.retryable, now)
                record_failure(session, partner=profile.name, channel=OUT_CHANNEL, at=now, error=text)
        if not verdict.delivered:
            log.warning("%s: %s", profile.name, text)
        return Reply.text(200, text)

    def _keep_apart(
        self,
        session: Session,
        profile: PartnerProfile,
        sent: storage.As2Message,
        raw: bytes,
        error: str,
        now: datetime,
    ) -> int:
        """An MDN that must change nothing: kept as suspect, logged, alerted; returns its id."""
        assert profile.as2 is not None
        suspect = messages.keep_suspect_mdn(
            session,
            partner=profile.name,
            partner_as2_id=profile.as2.as2_id,
            original_message_id=sent.message_id,
            sent=sent,
            raw=raw,
            reason=error,
            at=now,
        )
        log.warning("%s: %s; kept apart as suspect MDN %d, nothing changed", profile.name, error, suspect.id)
        record_failure(session, partner=profile.name, channel=OUT_CHANNEL, at=now, error=error)
        return suspect.id

    def _undelivered(
        self,
        session: Session,
        profile: PartnerProfile,
        outbound_id: int | None,
        error: str,
        retryable: bool,
        now: datetime,
    ) -> None:
        """A negative async MDN: the document waiting for it is retried or dead-lettered now."""
        row = session.get(storage.OutboundRecord, outbound_id, with_for_update=True) if outbound_id else None
        if row is None or row.status != OutboxStatus.AWAITING_MDN:
            return
        delivery = profile.delivery
        policy = (
            RetryPolicy(delivery.max_attempts, delivery.backoff_seconds, delivery.backoff_cap_seconds)
            if delivery
            else RetryPolicy()
        )
        record_failed_attempt(
            session, row, error, policy=policy, retryable=retryable, now=now, refused_by=profile.label
        )

    # -- refusals ---------------------------------------------------------------------------

    def _reject(self, status: int, who: str, error: str, now: datetime, channel: str = IN_CHANNEL) -> Reply:
        log.warning(
            "AS2 %s refused (HTTP %d): %s", "MDN" if channel == OUT_CHANNEL else "message", status, error
        )
        try:
            with self._sessions() as session, session.begin():
                record_failure(session, partner=who, channel=channel, at=now, error=error)
        except Exception:  # the store being down must not hide the reason from the partner
            log.exception("could not record the AS2 refusal")
        return Reply.text(status, error)


def _as2_name(value: str) -> str:
    """An AS2-From/To value unquoted; pyas2lib's MDNs quote an already quoted name a second time."""
    name = value.strip()
    while len(name) >= 2 and name[0] == name[-1] == '"':
        name = email.utils.unquote(name).strip()
    return name


@dataclass(frozen=True, slots=True)
class _Receipt:
    """The MDN we answer with, serialised once: its headers and body, and where it goes."""

    headers: dict[str, str]
    body: bytes
    url: str | None  # the partner's Receipt-Delivery-Option; None: in our HTTP answer

    @classmethod
    def of(cls, mdn: Mdn | None) -> _Receipt | None:
        if mdn is None:
            return None
        return cls(dict(mdn.headers), mdn.content, mdn.mdn_url if mdn.mdn_mode == "ASYNC" else None)

    @property
    def mode(self) -> str:
        return "sync" if self.url is None else "async"

    @property
    def raw(self) -> bytes:
        return messages.http_message(self.headers.items(), self.body)


def _is_mdn(content_type: str, raw: bytes) -> bool:
    """True for a multipart/report, or a multipart/signed that holds one."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/report":
        return True
    if kind != "multipart/signed":
        return False
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    return any(part.get_content_type() == "multipart/report" for part in parsed.walk())


def _explained(message: Message, mdn: Mdn, status: str, modifier: str, text: str) -> Mdn:
    """``mdn`` built again with this disposition, and ``text`` in its human-readable part."""
    explained = Mdn(mdn_mode=mdn.mdn_mode, digest_alg=mdn.digest_alg, mdn_url=mdn.mdn_url)
    explained.build(message=message, status=status, detailed_status=modifier, failed_text=text)
    return explained


def _duplicate_mdn(message: Message, mdn: Mdn | None, text: str) -> _Receipt | None:
    """RFC 4130's answer to a known Message-ID: ``processed/warning: duplicate-document``, saying ``text``."""
    if mdn is None:
        return None
    status, modifier = DuplicateDocument.disposition_type, DuplicateDocument.disposition_modifier
    return _Receipt.of(_explained(message, mdn, status, modifier, text))
