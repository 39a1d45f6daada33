"""Hostile inputs for the readers, and the properties every input must keep.

Shared by the short fuzz runs in ``tests/test_fuzz_*.py`` and the long ones in ``bench/fuzz.py``.
The strategies start from real documents (``fixtures/`` and ``../shared/corpus``, read only)
and break them the way senders and mail systems do: X12 segments spliced, dropped and
duplicated, separators and ISA widths changed; MIME trees nested, mis-encoded and cut;
xlsx zips damaged entry by entry; CSV in odd encodings, delimiters and quotes.

The property: parsers document no exceptions of their own (faults are ``Issue`` values,
STYLE.md section 4), so every input must come back as events or found orders, never an
exception; through the pipeline, every input ends as a stored document with a final status
and, when refused, a specific error code and message.
"""

from __future__ import annotations

import base64
import csv
import functools
import io
import quopri
import warnings
import zipfile
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from typing import Literal

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import seed as hypothesis_seed
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.model.receipts import Issue
from parsers import DocumentIssue
from parsers import ParsedInterchange
from parsers import ParsedOrder
from parsers import ReceivedAck
from parsers import parse_csv_order
from parsers import parse_excel_order
from parsers import parse_stream
from parsers._email import read_email
from parsers.x12 import InterchangeHeader
from parsers.x12 import RawSegment
from parsers.x12 import scan
from parsers.x12._prepass import ScanIssue
from partners import PartnerRegistry

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
REGRESSIONS = Path(__file__).resolve().parent / "fuzz_regressions"
FIXED_NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
FINAL_STATUSES = frozenset({"processed", "rejected", "unknown_partner"})
_X12_SUFFIXES = (".edi", ".txt", ".x12")
_MAX_SEED_BYTES = 64 * 1024

# Values that have broken readers somewhere: empty, padding, numbers out of every range,
# dates that do not exist, control characters, non-ASCII, separators, markup and formulas.
ODD_VALUES: tuple[str, ...] = (
    "", " ", "0", "-0", "-1", "00000000", "1E+9999", "1e-9999", "NaN", "-Infinity", "sNaN",
    "9" * 40, "1.5.5", "12,5", "1,234.56", "1.234,56", ".", "-", "+", "$", "€1.00", "1_000",
    "20261340", "20260229", "99991231", "00010101", "991231", "2400", "9999", "31/02/2026",
    "é", "\u00a0", "\x00", "\x1f", "\x7f", "\ufffd", "\U0001d518", "\u202e", "A" * 300,
    "<b>", "&amp;", "=1+1", "@SUM(A1)", "../../etc/passwd", "%s%n", "\t", "\r", "\n",
    "*", "~", "|", ">", "^", ":", "ISA", "IEA", "SE", "ST", "GS", "850", "997",
)  # fmt: skip
SEPARATORS: tuple[str, ...] = (
    "*", "|", "~", ">", "^", "!", ":", "+", "'", "\n", "\r\n", " ", "\t", "\x1d", "\x1e", "\x1f",
    "\x07", "\x00", "…", "\x85", "a", "1", "",
)  # fmt: skip
ISA_VERSIONS = ("00401", "00501", "00200", "00300", "00406", "", "99999", "0040", "004010", "ÄÖÜ")
GS_VERSIONS = ("004010", "005010", "003050", "003010", "002001", "", "X", "004010VICS", "005010X231", "9")
SET_IDS = ("850", "997", "999", "855", "810", "", "85", "8500", "ISA")
_ODD_BYTES = (b"\x00", b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b"\r", b"\n", b"\x1a", b"\x80", b"\xc3")


def short_run(examples: int) -> settings:
    """A short, deterministic run for the test suite: the same examples on every machine."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,  # one store serves every example of a test
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


def odd_values() -> st.SearchStrategy[str]:
    """A value from ``ODD_VALUES`` or any short text."""
    return st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=12))


# ---------------------------------------------------------------------------------------------
# Seeds: the real documents the strategies start from.


def _read_seeds(paths: Iterable[Path]) -> tuple[bytes, ...]:
    return tuple(p.read_bytes() for p in sorted(paths) if p.is_file() and p.stat().st_size <= _MAX_SEED_BYTES)


@functools.cache
def x12_seeds() -> tuple[bytes, ...]:
    """Every X12 file of the inbox fixtures and the shared corpus."""
    paths = [*(ROOT / "fixtures" / "inbox").glob("*.edi")]
    if CORPUS.is_dir():
        paths += [p for p in CORPUS.rglob("*") if p.suffix.lower() in _X12_SUFFIXES]
    return tuple(s for s in _read_seeds(paths) if X12Doc.split(s) is not None)


@functools.cache
def email_seeds() -> tuple[bytes, ...]:
    return _read_seeds((ROOT / "fixtures" / "emails").glob("*.eml"))


@functools.cache
def xlsx_seeds() -> tuple[bytes, ...]:
    paths = [*(ROOT / "fixtures" / "sheets").glob("*.xlsx")]
    if CORPUS.is_dir():
        paths += CORPUS.rglob("*.xlsx")
    return _read_seeds(paths)


@functools.cache
def csv_seeds() -> tuple[bytes, ...]:
    return _read_seeds((ROOT / "fixtures" / "sheets").glob("*.csv"))


@functools.cache
def pdf_seeds() -> tuple[bytes, ...]:
    return _read_seeds((ROOT / "fixtures" / "pdfs").glob("*.pdf"))


def regression_files(prefix: str) -> list[Path]:
    """Inputs the fuzzers once broke a reader with, kept in ``tests/fuzz/fuzz_regressions/``."""
    return sorted(p for p in REGRESSIONS.glob(f"{prefix}-*") if p.is_file())


# ---------------------------------------------------------------------------------------------
# Byte-level damage, for every format.


@st.composite
def damaged_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` cut, flipped, with bytes inserted, deleted or repeated: what a bad transfer does."""
    for _ in range(draw(st.integers(1, 3))):
        size = len(data)
        at = draw(st.integers(0, size))
        kind = draw(st.sampled_from(("cut", "flip", "insert", "delete", "repeat", "overwrite")))
        if kind == "cut":
            data = data[:at]
        elif kind == "flip" and size:
            at = min(at, size - 1)
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1 :]
        elif kind == "insert":
            data = data[:at] + draw(st.one_of(st.sampled_from(_ODD_BYTES), st.binary(max_size=8))) + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 64)) :]
        elif kind == "repeat":
            end = min(size, at + draw(st.integers(1, 256)))
            data = data[:end] + data[at:end] * draw(st.integers(1, 4)) + data[end:]
        else:
            data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at + 16 :]
    return data


