"""Field-by-field scoring of what the gateway read against hand-read ground truth: right, flagged or silent.

Pure: it takes the expected values (one document of ``expected.json``) and what the pipeline
stored (orders, lines, findings), and returns counts. The rules, in order:

- Fields. Per order: ``po_number``, ``po_date``, ``currency``, ``total`` (the last two when the
  ground truth has the key). Per line: ``part`` (the reader's buyer part or vendor SKU matches
  any of the expected buyer part / vendor SKU and their ``*_accept`` forms), ``quantity``,
  ``unit_price``, ``uom``. ``<field>_accept`` and ``<field>_alternatives`` list accepted values;
  a ``<field>_note`` saying "accept null" accepts nothing read. An expected null is right only
  if nothing was read (a default the reader filled in, such as UOM ``EA``, is a value).
- Values. Numbers compare as Decimals (``510`` = ``510.0000``), dates as ISO dates, text with
  whitespace collapsed and case folded; ``EACH`` is ``EA``.
- Orders pair by PO number, then in document order. Lines pair by an order-preserving alignment
  that maximises the expected part/quantity/unit price values read right (a pair needs at least
  one); between two paired lines, a gap of as many read lines as expected ones pairs in order.
  Unpaired expected lines were dropped; unpaired read lines (and the lines of unpaired read
  orders) were invented.
- A refused document (no order stored: a person reads it by hand) has every field flagged.
  Fields of a dropped line or an order not read are never right. Otherwise a field not
  right is ``flagged`` if a finding on its order names it: by ``field`` and ``line_no``,
  or, for a reader's issue, by the rules of ``PLACES`` (its code and where its message says it
  is). A finding naming a line but no field flags that line's fields. Otherwise ``silent``. An
  invented line is flagged when a finding names it or every line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from decimal import InvalidOperation
from functools import partial
from typing import Any

ORDER_FIELDS = ("po_number", "po_date", "currency", "total")
LINE_FIELDS = ("part", "quantity", "unit_price", "uom")
RIGHT, FLAGGED, SILENT = "right", "flagged", "silent"
EVERY = "*"  # a target's line or field: every line, every field
ORDER = "order"  # a target's line: the order's header

# A finding's ``field`` (or a provenance key) -> the scored field it names.
FIELD_NAMES: dict[str, str] = {
    "po_number": "po_number",
    "po_date": "po_date",
    "currency": "currency",
    "total": "total",
    "stated_total": "total",
    "sku": "part",
    "buyer_part": "part",
    "vendor_sku": "part",
    "upc": "part",
    "item": "part",
    "quantity": "quantity",
    "unit_price": "unit_price",
    "price": "unit_price",
    "uom": "uom",
    "lines": EVERY,
}
_UOM_SAME = {"each": "ea"}

Target = tuple[str | int, str]  # (line index, ORDER or EVERY; field or EVERY)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a reader's issue of one code points: fixed targets, or a line found in its message.

    ``line`` is a pattern whose group ``line`` is the line's ``line_no`` (``by="line_no"``), its
    1-based position (``by="ordinal"``) or the sheet row of its cells (``by="row"``); group
    ``name``, when present, is the field (a provenance key).
    """

    targets: tuple[Target, ...] = ()
    line: str | None = None
    by: str = "line_no"
    fields: tuple[str, ...] = ()


