"""The line table of a laid-out order: its header row, its columns, its lines and their cross-checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from gateway.model import Order
from gateway.model import OrderLine
from gateway.model import Quantity
from gateway.receipts import Issue
from gateway.receipts import Level
from gateway.receipts import Severity

from .._values import parse_number
from .._vocabulary import match_column
from .._vocabulary import pinned_titles
from ._words import Row
from ._words import Word
from ._words import phrases
from ._words import provenance

_TOTAL = re.compile(r"^\s*(?:grand\s+)?total\b|^\s*(?:order|po)\s+total\b|^\s*amount\s+due\b", re.IGNORECASE)
_SUBTOTAL = re.compile(r"^\s*(sub\s*total|tax|freight|shipping|discount)\b", re.IGNORECASE)
_PAGE_FOOTER = re.compile(r"\bpage\s+\d+\s*(?:of\s*\d+)?\b", re.IGNORECASE)


def find_table_header(rows: list[Row], pinned: Mapping[str, str]) -> int | None:
    """The index of the row that heads the line table, if any."""
    return next((i for i, row in enumerate(rows) if _header(row, pinned)), None)


def read_line_table(
    order: Order, rows: list[Row], header_at: int, pinned: Mapping[str, str], issues: list[Issue]
) -> None:
    """The lines under the header row at ``header_at``, checked against each other and the stated total."""
    columns = _header(rows[header_at], pinned) or []
    stated_total = _table(order, rows[header_at + 1 :], columns, issues, pinned)
    _cross_check(order, stated_total, issues)


@dataclass(slots=True)
class _Column:
    name: str
    x0: float
    x1: float
    score: float


def _header(line: Row, pinned: Mapping[str, str] | None = None) -> list[_Column] | None:
    """Columns of a table header line, from its phrases (or, failing a phrase, its words)."""
    exact = pinned_titles(pinned)
    columns: list[_Column] = []
    for phrase in phrases(line):
        found = match_column(" ".join(w.text for w in phrase), exact)
        parts = [phrase] if found else [[w] for w in phrase]
        for part in parts:
            found = match_column(" ".join(w.text for w in part), exact)
            if found and found[0] not in {c.name for c in columns}:
                columns.append(_Column(found[0], part[0].x0, part[-1].x1, found[1]))
    names = {c.name for c in columns}
    if "quantity" in names and names & {"vendor_sku", "buyer_part", "description", "upc"}:
        return columns
    return None


def _assign(line: Row, columns: list[_Column]) -> dict[str, list[Word]]:
    """Each word goes to the column whose span it overlaps most, or whose centre is nearest."""
    cells: dict[str, list[Word]] = {}
    for word in line.words:
        centre = (word.x0 + word.x1) / 2
        best = min(
            columns,
            key=lambda c: (
                0 if c.x0 - 2 <= centre <= c.x1 + 2 else min(abs(centre - c.x0), abs(centre - c.x1))
            ),
        )
        cells.setdefault(best.name, []).append(word)
    return cells


def _table(
    order: Order, lines: list[Row], columns: list[_Column], issues: list[Issue], pinned: Mapping[str, str]
) -> Decimal | None:
    names = {c.name for c in columns}
    for line in lines:
        text = line.text
        if _TOTAL.search(text):
            return parse_number(line.words[-1].text)
        if _header(line, pinned) or _PAGE_FOOTER.search(text) or _SUBTOTAL.search(text):
            continue  # a repeated header on the next page, a footer, or a subtotal
        cells = _assign(line, columns)
        quantity_words = cells.get("quantity", [])
        quantity = parse_number(" ".join(w.text for w in quantity_words)) if quantity_words else None
        if quantity is None:
            if order.lines and (cells.keys() <= {"description", "vendor_sku", "buyer_part"}):
                _continue_line(order.lines[-1], cells)
            continue
        if not names & cells.keys() - {"quantity", "unit_price", "amount", "uom", "line_no"}:
            continue
        order.lines.append(_line(cells, quantity, len(order.lines) + 1, issues))
    return None


def _continue_line(line: OrderLine, cells: dict[str, list[Word]]) -> None:
    """Text wrapped onto the next row belongs to the line above."""
    for name in ("description", "vendor_sku", "buyer_part"):
        words = cells.get(name)
        if not words:
            continue
        extra = " ".join(w.text for w in words)
        current = getattr(line, name)
        joiner = "" if name != "description" and current and current.endswith("-") else " "
        setattr(line, name, f"{current}{joiner}{extra}".strip() if current else extra)
        where = line.provenance.get(name)
        if where is not None and where.bbox is not None:
            bbox = where.bbox
            line.provenance[name] = where._replace(
                bbox=(
                    min(bbox[0], words[0].x0),
                    bbox[1],
                    max(bbox[2], words[-1].x1),
                    max(w.bottom for w in words),
                ),
                confidence=0.7,
            )


def _line(cells: dict[str, list[Word]], quantity: Decimal, number: int, issues: list[Issue]) -> OrderLine:
    line = OrderLine(line_no=str(number))
    for name in ("line_no", "vendor_sku", "buyer_part", "upc", "description"):
        words = cells.get(name)
        if words:
            setattr(line, name, " ".join(w.text for w in words))
            line.provenance[name] = provenance(words, 0.85)
    uom = " ".join(w.text for w in cells.get("uom", [])).upper()
    line.quantity = Quantity(value=quantity, uom=uom or "EA")
    line.provenance["quantity"] = provenance(cells["quantity"], 0.9)
    price_words = cells.get("unit_price")
    if price_words:
        price = parse_number(" ".join(w.text for w in price_words))
        if price is not None:
            line.unit_price = price
            line.provenance["unit_price"] = provenance(price_words, 0.9)
    amount_words = cells.get("amount")
    if amount_words and line.unit_price is not None:
        amount = parse_number(" ".join(w.text for w in amount_words))
        if amount is not None:
            line.notes.append(f"extension {amount}")
            if abs(amount - quantity * line.unit_price) > Decimal("0.01"):
                issues.append(
                    Issue(
                        code="pdf.extension_mismatch",
                        message=f"page {amount_words[0].page} line {number}: quantity {quantity} x unit price "
                        f"{line.unit_price} is {quantity * line.unit_price}, but the line says {amount}",
                        level=Level.DOCUMENT,
                    )
                )
    return line


def _cross_check(order: Order, stated: Decimal | None, issues: list[Issue]) -> None:
    if stated is None:
        return
    order.stated_total = stated
    computed = sum((line.quantity.value * line.unit_price for line in order.lines
                    if line.quantity and line.unit_price is not None), Decimal(0))  # fmt: skip
    if abs(computed - stated) > Decimal("0.01"):
        issues.append(
            Issue(
                code="pdf.total_mismatch",
                message=f"the lines add up to {computed}, but the stated total is {stated}",
                level=Level.DOCUMENT,
                severity=Severity.ERROR,
            )
        )