# ---------------------------------------------------------------------------------------------
# X12: an interchange as segments, mutated structurally, then rendered.


@dataclass(slots=True)
class X12Doc:
    """An X12 file split the way its ISA declares: what precedes it, separators, segments."""

    head: str
    element: str
    component: str
    terminator: str
    line_break: str
    segments: list[list[str]] = field(default_factory=list)

    @classmethod
    def split(cls, data: bytes) -> X12Doc | None:
        """Split by the separators the first ISA declares; None when there is no usable ISA."""
        text = data.decode("utf-8", errors="replace")
        start = text.find("ISA")
        if start < 0 or start + 4 >= len(text):
            return None
        element, pos, count = text[start + 3], start + 4, 0
        while pos < len(text) and count < 15:
            count += text[pos] == element
            pos += 1
        if count < 15 or pos + 1 >= len(text):
            return None
        component, terminator = text[pos], text[pos + 1]
        rest = text[pos + 2 :]
        line_break = ""
        if terminator in "\r\n":
            terminator, line_break = "\n", ""
        elif rest[:2] == "\r\n" or rest[:1] == "\n":
            line_break = "\r\n" if rest[:2] == "\r\n" else "\n"
        isa = text[start:pos].replace("\r", "").replace("\n", "").split(element)[:16]
        segments = [[*isa[:16], component][:17]]
        for raw in rest.split(terminator):
            cleaned = raw.strip(" \t\r\n")
            if cleaned:
                segments.append(cleaned.split(element))
        return cls(text[:start], element, component, terminator, line_break, segments)

    def render(self, encoding: str = "utf-8") -> bytes:
        """The document's bytes; characters the encoding cannot hold are replaced."""
        body = "".join(self.element.join(seg) + self.terminator + self.line_break for seg in self.segments)
        return (self.head + body).encode(encoding, errors="replace")


def _x12_doc(seed: bytes) -> X12Doc:
    doc = X12Doc.split(seed)
    assert doc is not None, "x12_seeds() keeps only files with an ISA"
    return doc


def _pick(draw: st.DrawFn, doc: X12Doc) -> int:
    return draw(st.integers(0, max(len(doc.segments) - 1, 0)))


def _delete_segment(draw: st.DrawFn, doc: X12Doc) -> None:
    if doc.segments:
        del doc.segments[_pick(draw, doc)]


def _duplicate_segment(draw: st.DrawFn, doc: X12Doc) -> None:
    if doc.segments:
        at = _pick(draw, doc)
        doc.segments[at:at] = [list(doc.segments[at]) for _ in range(draw(st.integers(1, 3)))]


def _move_segment(draw: st.DrawFn, doc: X12Doc) -> None:
    if doc.segments:
        seg = doc.segments.pop(_pick(draw, doc))
        doc.segments.insert(_pick(draw, doc), seg)


def _splice_segment(draw: st.DrawFn, doc: X12Doc) -> None:
    """A segment from another real file, in this file's separators."""
    other = _x12_doc(draw(st.sampled_from(x12_seeds())))
    if other.segments:
        doc.segments.insert(_pick(draw, doc), list(draw(st.sampled_from(other.segments))))


def _cut_segments(draw: st.DrawFn, doc: X12Doc) -> None:
    del doc.segments[_pick(draw, doc) + 1 :]


def _edit_element(draw: st.DrawFn, doc: X12Doc) -> None:
    if not doc.segments:
        return
    seg = doc.segments[_pick(draw, doc)]
    at = draw(st.integers(0, len(seg) + 1))
    seg.extend([""] * (at + 1 - len(seg)))
    seg[at] = draw(odd_values())