# What each reader issue code flags. These follow the readers' messages (parsers/_pdf.py,
# _sheet_orders.py, _confidence.py); an issue of another code, naming no field, flags nothing
# and is listed as unplaced in the report.
_ARITHMETIC = ((EVERY, "quantity"), (EVERY, "unit_price"), (ORDER, "total"))
_NO_LINES = ((EVERY, EVERY),)
PLACES: dict[str, Place] = {
    "extraction.low_confidence": Place(line=r"^(?:order|line (?P<line>.+)) (?P<name>\w+) was read with confidence"),
    "pdf.extension_mismatch": Place(line=r"\bline (?P<line>\d+): quantity", by="ordinal", fields=("quantity", "unit_price")),
    "pdf.total_mismatch": Place(targets=_ARITHMETIC),
    "sheet.total_mismatch": Place(targets=_ARITHMETIC),
    "sheet.extension_mismatch": Place(line=r"![A-Z]+(?P<line>\d+):", by="row", fields=("quantity", "unit_price")),
    "sheet.no_quantity": Place(line=r"![A-Z]+(?P<line>\d+):", by="row", fields=("quantity",)),
    "sheet.no_po_number": Place(targets=((ORDER, "po_number"),)),
    "sheet.bad_date": Place(targets=((ORDER, "po_date"),)),
    "pdf.no_lines": Place(targets=_NO_LINES),
    "sheet.no_lines": Place(targets=_NO_LINES),
    "pdf.no_line_table": Place(targets=_NO_LINES),
    "sheet.no_line_table": Place(targets=_NO_LINES),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReadLine:
    """One line as stored: its identifiers, numbers and the sheet rows its values came from."""

    line_no: str
    parts: tuple[str, ...] = ()
    quantity: Decimal | None = None
    uom: str | None = None
    unit_price: Decimal | None = None
    rows: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Flag:
    """One stored finding of an order: its code, the reader's own code (``reason``), where it points."""

    code: str
    message: str
    field: str | None = None
    line_no: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReadOrder:
    po_number: str | None = None
    po_date: str | None = None  # ISO
    currency: str | None = None
    total: Decimal | None = None
    lines: tuple[ReadLine, ...] = ()
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentRead:
    """What the pipeline made of one document: its orders, or the error it was refused with."""

    orders: tuple[ReadOrder, ...] = ()
    refused: str | None = None  # the document's error code when it stored no order
    status: str = ""


@dataclass(slots=True)
class DocumentScore:
    """Counts for one document; ``outcomes`` lists (order, line or None, field, outcome)."""

    right: int = 0
    flagged: int = 0
    silent: int = 0
    invented: int = 0
    invented_flagged: int = 0
    outcomes: list[tuple[int, int | None, str, str]] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # reader codes of findings that named nothing

    @property
    def fields(self) -> int:
        return self.right + self.flagged + self.silent

    @property
    def invented_silent(self) -> int:
        return self.invented - self.invented_flagged

    def add(self, other: DocumentScore) -> None:
        self.right += other.right
        self.flagged += other.flagged
        self.silent += other.silent
        self.invented += other.invented
        self.invented_flagged += other.invented_flagged

    def count(self, order: int, line: int | None, name: str, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.outcomes.append((order, line, name, outcome))


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split()).casefold()
    return text or None


def _number(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _uom(value: object) -> str | None:
    text = _text(value)
    return _UOM_SAME.get(text, text) if text else None


_NORMAL = {"quantity": _number, "unit_price": _number, "total": _number, "uom": _uom}


def _normal(name: str, value: object) -> object:
    return _NORMAL.get(name, _text)(value)


def _accepted(expected: Mapping[str, Any], name: str) -> tuple[set[object], bool]:
    """The accepted values of ``name`` (normalised) and whether reading nothing is accepted."""
    values = [
        expected.get(name),
        *expected.get(f"{name}_accept", []),
        *expected.get(f"{name}_alternatives", []),
    ]
    accepted = {_normal(name, v) for v in values if v is not None} - {None}
    note = str(expected.get(f"{name}_note") or "").casefold()
    return accepted, expected.get(name) is None or "accept null" in note


def _part_accepted(expected: Mapping[str, Any]) -> tuple[set[object], bool]:
    accepted: set[object] = set()
    null_ok = True
    for role in ("buyer_part", "vendor_sku"):
        values, role_null_ok = _accepted(expected, role)
        accepted |= values
        null_ok = null_ok and role_null_ok
    return accepted, null_ok


def is_right(name: str, expected: Mapping[str, Any], read: object) -> bool:
    """Whether ``read`` (a ReadLine's or ReadOrder's value; for ``part`` the tuple of parts) is right."""
    if name == "part":
        accepted, null_ok = _part_accepted(expected)
        parts = [_text(p) for p in read or ()]  # type: ignore[attr-defined]
        parts = [p for p in parts if p]
        return null_ok if not parts else any(p in accepted for p in parts)
    accepted, null_ok = _accepted(expected, name)
    value = _normal(name, read)
    return null_ok if value is None else value in accepted


def _line_value(line: ReadLine, name: str) -> object:
    return line.parts if name == "part" else getattr(line, name)


def _evidence(expected: Mapping[str, Any], line: ReadLine) -> int:
    """How many of the expected line's stated part, quantity and unit price the read line has right."""
    total = 0
    for name in ("part", "quantity", "unit_price"):
        stated = _part_accepted(expected)[0] if name == "part" else expected.get(name)
        if stated and is_right(name, expected, _line_value(line, name)):
            total += 1
    return total


def align_lines(expected: Sequence[Mapping[str, Any]], read: Sequence[ReadLine]) -> list[tuple[int, int]]:
    """Pairs (expected index, read index), in order: see the module's rule."""
    n, m = len(expected), len(read)
    gain = [[_evidence(e, r) for r in read] for e in expected]
    best = [[0] * (m + 1) for _ in range(n + 1)]  # best[i][j]: over expected[i:], read[j:]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            paired = best[i + 1][j + 1] + gain[i][j] if gain[i][j] else -1
            best[i][j] = max(paired, best[i + 1][j], best[i][j + 1])
    anchors: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:  # ties go to pairing, then to dropping the expected line: deterministic
        if gain[i][j] and best[i][j] == best[i + 1][j + 1] + gain[i][j]:
            anchors.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    pairs: list[tuple[int, int]] = []
    previous = (-1, -1)
    for anchor in [*anchors, (n, m)]:
        gap_e, gap_r = range(previous[0] + 1, anchor[0]), range(previous[1] + 1, anchor[1])
        if len(gap_e) == len(gap_r):
            pairs.extend(zip(gap_e, gap_r, strict=True))
        if anchor != (n, m):
            pairs.append(anchor)
        previous = anchor
    return pairs


def targets(flag: Flag, order: ReadOrder) -> set[Target]:
    """What a finding points at, as (line index / ORDER / EVERY, field / EVERY); empty if nothing."""
    by_no = {line.line_no: index for index, line in enumerate(order.lines)}
    name = FIELD_NAMES.get(flag.field or "")
    if flag.field is not None or flag.line_no is not None:
        if flag.field is not None and name is None:
            return set()  # a field not scored (ship_to, a date, the customer)
        if flag.line_no is not None:
            index = by_no.get(flag.line_no)
            return set() if index is None else {(index, name or EVERY)}
        if name == EVERY or name in LINE_FIELDS:
            return {(EVERY, name)}  # type: ignore[arg-type]
        return {(ORDER, name)}  # type: ignore[arg-type]
    place = PLACES.get(flag.reason or "")
    if place is None:
        return set()
    found: set[Target] = set(place.targets)
    if place.line is None:
        return found
    match = re.search(place.line, flag.message)
    if match is None:
        return found
    names = place.fields
    if "name" in match.groupdict():
        mapped = FIELD_NAMES.get(match["name"])
        names = (mapped,) if mapped else ()
    ref = match["line"]
    if ref is None:
        return found | {(ORDER, n) for n in names}
    if place.by == "ordinal":
        indexes = [int(ref) - 1] if 0 < int(ref) <= len(order.lines) else []
    elif place.by == "row":
        indexes = [index for index, line in enumerate(order.lines) if int(ref) in line.rows]
    else:
        indexes = [by_no[ref]] if ref in by_no else []
    return found | {(index, n) for index in indexes for n in names}


def placeable(flag: Flag, order: ReadOrder) -> bool:
    """Whether the scorer knows where a finding points (even at a field it does not score)."""
    if flag.field is not None or flag.line_no is not None:
        return True
    place = PLACES.get(flag.reason or "")
    if place is None:
        return False
    return place.line is None or bool(place.targets) or re.search(place.line, flag.message) is not None


def _outcome(refused: bool, where: set[Target], right: bool, line: int | str, name: str) -> str:
    if refused:
        return FLAGGED  # nothing was read: a person reads the whole document
    if right:
        return RIGHT
    lines = (line, EVERY) if line != ORDER else (ORDER,)
    return FLAGGED if any((at, what) in where for at in lines for what in (name, EVERY)) else SILENT


def _pair_orders(expected: Sequence[Mapping[str, Any]], read: Sequence[ReadOrder]) -> list[tuple[int, int]]:
    """By PO number (accepted forms) first, then the rest in order."""
    pairs: list[tuple[int, int]] = []
    free = list(range(len(read)))
    for e_index, wanted in enumerate(expected):
        if not _accepted(wanted, "po_number")[0]:
            continue
        hit = next(
            (r for r in free if read[r].po_number and is_right("po_number", wanted, read[r].po_number)), None
        )
        if hit is not None:
            pairs.append((e_index, hit))
            free.remove(hit)
    paired = {e for e, _ in pairs}
    pairs.extend(zip((e for e in range(len(expected)) if e not in paired), free, strict=False))
    return sorted(pairs)


def score_document(expected: Mapping[str, Any], read: DocumentRead) -> DocumentScore:
    """Every expected field's outcome and the invented lines of one document."""
    score = DocumentScore()
    wanted_orders: list[Mapping[str, Any]] = list(expected["orders"])
    order_pairs = dict(_pair_orders(wanted_orders, read.orders))
    for e_index, wanted in enumerate(wanted_orders):
        r_index = order_pairs.get(e_index)
        got = read.orders[r_index] if r_index is not None else None
        where: set[Target] = set()
        for flag in got.flags if got is not None else ():
            where |= targets(flag, got)  # type: ignore[arg-type]
            if not placeable(flag, got):  # type: ignore[arg-type]
                score.unplaced.append(flag.reason or flag.code)
        outcome = partial(_outcome, read.refused is not None, where)
        for name in ORDER_FIELDS:
            if name in wanted:  # an order not read at all: none of its fields is right
                right = got is not None and is_right(name, wanted, getattr(got, name))
                score.count(e_index, None, name, outcome(right, ORDER, name))
        read_lines = got.lines if got is not None else ()
        line_pairs = dict(align_lines(wanted["lines"], read_lines))
        for l_index, line in enumerate(wanted["lines"]):
            r_line = line_pairs.get(l_index)
            for name in LINE_FIELDS:
                if r_line is None:  # a dropped line: none of its fields is right, its nulls neither
                    verdict = outcome(False, EVERY, name)
                else:
                    right = is_right(name, line, _line_value(read_lines[r_line], name))
                    verdict = outcome(right, r_line, name)
                score.count(e_index, l_index, name, verdict)
        for r_line in sorted(set(range(len(read_lines))) - set(line_pairs.values())):
            score.invented += 1
            score.invented_flagged += any(at in (r_line, EVERY) for at, _ in where)
    for r_index in sorted(set(range(len(read.orders))) - set(order_pairs.values())):
        extra = read.orders[r_index]
        score.invented += len(extra.lines)
        score.invented_flagged += sum(
            1
            for index in range(len(extra.lines))
            if any(at in (index, EVERY) for f in extra.flags for at, _ in targets(f, extra))
        )
    return score


def rows_of(cells: Iterable[str]) -> frozenset[int]:
    """Sheet row numbers of cell names such as ``B12``."""
    return frozenset(int(m.group(1)) for cell in cells if (m := re.fullmatch(r"[A-Z]+(\d+)", cell)))
