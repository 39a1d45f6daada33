"""The demo's documents, dated from the day they are loaded, so ``gateway init --demo`` never expires.

The fixtures are written for ``DEMO_DAY``: orders sent a few days before it, the shipment and
invoice leaving on it. Loading on another day moves every date in them by the same whole
number of days, so their orders' requested dates stay ahead and the story stays the same:
X12 dates (ISA09, GS04, BEG05, DTM02), an email's ``Date`` headers and its X12 attachments,
and the ISO dates of shipment and invoice records. The fixtures themselves are not changed;
PDFs are loaded as they are (no validator reads their dates).
"""

from __future__ import annotations

import email
import json
import re
from datetime import date
from datetime import datetime
from datetime import timedelta
from email import encoders
from email.message import Message
from email.utils import format_datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

DEMO_DAY = date(2026, 11, 24)
X12_DATES = {("ISA", 9): "%y%m%d", ("GS", 4): "%Y%m%d", ("BEG", 5): "%Y%m%d", ("DTM", 2): "%Y%m%d"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISA_LENGTH = 106


def days_from_demo_day(today: date) -> int:
    return (today - DEMO_DAY).days


def dated(path: Path, days: int) -> bytes:
    """The bytes of demo document ``path`` with its dates moved by ``days``."""
    data = path.read_bytes()
    if not days:
        return data
    shift = {".edi": shift_x12, ".eml": shift_email, ".json": shift_record}.get(path.suffix)
    return shift(data, days) if shift else data


def shift_x12(data: bytes, days: int) -> bytes:
    """Move the dates of a well-formed interchange (a fixed-width ISA) by ``days``; nothing else changes."""
    if not data.startswith(b"ISA") or len(data) < _ISA_LENGTH:
        return data
    text = data.decode("latin-1")
    element, terminator = text[3], text[_ISA_LENGTH - 1]
    segments = text.split(terminator)
    for number, segment in enumerate(segments):
        fields = segment.split(element)
        seg_id = fields[0].strip()
        for position, field in enumerate(fields):
            pattern = X12_DATES.get((seg_id, position))
            if pattern and field:
                fields[position] = _shift_text(field, pattern, days)
        segments[number] = element.join(fields)
    return terminator.join(segments).encode("latin-1")


def shift_email(data: bytes, days: int) -> bytes:
    """Move every ``Date`` header of a message (nested ones too) and the dates of its X12 attachments."""
    message = email.message_from_bytes(data)
    for part in message.walk():
        _shift_date_header(part, days)
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload.lstrip().startswith(b"ISA"):
            continue
        del part["Content-Transfer-Encoding"]
        part.set_payload(shift_x12(payload.lstrip(), days))
        encoders.encode_base64(part)
    return message.as_bytes()


def shift_record(data: bytes, days: int) -> bytes:
    """A shipment or invoice record (JSON) with every ``YYYY-MM-DD`` value moved by ``days``."""
    return json.dumps(_shift_values(json.loads(data), days), indent=2).encode()


def _shift_values(value: Any, days: int) -> Any:
    if isinstance(value, dict):
        return {key: _shift_values(inner, days) for key, inner in value.items()}
    if isinstance(value, list):
        return [_shift_values(inner, days) for inner in value]
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return _shift_text(value, "%Y-%m-%d", days)
    return value


def _shift_text(value: str, pattern: str, days: int) -> str:
    try:
        moved = datetime.strptime(value, pattern) + timedelta(days=days)
    except ValueError:
        return value
    return moved.strftime(pattern)


def _shift_date_header(part: Message, days: int) -> None:
    header = part.get("Date")
    if header is None:
        return
    try:
        when = parsedate_to_datetime(str(header))
    except (TypeError, ValueError):
        return
    part.replace_header("Date", format_datetime(when + timedelta(days=days)))