def _drop_or_add_elements(draw: st.DrawFn, doc: X12Doc) -> None:
    if not doc.segments:
        return
    seg = doc.segments[_pick(draw, doc)]
    if draw(st.booleans()) and len(seg) > 1:
        del seg[draw(st.integers(1, len(seg) - 1)) :]
    else:
        seg.extend(draw(st.lists(odd_values(), min_size=1, max_size=30)))


def _change_separators(draw: st.DrawFn, doc: X12Doc) -> None:
    doc.element = draw(st.sampled_from(SEPARATORS)) or "*"
    if draw(st.booleans()):
        doc.component = draw(st.sampled_from(SEPARATORS)) or ">"
        if doc.segments and doc.segments[0][:1] == ["ISA"] and len(doc.segments[0]) == 17:
            doc.segments[0][16] = doc.component
    if draw(st.booleans()):
        doc.terminator = draw(st.sampled_from(SEPARATORS))
        doc.line_break = draw(st.sampled_from(("", "\n", "\r\n", " ")))


def _resize_isa(draw: st.DrawFn, doc: X12Doc) -> None:
    """An ISA element made too long or too short, or padded with odd spaces, or wrapped."""
    isa = doc.segments[0] if doc.segments else []
    if len(isa) < 2:
        return
    at = draw(st.integers(1, len(isa) - 1))
    value = isa[at]
    kind = draw(st.sampled_from(("short", "long", "odd_space", "wrap", "empty")))
    if kind == "short":
        isa[at] = value[: draw(st.integers(0, max(len(value) - 1, 0)))]
    elif kind == "long":
        isa[at] = value + draw(st.sampled_from((" ", "X", "0"))) * draw(st.integers(1, 300))
    elif kind == "odd_space":
        isa[at] = value.replace(" ", draw(st.sampled_from(("\u00a0", "\u3000", "\u2003"))))
    elif kind == "wrap":
        isa[at] = value + draw(st.sampled_from(("\n", "\r\n", "\r")))
    else:
        isa[at] = ""


def _set_versions(draw: st.DrawFn, doc: X12Doc) -> None:
    for seg in doc.segments:
        if seg[:1] == ["ISA"] and len(seg) > 12 and draw(st.booleans()):
            seg[12] = draw(st.sampled_from(ISA_VERSIONS))
        elif seg[:1] == ["GS"] and len(seg) > 8 and draw(st.booleans()):
            seg[8] = draw(st.sampled_from(GS_VERSIONS))
        elif seg[:1] == ["ST"] and len(seg) > 1 and draw(st.booleans()):
            seg[1] = draw(st.sampled_from(SET_IDS))


def _break_control_numbers(draw: st.DrawFn, doc: X12Doc) -> None:
    """Counts and control numbers in trailers and headers that do not agree."""
    for seg in doc.segments:
        if seg[:1] in (["SE"], ["GE"], ["IEA"], ["ST"], ["GS"], ["ISA"]) and draw(st.booleans()):
            at = {"ST": 2, "GS": 6, "ISA": 13}.get(seg[0], draw(st.integers(1, 2)))
            seg.extend([""] * (at + 1 - len(seg)))
            seg[at] = draw(st.one_of(st.sampled_from(ODD_VALUES), st.integers(-5, 10**12).map(str)))


def _repeat_transaction(draw: st.DrawFn, doc: X12Doc) -> None:
    """An ST..SE block repeated, so one file holds many sets."""
    ids = [seg[0] if seg else "" for seg in doc.segments]
    if "ST" in ids:
        start = ids.index("ST")
        end = ids.index("SE", start) + 1 if "SE" in ids[start:] else len(ids)
        block = doc.segments[start:end]
        doc.segments[end:end] = [list(s) for _ in range(draw(st.integers(1, 20))) for s in block]


def _append_interchange(draw: st.DrawFn, doc: X12Doc) -> None:
    """Another real interchange after this one, maybe with garbage between."""
    other = _x12_doc(draw(st.sampled_from(x12_seeds())))
    glue = draw(st.sampled_from(("", "\n", "garbage between\n", "\x00\x00", "ISA")))
    # One pseudo-segment holding the whole second file: it is rendered verbatim.
    doc.segments.append([glue + other.render().decode("utf-8", errors="replace")])


def _change_head(draw: st.DrawFn, doc: X12Doc) -> None:
    doc.head = draw(st.sampled_from(("\ufeff", " \r\n\t", "\ufeff\ufeff", "junk", "IS", "ISA", "\x00", "")))


X12_MUTATIONS: dict[str, Callable[[st.DrawFn, X12Doc], None]] = {
    "delete_segment": _delete_segment,
    "duplicate_segment": _duplicate_segment,
    "move_segment": _move_segment,
    "splice_segment": _splice_segment,
    "cut_segments": _cut_segments,
    "edit_element": _edit_element,
    "drop_or_add_elements": _drop_or_add_elements,
    "change_separators": _change_separators,
    "resize_isa": _resize_isa,
    "set_versions": _set_versions,
    "break_control_numbers": _break_control_numbers,
    "repeat_transaction": _repeat_transaction,
    "append_interchange": _append_interchange,
    "change_head": _change_head,
}


