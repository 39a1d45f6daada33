"""Words with their boxes, and the rows they form when clustered by baseline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.model.order import Provenance

ROW_TOLERANCE = 3.0  # points: words whose tops differ by at most this share a row


@dataclass(slots=True)
class Word:
    """One word on a page, in PDF points from the page's top left; OCR words carry a confidence."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    page: int
    confidence: float = 1.0


@dataclass(slots=True)
class Row:
    """Words that share a baseline, left to right."""

    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def page(self) -> int:
        return self.words[0].page


def rows_of(words: Iterable[Word], tolerance: float = ROW_TOLERANCE) -> list[Row]:
    """One page's words clustered into rows, top to bottom, each row left to right."""
    ordered = sorted(words, key=lambda w: (w.page, round(w.top), w.x0))
    rows: list[Row] = []
    for word in ordered:
        last = rows[-1].words[0] if rows else None
        if last is not None and last.page == word.page and abs(last.top - word.top) <= tolerance:
            rows[-1].words.append(word)
        else:
            rows.append(Row([word]))
    for row in rows:
        row.words.sort(key=lambda w: w.x0)
    return rows


def phrases(row: Row) -> list[list[Word]]:
    """Words set closer than about a space apart read as one phrase ("Unit Price")."""
    found: list[list[Word]] = []
    for word in row.words:
        gap_limit = 0.6 * (word.bottom - word.top)
        if found and word.x0 - found[-1][-1].x1 <= gap_limit:
            found[-1].append(word)
        else:
            found.append([word])
    return found


def provenance(words: list[Word], confidence: float) -> Provenance:
    """Where a value was read: the page and the box around its words, and how sure the reading is.

    An OCR word's own confidence caps the value's.
    """
    return Provenance(
        page=words[0].page,
        bbox=(min(w.x0 for w in words), min(w.top for w in words), max(w.x1 for w in words),
              max(w.bottom for w in words)),
        confidence=round(min([confidence, *(w.confidence for w in words)]), 2),
    )  # fmt: skip
