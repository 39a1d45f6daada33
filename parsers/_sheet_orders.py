"""Finds an order in a grid of cells (a worksheet or a CSV file): header fields and the line table.

The line table's header row is found by fuzzy-matching cells against column synonyms; the
PO number, date, ship-to and terms are label/value cells above it. Every value records its
sheet and cell, and a confidence from the match that located it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from gateway.model import Address
from gateway.model import Channel
from gateway.model import Order
from gateway.model import OrderLine
from gateway.model import Party
from gateway.model import Provenance
from gateway.model import Quantity
from gateway.model import Terms
from gateway.receipts import Issue
from gateway.receipts import Level
from gateway.receipts import Severity

from ._confidence import low_confidence_issues
from ._values import Value
from ._values import parse_date
from ._values import parse_number
from ._vocabulary import match_column
from ._vocabulary import match_label
from ._vocabulary import pinned_titles

HEADER_SCAN_ROWS = 60
_PLACEHOLDER = re.compile(r"^<.*>$|^[nmdy]{2}/[nmdy]{2}/[y]{2,4}$", re.IGNORECASE)
_SUBTOTAL = re.compile(r"\b(sub)?total\b|\btax\b|\bfreight\b|\bshipping\b", re.IGNORECASE)


@dataclass(slots=True)
class Grid:
    """One sheet's non-empty cells by (row, column), both counted from 1."""

    name: str
    cells: dict[tuple[int, int], Value] = field(default_factory=dict)
    _rows: dict[int, list[tuple[int, Value]]] | None = None

    def put(self, row: int, column: int, value: Value) -> None:
        self.cells[(row, column)] = value
        self._rows = None

    @property
    def max_row(self) -> int:
        return max((r for r, _ in self.cells), default=0)

    def row(self, number: int) -> list[tuple[int, Value]]:
        if self._rows is None:
            rows: dict[int, list[tuple[int, Value]]] = {}
            for (r, c), v in sorted(self.cells.items()):
                rows.setdefault(r, []).append((c, v))
            self._rows = rows
        return self._rows.get(number, [])


@dataclass(slots=True)
class SheetOrder:
    order: Order | None
    issues: list[Issue]


