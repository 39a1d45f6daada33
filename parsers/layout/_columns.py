"""The header of a line table: its titles over one to four text rows, matched to fields, and their x-spans.

A title may be stacked over several rows ("Unit" above "Cost"), or the header may be laid out in
layers that mirror the rows of each line (item and material above, quantity and price below).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

from .._values import read_amount
from .._vocabulary import match_column
from .._vocabulary import pinned_titles
from ._words import Row
from ._words import Word
from ._words import phrases

MAX_HEADER_ROWS = 4
IDENTIFIERS = frozenset({"vendor_sku", "buyer_part", "description", "upc"})
PARTS = ("vendor_sku", "buyer_part", "upc")


@dataclass(slots=True)
class Column:
    """One column: the field its title names ("other" for a known non-line column), its x-span, its layer."""

    name: str
    x0: float
    x1: float
    score: float
    layer: int = 0
    title: str = ""


@dataclass(slots=True)
class Header:
    """The header rows ``rows[start:end]`` and the columns they name."""

    start: int
    end: int
    columns: list[Column]
    layered: bool = False
    names: set[str] = field(default_factory=set)

    def layer_of(self, name: str) -> int:
        return next((c.layer for c in self.columns if c.name == name), 0)


def _match(text: str, exact: Mapping[str, str]) -> tuple[str, float] | None:
    if "%" in text:  # a discount (or tax) rate column, never a quantity or price
        return (
            ("discount", 100.0)
            if re.search(r"dis|desc|dto|rab|rem", text, re.IGNORECASE)
            else ("other", 100.0)
        )
    return match_column(text, exact)


def _is_value(word: Word) -> bool:
    """A word that reads as a printed value (a number, a date), which a header title never is."""
    text = word.text
    return sum(ch.isdigit() for ch in text) >= 2 or (read_amount(text) is not None and text not in {"#"})


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    """How much two spans overlap, as a share of the narrower."""
    width = min(a1 - a0, b1 - b0)
    return max(0.0, min(a1, b1) - max(a0, b0)) / width if width > 0 else 0.0


def header_at(rows: list[Row], start: int, pinned: Mapping[str, str] | None = None) -> Header | None:
    """The table header whose first row is ``rows[start]``, if that row starts one."""
    exact = pinned_titles(pinned)
    first = rows[start]
    if any(_is_value(w) for w in first.words) or not any(_match(_text(p), exact) for p in phrases(first)):
        return None
    band = [first]
    height = max(w.bottom - w.top for w in first.words)
    for row in rows[start + 1 : start + MAX_HEADER_ROWS]:
        previous = band[-1]
        if row.page != first.page or row.words[0].top - previous.words[0].top > 2.0 * height:
            break
        if any(_is_value(w) for w in row.words) or not row.text.strip("_=*.- "):
            break
        spans = [(p[0].x0, p[-1].x1) for r in band for p in phrases(r)]
        stacked = any(_overlap(p[0].x0, p[-1].x1, *s) >= 0.3 for p in phrases(row) for s in spans)
        if not stacked and not any(_match(_text(p), exact) for p in phrases(row)):
            break
        band.append(row)
    best: Header | None = None
    for size in range(len(band), 0, -1):
        header = _header_of(band[:size], start, exact)
        if header is not None and (best is None or len(header.names) > len(best.names)):
            best = header
    return best


def _text(phrase: list[Word]) -> str:
    return " ".join(w.text for w in phrase)


def _header_of(band: list[Row], start: int, exact: Mapping[str, str]) -> Header | None:
    layered = _layered(band, exact)
    columns = _layered_columns(band, exact) if layered else _stacked_columns(band, exact)
    names = {c.name for c in columns}
    if "quantity" not in names or not (names & IDENTIFIERS or names & {"unit_price", "amount"}):
        return None
    _line_numbers_titled_item(columns)
    return Header(start, start + len(band), sorted(columns, key=lambda c: c.x0), layered, names)


def _titles(row: Row, exact: Mapping[str, str]) -> list[list[Word]]:
    """A row's title phrases, two set a little apart joined where together they name a field ("Unit" "Price"),
    or where the second names nothing and qualifies the first ("Qty." "Order")."""
    found = phrases(row)
    joined: list[list[Word]] = []
    for phrase in found:
        if joined:
            last = joined[-1]
            gap = phrase[0].x0 - last[-1].x1
            both = _match(_text(last + phrase), exact)
            alone = _match(_text(last), exact)
            qualifies = alone is not None and _match(_text(phrase), exact) is None  # "Qty." "Order"
            named = both is not None and (
                both[1] >= 99 or (qualifies and alone is not None and both[0] == alone[0])
            )
            if gap <= 1.0 * (phrase[0].bottom - phrase[0].top) and named:
                joined[-1] = last + phrase
                continue
        joined.append(phrase)
    return joined


def _layered(band: list[Row], exact: Mapping[str, str]) -> bool:
    """Rows of titles that do not stand over each other: each header row heads its own row of a line."""
    for above, row in itertools.pairwise(band):
        top = [(p[0].x0, p[-1].x1) for p in _titles(above, exact)]
        low = [(p[0].x0, p[-1].x1) for p in _titles(row, exact)]
        if len(low) < 2:
            return False
        under = sum(any(_overlap(*b, *t) >= 0.3 for t in top) for b in low) / len(low)
        over = sum(any(_overlap(*t, *b) >= 0.3 for b in low) for t in top) / len(top)
        if under >= 0.5 or over >= 0.5:
            return False
    return len(band) > 1


def _layered_columns(band: list[Row], exact: Mapping[str, str]) -> list[Column]:
    columns: list[Column] = []
    for layer, row in enumerate(band):
        for phrase in _titles(row, exact):
            columns.extend(_phrase_columns(phrase, exact, layer, {c.name for c in columns}))
    return columns


def _phrase_columns(
    phrase: list[Word], exact: Mapping[str, str], layer: int, taken: set[str]
) -> list[Column]:
    """The columns one header phrase names: the whole phrase, or failing that each of its words."""
    found = _match(_text(phrase), exact)
    parts = [phrase] if found else [[w] for w in phrase]
    columns = []
    for part in parts:
        hit = _match(_text(part), exact)
        name = hit[0] if hit and hit[0] not in taken else "other"
        columns.append(Column(name, part[0].x0, part[-1].x1, hit[1] if hit else 0.0, layer, _text(part)))
        taken = taken | {name}
    return columns


def _stacked_columns(band: list[Row], exact: Mapping[str, str]) -> list[Column]:
    """Titles stacked over rows join into one column; its field is the best-named run of its rows."""
    stacks: list[list[tuple[int, list[Word]]]] = []
    for layer, row in enumerate(band):
        for phrase in _titles(row, exact):
            span = (phrase[0].x0, phrase[-1].x1)
            fits = [(max(_overlap(*span, w[0].x0, w[-1].x1) for _, w in s), s) for s in stacks]
            fits = [f for f in fits if f[0] >= 0.3 and f[1][-1][0] < layer]
            if fits:
                max(fits, key=lambda f: f[0])[1].append((layer, phrase))
            else:
                stacks.append([(layer, phrase)])
    columns: list[Column] = []
    for stack in stacks:
        if len(stack) == 1:
            columns.extend(_phrase_columns(stack[0][1], exact, 0, set()))
            continue
        best: tuple[float, int, int, str] | None = None  # score, -start, length, name
        for i in range(len(stack)):
            for j in range(i + 1, len(stack) + 1):
                hit = _match(" ".join(_text(p) for _, p in stack[i:j]), exact)
                if hit and (best is None or (hit[1], -i, j - i) > best[:3]):
                    best = (hit[1], -i, j - i, hit[0])
        words = [w for _, p in stack for w in p]
        title = " ".join(_text(p) for _, p in stack)
        name, score = (best[3], best[0]) if best else ("other", 0.0)
        columns.append(Column(name, min(w.x0 for w in words), max(w.x1 for w in words), score, 0, title))
    _one_column_per_field(columns)
    return columns


def _one_column_per_field(columns: list[Column]) -> None:
    """Two titles naming one field: the better match keeps it; the other only marks a column."""
    for column in columns:
        if column.name == "other":
            continue
        rivals = [c for c in columns if c.name == column.name]
        keep = max(rivals, key=lambda c: (c.score, -c.x0))
        for rival in rivals:
            if rival is not keep:
                rival.name = "other"


def _line_numbers_titled_item(columns: list[Column]) -> None:
    """An "Item" column beside a material or part column numbers the lines (SAP's item 10, 20, ...)."""
    names = {c.name for c in columns}
    for column in columns:
        item = column.name == "vendor_sku" and column.title.lower().strip(" #.") == "item"
        if item and "line_no" not in names and "buyer_part" in names:
            column.name = "line_no"
