"""Finds orders in a grid of cells (a worksheet or a CSV file): header fields and the line table.

The line table's header row is found by fuzzy-matching cells against column synonyms; the
PO number, date, ship-to and terms are label/value cells above it. A flat export (one row
per line, with a PO-number column) becomes one order per PO, and columns such as the date,
customer, ship-to or currency on those rows go to their row's order. A table without a
header row has its columns inferred from their content (a column of codes and one of
numbers), and says so. Every value records its sheet and cell, and a confidence from the
match that located it; a value the sheet does not give gets an issue naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from gateway.model.order import Address
from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Party
from gateway.model.order import Provenance
from gateway.model.order import Quantity
from gateway.model.order import Terms
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import Severity

from ._confidence import REVIEW_BELOW
from ._confidence import low_confidence_issues
from ._values import CURRENCY_CODES
from ._values import Value
from ._values import parse_date
from ._values import parse_number
from ._vocabulary import match_label
from ._vocabulary import match_sheet_column
from ._vocabulary import pinned_titles

HEADER_SCAN_ROWS = 60
INFER_SAMPLE_ROWS = 200  # rows a headerless table's columns are judged on
INFERRED_SCORE = REVIEW_BELOW * 100  # columns guessed from content: shown as a guess, not a match
_PLACEHOLDER = re.compile(r"^<.*>$|^[nmdy]{2}/[nmdy]{2}/[y]{2,4}$", re.IGNORECASE)
_SUBTOTAL = re.compile(r"\b(sub)?total\b|\btax\b|\bfreight\b|\bshipping\b", re.IGNORECASE)
_CODE = re.compile(r"[\w][\w./#-]{0,39}")  # one token with no spaces: a product code
_CURRENCY = re.compile(r"[A-Z]{3}")
# A number with a word fused to it in one cell: "510/EA", "520 EA", "12.50 EUR", "USD 1,234.00".
_NUMBER_WORD = re.compile(
    r"^(?P<word1>[A-Za-z]{1,6}\.?)?\s*(?P<number>[-+]?[$€£]?\s*\d[\d.,' ]*)\s*/?\s*(?P<word2>[A-Za-z]{1,6}\.?)?$"
)
_CURRENCY_SIGNS = {"€": "EUR", "£": "GBP"}  # "$" names a dozen currencies: not read as one
_TOTAL = re.compile(
    r"\b(grand\s+)?total\b|\btotaal\b|\bgesamt(betrag|summe)?\b|\bimporte\s+total\b", re.IGNORECASE
)
_SUB_TOTAL = re.compile(r"\bsub\s*-?\s*total", re.IGNORECASE)
_NOT_TOTAL = re.compile(r"\bsub|\btax\b|\bvat\b|\bfreight\b|\bshipping\b", re.IGNORECASE)
_COUNT = re.compile(r"\bunits?\b|\bqty\b|\bquantit|\bpieces\b|\bitems\b|\blines\b", re.IGNORECASE)
ITEM_FIELDS = ("vendor_sku", "buyer_part", "upc", "description")
ORDER_FIELDS = ("po_number", "po_date", "customer", "ship_to", "currency")


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
class SheetOrders:
    """The orders read from one grid, each with its own issues, and the grid's own issues."""

    orders: list[tuple[Order, list[Issue]]]
    issues: list[Issue]


