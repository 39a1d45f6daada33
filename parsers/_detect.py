"""Tells a document's format from its bytes, never from its file name."""

from __future__ import annotations

import codecs
import io
import json
import re
import zipfile

X12 = "x12"
XLSX = "xlsx"
CSV = "csv"
PDF = "pdf"
EMAIL = "email"
JSON = "json"  # a web-shop or marketplace order (Shopify, WooCommerce, Amazon, Walmart): parsers/_channels.py
IMAGE = "image"  # a scanned or faxed page: TIFF (also multi-page), PNG or JPEG, read by OCR
_IMAGE_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]", re.MULTILINE)
_OBJECT_NEXT = frozenset('"}')
_ARRAY_NEXT = frozenset('{["]-0123456789tfn')
_DECODER = json.JSONDecoder()
_MAIL_HEADERS = (b"from:", b"to:", b"subject:", b"date:", b"message-id:", b"mime-version:", b"received:")


def detect_format(head: bytes, whole: bytes | None = None) -> str | None:
    """The format of a document from its first bytes (``whole`` helps tell a zip apart)."""
    text = head[:8192]
    if text.startswith(codecs.BOM_UTF8):
        text = text[len(codecs.BOM_UTF8) :]
    stripped = text.lstrip(b" \t\r\n")
    if stripped.startswith(b"ISA") and len(stripped) > 3 and not chr(stripped[3]).isalnum():
        return X12
    if text.startswith(b"%PDF"):
        return PDF
    if text.startswith(_IMAGE_MAGIC):
        return IMAGE
    if text.startswith(_OLE) or (text.startswith(b"PK\x03\x04") and _is_workbook(whole or head)):
        return XLSX
    if stripped.startswith((b"{", b"[")) and _looks_like_json(stripped):
        return JSON  # which channel's order, if any, is told from its keys once it is read whole
    if _looks_like_mail(stripped):
        return EMAIL
    if _looks_like_csv(stripped):
        return CSV
    return None


def _is_workbook(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(name.startswith("xl/") for name in archive.namelist())
    except Exception:  # zipfile has no one error for a damaged archive (see _excel._zip_refusal)
        return True  # a damaged zip is most likely a workbook; its reader says what is wrong


def _looks_like_json(text: bytes) -> bool:
    """``text`` (starting ``{`` or ``[``) opens a JSON document, not a sheet whose first cell is ``[Item]``.

    The opening bracket must be followed by a JSON token (``{"``, ``{}``, ``[{``, ``[1``...). A
    malformed or cut-off document with a JSON opening is still JSON, so its reader names where it
    breaks; one complete value followed by more text (``[1],[2]`` on every line) is JSON only when
    the text does not read as delimited rows.
    """
    sample = text[:8192].decode("utf-8", errors="replace")
    follows = sample[1:].lstrip(" \t\r\n")[:1]
    if not follows or follows not in (_OBJECT_NEXT if sample[0] == "{" else _ARRAY_NEXT):
        return not follows  # a lone bracket is a (cut-off) JSON document
    try:
        _, end = _DECODER.raw_decode(sample)
    except json.JSONDecodeError:
        return True  # malformed or cut off at the head's end: the JSON reader says where
    return not sample[end:].strip() or not _looks_like_csv(text)


def _looks_like_mail(text: bytes) -> bool:
    block = text.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = [line for line in block.splitlines() if line and not line[:1].isspace()]
    known = sum(line.lower().startswith(_MAIL_HEADERS) for line in lines)
    return bool(lines) and known >= 2 and all(_HEADER_LINE.match(line) for line in lines)


def _looks_like_csv(text: bytes) -> bool:
    try:
        sample = text[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return False
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if len(lines) < 2 or any("\x00" in line for line in lines):
        return False
    return any(sum(d in line for line in lines) >= len(lines) - 1 for d in ",;\t|")
