"""Tells a document's format from its first bytes, never from its file name."""

from __future__ import annotations

import codecs

X12 = "x12"
_X12_LEAD = frozenset(" \t\r\n\ufeff")


def detect_format(head: bytes) -> str | None:
    """``"x12"`` when the document opens with an ISA (after a BOM or whitespace), else None."""
    text = head[:4096]
    if text.startswith(codecs.BOM_UTF8):
        text = text[len(codecs.BOM_UTF8) :]
    stripped = text.decode("latin-1").lstrip("".join(_X12_LEAD))
    if stripped.startswith("ISA") and len(stripped) > 3 and not stripped[3].isalnum():
        return X12
    return None