def column_name(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    return f"{column_name(column)}{row}"


def _text(value: Value) -> str:
    return "" if value is None else str(value).strip()


def _code(value: Value) -> str:
    """An identifier as written: a whole number stored as a float (4500012345.0) loses its ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)


def _number_and_word(value: Value) -> tuple[Decimal, str] | None:
    """A number with a unit or currency code fused to it in one cell, upper-cased: (510, "EA")."""
    found = _NUMBER_WORD.match(_text(value)) if isinstance(value, str) else None
    if found is None or bool(found["word1"]) == bool(found["word2"]):
        return None
    number = parse_number(found["number"])
    word = (found["word1"] or found["word2"]).rstrip(".").upper()
    return (number, word) if number is not None else None


def _currency_of(value: Value) -> str | None:
    """The currency a money cell names: an ISO code beside the number, or the euro or pound sign."""
    fused = _number_and_word(value)
    if fused is not None and fused[1] in CURRENCY_CODES:
        return fused[1]
    text = _text(value) if isinstance(value, str) else ""
    return next((code for sign, code in _CURRENCY_SIGNS.items() if sign in text), None)


def _money(value: Value) -> Decimal | None:
    """An amount, also with a currency code or a unit beside it ("12.50 EUR", "4.61/Ea")."""
    number = parse_number(value)
    if number is None and (fused := _number_and_word(value)) is not None:
        number = fused[0]
    return number


def _usable(value: Value) -> bool:
    text = _text(value)
    return bool(text) and not _PLACEHOLDER.match(text)


@dataclass(slots=True)
class _Header:
    """The line table's columns: the header row (the row above the first line) and each column's field."""

    row: int
    columns: dict[int, tuple[str, float]]
    inferred: bool = False
    second: dict[int, tuple[str, float]] = field(default_factory=dict)  # a field's other titles
    _fields: dict[str, tuple[int, float]] | None = None

    @property
    def score(self) -> float:
        return sum(score for _, score in self.columns.values())

    def column(self, name: str) -> tuple[int, float] | None:
        """The (first) column of field ``name``, with its match score."""
        if self._fields is None:
            self._fields = {}
            for c, (f, s) in sorted(self.columns.items()):
                self._fields.setdefault(f, (c, s))
        return self._fields.get(name)

    def assign(self, column: int, name: str, score: float) -> None:
        self.columns[column] = (name, score)
        self._fields = None


def find_header(grid: Grid, pinned: Mapping[str, str] | None = None) -> _Header | None:
    """The row that best reads as a line-table header: needs a quantity and an item or description.

    A title may span two rows ("Unit" over "Price", "Qty" over "Ordered"): two rows of text only
    are also read as one header, whose last row is the header row. ``pinned`` maps a partner's own
    column titles to fields; those titles match exactly.
    """
    exact = pinned_titles(pinned)
    best: _Header | None = None
    for row in range(1, min(grid.max_row, HEADER_SCAN_ROWS) + 1):
        titles = {c: v for c, v in grid.row(row) if isinstance(v, str)}
        candidates = [(row, titles)]
        above = dict(grid.row(row - 1))
        if len(titles) >= 2 and above and all(isinstance(v, str) for v in above.values()):
            joined = {
                c: " ".join(_text(t) for t in (above.get(c), titles.get(c)) if t)
                for c in above.keys() | titles
            }
            candidates.append((row, joined))
        for at, texts in candidates:
            header = _header_of(at, texts, exact)
            if header is not None and (best is None or header.score > best.score):
                best = header
    return best


def _header_of(row: int, titles: Mapping[int, str], exact: Mapping[str, str]) -> _Header | None:
    columns: dict[int, tuple[str, float]] = {}
    second: dict[int, tuple[str, float]] = {}
    for column, title in sorted(titles.items()):
        matched = match_sheet_column(title, exact)
        if matched and matched[0] not in {f for f, _ in columns.values()}:
            columns[column] = matched
        elif matched:
            second[column] = matched
    fields = {f for f, _ in columns.values()}
    return (
        _Header(row, columns, second=second) if "quantity" in fields and fields & set(ITEM_FIELDS) else None
    )


def _settle_codes(grid: Grid, header: _Header) -> None:
    """Two columns titled as the item ("material_id" and "Article"): the one holding codes (no spaces)
    is the item, the one holding words its description when the table has none."""
    located = header.column("vendor_sku")
    other = next((c for c, (f, _) in header.second.items() if f == "vendor_sku"), None)
    if located is None or other is None or header.column("description") is not None:
        return
    rows = range(header.row + 1, min(grid.max_row, header.row + 50) + 1)

    def codes(column: int) -> int:
        return sum(1 for r in rows if _CODE.fullmatch(_code(grid.cells.get((r, column)))))

    scores = {located[0]: located[1], other: header.second[other][1]}
    first = located[0]
    if codes(other) > codes(first):
        first, other = other, first
    header.assign(first, "vendor_sku", scores[first])
    header.assign(other, "description", scores[other])


def infer_columns(grid: Grid) -> _Header | None:
    """A headerless table's columns from their content: the first column of codes and the first of numbers.

    Each must hold on most filled rows (of the first ``INFER_SAMPLE_ROWS``); a first row of titles
    that matched no synonym is skipped.
    """
    rows = sorted({r for r, _ in grid.cells})
    if not rows or all(len(grid.row(r)) < 2 for r in rows):
        return None
    columns = sorted({c for _, c in grid.cells})

    def share(column: int, test: Callable[[Value], bool], among: list[int]) -> float:
        return sum(1 for r in among if test(grid.cells.get((r, column)))) / len(among)

    def is_number(value: Value) -> bool:
        return not isinstance(value, bool) and parse_number(value) is not None

    def is_code(value: Value) -> bool:
        return isinstance(value, str) and bool(_CODE.fullmatch(value.strip())) and parse_number(value) is None

    for start in (0, 1):  # a first row of unknown titles is no line
        among = rows[start : start + INFER_SAMPLE_ROWS]
        if not among:
            return None
        codes = next((c for c in columns if share(c, is_code, among) >= 0.8), None)
        numbers = next((c for c in columns if c != codes and share(c, is_number, among) >= 0.8), None)
        if codes is not None and numbers is not None:
            found = {codes: ("vendor_sku", INFERRED_SCORE), numbers: ("quantity", INFERRED_SCORE)}
            return _Header(among[0] - 1, found, inferred=True)
    return None


class _Reader:
    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.issues: list[Issue] = []

    def source(self, row: int, column: int, confidence: float) -> Provenance:
        return Provenance(
            sheet=self.grid.name, cell=cell_name(row, column), confidence=round(confidence / 100, 2)
        )

    def issue(
        self,
        code: str,
        message: str,
        row: int,
        column: int,
        severity: Severity = Severity.ERROR,
        *,
        field: str | None = None,
        line_no: str | None = None,
    ) -> Issue:
        found = Issue(
            code=code,
            message=f"{self.grid.name}!{cell_name(row, column)}: {message}",
            severity=severity,
            level=Level.DOCUMENT,
            field=field,
            line_no=line_no,
        )
        self.issues.append(found)
        return found


def read_sheet_orders(
    grid: Grid,
    *,
    partner: str | None,
    channel: Channel,
    document_id: str | None,
    pinned: Mapping[str, str] | None = None,
) -> SheetOrders:
    """The orders in ``grid`` (one per PO of a PO-number column), or none with an issue saying why."""
    header = find_header(grid, pinned) or infer_columns(grid)
    if header is not None:
        _settle_codes(grid, header)
    if header is None:
        return SheetOrders(
            [],
            [
                Issue(
                    code="sheet.no_line_table",
                    message=f"sheet {grid.name!r}: no line table found (no header row with a quantity "
                    "column and an item or description column in the first "
                    f"{HEADER_SCAN_ROWS} rows, nor a column of product codes beside one of quantities)",
                    level=Level.DOCUMENT,
                )
            ],
        )
    shared = _Reader(grid)
    base = Order(partner=partner, channel=channel, document_id=document_id, po_number=None)
    _header_fields(shared, base, header.row)
    if header.inferred:
        names = ", ".join(f"column {column_name(c)} as {f}" for c, (f, _) in sorted(header.columns.items()))
        shared.issue(
            "sheet.columns_inferred",
            f"the table has no header row that names its columns; read {names} from their content"
            + (f" (row {header.row} taken for titles)" if header.row in {r for r, _ in grid.cells} else ""),
            max(header.row, 1),
            1,
            Severity.WARNING,
        )
    rows = list(_line_rows(shared, header))
    if not rows:
        shared.issue("sheet.no_lines", "the line table has a header but no order lines", header.row, 1)
        return SheetOrders([], shared.issues)
    orders: list[tuple[Order, list[Issue]]] = []
    groups = _by_po(grid, header, rows)
    for group in groups:
        reader = _Reader(grid)
        order = base.model_copy(deep=True)
        _order_columns(reader, order, header, group)
        order.lines = [_line(reader, row, header) for row in group]
        if order.currency is None:
            _money_currency(reader, order, header, group)
        if len(groups) == 1:  # a total row below a flat export's lines would not say whose it is
            _stated_total(reader, order, header, group)
        _missing(reader, order, header, group)
        reader.issues.extend(low_confidence_issues(order))
        orders.append((order, reader.issues))
    return SheetOrders(orders, shared.issues)


def _header_fields(reader: _Reader, order: Order, header_row: int) -> None:
    grid = reader.grid
    for (row, column), value in sorted(grid.cells.items()):
        if row >= header_row or not isinstance(value, str):
            continue
        matched = match_label(value.rstrip(":")) or _currency_label(value)
        if matched is None:
            continue
        found = _label_value(grid, row, column, header_row)
        if found is None:
            continue
        (vrow, vcol), raw = found
        name, score = matched
        where = reader.source(vrow, vcol, score)
        if name == "po_number" and order.po_number is None:
            order.po_number = _code(raw)
            order.provenance["po_number"] = where
        elif name == "po_date" and order.po_date is None:
            order.po_date = parse_date(raw)
            if order.po_date is None:
                reader.issue(
                    "sheet.bad_date",
                    f"{_text(raw)!r} is not a date",
                    vrow,
                    vcol,
                    Severity.WARNING,
                    field="po_date",
                )
            else:
                order.provenance["po_date"] = where
        elif name == "ship_to" and order.ship_to is None:
            _ship_to(order, raw, where)
        elif name == "currency" and order.currency is None:
            _put_order_field(reader, order, name, raw, where, (vrow, vcol))
        elif name == "terms" and not order.terms:
            terms = Terms(description=_text(raw))
            terms.provenance["description"] = where
            order.terms.append(terms)


def _currency_label(text: str) -> tuple[str, float] | None:
    """A "Currency:" label (in any of the five languages) above the table."""
    matched = match_sheet_column(text.rstrip(":"), {})
    return matched if matched is not None and matched[0] == "currency" else None


def _ship_to(order: Order, raw: Value, where: Provenance) -> None:
    lines = [part.strip() for part in _text(raw).splitlines() if part.strip()]
    party = Party(role="ST", name=lines[0] if lines else None, address=Address(lines=lines[1:]))
    party.provenance["name"] = where
    order.parties = [p for p in order.parties if p.role != "ST"] + [party]


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


def _line_rows(reader: _Reader, header: _Header) -> list[int]:
    """The rows of the table that are order lines: they name an item; blank runs and total rows end or skip."""
    grid = reader.grid
    found: list[int] = []
    idents = [c for f in ITEM_FIELDS if (c := header.column(f))]
    codes = [c for f in ("vendor_sku", "buyer_part", "upc") if (c := header.column(f))]
    quantity = header.column("quantity")
    blank_run = 0
    for row in range(header.row + 1, grid.max_row + 1):
        if not any(_usable(grid.cells.get((row, column))) for column in header.columns):
            blank_run += 1
            if blank_run >= 5:
                break
            continue
        blank_run = 0
        if not any(_usable(grid.cells.get((row, c))) for c, _ in idents):
            continue
        row_text = " ".join(_text(v) for _, v in grid.row(row))
        number = parse_number(grid.cells.get((row, quantity[0]))) if quantity else None
        has_code = any(_usable(grid.cells.get((row, c))) for c, _ in codes)
        if _SUBTOTAL.search(row_text) and (number is None or not has_code):
            continue
        found.append(row)
    return found


def _by_po(grid: Grid, header: _Header, rows: list[int]) -> list[list[int]]:
    """The line rows per PO of the PO-number column, in order of appearance; a row with no PO
    continues the PO above it. Without such a column, all rows are one order."""
    po = header.column("po_number")
    if po is None:
        return [rows]
    groups: dict[str, list[int]] = {}
    current = ""
    for row in rows:
        current = _code(grid.cells.get((row, po[0]))) or current
        groups.setdefault(current, []).append(row)
    return list(groups.values())


def _order_columns(reader: _Reader, order: Order, header: _Header, rows: list[int]) -> None:
    """The PO number, date, customer, ship-to and currency the order's rows carry; rows that disagree get an issue."""
    grid = reader.grid
    for name in ORDER_FIELDS:
        located = header.column(name)
        if located is None:
            continue
        column, score = located
        filled = [(row, grid.cells[(row, column)]) for row in rows if _usable(grid.cells.get((row, column)))]
        if not filled:
            continue
        row, raw = filled[0]
        where = reader.source(row, column, score)
        others = sorted({_code(v) for _, v in filled} - {_code(raw)})
        if others and name != "po_number":
            reader.issue(
                "sheet.rows_disagree",
                f"the rows of this order give {name} {_code(raw)!r} and also {', '.join(map(repr, others))}; "
                f"the first is kept",
                row,
                column,
                Severity.WARNING,
                field=name,
            )
        _put_order_field(reader, order, name, raw, where, (row, column))


def _put_order_field(
    reader: _Reader, order: Order, name: str, raw: Value, where: Provenance, cell: tuple[int, int]
) -> None:
    if name == "po_number":
        order.po_number = _code(raw)
        order.provenance["po_number"] = where
    elif name == "po_date":
        day = parse_date(raw)
        if day is None:
            reader.issue(
                "sheet.bad_date", f"{_text(raw)!r} is not a date", *cell, Severity.WARNING, field="po_date"
            )
        else:
            order.po_date = day
            order.provenance["po_date"] = where
    elif name == "currency":
        code = _text(raw).upper()
        if _CURRENCY.fullmatch(code):
            order.currency = code
            order.provenance["currency"] = where
        else:
            reader.issue(
                "sheet.bad_currency",
                f"{_text(raw)!r} is not a currency code",
                *cell,
                Severity.WARNING,
                field="currency",
            )
    elif name == "ship_to":
        _ship_to(order, raw, where)
    elif name == "customer":
        party = Party(role="BY", name=_code(raw))
        party.provenance["name"] = where
        order.parties = [p for p in order.parties if p.role != "BY"] + [party]


def _money_currency(reader: _Reader, order: Order, header: _Header, rows: list[int]) -> None:
    """The currency the price or amount cells name ("12.50 EUR", "€ 12,50"); cells that disagree get an issue."""
    found: dict[str, tuple[int, int]] = {}
    for name in ("unit_price", "amount"):
        if (located := header.column(name)) is not None:
            for row in rows:
                code = _currency_of(reader.grid.cells.get((row, located[0])))
                if code is not None:
                    found.setdefault(code, (row, located[0]))
    if not found:
        return
    code, (row, column) = next(iter(found.items()))
    order.currency = code
    order.provenance["currency"] = reader.source(row, column, 90.0)
    if len(found) > 1:
        reader.issue(
            "sheet.rows_disagree", f"the prices name currencies {', '.join(found)}; {code} is kept",
            row, column, Severity.WARNING, field="currency",
        )  # fmt: skip


def _stated_total(reader: _Reader, order: Order, header: _Header, rows: list[int]) -> None:
    """The order total a "Total" row under the table states, in the amount (else price) column,
    checked against the lines: a subtotal row may carry the lines' sum when tax or freight follow."""
    grid = reader.grid
    located = header.column("amount") or header.column("unit_price")
    if located is None:
        return
    column, _ = located
    totals: list[tuple[int, Decimal, bool]] = []  # row, amount, a grand total (not a subtotal)
    lines = set(rows)
    for row in range(rows[0], min(grid.max_row, rows[-1] + 20) + 1):
        labels = " ".join(_text(v) for c, v in grid.row(row) if c != column and isinstance(v, str))
        if row in lines or not (_TOTAL.search(labels) or _SUB_TOTAL.search(labels)):
            continue
        amount = _money(grid.cells.get((row, column)))
        if amount is not None and not _COUNT.search(labels):
            totals.append((row, amount, not _NOT_TOTAL.search(labels)))
    grand = [t for t in totals if t[2]]
    if not grand:
        return
    row, total, _ = grand[-1]
    order.stated_total = total
    order.provenance["stated_total"] = reader.source(row, column, 90.0)
    priced = [
        (line.quantity.value, line.unit_price)
        for line in order.lines
        if line.quantity and line.unit_price is not None
    ]
    if len(priced) != len(order.lines):
        return
    lines_sum = sum((q * p for q, p in priced), Decimal(0))
    if all(abs(lines_sum - amount) > Decimal("0.01") for _, amount, _ in totals):
        reader.issue(
            "sheet.total_mismatch",
            f"the lines add up to {lines_sum}, but the sheet's total says {total}",
            row, column, Severity.WARNING, field="total",
        )  # fmt: skip


def _line(reader: _Reader, row: int, header: _Header) -> OrderLine:
    grid = reader.grid
    line = OrderLine(line_no=str(row))
    for name in ITEM_FIELDS:
        located = header.column(name)
        if located is not None and _usable(value := grid.cells.get((row, located[0]))):
            setattr(line, name, _code(value))
            line.provenance[name] = reader.source(row, *located)
    line_no = header.column("line_no")
    if line_no is not None and _usable(grid.cells.get((row, line_no[0]))):
        line.line_no = _code(grid.cells.get((row, line_no[0])))
    quantity_column, quantity_score = header.column("quantity") or (0, 0.0)
    quantity = parse_number(grid.cells.get((row, quantity_column)))
    uom_column = header.column("uom")
    uom = _text(grid.cells.get((row, uom_column[0]))).upper() if uom_column else ""
    fused = _number_and_word(grid.cells.get((row, quantity_column)))
    if fused is not None and fused[1] not in CURRENCY_CODES:  # "520 EA": the unit is in the cell
        quantity = fused[0]
        if not uom:
            uom, uom_column = fused[1], (quantity_column, quantity_score)
    if quantity is None:
        reader.issue(
            "sheet.no_quantity", "the line has no readable quantity", row, quantity_column,
            field="quantity", line_no=line.line_no,
        )  # fmt: skip
    else:
        line.quantity = Quantity(value=quantity, uom=uom or None)  # no unit: an issue, not a default
        line.provenance["quantity"] = reader.source(row, quantity_column, quantity_score)
        if uom:
            line.provenance["uom"] = reader.source(row, *uom_column)  # type: ignore[misc]
        if quantity <= 0:
            reader.issue(
                "sheet.bad_quantity", f"the quantity {quantity} is not a positive number", row, quantity_column,
                field="quantity", line_no=line.line_no,
            )  # fmt: skip
    price = header.column("unit_price")
    if price is not None:
        value = _money(grid.cells.get((row, price[0])))
        if value is not None:
            line.unit_price = value
            line.provenance["unit_price"] = reader.source(row, *price)
    amount = header.column("amount")
    if amount is not None and quantity is not None and line.unit_price is not None:
        stated = _money(grid.cells.get((row, amount[0])))
        if stated is not None and abs(stated - quantity * line.unit_price) > Decimal("0.01"):
            reader.issue(
                "sheet.extension_mismatch",
                f"quantity {quantity} x unit price {line.unit_price} is {quantity * line.unit_price}, "
                f"but the line says {stated}",
                row,
                amount[0],
                line_no=line.line_no,
            )
    return line


def _missing(reader: _Reader, order: Order, header: _Header, rows: list[int]) -> None:
    """An issue for each value the sheet does not give: PO number, date, prices and units."""
    first = rows[0]
    if order.po_number is None:
        reader.issue(
            "sheet.no_po_number",
            "no PO number label or column found",
            first,
            1,
            Severity.WARNING,
            field="po_number",
        )
    if order.po_date is None and not any(i.field == "po_date" for i in reader.issues):
        reader.issue(
            "sheet.no_po_date",
            "no PO date label or column found",
            first,
            1,
            Severity.WARNING,
            field="po_date",
        )
    if order.currency is None:
        reader.issue(
            "sheet.no_currency", "the sheet names no currency (no currency label, column or code beside a price)",
            first, 1, Severity.WARNING, field="currency",
        )  # fmt: skip
    if order.stated_total is None:
        reader.issue(
            "sheet.no_total", "the sheet states no order total to check the lines against",
            rows[-1], 1, Severity.WARNING, field="total",
        )  # fmt: skip
    price = header.column("unit_price")
    unpriced = [line for line in order.lines if line.unit_price is None]
    if price is None:
        reader.issue(
            "sheet.no_price_column",
            f"the table has no unit-price column: no unit price on line(s) {_names(unpriced)}",
            header.row or first, 1, Severity.WARNING, field="unit_price",
        )  # fmt: skip
    else:
        for line, row in zip(order.lines, rows, strict=True):
            if line.unit_price is None:
                reader.issue(
                    "sheet.no_unit_price", "the line has no readable unit price", row, price[0],
                    Severity.WARNING, field="unit_price", line_no=line.line_no,
                )  # fmt: skip
    units = header.column("uom")
    unitless = [line for line in order.lines if line.quantity is not None and line.quantity.uom is None]
    if unitless and units is None:
        reader.issue(
            "sheet.no_uom_column",
            f"the table has no unit-of-measure column: line(s) {_names(unitless)} give no unit of measure",
            header.row or first, 1, Severity.WARNING, field="uom",
        )  # fmt: skip
    elif units is not None:
        for line, row in zip(order.lines, rows, strict=True):
            if line.quantity is not None and line.quantity.uom is None:
                reader.issue(
                    "sheet.no_uom", "the line gives no unit of measure", row, units[0],
                    Severity.WARNING, field="uom", line_no=line.line_no,
                )  # fmt: skip


def _names(lines: list[OrderLine]) -> str:
    return ", ".join(line.line_no for line in lines)
