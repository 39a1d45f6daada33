"""RFC 5322 messages -> orders: the body's typed order plus every attachment, routed by content.

The customer is found from From, Sender or Reply-To against the profiles' ``email_senders``
(an address, or ``@domain``); for a forwarded message, from the original sender inside it.
Nested messages are read to a bounded depth. An image attached as a file (a faxed TIFF, a
scanned PNG or JPEG) is read by OCR; inline images (logos, signatures) are ignored, and an
attached picture with no order in it only warns, since it is as likely a photo as an order.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses

import parsers
from gateway.model.order import Order
from gateway.model.order import Traced
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import Severity
from partners import LayoutHint
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import learned_layout

from ._detect import CSV
from ._detect import IMAGE
from ._detect import PDF
from ._detect import X12
from ._detect import XLSX
from ._detect import detect_format
from ._events import DocumentIssue
from ._events import FoundOrders
from ._events import ParsedOrder
from ._events import ReceivedAck
from ._text_orders import parse_text_order
from .x12 import ParsedInterchange
from .x12 import read_x12

MAX_DEPTH = 8
MAX_PARTS = 200
MAX_PART_BYTES = 50 * 1024 * 1024
# The stdlib parser recurses once per nested multipart: about a thousand levels raise
# RecursionError. A message declaring more containers than this is refused before parsing.
MAX_CONTAINERS = MAX_PARTS
_CONTAINER = re.compile(
    rb"^content-type:[ \t]*(?:\r?\n[ \t]+)*(?:multipart/|message/rfc822)", re.IGNORECASE | re.MULTILINE
)
_FORWARDED_FROM = re.compile(r"^\s*>?\s*From:\s*(?P<who>.+)$", re.IGNORECASE | re.MULTILINE)
_TAGS = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
Event = ParsedOrder | ReceivedAck | ParsedInterchange | DocumentIssue


def _issue(code: str, message: str, severity: Severity = Severity.ERROR) -> DocumentIssue:
    return DocumentIssue(Issue(code=code, message=message, severity=severity, level=Level.DOCUMENT))


def read_email(
    data: bytes,
    *,
    partners: PartnerRegistry,
    document_id: str | None,
    learned: Mapping[str, Sequence[LayoutHint]] | None = None,
) -> Iterator[Event]:
    """The events of one message; its PDF and sheet attachments are read with the layout hints
    ``learned`` on the desk for its sender (by partner name)."""
    refusal = nesting_refusal(data)
    if refusal is not None:  # only the top headers are read, to say who sent it
        headers = BytesParser(policy=policy.default).parsebytes(data, headersonly=True)
        sender = identify_sender(headers, partners)[1]
        yield _issue("email.too_complex", f"{refusal} (from {sender or 'an unknown sender'})")
        return
    message = BytesParser(policy=policy.default).parsebytes(data)
    partner, sender = identify_sender(message, partners)
    if partner is None:
        refusal = partners.refusal_for_email(sender) if sender else None
        why = f"has no profile: {refusal}" if refusal else "matches no profile's email_senders"
        yield _issue(
            "partner.unknown",
            f"unknown partner: the sender {sender or '(none)'} {why}; "
            "the message is stored and can be reprocessed once a profile lists it",
        )
    hints = learned.get(partner.name, ()) if learned and partner else ()
    reader = _Reader(partners, partner, document_id, hints)
    ordinal = 0
    for event in reader.message(message, "1", depth=0):
        if isinstance(event, ParsedOrder):  # X12 attachments number their own orders from 0
            event.ordinal, ordinal = ordinal, ordinal + 1
        yield event
    if reader.orders == 0 and not reader.x12:
        yield _issue(
            "email.no_order", f"no order found in the message body or its {reader.attachments} attachments"
        )


def nesting_refusal(data: bytes) -> str | None:
    """Why ``data`` is not parsed as MIME at all (too many multipart or message parts), or None."""
    containers = len(_CONTAINER.findall(data))
    if containers <= MAX_CONTAINERS:
        return None
    return (
        f"the message declares {containers} multipart or attached-message parts, nested or side by "
        f"side; more than {MAX_CONTAINERS} are refused unread"
    )


def identify_sender(message: Message, partners: PartnerRegistry) -> tuple[PartnerProfile | None, str | None]:
    """The profile of the sender: From, then Sender and Reply-To, then a forwarded original."""
    candidates: list[str] = []
    for header in ("from", "sender", "reply-to"):
        candidates += [address for _, address in getaddresses(_raw_values(message, header)) if address]
    for address in candidates:
        profile = partners.by_email(address)
        if profile is not None:
            return profile, address
    for address in _forwarded_senders(message):
        profile = partners.by_email(address)
        if profile is not None:
            return profile, address
    return None, candidates[0] if candidates else None


def _raw_values(message: Message, name: str) -> list[str]:
    """A header's values as sent, for ``getaddresses``, with 8-bit bytes read as UTF-8.

    ``policy.default`` parses address headers on access, and its parser raises IndexError on
    some truncated addresses (``From: a <b@``, a CPython bug), so they are not read through it.
    The parser keeps raw 8-bit bytes as surrogate escapes, which no store can write: they are
    decoded as UTF-8 here, and what is not UTF-8 becomes U+FFFD.
    """
    return [
        str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        for key, value in message.raw_items()
        if key.lower() == name
    ]


def _forwarded_senders(message: Message) -> list[str]:
    found: list[str] = []
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                found += [a for _, a in getaddresses(_raw_values(inner[0], "from")) if a]
        elif part.get_content_type() == "text/plain" and not is_attachment(part):
            text = _text(part)
            found += [
                a for m in _FORWARDED_FROM.finditer(text) for _, a in getaddresses([m.group("who")]) if a
            ]
    return found


def is_attachment(part: Message) -> bool:
    """``EmailMessage.is_attachment`` for any ``Message``: one parsed with compat32 lacks the method."""
    return part.get_content_disposition() == "attachment"


def _text(part: Message) -> str:
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else part.get_payload(decode=True)
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("latin-1") if isinstance(payload, bytes) else ""
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else ""


def body_text(part: Message) -> str:
    """A body part's text as orders are read from it: decoded, and for HTML with its tags removed."""
    text = _text(part)
    if part.get_content_type() == "text/html":
        text = html.unescape(_TAGS.sub("\n", text))
    return text