@functools.cache
def x12_850_seeds() -> tuple[bytes, ...]:
    """The seeds that hold an 850: most mutations start from one, so most inputs reach the mapping."""
    return tuple(s for s in x12_seeds() if any(seg[:2] == ["ST", "850"] for seg in _x12_doc(s).segments))


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each as often as its weight."""
    return st.sampled_from([s for weight, s in choices for _ in range(weight)]).flatmap(lambda s: s)


@st.composite
def x12_documents(draw: st.DrawFn) -> bytes:
    """A real interchange with structural damage, sometimes byte damage, sometimes re-encoded."""
    seeds = weighted((3, st.sampled_from(x12_850_seeds())), (1, st.sampled_from(x12_seeds())))
    doc = _x12_doc(draw(seeds))
    for name in draw(st.lists(st.sampled_from(sorted(X12_MUTATIONS)), max_size=4)):
        X12_MUTATIONS[name](draw, doc)
    encoding = weighted((12, st.just("utf-8")), (1, st.sampled_from(("latin-1", "cp1252", "utf-16"))))
    data = doc.render(draw(encoding))
    if draw(st.integers(0, 3)) == 0:
        data = draw(damaged_bytes(data))
    return data


def x12_inputs() -> st.SearchStrategy[bytes]:
    """Mutated interchanges mostly; also raw bytes, and text that merely starts like an ISA."""
    return weighted(
        (8, x12_documents()),
        (1, st.binary(max_size=300)),
        (1, st.text(max_size=300).map(lambda t: ("ISA*" + t).encode("utf-8", errors="replace"))),
    )


# ---------------------------------------------------------------------------------------------
# Email: MIME trees built raw (so they can be broken), and real messages damaged.

SENDERS = (
    "Jane Buyer <jane@acme-retail.example>", "orders@initech.example", "someone@unknown.example",
    "", "<>", "<<@>>", "=?utf-8?b?SmFuZQ==?= <jane@acme-retail.example>", "=?x-bogus?q?J=FFne?= <a@b>",
    "=?utf-8?b?!!!?=", "\"Unclosed <jane@acme-retail.example>", "a@b@c", "(comment) jane@acme-retail.example",
    "jane@acme-retail.example, orders@initech.example", "x" * 2000 + "@acme-retail.example",
    # Raw 8-bit bytes (written through surrogateescape): latin-1 in a name, a byte inside an address.
    "J\udce9r\udcf4me <orders@acme-retail.example>", "orders@a\udca0cme-retail.example",
)  # fmt: skip
CHARSETS = (
    "utf-8", "us-ascii", "iso-8859-1", "cp1252", "utf-16", "utf-7", "iso-2022-jp", "x-unknown", "", "\"utf-8",
    "utf-8''", "unicode-1-1-utf-7",
)  # fmt: skip
ENCODINGS = ("7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "BASE64", "bogus", "")
BODIES = (
    "Please ship:\n10 x ABC-123\nABC-124 qty 5 @ 4.50\nPO: 4500012345\n",
    "PO # 12345\n\nQty\tItem\tPrice\n10\tWID-1\t1.50\n3\tWID-2\t9\n",
    "Item | Qty | Price\nA-1 | 1E+9999 | NaN\nB-2 | -0 | 1,234.56\n",
    "Hi,\n-- \nsignature 2 x NOT-1\n",
    "> 10 x QUOTED-1\nOn Mon, someone wrote:\n",
    "",
)  # fmt: skip


@st.composite
def _order_text(draw: st.DrawFn) -> str:
    """An email body: real order shapes, mixed with odd values."""
    lines = draw(st.lists(st.sampled_from(BODIES), min_size=1, max_size=3))
    extra = draw(st.lists(st.tuples(odd_values(), odd_values()), max_size=4))
    lines += [f"{a} x {b}\n" for a, b in extra]
    return "".join(lines)


def _encode_payload(draw: st.DrawFn, payload: bytes, encoding: str) -> bytes:
    """The payload in its transfer encoding, sometimes broken on purpose."""
    if encoding.lower() == "base64":
        text = base64.encodebytes(payload)
        kind = draw(st.sampled_from(("ok", "ok", "cut", "junk", "no_padding", "no_newlines")))
        if kind == "cut":
            text = text[: draw(st.integers(0, len(text)))]
        elif kind == "junk":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from((b"!!", b"=", b"\x00", b"===", b"\xff"))) + text[at:]
        elif kind == "no_padding":
            text = text.replace(b"=", b"")
        elif kind == "no_newlines":
            text = text.replace(b"\n", b"")
        return text
    if encoding == "quoted-printable":
        text = quopri.encodestring(payload)
        if draw(st.booleans()):
            text += draw(st.sampled_from((b"=ZZ", b"=", b"=\n", b"=0")))
        return text
    return payload


@st.composite
def _attachment_payload(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(("x12", "csv", "xlsx", "pdf", "binary", "text")))
    if kind == "x12":
        return "application/edi-x12", draw(x12_documents())
    if kind == "csv":
        return "text/csv", draw(csv_documents())
    if kind == "xlsx":
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", draw(xlsx_documents())
    if kind == "pdf" and pdf_seeds():
        data = draw(st.sampled_from(pdf_seeds()))
        return "application/pdf", data[: draw(st.integers(0, len(data)))] if draw(st.booleans()) else data
    return "application/octet-stream", draw(st.binary(max_size=200))


def _header_lines(draw: st.DrawFn, top: bool) -> list[str]:
    lines: list[str] = []
    if top:
        if draw(st.integers(0, 5)):
            lines.append(f"From: {draw(st.sampled_from(SENDERS))}")
        lines += ["To: orders@northwind.example", "Date: Fri, 20 Nov 2026 09:30:00 +0000"]
        subject = draw(st.sampled_from(("PO 1", "=?utf-8?q?PO_=FF?=", "=?bogus?b?AAAA?=", "S" * 70000, "")))
        lines.append(f"Subject: {subject}")
        if draw(st.booleans()):
            lines.append(f"Reply-To: {draw(st.sampled_from(SENDERS))}")
        if draw(st.booleans()):
            lines.append("MIME-Version: 1.0")
    if draw(st.integers(0, 4)) == 0:
        # Headers that are folded oddly, repeated, huge or hold control characters.
        odd = ("X-Long: " + "a " * 5000, "X-Folded: a\r\n\r\n b", "X-Nul: a\x00b", "Bad Header Line",
               "Content-Type: text/plain", ": empty name", "X-Latin: caf\xe9")  # fmt: skip
        lines += draw(st.lists(st.sampled_from(odd), max_size=3))
    return lines


@st.composite
def _mime_entity(draw: st.DrawFn, depth: int, top: bool = False) -> bytes:
    """One MIME entity (headers, blank line, body); multiparts and messages recurse to ``depth``."""
    kinds = ["text", "html", "attachment"] + (["multipart", "multipart", "message"] if depth > 0 else [])
    kind = draw(st.sampled_from(kinds))
    headers = _header_lines(draw, top)
    newline = draw(st.sampled_from(("\r\n", "\n", "\n", "\n")))
    if kind in ("multipart", "message"):
        if kind == "message":
            headers.append("Content-Type: message/rfc822")
            inner = draw(_mime_entity(depth - 1, top=True))
            body = inner
        else:
            subtype = draw(st.sampled_from(("mixed", "alternative", "related", "signed", "x-bogus")))
            boundary = draw(st.sampled_from(("b1", "", "=_b", "x" * 100, "a b", '"q"', "b1--", None)))
            param = "" if boundary is None else f'; boundary="{boundary}"'
            headers.append(f"Content-Type: multipart/{subtype}{param}")
            children = draw(st.lists(_mime_entity(depth - 1), min_size=0, max_size=3))
            delimiter = boundary if boundary is not None and draw(st.integers(0, 4)) else "wrong"
            chunks = [b"preamble" + newline.encode()] if draw(st.booleans()) else []
            for child in children:
                chunks.append(f"--{delimiter}{newline}".encode() + child + newline.encode())
            if draw(st.integers(0, 3)):
                chunks.append(f"--{delimiter}--{newline}".encode())
            body = b"".join(chunks)
    else:
        charset = draw(st.sampled_from(CHARSETS))
        encoding = draw(st.sampled_from(ENCODINGS))
        if kind == "attachment":
            ctype, payload = draw(_attachment_payload())
            name = draw(
                st.sampled_from(
                    ("order.csv", "../../x.edi", "", "=?utf-8?q?=FF?=", "a\x00b.xlsx", "caf\udce9.csv")
                )
            )
            disposition = draw(
                st.sampled_from(
                    (
                        f'attachment; filename="{name}"',
                        "attachment; filename*=utf-8''%FF%FE",
                        "attachment",
                        "inline",
                        "",
                    )
                )
            )
            headers.append(f'Content-Type: {ctype}; name="{name}"')
            if disposition:
                headers.append(f"Content-Disposition: {disposition}")
        else:
            ctype = "text/plain" if kind == "text" else "text/html"
            text = draw(_order_text())
            if kind == "html":
                text = f"<html><body><p>{text.replace(chr(10), '<br>')}</p><script>x</script></body>"
            payload = text.encode(charset if _codec(charset) else "utf-8", errors="replace")
            headers.append(f'Content-Type: {ctype}; charset="{charset}"')
        if encoding:
            headers.append(f"Content-Transfer-Encoding: {encoding}")
        body = _encode_payload(draw, payload, encoding)
    head = newline.join(headers).encode("utf-8", errors="surrogateescape") + (newline * 2).encode()
    return head + body


def _codec(name: str) -> bool:
    try:
        "".encode(name)
    except (LookupError, ValueError):
        return False
    return True


@st.composite
def _damaged_email(draw: st.DrawFn) -> bytes:
    """A real message with lines dropped, repeated or swapped, then maybe byte damage."""
    lines = draw(st.sampled_from(email_seeds())).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(("drop", "repeat", "swap", "replace")))
        if kind == "drop":
            del lines[at]
        elif kind == "repeat":
            lines[at:at] = [lines[at]] * draw(st.integers(1, 50))
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        else:
            lines[at] = draw(st.sampled_from(ODD_VALUES)).encode("utf-8") + b"\n"
    data = b"".join(lines)
    return draw(damaged_bytes(data)) if draw(st.booleans()) else data


def email_documents() -> st.SearchStrategy[bytes]:
    """Built MIME trees up to 11 levels deep (the reader stops at 8), and damaged real messages."""
    built = st.integers(0, 11).flatmap(lambda depth: _mime_entity(depth, top=True))
    return st.one_of(built, built, _damaged_email())


# ---------------------------------------------------------------------------------------------
# Sheets: xlsx zips damaged entry by entry, generated workbooks, CSV in odd shapes.

_XLSX_EDITS: tuple[tuple[bytes, bytes], ...] = (
    (b't="s"', b't="e"'), (b't="s"', b't="n"'), (b't="s"', b't="d"'), (b't="s"', b't="b"'),
    (b't="s"', b't="inlineStr"'), (b't="s"', b't="x"'), (b"<v>", b"<v>abc"), (b"<v>", b"<v>99999999"),
    (b"<v>", b"<v>-"), (b"<v>", b"<v>1E+400"), (b'r="A', b'r="XFD1048577'), (b'r="A', b'r="'),
    (b'r="B', b'r="A0'), (b"<sheetData>", b'<sheetData><row r="0">'), (b'ref="', b'ref="A1:XFD1048576'),
    (b"<si>", b"<si><t>"), (b"</sst>", b""), (b'count="', b'count="-9'), (b"<?xml", b"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><?xml"),
    (b'<sheet ', b'<sheet name="" '), (b'r:id="', b'r:id="rIdX'), (b'Target="', b'Target="../../'),
    (b'numFmtId="', b'numFmtId="9999'), (b"<f>", b"<f>1/0"), (b"<c ", b'<c s="9999" '),
    (b"<row ", b'<row r="99999999" '), (b"<row ", b'<row spans="1:99999" '),
)  # fmt: skip


@st.composite
def _damaged_zip(draw: st.DrawFn, data: bytes) -> bytes:
    """The workbook rebuilt with one or more entries edited, replaced, cut, dropped or doubled."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    for _ in range(draw(st.integers(1, 3))):
        if not entries:
            break
        at = draw(st.integers(0, len(entries) - 1))
        name, content = entries[at]
        kind = draw(st.sampled_from(("edit", "edit", "edit", "cut", "garbage", "drop", "double", "rename")))
        if kind == "edit":
            old, new = draw(st.sampled_from(_XLSX_EDITS))
            content = content.replace(old, new, draw(st.sampled_from((1, -1))))
        elif kind == "cut":
            content = content[: draw(st.integers(0, len(content)))]
        elif kind == "garbage":
            content = draw(st.sampled_from((b"", b"<", b"\x00" * 10, b"<a>" * 500, b"not xml")))
        elif kind == "drop":
            del entries[at]
            continue
        elif kind == "double":
            entries.append((name, content))
        else:
            name = draw(st.sampled_from(("xl/worksheets/sheet9.xml", "xl/../x.xml", "", "XL/workbook.xml")))
        entries[at] = (name, content)
    out = io.BytesIO()
    compression = draw(st.sampled_from((zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED)))
    with zipfile.ZipFile(out, "w", compression) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # doubled entry names are the point here
        for name, content in entries:
            archive.writestr(name or "unnamed", content)
    return out.getvalue()


