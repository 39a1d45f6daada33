"""Where a value a person confirmed sits on the page: the label it follows, or the title of its column.

The order desk asks this after a clerk corrects a value, to learn the sender's layout: the value's
words are found on the page, then the label nearest left of them on their row (else the one
directly above), or, for a line value, the title heading its column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from .._values import parse_date
from .._values import parse_number
from ._words import Row
from ._words import Word
from ._words import phrases

Matches = Callable[[list[Word]], bool]
MAX_RUN = 4  # words one value may span
MAX_TITLE_ROWS = 60  # rows walked up from a line value to its column title
_EDGE = " \t:#.,;()[]"


@dataclass(frozen=True, slots=True)
class Place:
    """The label a value follows (``right`` of it, or ``below`` it), or its column's title (``column``)."""

    label: str
    geometry: Literal["right", "below", "column"]


def text_value(value: str) -> Matches:
    """Words that read as ``value``, case and surrounding punctuation aside."""
    wanted = _norm(value)
    return lambda words: bool(wanted) and _norm(" ".join(w.text for w in words)) == wanted


def number_value(value: Decimal) -> Matches:
    return lambda words: len(words) == 1 and parse_number(words[0].text) == value


def date_value(value: date) -> Matches:
    """Words that write ``value`` in a common way (11/03/2026, 3.11.26, 3 Nov. 2026, Nov 3, 2026...)."""
    spellings = _date_spellings(value)

    def matches(words: list[Word]) -> bool:
        text = " ".join(w.text for w in words).strip(_EDGE)
        return _norm(text) in spellings or parse_date(text) == value

    return matches


def _date_spellings(value: date) -> set[str]:
    day, month, year = str(value.day), str(value.month), str(value.year)
    days, months, years = {day, day.zfill(2)}, {month, month.zfill(2)}, {year, year[2:]}
    short = value.strftime("%b")
    names = {short, f"{short}.", value.strftime("%B")}
    found = {value.isoformat()}
    for d in days:
        for y in years:
            for m in months:
                found |= {f"{d}{sep}{m}{sep}{y}" for sep in "./-"} | {f"{m}/{d}/{y}"}
            for name in names:
                found |= {f"{d} {name} {y}", f"{d}-{name}-{y}", f"{name} {d} {y}", f"{name} {d}, {y}"}
    return {_norm(text) for text in found}


def label_place(rows: list[Row], matches: Matches) -> Place | None:
    """The label of the first place the value is written: nearest left on its row, else right above it."""
    for index, row in enumerate(rows):
        for start, run in _runs(row, matches):
            left = _last_phrase(row.words[:start])
            if left is not None:
                return Place(left, "right")
            above = _title_above(rows, index, run, limit=3)
            if above is not None:
                return Place(above, "below")
    return None


def column_place(rows: list[Row], matches: Matches, near: tuple[int, float] | None = None) -> Place | None:
    """The title of the column the value sits in; ``near`` (page, top) is where its line was read."""
    found = [(index, run) for index, row in enumerate(rows) for _, run in _runs(row, matches)]
    if near is not None:
        page, top = near
        found = [f for f in found if rows[f[0]].page == page]
        found.sort(key=lambda f: abs(rows[f[0]].words[0].top - top))
    for index, run in found:
        title = _title_above(rows, index, run, limit=MAX_TITLE_ROWS)
        if title is not None:
            return Place(title, "column")
    return None


def _runs(row: Row, matches: Matches) -> list[tuple[int, list[Word]]]:
    out: list[tuple[int, list[Word]]] = []
    for start in range(len(row.words)):
        for length in range(1, MAX_RUN + 1):
            run = row.words[start : start + length]
            if len(run) == length and matches(run):
                out.append((start, run))
                break
    return out


def _last_phrase(words: list[Word]) -> str | None:
    """The phrase nearest left of a value, if it reads as a label: words with letters and no digits
    (a phrase with digits is another value, and the label is then looked for above)."""
    if not words:
        return None
    label = _clean(" ".join(w.text for w in phrases(Row(words))[-1]))
    return label if _is_label(label) and not re.search(r"\d", label) else None


def _title_above(rows: list[Row], index: int, run: list[Word], *, limit: int) -> str | None:
    """The nearest phrase above ``run`` on its page that overlaps it across and reads as a label
    (letters, no digits: rows of other values in between are passed over)."""
    x0, x1 = run[0].x0, run[-1].x1
    page = rows[index].page
    for above in reversed(rows[max(0, index - limit) : index]):
        if above.page != page:
            return None
        best: tuple[float, str] | None = None
        for phrase in phrases(above):
            overlap = min(x1, phrase[-1].x1) - max(x0, phrase[0].x0)
            if overlap > 0 and (best is None or overlap > best[0]):
                best = (overlap, _clean(" ".join(w.text for w in phrase)))
        if best is None:
            continue
        if _is_label(best[1]) and not re.search(r"\d", best[1]):
            return best[1]
    return None


def _is_label(text: str) -> bool:
    return bool(re.search(r"[^\W\d_]", text)) and parse_number(text) is None


def _clean(text: str) -> str:
    return text.strip(_EDGE)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip(_EDGE)).casefold()