def cell_name(row: int, column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _text(value: Value) -> str:
    return "" if value is None else str(value).strip()


def _usable(value: Value) -> bool:
    text = _text(value)
    return bool(text) and not _PLACEHOLDER.match(text)


@dataclass(slots=True)
class _Header:
    row: int
    columns: dict[int, tuple[str, float]]

    @property
    def score(self) -> float:
        return sum(score for _, score in self.columns.values())


def find_header(grid: Grid, pinned: Mapping[str, str] | None = None) -> _Header | None:
    """The row that best reads as a line-table header: needs a quantity and an item or description.

    ``pinned`` maps a partner's own column titles to fields; those titles match exactly.
    """
    exact = pinned_titles(pinned)
    best: _Header | None = None
    for row in range(1, min(grid.max_row, HEADER_SCAN_ROWS) + 1):
        columns: dict[int, tuple[str, float]] = {}
        for column, value in grid.row(row):
            if isinstance(value, str):
                matched = match_column(value, exact)
                if matched and matched[0] not in {f for f, _ in columns.values()}:
                    columns[column] = matched
        fields = {f for f, _ in columns.values()}
        if "quantity" in fields and fields & {"vendor_sku", "buyer_part", "description", "upc"}:
            header = _Header(row, columns)
            if best is None or header.score > best.score:
                best = header
    return best


class _Reader:
    def __init__(self, grid: Grid, document_id: str | None) -> None:
        self.grid = grid
        self.document_id = document_id
        self.issues: list[Issue] = []

    def source(self, row: int, column: int, confidence: float) -> Provenance:
        return Provenance(
            sheet=self.grid.name, cell=cell_name(row, column), confidence=round(confidence / 100, 2)
        )

    def issue(
        self, code: str, message: str, row: int, column: int, severity: Severity = Severity.ERROR
    ) -> None:
        self.issues.append(
            Issue(
                code=code,
                message=f"{self.grid.name}!{cell_name(row, column)}: {message}",
                severity=severity,
                level=Level.DOCUMENT,
            )
        )


def read_sheet_order(
    grid: Grid,
    *,
    partner: str | None,
    channel: Channel,
    document_id: str | None,
    pinned: Mapping[str, str] | None = None,
) -> SheetOrder:
    """The order in ``grid``, or None with an issue saying what was missing."""
    reader = _Reader(grid, document_id)
    header = find_header(grid, pinned)
    if header is None:
        return SheetOrder(
            None,
            [
                Issue(
                    code="sheet.no_line_table",
                    message=f"sheet {grid.name!r}: no line table found (no header row with a quantity "
                    "column and an item or description column in the first "
                    f"{HEADER_SCAN_ROWS} rows)",
                    level=Level.DOCUMENT,
                )
            ],
        )
    order = Order(partner=partner, channel=channel, document_id=document_id, po_number=None)
    _header_fields(reader, order, header.row)
    order.lines = list(_lines(reader, header))
    reader.issues.extend(low_confidence_issues(order))
    if not order.lines:
        reader.issue("sheet.no_lines", "the line table has a header but no order lines", header.row, 1)
    elif order.po_number is None:
        reader.issue(
            "sheet.no_po_number", "no PO number label found above the line table", 1, 1, Severity.WARNING
        )
    return SheetOrder(order, reader.issues)


def _header_fields(reader: _Reader, order: Order, header_row: int) -> None:
    grid = reader.grid
    for (row, column), value in sorted(grid.cells.items()):
        if row >= header_row or not isinstance(value, str):
            continue
        matched = match_label(value.rstrip(":"))
        if matched is None:
            continue
        found = _label_value(grid, row, column, header_row)
        if found is None:
            continue
        (vrow, vcol), raw = found
        name, score = matched
        where = reader.source(vrow, vcol, score)
        if name == "po_number" and order.po_number is None:
            order.po_number = _text(raw)
            order.provenance["po_number"] = where
        elif name == "po_date" and order.po_date is None:
            order.po_date = parse_date(raw)
            if order.po_date is None:
                reader.issue("sheet.bad_date", f"{_text(raw)!r} is not a date", vrow, vcol, Severity.WARNING)
            else:
                order.provenance["po_date"] = where
        elif name == "ship_to" and order.ship_to is None:
            lines = [part.strip() for part in _text(raw).splitlines() if part.strip()]
            party = Party(role="ST", name=lines[0] if lines else None, address=Address(lines=lines[1:]))
            party.provenance["name"] = where
            order.parties.append(party)
        elif name == "terms" and not order.terms:
            terms = Terms(description=_text(raw))
            terms.provenance["description"] = where
            order.terms.append(terms)


def _label_value(grid: Grid, row: int, column: int, limit_row: int) -> tuple[tuple[int, int], Value] | None:
    """The value of a label: the next usable cell to its right (within 3), else the one below."""
    for offset in (1, 2, 3):
        right = grid.cells.get((row, column + offset))
        if _usable(right) and match_label(_text(right)) is None:
            return (row, column + offset), right
    below = grid.cells.get((row + 1, column))
    if row + 1 < limit_row and _usable(below) and match_label(_text(below)) is None:
        return (row + 1, column), below
    return None


def _lines(reader: _Reader, header: _Header) -> Iterable[OrderLine]:
    grid = reader.grid
    by_field = {name: (column, score) for column, (name, score) in header.columns.items()}
    blank_run = 0
    for row in range(header.row + 1, grid.max_row + 1):
        cells = {column: grid.cells.get((row, column)) for column in header.columns}
        if not any(_usable(v) for v in cells.values()):
            blank_run += 1
            if blank_run >= 5:
                return
            continue
        blank_run = 0
        ident = [
            cells.get(by_field[f][0])
            for f in ("vendor_sku", "buyer_part", "upc", "description")
            if f in by_field
        ]
        quantity_cell = by_field.get("quantity")
        quantity = parse_number(cells.get(quantity_cell[0])) if quantity_cell else None
        row_text = " ".join(_text(v) for _, v in grid.row(row))
        codes = [cells.get(by_field[f][0]) for f in ("vendor_sku", "buyer_part", "upc") if f in by_field]
        total_row = _SUBTOTAL.search(row_text) and (quantity is None or not any(_usable(v) for v in codes))
        if not any(_usable(v) for v in ident) or total_row:
            continue
        yield _line(reader, row, by_field, cells, quantity)


def _line(
    reader: _Reader,
    row: int,
    by_field: dict[str, tuple[int, float]],
    cells: dict[int, Value],
    quantity: Decimal | None,
) -> OrderLine:
    line = OrderLine(line_no=str(row))
    for name in ("vendor_sku", "buyer_part", "upc", "description"):
        if name in by_field:
            column, score = by_field[name]
            value = cells.get(column)
            if _usable(value):
                text = _text(value)
                if name == "upc" and isinstance(value, float | int):
                    text = str(int(value))
                setattr(line, name, text)
                line.provenance[name] = reader.source(row, column, score)
    if "line_no" in by_field and _usable(cells.get(by_field["line_no"][0])):
        line.line_no = _text(cells.get(by_field["line_no"][0]))
    uom_column = by_field.get("uom")
    uom = _text(cells.get(uom_column[0])) if uom_column else ""
    if quantity is not None:
        column, score = by_field["quantity"]
        line.quantity = Quantity(value=quantity, uom=uom.upper() or "EA")
        line.provenance["quantity"] = reader.source(row, column, score)
    else:
        reader.issue("sheet.no_quantity", "the line has no readable quantity", row, by_field["quantity"][0])
    if "unit_price" in by_field:
        column, score = by_field["unit_price"]
        price = parse_number(cells.get(column))
        if price is not None:
            line.unit_price = price
            line.provenance["unit_price"] = reader.source(row, column, score)
    if "amount" in by_field and quantity is not None and line.unit_price is not None:
        column, _ = by_field["amount"]
        stated = parse_number(cells.get(column))
        if stated is not None and abs(stated - quantity * line.unit_price) > Decimal("0.01"):
            reader.issue(
                "sheet.extension_mismatch",
                f"quantity {quantity} x unit price {line.unit_price} is {quantity * line.unit_price}, "
                f"but the line says {stated}",
                row,
                column,
            )
    return line