CELL_VALUES: tuple[Any, ...] = (
    None, 0, -1, 10, 1.5, -0.0, 1e308, 1e-300, float("inf"), float("nan"), 2**63, -(2**70),
    Decimal("1E+30"), True, 45000, 45000.75, 80001, 19999.5, "10", "1E+9999", "NaN", "1.234,56", "12,5",
    "$4.50", "€", "2026-02-30", "31/12/2026", "20261120", "=SUM(A1:A2)", "<item>", "mm/dd/yyyy", "",
    " ", "A" * 400, "\x00", "é", "Total", "Subtotal", "Freight",
)  # fmt: skip
HEADER_TITLES = (
    "Item", "SKU", "Qty", "Quantity", "Price", "Unit Price", "UOM", "Description", "Amount", "Line",
    "UPC", "Customer Part", "PO Number", "Date", "Ship To", "Terms", "", "Qty Qty", "#",
)  # fmt: skip


def _put(sheet: Any, row: int, column: int, value: Any) -> None:
    from openpyxl.utils.exceptions import IllegalCharacterError

    try:
        sheet.cell(row, column, value)
    except (ValueError, TypeError, IllegalCharacterError):
        sheet.cell(row, column, repr(value))  # openpyxl refuses to write control characters


@st.composite
def _titles(draw: st.DrawFn) -> list[str]:
    """A line table's header: mostly one that names an item and a quantity, in any order."""
    titles = draw(st.lists(st.sampled_from(HEADER_TITLES), min_size=0, max_size=5))
    if draw(st.integers(0, 4)):
        titles += [
            draw(st.sampled_from(("Item", "SKU", "Description", "UPC"))),
            draw(st.sampled_from(("Qty", "Quantity"))),
        ]
    return list(draw(st.permutations(titles))) or ["Item"]


