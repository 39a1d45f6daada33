"""The X12 pre-pass: bytes in, interchange headers and segment texts out, streamed.

It covers what pyx12's reader gets wrong or silently drops, each with a precise issue:
a BOM or leading whitespace, several interchanges with different separators in one
file, the 5010 repetition separator, newline-only terminators, ISAs that are short,
long, wrapped or padded with non-ASCII spaces, empty segments (``~~``), line-wrapped
segments and garbage between interchanges.

It holds at most one segment of ``segment_limit`` characters (the partner's ``max_segment_bytes``)
plus a chunk: a longer segment is a syntax error (``x12.segment_too_long``), found while streaming;
its head is kept, the element the limit falls in is cut to ``VALUE_CAP`` characters, and the rest
is skipped unread up to the next terminator.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import BinaryIO

from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import Separators
from gateway.model.receipts import Severity
from gateway.model.truncation import VALUE_CAP
from partners import DEFAULT_MAX_SEGMENT_BYTES

CHUNK_SIZE = 1 << 20
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1)
ISA_LENGTH = 106
_ODD_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u3000"
_ODD_SPACE_TABLE = str.maketrans(dict.fromkeys(_ODD_SPACES, " "))
_LINE_BREAKS = "\r\n"
_BLANKS = " \t\r\n"
_ISA_HEAD = 7  # "ISA", the element separator, ISA01 (two digits) and the separator again
_KNOWN_ISA_VERSIONS = {  # ISA12 (I11): one per X12 release, 00304 for 003040 and so on
    "00200",
    "00201",
    "00204",
    "00300",
    "00301",
    "00302",
    "00303",
    "00304",
    "00305",
    "00306",
    "00307",
    "00400",
    "00401",
    "00402",
    "00403",
    "00404",
    "00405",
    "00406",
    "00501",
}
_ISA_SCAN_LIMIT = 400


@dataclass(slots=True)
class InterchangeHeader:
    """An ISA as found, with its fields cleaned and the separators it declares."""

    index: int
    fields: tuple[str, ...]
    separators: Separators
    normalized: str
    issues: list[Issue] = field(default_factory=list)

    def value(self, position: int) -> str:
        """ISA element ``position`` (1-16), stripped of padding."""
        return self.fields[position - 1].strip()


@dataclass(slots=True)
class Oversize:
    """A segment longer than the limit: its issue, the element the limit fell in and that element's length."""

    issue: Issue
    element: int
    element_length: int


@dataclass(slots=True)
class RawSegment:
    """One segment's text, terminator removed; ``index`` counts from 1 over the document.

    A segment longer than the limit has ``oversize`` set and ``text`` holds only its head.
    """

    index: int
    text: str
    oversize: Oversize | None = None


@dataclass(slots=True)
class ScanIssue:
    issue: Issue


ScanEvent = InterchangeHeader | RawSegment | ScanIssue


def _issue(code: str, message: str, *, severity: Severity = Severity.ERROR, **where: object) -> Issue:
    level = where.pop("level", Level.INTERCHANGE)
    return Issue(code=code, message=message, severity=severity, level=level, **where)  # type: ignore[arg-type]


def _show(text: str, limit: int = 40) -> str:
    snippet = text[:limit]
    return repr(snippet) + ("..." if len(text) > limit else "")