class _Reader:
    def __init__(
        self,
        partners: PartnerRegistry,
        partner: PartnerProfile | None,
        document_id: str | None,
        learned: Sequence[LayoutHint] = (),
    ) -> None:
        self.partners = partners
        self.partner = partner
        self.learned = learned
        self.document_id = document_id
        self.orders = 0
        self.parts = 0
        self.attachments = 0
        self.x12 = False
        self.body_read = False

    def message(self, message: Message, path: str, depth: int) -> Iterator[Event]:
        if depth > MAX_DEPTH:
            yield _issue(
                "email.too_deep", f"MIME part {path} is nested more than {MAX_DEPTH} levels deep; not read"
            )
            return
        leaves = self._leaves(message, path)
        plain = [(p, n) for p, n in leaves if p.get_content_type() == "text/plain" and not is_attachment(p)]
        for part, number in leaves:
            self.parts += 1
            if self.parts > MAX_PARTS:
                yield _issue(
                    "email.too_many_parts",
                    f"the message has more than {MAX_PARTS} parts; the rest is not read",
                )
                return
            yield from self._part(part, number, depth, prefer_plain=bool(plain))

    def _leaves(self, message: Message, path: str) -> list[tuple[Message, str]]:
        if not message.is_multipart() or message.get_content_type() == "message/rfc822":
            return [(message, path)]
        found: list[tuple[Message, str]] = []
        payload = message.get_payload()
        for index, child in enumerate(payload if isinstance(payload, list) else [], start=1):
            found += self._leaves(child, f"{path}.{index}") if len(found) < MAX_PARTS else []
        return found

    def _part(self, part: Message, number: str, depth: int, *, prefer_plain: bool) -> Iterator[Event]:
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                yield from self.message(inner[0], number, depth + 1)
            return
        if not is_attachment(part) and ctype in ("text/plain", "text/html"):
            if self.body_read or (ctype == "text/html" and prefer_plain):
                return
            self.body_read = True
            yield from self._body(body_text(part), number)
            return
        if ctype.startswith("multipart/") or (ctype.startswith("image/") and not is_attachment(part)):
            return  # logos, signatures and other pictures in the message are not orders
        yield from self._attachment(part, number)

    def _body(self, text: str, number: str) -> Iterator[Event]:
        found = parse_text_order(text, partner=self._name(), document_id=self.document_id, mime_part=number)
        for order, issues in found.orders:
            yield self._order(order, issues)

    def _attachment(self, part: Message, number: str) -> Iterator[Event]:
        self.attachments += 1
        name = part.get_filename() or f"part {number}"
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            return
        if len(payload) > MAX_PART_BYTES:
            yield _issue(
                "email.attachment_too_large",
                f"attachment {name!r} is over {MAX_PART_BYTES >> 20} MB; not read",
            )
            return
        fmt = detect_format(payload[:8192], whole=payload)
        if fmt == X12:
            self.x12 = True
            for event in read_x12(io.BytesIO(payload), partners=self.partners, document_id=self.document_id):
                if isinstance(event, ParsedOrder):
                    _stamp(event.order, number)
                yield event
        elif fmt in (XLSX, CSV, PDF, IMAGE):
            found = self._document(fmt, payload)
            for index, order in enumerate(found.orders):
                _stamp(order, number)
                yield self._order(order, found.issues_of(index))
            if not found.orders:
                for issue in found.issues:
                    issue.message = f"attachment {name!r}: {issue.message}"
                    if fmt == IMAGE:  # a picture need not be an order; email.no_order says if none came
                        issue.severity = Severity.WARNING
                    yield DocumentIssue(issue)
        else:
            yield _issue(
                "email.attachment_ignored", f"attachment {name!r} is not an order format", Severity.WARNING
            )

    def _document(self, fmt: str, payload: bytes) -> FoundOrders:
        if fmt in (PDF, IMAGE):
            read = parsers.parse_pdf_order if fmt == PDF else parsers.parse_image_order
            template = parsers.pdf_template(self.partner, self.learned)
            return read(payload, partner=self._name(), document_id=self.document_id, template=template)
        reader = parsers.parse_csv_order if fmt == CSV else parsers.parse_excel_order
        pinned = learned_layout(self.partner, self.learned, "sheet").columns or None
        return reader(payload, partner=self._name(), document_id=self.document_id, pinned=pinned)

    def _order(self, order: Order, issues: list[Issue]) -> ParsedOrder:
        self.orders += 1
        return ParsedOrder(order=order, issues=list(issues), ordinal=self.orders - 1)

    def _name(self) -> str | None:
        return self.partner.name if self.partner else None


def _stamp(order: Order, mime_part: str) -> None:
    """Every value of an attachment's order keeps its place in the file and learns its MIME part."""
    for traced in _traced(order):
        traced.provenance = {k: v._replace(mime_part=mime_part) for k, v in traced.provenance.items()}


def _traced(value: object) -> Iterator[Traced]:
    """``value`` and every traced object inside it: parties, contacts, dates, lines, their packs..."""
    if isinstance(value, Traced):
        yield value
        for name in type(value).model_fields:
            yield from _traced(getattr(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _traced(item)