@st.composite
def _generated_workbook(draw: st.DrawFn) -> bytes:
    """A workbook written by openpyxl with label cells, a line-table header and odd values."""
    import openpyxl  # imported here: writing workbooks is only needed by this strategy

    book = openpyxl.Workbook()
    for index in range(draw(st.integers(1, 3))):
        sheet = (
            book.active if index == 0 else book.create_sheet(draw(st.sampled_from(("Orders", "x" * 31, "S"))))
        )
        assert sheet is not None
        top = draw(st.integers(1, 70))
        for label in draw(st.lists(st.sampled_from(HEADER_TITLES[12:16]), max_size=3)):
            row = draw(st.integers(1, top))
            _put(sheet, row, 1, label)
            _put(sheet, row, 2, draw(st.sampled_from(CELL_VALUES)))
        titles = draw(_titles())
        for column, title in enumerate(titles, start=1):
            sheet.cell(top, column, title)
        for row in range(top + 1, top + 1 + draw(st.integers(0, 8))):
            for column in range(1, len(titles) + 1):
                _put(sheet, row, column, draw(st.sampled_from(CELL_VALUES)))
        if draw(st.booleans()) and len(titles) > 1:
            sheet.merge_cells(start_row=top + 1, start_column=1, end_row=top + 2, end_column=2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@st.composite
def xlsx_documents(draw: st.DrawFn) -> bytes:
    """A real or generated workbook, with its zip entries or its bytes damaged."""
    if draw(st.integers(0, 3)) == 0:
        data = draw(_generated_workbook())
    else:
        data = draw(st.sampled_from(xlsx_seeds()))
    kind = draw(st.sampled_from(("zip", "zip", "bytes", "none")))
    if kind == "zip":
        return draw(_damaged_zip(data))
    if kind == "bytes":
        return draw(damaged_bytes(data))
    return data


@st.composite
def csv_documents(draw: st.DrawFn) -> bytes:
    """A CSV order: a header, rows of odd values, any delimiter, quoting, line ending and encoding."""
    if csv_seeds() and draw(st.integers(0, 3)) == 0:
        seed = draw(st.sampled_from(csv_seeds()))
        return draw(damaged_bytes(seed)) if draw(st.booleans()) else seed
    delimiter = draw(weighted((4, st.sampled_from((",", ";", "\t", "|"))), (1, st.sampled_from((":", " ")))))
    rows: list[list[str]] = []
    for label in draw(st.lists(st.sampled_from(HEADER_TITLES[12:16]), max_size=2)):
        rows.append([label, draw(odd_values())])
    titles = draw(_titles())
    rows.append(titles)
    cells = st.sampled_from([str(v) for v in CELL_VALUES if v is not None])
    values = weighted((3, cells), (1, odd_values()))
    for _ in range(draw(st.integers(1, 10))):
        rows.append(draw(st.lists(values, min_size=len(titles) - 1, max_size=len(titles) + 2)))
    out = io.StringIO()
    quoting: Literal[0, 1, 2, 3] = draw(
        st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC, csv.QUOTE_NONE))
    )
    terminator = draw(st.sampled_from(("\n", "\r\n", "\r")))
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, escapechar="\\", lineterminator=terminator)
    for row in rows:
        try:
            writer.writerow(row)
        except csv.Error:  # a row QUOTE_NONE cannot write: written raw, broken as it is
            out.write(delimiter.join(row) + terminator)
    text = out.getvalue()
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(('"', '""', "'", "\x00", "\ufeff", "\\"))) + text[at:]
    odd = st.sampled_from(("utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le"))
    return text.encode(draw(weighted((4, st.just("utf-8")), (1, odd))), errors="replace")