class _Text:
    """A decoded, growing window over the byte stream."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        first = stream.read(CHUNK_SIZE)
        if first.startswith(codecs.BOM_UTF8):
            first = first[len(codecs.BOM_UTF8) :]
        self.encoding = _sniff_encoding(first)
        self._decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        self.buf = self._decoder.decode(first, final=not first)
        self.pos = 0
        self.eof = not first
        self.replaced = "\ufffd" in self.buf

    def fill(self) -> bool:
        """Read one more chunk; False at end of stream."""
        if self.eof:
            return False
        chunk = self._stream.read(CHUNK_SIZE)
        if not chunk:
            self.eof = True
            self.buf += self._decoder.decode(b"", final=True)
            return False
        text = self._decoder.decode(chunk)
        self.replaced = self.replaced or "\ufffd" in text
        if self.pos > CHUNK_SIZE:
            self.buf = self.buf[self.pos :]
            self.pos = 0
        self.buf += text
        return True

    def find(self, needle: str, within: int | None = None) -> int:
        """The next ``needle`` from ``pos``, reading on; -1 at the end, or past ``within`` characters."""
        while True:
            end = None if within is None else self.pos + within + len(needle)
            found = self.buf.find(needle, self.pos, end)
            if found >= 0 or (end is not None and len(self.buf) >= end) or not self.fill():
                return found

    def ensure(self, count: int) -> None:
        while len(self.buf) - self.pos < count and self.fill():
            pass


def _sniff_encoding(head: bytes) -> str:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252" if _decodes(head, "cp1252") else "latin-1"
    return "utf-8"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def scan(
    stream: BinaryIO, *, segment_limit: Callable[[InterchangeHeader], int] | None = None
) -> Iterator[ScanEvent]:
    """Stream ``stream`` as interchange headers, segments and issues, in document order.

    ``segment_limit`` gives the longest segment an interchange may hold (default 64 KiB).
    """
    text = _Text(stream)
    if text.encoding != "utf-8":
        yield ScanIssue(
            _issue(
                "x12.encoding",
                f"the document is not valid UTF-8; it was read as {text.encoding}",
                severity=Severity.WARNING,
                level=Level.DOCUMENT,
            )
        )
    segment_index = 0
    interchanges = 0
    while True:
        skipped = _skip_to_isa(text)
        garbage = skipped.head
        if skipped.count:
            where = "before the first interchange" if interchanges == 0 else "after an interchange"
            if text.pos >= len(text.buf) and interchanges == 0:
                yield ScanIssue(
                    _issue(
                        "x12.not_x12",
                        f"not an X12 document: no ISA segment found (starts with {_show(garbage)})",
                        level=Level.DOCUMENT,
                    )
                )
                break
            yield ScanIssue(
                _issue(
                    "x12.garbage",
                    f"{skipped.count} characters of non-X12 content {where}: {_show(garbage)}",
                    level=Level.DOCUMENT,
                    segment_index=segment_index + 1,
                )
            )
        if text.pos >= len(text.buf):
            if interchanges == 0 and not skipped.count:
                yield ScanIssue(_issue("x12.empty", "the document is empty", level=Level.DOCUMENT))
            break
        segment_index += 1
        header = _read_isa(text, segment_index)
        if header is None:
            yield ScanIssue(_short_isa_issue(text, segment_index))
            break
        interchanges += 1
        yield header
        yield RawSegment(segment_index, header.normalized)
        limit = segment_limit(header) if segment_limit is not None else DEFAULT_MAX_SEGMENT_BYTES
        for event in _read_segments(text, header.separators, segment_index, limit):
            if isinstance(event, RawSegment):
                segment_index = event.index
            yield event
    if text.replaced:
        yield ScanIssue(
            _issue(
                "x12.encoding",
                "the document holds bytes that are not valid in its encoding; they were replaced",
                level=Level.DOCUMENT,
            )
        )


_SKIPPED_SHOWN = 200  # characters of skipped content kept to show (a module constant: mypyc)


@dataclass(slots=True)
class _Skipped:
    """Non-X12 content passed over: its first ``_SKIPPED_SHOWN`` characters and how many there were."""

    head: str = ""
    count: int = 0

    def add(self, part: str) -> None:
        self.count += len(part)
        if len(self.head) < _SKIPPED_SHOWN:
            self.head += part[: _SKIPPED_SHOWN - len(self.head)]


def _skip_to_isa(text: _Text) -> _Skipped:
    """Move to the next ISA; return what was skipped that is not whitespace or a BOM."""
    skipped = _Skipped()
    while True:
        text.ensure(_ISA_HEAD)
        buf, pos = text.buf, text.pos
        while pos < len(buf) and (buf[pos].isspace() or buf[pos] == "\ufeff"):
            pos += 1
        text.pos = pos
        text.ensure(_ISA_HEAD)
        if _isa_at(text.buf, text.pos) or text.pos >= len(text.buf):
            return skipped
        _next_isa(text, skipped)


def _isa_at(buf: str, pos: int, complete: bool = True) -> bool:
    """Whether an ISA starts at ``pos``: ``ISA`` and a character that can be its element separator.

    A control character is taken as the separator (X12 allows any character the data do not use)
    only when ISA01's two digits and the same character follow, so binary content that happens to
    hold ``ISA`` is not read as X12. ``complete=False``: more text may follow the buffer's end,
    and an ISA that the end cuts is not decided yet (False).
    """
    if not buf.startswith("ISA", pos):
        return False
    head = buf[pos + 3 : pos + _ISA_HEAD]
    if not head or (len(head) < _ISA_HEAD - 3 and not complete) or not _can_separate(head[0]):
        return False
    separator = head[0]
    if separator.isprintable():
        return True
    return len(head) == _ISA_HEAD - 3 and head[1:3].isdigit() and head[3] == separator


def _can_separate(char: str) -> bool:
    """A delimiter is any character but a letter, a digit, a space or a line break.

    Control characters count (``str.isspace`` calls 0x1C-0x1F spaces; X12 does not).
    """
    return not (char.isalnum() or char in _BLANKS or (char.isspace() and not _is_control(char)))


def _is_control(char: str) -> bool:
    return ord(char) < 0x20 or ord(char) == 0x7F


def _next_isa(text: _Text, skipped: _Skipped) -> None:
    """Move past non-X12 content to the next ISA (or the end), keeping its first characters in ``skipped``.

    The search goes chunk by chunk: what is searched is let go, all but the characters an ISA
    cut by a chunk's end could start with, so a large file with no ISA is read in bounded memory.
    """
    start = text.pos + 1
    while True:
        buf = text.buf
        found = buf.find("ISA", start)
        while found >= 0 and not _isa_at(buf, found, complete=text.eof):
            found = buf.find("ISA", found + 1)
        if found >= 0:
            skipped.add(buf[text.pos : found])
            text.pos = found
            return
        # no ISA yet: keep only the tail a cut ISA may begin in, and read on
        end = max(text.pos, len(buf) - (_ISA_HEAD - 1))
        skipped.add(buf[text.pos : end])
        text.pos = end
        if text.eof:
            skipped.add(buf[end:])
            text.pos = len(buf)
            return
        text.fill()  # may let go of what was searched: go on from ``pos``, not from an old offset
        start = text.pos


def _short_isa_issue(text: _Text, index: int) -> Issue:
    rest = text.buf[text.pos : text.pos + 120]
    text.pos = len(text.buf)
    return _issue(
        "x12.isa_short",
        "the ISA segment is incomplete: an ISA has 16 elements and ends with the component "
        f"separator and the segment terminator, but the document ends after {_show(rest, 120)}",
        segment="ISA",
        segment_index=index,
        x12_code="024",
    )


def _read_isa(text: _Text, index: int) -> InterchangeHeader | None:
    """Parse the ISA at ``text.pos`` by its element separator, not by fixed offsets."""
    text.ensure(_ISA_SCAN_LIMIT)
    buf, start = text.buf, text.pos
    separator = buf[start + 3] if start + 3 < len(buf) else ""
    if not separator or not _can_separate(separator):
        return None
    fields: list[str] = []
    current: list[str] = []
    wrapped = False
    pos = start + 4
    limit = min(len(buf), start + _ISA_SCAN_LIMIT)
    while pos < limit and len(fields) < 15:
        char = buf[pos]
        if char == separator:
            fields.append("".join(current))
            current = []
        elif char in _LINE_BREAKS:
            wrapped = True
        else:
            current.append(char)
        pos += 1
    while pos < limit and buf[pos] in _LINE_BREAKS:
        pos += 1
    if len(fields) < 15 or pos + 1 >= len(buf):
        return None
    component = buf[pos]
    fields.append(component)
    pos += 1
    terminator, pos, term_issue = _read_terminator(buf, pos)
    if terminator is None:
        return None
    text.pos = pos
    issues: list[Issue] = []
    if term_issue:
        issues.append(term_issue)
    if wrapped:
        issues.append(
            _issue(
                "x12.isa_wrapped",
                "the ISA segment is broken across lines; the line breaks were ignored",
                severity=Severity.WARNING,
                segment="ISA",
                segment_index=index,
            )
        )
    cleaned = _clean_isa_fields(fields, index, issues)
    separators = _separators(cleaned, separator, component, terminator, index, issues)
    normalized = separator.join(["ISA", *(_pad(v, w) for v, w in zip(cleaned, ISA_WIDTHS, strict=False))])
    normalized += separator + component
    return InterchangeHeader(index, tuple(cleaned), separators, normalized, issues)


def _read_terminator(buf: str, pos: int) -> tuple[str | None, int, Issue | None]:
    if pos >= len(buf):
        return None, pos, None
    char = buf[pos]
    if char in _LINE_BREAKS:
        return "\n", pos + 1, None
    if char in " \t":
        after = pos + 1
        while after < len(buf) and buf[after] in " \t":
            after += 1
        if after < len(buf) and buf[after] in _LINE_BREAKS:
            return (
                "\n",
                after + 1,
                _issue(
                    "x12.space_terminator",
                    "the segment terminator after ISA16 is a space followed by a line break; "
                    "line breaks were read as the terminator so that spaces inside values survive",
                    severity=Severity.WARNING,
                    segment="ISA",
                ),
            )
    return char, pos + 1, None


def _clean_isa_fields(fields: list[str], index: int, issues: list[Issue]) -> list[str]:
    cleaned: list[str] = []
    for number, (value, width) in enumerate(zip(fields, ISA_WIDTHS, strict=False), start=1):
        plain = value.translate(_ODD_SPACE_TABLE)
        if plain != value:
            issues.append(
                _issue(
                    "x12.isa_odd_spaces",
                    f"ISA{number:02d} is padded with non-ASCII spaces; they were read as spaces",
                    severity=Severity.WARNING,
                    segment="ISA",
                    element=number,
                    segment_index=index,
                )
            )
        if len(plain) > width and plain[width:].strip() == "":
            plain = plain[:width]
        if len(plain) != width:
            issues.append(
                _issue(
                    "x12.isa_width",
                    f"ISA{number:02d} is {len(plain)} characters ({plain!r}); the standard fixes it at "
                    f"{width}, so this ISA is not the 106 characters fixed-offset readers expect",
                    severity=Severity.WARNING,
                    segment="ISA",
                    element=number,
                    segment_index=index,
                    bad_value=plain,
                )
            )
        cleaned.append(plain)
    cleaned.append(fields[15])
    version = cleaned[11].strip()
    if version not in _KNOWN_ISA_VERSIONS:
        issues.append(
            _issue(
                "x12.isa_version",
                f"ISA12 {version!r} is not a known interchange control version",
                severity=Severity.WARNING,
                segment="ISA",
                element=12,
                segment_index=index,
                bad_value=version,
            )
        )
    return cleaned


def _separators(
    fields: list[str], element: str, component: str, terminator: str, index: int, issues: list[Issue]
) -> Separators:
    repetition: str | None = None
    isa11 = fields[10].strip(" ")  # not strip(): it takes the control characters 0x1C-0x1F for spaces
    if fields[11].strip() >= "00402" and isa11 and not isa11.isalnum():
        repetition = isa11
    declared = {"element": element, "component": component, "segment terminator": terminator}
    if repetition is not None:
        declared["repetition"] = repetition
    clashes = [name for name, char in declared.items() if list(declared.values()).count(char) > 1]
    if clashes:
        names = " and ".join(clashes)
        if "repetition" in clashes:
            repetition = None
            issues.append(
                _issue(
                    "x12.separator_clash",
                    f"the {names} separators are the same character; repetitions are not split",
                    severity=Severity.WARNING,
                    segment="ISA",
                    element=11,
                    segment_index=index,
                )
            )
        else:
            issues.append(
                _issue(
                    "x12.separator_clash",
                    f"the {names} separators are the same character ({element!r}, {component!r}, "
                    f"{terminator!r}); values cannot be told apart",
                    segment="ISA",
                    element=16,
                    segment_index=index,
                    x12_code="024",
                )
            )
    return Separators(element=element, component=component, repetition=repetition, segment=terminator)


def _pad(value: str, width: int) -> str:
    return value.ljust(width) if len(value) < width else value


def _read_segments(
    text: _Text, separators: Separators, index: int, limit: int
) -> Iterator[RawSegment | ScanIssue]:
    """Segments up to and including IEA; stops early, unread, at an ISA that has no IEA before it."""
    terminator = separators.segment
    newline_mode = terminator == "\n"
    strip_chars = " \t\r\n" if not newline_mode else " \t\r"
    while True:
        end = text.find(terminator, limit)
        if end < 0 and len(text.buf) - text.pos > limit:
            raw = text.buf[text.pos : text.pos + limit]
            lead = len(raw) - len(raw.lstrip(strip_chars))
            if lead:  # the limit counts from the segment's first character
                text.pos += lead
                continue
            head = _clean(raw, newline_mode, strip_chars)
            if _isa_at(head, 0):
                return
            index += 1
            yield _oversized(text, separators, index, raw, head)
            if text.pos >= len(text.buf) and not text.fill():
                return
            continue
        at_end = end < 0
        raw = text.buf[text.pos :] if at_end else text.buf[text.pos : end]
        segment = _clean(raw, newline_mode, strip_chars)
        if segment.startswith("ISA") and _isa_at(segment, 0):  # (a call less for every other segment)
            text.pos += len(raw) - len(raw.lstrip())
            return
        text.pos = len(text.buf) if at_end else end + len(terminator)
        if not segment:
            if newline_mode or at_end:
                if at_end:
                    return
                continue
            yield ScanIssue(
                _issue(
                    "x12.empty_segment",
                    f"an empty segment (two terminators {terminator!r} in a row) after segment {index} "
                    "was skipped",
                    severity=Severity.WARNING,
                    level=Level.SEGMENT,
                    segment_index=index,
                )
            )
            continue
        index += 1
        if at_end:
            yield ScanIssue(
                _issue(
                    "x12.no_final_terminator",
                    f"the last segment ({segment[:3]}) has no segment terminator",
                    severity=Severity.WARNING,
                    segment=segment[:3],
                    segment_index=index,
                )
            )
        yield RawSegment(index, segment)
        if at_end or segment.startswith("IEA"):
            return


def _oversized(text: _Text, separators: Separators, index: int, raw: str, head: str) -> RawSegment:
    """The segment at ``text.pos``, longer than the limit (``raw``, cleaned to ``head``): its head kept,
    the rest skipped to its terminator.

    Only one chunk is held while skipping; the length of the segment and of the element the limit
    fell in are counted on the way.
    """
    element_sep, terminator = separators.element, separators.segment
    parts = head.split(element_sep)
    element = len(parts) - 1
    kept = element_sep.join([*parts[:-1], parts[-1][:VALUE_CAP]])
    element_length = len(parts[-1])
    limit = len(raw)
    text.pos += limit
    length = limit
    element_open = True
    terminated = False
    while True:
        buf, pos = text.buf, text.pos
        found = buf.find(terminator, pos)
        stop = found if found >= 0 else len(buf)
        if element_open:
            next_element = buf.find(element_sep, pos, stop)
            element_open = next_element < 0
            element_length += (stop if element_open else next_element) - pos
        length += stop - pos
        if found >= 0:
            text.pos = found + len(terminator)
            terminated = True
            break
        text.pos = len(buf)
        if not text.fill():
            break
    seg_id = parts[0].strip()[:3] or "?"
    where = "" if terminated else " with no terminator before the end of the document"
    issue = _issue(
        "x12.segment_too_long",
        f"segment {index} ({seg_id}) is {length:,} characters long{where}, longer than the limit of "
        f"{limit:,} (max_segment_bytes): element {element:02d} ({element_length:,} characters) is kept "
        f"to its first {min(element_length, VALUE_CAP):,} and the rest of the segment is skipped",
        level=Level.ELEMENT if element <= 99 else Level.SEGMENT,
        segment=seg_id,
        element=element if element <= 99 else None,
        segment_index=index,
        x12_code="5" if element <= 99 else "8",
        bad_value=parts[-1][:VALUE_CAP],
    )
    return RawSegment(index, kept, Oversize(issue, element, element_length))


def _clean(raw: str, newline_mode: bool, strip_chars: str) -> str:
    segment = raw.strip(strip_chars) if newline_mode else raw.lstrip(strip_chars).rstrip("\r\n")
    if not newline_mode and ("\n" in segment or "\r" in segment):
        segment = segment.replace("\r", "").replace("\n", "")
    return segment
