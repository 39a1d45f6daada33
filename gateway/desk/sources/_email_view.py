"""Emails: the body as numbered text lines, and each attachment an order value came from in its own view.

MIME parts are numbered as ``parsers/_email.py`` numbers them, so provenance ``mime_part``
values find their part: the message is ``1``, the children of a multipart part ``<n>.1``,
``<n>.2``..., and an attached message keeps its part's number for its own root.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser
from functools import cached_property

from gateway.storage import safe_filename
from parsers import CSV
from parsers import IMAGE
from parsers import PDF
from parsers import X12
from parsers import XLSX
from parsers import body_text
from parsers import detect_format
from parsers import is_attachment
from parsers import nesting_refusal
from parsers.x12 import InterchangeHeader
from parsers.x12 import RawSegment
from parsers.x12 import scan

from ._edi_view import segment_pane
from ._highlights import CELL
from ._highlights import LINE
from ._highlights import PART
from ._highlights import PDF as BOX
from ._highlights import SEGMENT
from ._highlights import Wanted
from ._highlights import body_table_part
from ._panes import Attachment
from ._panes import CannotShow
from ._panes import EmailSummary
from ._panes import Highlight
from ._panes import Pane
from ._panes import TextPane
from ._panes import Unplaced
from ._pdf_view import pdf_pane
from ._sheet_view import sheet_panes
from ._text_view import text_pane

MAX_DEPTH = 8
MAX_PARTS = 200
SUMMARY_HEADERS = ("From", "To", "Cc", "Date", "Subject")
_KIND_FORMATS = {SEGMENT: (X12,), BOX: (PDF, IMAGE), CELL: (XLSX, CSV)}


@dataclass
class _Part:
    number: str
    message: Message
    body_text: bool

    @property
    def content_type(self) -> str:
        return self.message.get_content_type()

    @cached_property
    def data(self) -> bytes:
        data = self.message.get_payload(decode=True)
        return data if isinstance(data, bytes) else b""

    @cached_property
    def format(self) -> str | None:
        return detect_format(self.data[:8192], whole=self.data) if self.data else None


@dataclass(slots=True)
class EmailResult:
    panes: list[Pane]
    placed: list[Highlight]
    missed: list[Unplaced]
    notices: list[str]
    summary: EmailSummary | None
    problem: CannotShow | None = None


def parse_message(data: bytes) -> Message | None:
    if nesting_refusal(data) is not None:  # the stdlib parser would recurse past Python's limit
        return None
    try:
        return BytesParser(policy=policy.default).parsebytes(data)
    except (ValueError, LookupError, TypeError, IndexError, AttributeError):
        return None


def parts(message: Message) -> list[_Part]:
    """Every leaf part with its number, as the email parser numbers them."""
    found: list[_Part] = []
    _leaves(message, "1", 0, found)
    return found


def _leaves(message: Message, number: str, depth: int, found: list[_Part]) -> None:
    if depth > MAX_DEPTH or len(found) >= MAX_PARTS:
        return
    ctype = message.get_content_type()
    if ctype == "message/rfc822":
        inner = message.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            _leaves(inner[0], number, depth + 1, found)
        return
    if message.is_multipart():
        payload = message.get_payload()
        for index, child in enumerate(payload if isinstance(payload, list) else [], start=1):
            _leaves(child, f"{number}.{index}", depth, found)
        return
    body = ctype in ("text/plain", "text/html") and not is_attachment(message)
    found.append(_Part(number, message, body))


def part_payload(data: bytes, mime_part: str) -> bytes | None:
    """The decoded bytes of MIME part ``mime_part`` of the email ``data``."""
    message = parse_message(data)
    if message is None:
        return None
    found = next((p for p in parts(message) if p.number == mime_part), None)
    return found.data if found is not None else None


def email_view(
    data: bytes, wanted: Sequence[Wanted], *, control_number: str | None, next_key: Callable[[], str]
) -> EmailResult:
    """The body as text, then each part an order value came from, each in the view its format needs."""
    message = parse_message(data)
    if message is None:
        problem = CannotShow("email.corrupt", "the message cannot be read as an email")
        return EmailResult([], [], [w.miss(problem.message) for w in wanted], [], None, problem)
    leaves = parts(message)
    by_number = {p.number: p for p in leaves}
    body = next((p for p in leaves if p.body_text and p.content_type == "text/plain"), None) or next(
        (p for p in leaves if p.body_text), None
    )
    missed: list[Unplaced] = []
    notices: list[str] = []
    routed: dict[str, list[Wanted]] = {}
    for item, number in _route(wanted, leaves, control_number, notices, missed):
        if number not in by_number:
            missed.append(item.miss(f"the message has no MIME part {number}"))
        else:
            routed.setdefault(number, []).append(item)
    shown = [p for p in leaves if p is body or p.number in routed]
    panes: list[Pane] = []
    placed: list[Highlight] = []
    for part in shown:
        new_panes, hits, misses = _part_panes(part, routed.get(part.number, []), control_number, next_key)
        panes += new_panes
        placed += hits
        missed += misses
    summary = EmailSummary(_headers(message), tuple(_attachment(p) for p in leaves if p is not body))
    return EmailResult(panes, placed, missed, notices, summary)


def _route(
    wanted: Sequence[Wanted],
    leaves: list[_Part],
    control_number: str | None,
    notices: list[str],
    missed: list[Unplaced],
) -> list[tuple[Wanted, str]]:
    """Each value with the number of the part its source is in; sources with no part are guessed."""
    routed: list[tuple[Wanted, str]] = []
    guessed: dict[str, str | None] = {}
    for item in wanted:
        kind = item.kind
        source = item.source
        if kind == LINE:
            number = source.mime_part or body_table_part(source)
        elif kind in _KIND_FORMATS:
            number = source.mime_part
            if number is None:
                if kind not in guessed:
                    guessed[kind], ambiguous = _guess(kind, wanted, leaves, control_number)
                    if ambiguous:
                        notices.append(
                            f"Some values' sources do not say which attachment they came from; they are shown "
                            f"on part {guessed[kind]}, the attachment they most likely came from."
                        )
                number = guessed[kind]
        elif kind == PART:
            missed.append(item.miss(f"its source names only MIME part {source.mime_part}, no place in it"))
            continue
        else:
            missed.append(item.miss("its recorded source names no place"))
            continue
        if number is None:
            missed.append(item.miss("its source does not say which part of the message it came from"))
        else:
            routed.append((item, number))
    return routed


def _guess(
    kind: str, wanted: Sequence[Wanted], leaves: list[_Part], control_number: str | None
) -> tuple[str | None, bool]:
    """The one attachment of the source's kind; among several, the likeliest (and True)."""
    candidates = [p for p in leaves if not p.body_text and p.format in _KIND_FORMATS[kind]]
    if len(candidates) <= 1:
        return (candidates[0].number if candidates else None), False
    if kind == SEGMENT and control_number:
        for part in candidates:
            if _holds_transaction(part.data, control_number):
                return part.number, True
    votes = Counter(w.source.mime_part for w in wanted if w.kind == kind and w.source.mime_part)
    return (votes.most_common(1)[0][0] if votes else candidates[0].number), True