def sheet_documents() -> st.SearchStrategy[bytes]:
    return st.one_of(xlsx_documents(), csv_documents())


# ---------------------------------------------------------------------------------------------
# The properties.


def _check_issue(issue: Issue, where: str) -> None:
    assert issue.code and issue.message.strip(), f"{where}: an issue without a code or message: {issue!r}"
    _check_storable(issue.model_dump(mode="json"), f"{where}: issue {issue.code}")


def _check_storable(value: object, where: str) -> None:
    """Every text can be written as UTF-8: a lone surrogate (an undecoded byte) fails the store."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise AssertionError(f"{where}: text the store cannot write: {value[:80]!r}") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(key, where)
            _check_storable(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_storable(item, where)


def check_prepass(data: bytes) -> list[object]:
    """The pre-pass reads any bytes to the end: headers, segments and issues, in document order."""
    events: list[object] = list(scan(io.BytesIO(data)))
    last = 0
    for event in events:
        if isinstance(event, RawSegment):
            assert event.index >= last, f"segment indexes go backwards: {event.index} after {last}"
            last = event.index
        elif isinstance(event, ScanIssue):
            _check_issue(event.issue, "pre-pass")
        else:
            assert isinstance(event, InterchangeHeader), f"unexpected pre-pass event {event!r}"
            for issue in event.issues:
                _check_issue(issue, "ISA")
    if data.strip(b" \t\r\n\xef\xbb\xbf") and not any(isinstance(e, RawSegment) for e in events):
        assert any(isinstance(e, ScanIssue) for e in events), (
            "non-empty input gave neither segments nor issues"
        )
    return events


def check_events(events: list[object], where: str) -> None:
    """Events are of the four documented kinds; issues have codes and messages; input is not dropped."""
    assert events, f"{where}: no events at all: the document would be dropped silently"
    for event in events:
        if isinstance(event, DocumentIssue):
            _check_issue(event.issue, where)
        elif isinstance(event, ParsedOrder):
            for issue in event.issues:
                _check_issue(issue, where)
            _check_storable(event.order.model_dump(mode="json"), f"{where}: order")
        else:
            assert isinstance(event, ParsedInterchange | ReceivedAck), f"{where}: unexpected event {event!r}"


def check_parse_stream(data: bytes, partners: PartnerRegistry) -> tuple[str | None, list[object]]:
    """``parsers.parse_stream`` over any bytes, drained: the pipeline's own entry to the readers."""
    partner = partners.get("acme")
    fmt, stream = parse_stream(io.BytesIO(data), partners=partners, document_id="fuzz", partner=partner)
    events: list[object] = list(stream)
    check_events(events, f"parse_stream ({fmt})")
    return fmt, events


