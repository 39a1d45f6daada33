"""Orders typed into an email body: "10 x ABC-123", "ABC-123 qty 10 @ 4.50", or a pasted table.

Greetings, signatures and disclaimers match no order shape and are skipped; reading stops
at a signature delimiter ("-- ") or a quoted reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field

from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Provenance
from gateway.model.order import Quantity
from gateway.model.receipts import Issue

from ._sheet_orders import Grid
from ._sheet_orders import find_header
from ._sheet_orders import read_sheet_orders
from ._values import parse_number

_SKU = r"(?P<sku>[A-Z0-9][A-Z0-9._/-]*\d[A-Z0-9._/-]*)"
_QTY = r"(?P<qty>\d+(?:[.,]\d+)?)"
_PRICE = r"(?:\s*(?:@|at|each|ea\.?|x)?\s*\$?(?P<price>\d+(?:[.,]\d{1,4})?)(?:\s*(?:each|ea|/ea))?)?"
_UOM = r"(?:\s*(?P<uom>ea|each|pcs?|cases?|cs|boxes|box|bx|pk|packs?|dz|dozen))?"
LINE_SHAPES = [
    re.compile(rf"^{_QTY}{_UOM}\s*(?:x|×|\*|of)\s*{_SKU}{_PRICE}\s*$", re.IGNORECASE),
    re.compile(
        rf"^{_SKU}\s*(?:[-:,]\s*)?(?:qty|quantity|x|×)\s*:?\s*{_QTY}{_UOM}{_PRICE}\s*$", re.IGNORECASE
    ),
    re.compile(rf"^{_QTY}{_UOM}\s+{_SKU}{_PRICE}\s*$", re.IGNORECASE),
]
PO_LINE = re.compile(r"^\s*(?:p\.?\s*o\.?|purchase\s+order|order)\s*(?:number|no\.?|#)?\s*[:#]?\s*(?P<po>[A-Z0-9][\w-]{2,})\s*$",
                     re.IGNORECASE)  # fmt: skip
PO_INLINE = re.compile(r"\b(?:p\.?\s*o\.?|purchase\s+order)\s*(?:number|no\.?|#)?\s*[:#]\s*(?P<po>[A-Z0-9][\w-]{2,})",
                       re.IGNORECASE)  # fmt: skip
_STOP = re.compile(r"^(--\s*$|>|on .+ wrote:\s*$|-{3,}\s*original message)", re.IGNORECASE)
_UOM_CODES = {"ea": "EA", "each": "EA", "pc": "EA", "pcs": "EA", "case": "CA", "cases": "CA", "cs": "CA",
              "box": "BX", "boxes": "BX", "bx": "BX", "pk": "PK", "pack": "PK", "packs": "PK", "dz": "DZ",
              "dozen": "DZ"}  # fmt: skip


@dataclass(slots=True)
class TextResult:
    """The orders typed into a body (a pasted table with a PO column holds several), each with its issues."""

    orders: list[tuple[Order, list[Issue]]] = field(default_factory=list)


def parse_text_order(
    text: str, *, partner: str | None, document_id: str | None, mime_part: str
) -> TextResult:
    """The order written in ``text``, if any line reads as an order line."""
    lines = _body_lines(text)
    table = _pasted_table(lines, mime_part)
    if table is not None:
        found = read_sheet_orders(table, partner=partner, channel=Channel.EMAIL, document_id=document_id)
        if found.orders:
            result = TextResult()
            for order, issues in found.orders:
                if len(found.orders) == 1:  # a PO typed above the table is this order's
                    _po_number(order, lines, mime_part)
                own = [i for i in issues if not (i.field == "po_number" and order.po_number)]
                result.orders.append((order, [*found.issues, *own]))
            return result
    order = Order(partner=partner, channel=Channel.EMAIL, document_id=document_id, po_number=None)
    _po_number(order, lines, mime_part)
    for number, line in enumerate(lines, start=1):
        parsed = _order_line(line, number, mime_part)
        if parsed is not None:
            order.lines.append(parsed)
    return TextResult([(order, [])] if order.lines else [])


def _body_lines(text: str) -> list[str]:
    kept: list[str] = []
    for raw in text.splitlines():
        if _STOP.match(raw.strip()):
            break
        kept.append(raw.rstrip())
    return kept


def _po_number(order: Order, lines: list[str], mime_part: str) -> None:
    for number, line in enumerate(lines, start=1):
        match = PO_LINE.match(line) or PO_INLINE.search(line)
        if match:
            order.po_number = match.group("po")
            order.provenance["po_number"] = Provenance(
                mime_part=mime_part, cell=f"line {number}", confidence=0.9
            )
            return


def _order_line(line: str, number: int, mime_part: str) -> OrderLine | None:
    text = line.strip().lstrip("-*•").strip()
    for shape in LINE_SHAPES:
        match = shape.match(text)
        if match is None:
            continue
        quantity = parse_number(match.group("qty"))
        if quantity is None or quantity <= 0:
            return None
        where = Provenance(mime_part=mime_part, cell=f"line {number}", confidence=0.8)
        uom = _UOM_CODES.get((match.group("uom") or "").lower(), "EA")
        result = OrderLine(line_no=str(number), vendor_sku=match.group("sku").upper())
        result.quantity = Quantity(value=quantity, uom=uom)
        result.provenance.update({"vendor_sku": where, "quantity": where})
        price = parse_number(match.group("price")) if match.group("price") else None
        if price is not None:
            result.unit_price = price
            result.provenance["unit_price"] = where
        return result
    return None


def _pasted_table(lines: list[str], mime_part: str) -> Grid | None:
    """Lines split on tabs, pipes or runs of spaces, as a grid, when they hold a header row."""
    grid = Grid(f"body {mime_part}")
    for row, line in enumerate(lines, start=1):
        cells = [c.strip() for c in re.split(r"\t|\s*\|\s*|\s{2,}", line.strip()) if c.strip()]
        if len(cells) >= 2:
            for column, value in enumerate(cells, start=1):
                grid.put(row, column, value)
    return grid if grid.cells and find_header(grid) is not None else None