def _holds_transaction(data: bytes, control_number: str) -> bool:
    separator = "*"
    for event in scan(io.BytesIO(data)):
        if isinstance(event, InterchangeHeader):
            separator = event.separators.element
        elif isinstance(event, RawSegment) and event.text.startswith("ST"):
            elements = event.text.split(separator)
            if len(elements) > 2 and elements[2].strip() == control_number:
                return True
    return False


def _part_panes(
    part: _Part, wanted: list[Wanted], control_number: str | None, next_key: Callable[[], str]
) -> tuple[list[Pane], list[Highlight], list[Unplaced]]:
    name = safe_filename(part.message.get_filename())
    if part.body_text:
        title = f"Message body (part {part.number})"
        pane, hits, misses = text_pane(
            body_text(part.message), wanted, key=next_key(), title=title, mime_part=part.number
        )
        return [pane], hits, misses
    title = f"Attachment {name or part.content_type} (part {part.number})"
    data = part.data
    fmt = part.format
    line_sources = [w for w in wanted if w.kind == LINE]
    others = [w for w in wanted if w.kind != LINE]
    misses = [
        w.miss(f"its source is a text line, but part {part.number} is an attachment") for w in line_sources
    ]
    if fmt in (PDF, IMAGE):
        pdf, hits, more = pdf_pane(data, others, key=next_key(), title=title, mime_part=part.number)
        return [pdf], hits, misses + more
    if fmt in (XLSX, CSV):
        panes, hits, more = sheet_panes(data, fmt, others, key=next_key(), title=title, mime_part=part.number)
        return list(panes), hits, misses + more
    if fmt == X12:
        segments, hits, more = segment_pane(
            io.BytesIO(data),
            others,
            key=next_key(),
            title=title,
            mime_part=part.number,
            control_number=control_number,
        )
        return [segments], hits, misses + more
    problem = CannotShow(
        "email.part_not_shown", f"part {part.number} ({part.content_type}) is not an order format"
    )
    misses += [w.miss(problem.message) for w in others]
    return [TextPane(key=next_key(), title=title, mime_part=part.number, problem=problem)], [], misses


def _headers(message: Message) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    for name in SUMMARY_HEADERS:
        try:
            value = message.get(name)
        except (ValueError, LookupError, TypeError, IndexError, AttributeError):
            value = None
        if value is not None:
            found.append((name, " ".join(str(value).split())[:500]))
    return tuple(found)


def _attachment(part: _Part) -> Attachment:
    name = safe_filename(part.message.get_filename())
    return Attachment(part.number, name, part.content_type, len(part.data), part.format)