def check_email(data: bytes, partners: PartnerRegistry) -> list[object]:
    """The email reader over any bytes, whether or not they look like mail."""
    events: list[object] = list(read_email(data, partners=partners, document_id="fuzz"))
    check_events(events, "email")
    return events


def check_sheet(data: bytes) -> None:
    """The xlsx or CSV reader (by the first bytes) finds orders, or says why it found none."""
    reader = parse_excel_order if data.startswith((b"PK", b"\xd0\xcf")) else parse_csv_order
    found = reader(data, partner="acme", document_id="fuzz", pinned={"Artikel": "vendor_sku"})
    for issue in found.issues:
        _check_issue(issue, reader.__name__)
    assert found.orders or found.issues, f"{reader.__name__}: neither an order nor an issue"
    for order in found.orders:
        assert order.lines, f"{reader.__name__}: an order without lines"
        _check_storable(order.model_dump(mode="json"), f"{reader.__name__}: order")


def check_ingest(
    pipeline: Pipeline,
    data: bytes,
    *,
    channel: str,
    filename: str | None,
    partner: str | None = None,
    postgres_widths: bool = True,
) -> str:
    """Through the pipeline: stored byte for byte, a final status, and a specific error when refused.

    ``partner`` names the customer, as ``gateway ingest --partner`` does for sheets, so their orders
    are stored. ``postgres_widths`` also requires every stored value to fit its PostgreSQL column,
    since SQLite, which the tests run on, stores anything. Returns the document's status.
    """
    outcome = pipeline.ingest_stream(io.BytesIO(data), channel=channel, filename=filename, partner=partner)
    with pipeline.sessions() as session:
        document = session.get(storage.Document, outcome.document_id)
        assert document is not None, "the document was lost"
        assert storage.document_bytes(session, document.id) == data, "the stored bytes differ"
        why = f"status {document.status}, {document.error_code}: {document.error}"
        assert document.status in FINAL_STATUSES, why
        assert document.error_code != "internal_error", why
        if document.status != "processed":
            assert document.error_code and (document.error or "").strip(), f"no specific error: {why}"
        for problem in column_overflows(session, document.id) if postgres_widths else ():
            raise AssertionError(f"would not fit PostgreSQL: {problem}")
    return document.status


def column_overflows(session: Session, document_id: int) -> Iterator[str]:
    """Values SQLite stores but PostgreSQL refuses: strings over their length, numbers over precision."""
    orders = list(
        session.scalars(select(storage.PurchaseOrder).where(storage.PurchaseOrder.document_id == document_id))
    )
    rows: list[Any] = [session.get(storage.Document, document_id), *orders]
    for order in orders:
        rows += session.scalars(
            select(storage.OrderLineRecord).where(storage.OrderLineRecord.order_id == order.id)
        )
    rows += session.scalars(select(storage.Finding).where(storage.Finding.document_id == document_id))
    for row in rows:
        for column in row.__table__.columns:
            value = getattr(row, column.key, None)
            if isinstance(column.type, String) and column.type.length and isinstance(value, str):
                if len(value) > column.type.length:
                    yield f"{row.__tablename__}.{column.key} is {len(value)} characters (max {column.type.length})"
            elif isinstance(column.type, Numeric) and isinstance(value, Decimal) and value.is_finite():
                whole = (column.type.precision or 18) - (column.type.scale or 0)
                if abs(value) >= Decimal(10) ** whole:
                    yield f"{row.__tablename__}.{column.key} = {value} overflows Numeric({column.type.precision})"


def sqlite_pipeline(folder: Path) -> Pipeline:
    """A parse-only pipeline on a fresh SQLite store in ``folder``, as the tests' ``pipeline`` fixture."""
    engine = storage.make_engine(f"sqlite:///{folder / 'fuzz.db'}")
    storage.upgrade(engine)
    sessions: sessionmaker[Session] = storage.make_sessionmaker(engine)
    return Pipeline(sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW, validate=False)


def sample(strategy: st.SearchStrategy[bytes], count: int, seed: int = 0) -> list[bytes]:
    """``count`` examples of ``strategy``, reproducibly: seed corpora for atheris."""
    found: list[bytes] = []

    @hypothesis_seed(seed)
    @settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(data: bytes) -> None:
        found.append(data)

    collect()
    return found[:count]
