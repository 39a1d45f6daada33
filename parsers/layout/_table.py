"""The line table of a laid-out order: its lines, their sub-rows, the stated total and the cross-checks.

A line is anchored on a row that carries a quantity and a price or extension (or, where the
quantity is not printed, a price and an extension). The rows under it belong to it: wrapped
description, a labelled part number ("Vendor Material No:", "Supplier Item"), or sub-rows
(schedules, tax rows, tariff codes) that are never lines of their own.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Quantity
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import Severity

from .._values import CURRENCY_CODES
from .._values import Amount
from .._values import decimal_mark
from .._values import read_amount
from .._vocabulary import match_column
from ._arithmetic import agrees
from ._arithmetic import extension
from ._arithmetic import split_run_together
from ._columns import PARTS
from ._columns import Column
from ._columns import Header
from ._columns import header_at
from ._words import Row
from ._words import Word
from ._words import phrases
from ._words import provenance

_PAGE_FOOTER = re.compile(
    r"\b(?:page|p[aá]gina|seite)\s*:?\s*\d+\s*(?:(?:of|de|von|/)\s*\d+)?\b", re.IGNORECASE
)
# Summary rows: the document total (last wins), and rows that are neither lines nor the total.
_GRAND_TOTAL = re.compile(
    r"^(?:grand\s+total|total\s+general|(?:purchase\s+)?order\s+total|total\s+(?:order|po\s+amount|amount|ttc|"
    r"due|net\s+value|value|general)|amount\s+due|tot\.?\s*net|gesamtbetrag|endbetrag|montant\s+total|"
    r"importe\s+total|totaal)\b",
    re.IGNORECASE,
)
_TOTAL = re.compile(r"^total\b", re.IGNORECASE)
# A total that counts goods, not money ("Total received", "Total qty", "Cantidad total").
_COUNT_TOTAL = re.compile(
    r"^(?:total\s+(?:rec\w*|qty|quantit\w*|units?|pieces|pcs|weight|wt|items|lines|cartons|cases|pallets|"
    r"boxes|volume|back\w*|remain\w*|cantidad|piezas|unidades|bultos|pi[eè]ces|colis|menge|st[uü]ck)|"
    r"(?:cantidad|quantit[eé]|gesamtmenge|menge)\s+total\w*)\b",
    re.IGNORECASE,
)
_NOT_TOTAL = re.compile(
    r"^(?:sub[\s-]*total|net\s+order|total\s+(?:ht|ivu|iva|vat|tva|tax|mwst|netto|excl)|zwischensumme|"
    r"sous[\s-]total)|\b(?:tax|taxes|ivu|iva|vat|tva|mwst|gst|hst|pst|freight|shipping|discount|handling|"
    r"flete|descuento|fracht|rabatt|remise|port)\b",
    re.IGNORECASE,
)
_RULE = re.compile(r"^[\s_=*.-]+$")
_SECTION = re.compile(r"^\s*[-=*_]{2,}.*[-=*_]{2,}\s*$")
_PART_LABEL = re.compile(
    r"^(?P<who>vendor|supplier|your|customer|buyer|seller|our)?\s*(?:material|mat\.?|item|part|article|"
    r"product|sku)\s*(?:no\.?|number|nr\.?|#|code|id)?\s*[:#]?\s*(?P<code>[A-Z0-9][\w./-]*\d[\w./-]*)\b",
    re.IGNORECASE,
)
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._/-]*\d[A-Z0-9._/-]*$", re.IGNORECASE)
_SIZE = re.compile(r"^\d+(?:[.,]\d+)?(?:x\d+(?:[.,]\d+)?)+(?:mm|cm|in|m)?$", re.IGNORECASE)  # 40x48, a size
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{2,4}$|^\d{1,2}[-. ][A-Za-z]{3}[-. ]\d{2,4}$")
_BRACKETED = re.compile(r"^\s*[\[*(](?P<code>[^\]*)\s]+)[\]*)]\s*(?P<rest>.*)$")
_LABELLED_IN_TEXT = re.compile(
    r"\b(?:p/?n|part\s*(?:no\.?|number|#)|item\s*(?:no\.?|#)|sku)\s*[:#]?\s*(?P<code>[A-Z0-9][\w./-]*\d[\w./-]*)",
    re.IGNORECASE,
)
_TRAILING_CODE = re.compile(r"^(?P<rest>.+?)\s+-\s+(?P<code>[A-Z0-9-]*\d{4,}[A-Z0-9-]*)$", re.IGNORECASE)
EDGE = 40.0  # points: words this far right of the last column are not in the table


def find_header(rows: list[Row], pinned: Mapping[str, str]) -> Header | None:
    """The header of the line table: the first run of rows whose titles name a quantity and an item."""
    for index in range(len(rows)):
        header = header_at(rows, index, pinned)
        if header is not None:
            return header
    return None


def read_line_table(
    order: Order, rows: list[Row], header: Header, pinned: Mapping[str, str], issues: list[Issue]
) -> None:
    """The lines under ``header``, checked against each other and the stated total."""
    reader = _Reader(order, header, issues)
    reader.read(rows, pinned)
    reader.check()


@dataclass(slots=True)
class _Line:
    """A line being read: its anchor row's cells, the rows under it, what the arithmetic needs."""

    line: OrderLine
    amount: Decimal | None = None
    per: Decimal | None = None
    quantity_text: str = ""
    price_text: str = ""
    discounts: list[Decimal] = field(default_factory=list)  # rates (%) printed in a discount column
    below_code: list[Word] = field(default_factory=list)  # an unlabelled code on a row under the line
    quantity_words: list[Word] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    in_sub_table: bool = False


class _Reader:
    def __init__(self, order: Order, header: Header, issues: list[Issue]) -> None:
        self.order = order
        self.header = header
        self.issues = issues
        self.lines: list[_Line] = []
        self.totals: list[Decimal] = []  # every total-like amount under the table, in order
        self.stated: Decimal | None = None
        self.total_label_above = False  # a total's label was read, its amount not yet
        self.decimal: str | None = None  # the document's decimal mark, from its unambiguous numbers
        self.quantity_layer = header.layer_of("quantity") if header.layered else 0

    # -- rows -------------------------------------------------------------------------------------

    def read(self, rows: list[Row], pinned: Mapping[str, str]) -> None:
        names = self.header.names
        has_prices = bool(names & {"unit_price", "amount"})
        self.decimal = decimal_mark([w.text for row in rows[self.header.end :] for w in row.words])
        pending: list[Row] = []
        index, ended = self.header.end, None
        while index < len(rows):
            row = rows[index]
            index += 1
            if ended is not None and (row.page != ended.page or row.words[0].top - ended.words[0].top > 80):
                break
            if (_PAGE_FOOTER.search(row.text) and len(row.words) <= 6) or _RULE.match(row.text):
                continue
            repeat = header_at(rows, index - 1, pinned) if ended is None else None
            if repeat is not None and repeat.names & {"quantity"}:
                self._settle([r for r in pending if r.page != row.page])  # not the page's own heading
                pending, index = [], repeat.end
                continue
            quantity_here = self._number(self._cells(row, self.quantity_layer), "quantity") is not None
            if self._summary(row, rows[index] if index < len(rows) else None, quantity_here):
                if self.stated is not None and ended is None:
                    ended = row
                continue
            if ended is not None:
                continue
            cells = self._cells(row, self.quantity_layer)
            if self._is_anchor(row, cells, has_prices):
                upper = pending[len(pending) - self.quantity_layer :] if self.quantity_layer else []
                self._settle(pending[: len(pending) - len(upper)])
                pending = []
                self._new_line(row, cells, upper)
            else:
                pending.append(row)
        self._settle(pending)

    def _cells(self, row: Row, layer: int) -> dict[str, list[Word]]:
        """Each word (or a phrase of plain text) goes to the column whose span, out to the midpoints, holds it."""
        columns = [c for c in self.header.columns if not self.header.layered or c.layer == layer]
        columns = columns or self.header.columns
        cells: dict[str, list[Word]] = {}
        for phrase in phrases(row):
            units = (
                [[w] for w in phrase] if any(read_amount(w.text, self.decimal) for w in phrase) else [phrase]
            )
            for unit in units:
                column = _column_of(unit[0].x0, unit[-1].x1, columns)
                if column is not None:
                    cells.setdefault(column.name, []).extend(unit)
        _text_after_the_unit(cells, self.header.names)
        return cells

    def _is_anchor(self, row: Row, cells: dict[str, list[Word]], has_prices: bool) -> bool:
        if self._prose(row):
            return False
        identified = self.header.layered or any(
            cells.get(name) for name in ("line_no", "vendor_sku", "buyer_part", "upc", "description")
        )
        if not identified:
            return False
        quantity = self._number(cells, "quantity")
        if quantity is None and "quantity" not in cells:
            quantity = self._fused_quantity(cells)
        price, amount = self._number(cells, "unit_price"), self._number(cells, "amount")
        if not has_prices:
            return quantity is not None and bool(
                cells.keys() & {"vendor_sku", "buyer_part", "description", "upc"}
            )
        if quantity is not None and (price is not None or amount is not None):
            return True
        described = _has_words(cells.get("description", []))
        part = [w for name in PARTS for w in cells.get(name, [])]
        if quantity is not None and price is None and amount is None and part and _CODE.match(part[0].text):
            return not _DATE.match(part[0].text)  # a line with its part but no price: read, and flagged
        priced = any(r.line.unit_price is not None or r.amount is not None for r in self.lines)
        printed = self._number(cells, "quantity")
        if printed is not None and price is None and amount is None and not priced and described:
            unit = _unit(cells.get("uom", [])) or printed.uom
            return unit is not None  # an order printed without prices: read, and its prices flagged
        if quantity is None and price is not None and amount is not None and described:
            return True  # a line whose quantity is not printed: read, and flagged
        if not self.lines and quantity is None and price is None and amount is not None and described:
            money = re.search(r"\d[.,]\d{2}\b", " ".join(w.text for w in cells["amount"]))
            return bool(money) and not cells.keys() & {
                "uom",
                "price_per",
            }  # a charge line with only its amount
        return False

    def _prose(self, row: Row) -> bool:
        """A sentence running across the table's columns (terms, notes): never a line."""
        ordered = sorted(self.header.columns, key=lambda c: c.x0)
        bounds = [(a.x1 + b.x0) / 2 for a, b in itertools.pairwise(ordered)]
        for phrase in phrases(row):
            crossed = sum(phrase[0].x0 < x < phrase[-1].x1 for x in bounds)
            if (
                len(phrase) >= 6
                and crossed >= 3
                and not any(read_amount(w.text, self.decimal) for w in phrase)
            ):
                return True
        return False

    def _number(self, cells: dict[str, list[Word]], name: str) -> Amount | None:
        column = next((c for c in self.header.columns if c.name == name), None)
        found = _number_in(cells.get(name, []), column, self.decimal)
        return found[0] if found else None

    def _fused_quantity(self, cells: dict[str, list[Word]]) -> Amount | None:
        """A quantity printed under the unit column ("504 Each")."""
        amount = self._number(cells, "uom")
        return amount if amount is not None and amount.uom else None

    # -- lines ------------------------------------------------------------------------------------

    def _new_line(self, row: Row, cells: dict[str, list[Word]], upper: list[Row]) -> None:
        number = str(len(self.lines) + 1)
        line = OrderLine(line_no=number)
        read = _Line(line)
        for layer, above in enumerate(upper):
            self._identifiers(line, self._cells(above, layer))
        self._identifiers(line, cells)
        quantity_words = cells.get("quantity") or []
        quantity = self._number(cells, "quantity")
        if quantity is None and not quantity_words:
            quantity = self._fused_quantity(cells)
            quantity_words = cells.get("uom", [])
        price = self._number(cells, "unit_price")
        amount = self._number(cells, "amount")
        read.amount = amount.value if amount else None
        per = self._number(cells, "price_per")
        read.per = per.value if per and per.value > 0 else None
        read.quantity_text = " ".join(w.text for w in quantity_words)
        read.quantity_words = quantity_words
        uom = (
            _unit(cells.get("uom", []))
            or (quantity.uom if quantity else None)
            or (price.uom if price else None)
        )
        if quantity is None:
            uom = uom or _unit(quantity_words)
        for found in (quantity, price, amount):
            if found is not None and found.currency and self.order.currency is None:
                self.order.currency = found.currency
                self.order.provenance.setdefault("currency", provenance(row.words, 0.85))
        currency_words = cells.get("currency", [])
        if (
            currency_words
            and self.order.currency is None
            and re.fullmatch(r"[A-Z]{3}", currency_words[0].text)
        ):
            self.order.currency = currency_words[0].text
            self.order.provenance.setdefault("currency", provenance(currency_words, 0.8))
        if quantity is not None:
            line.quantity = Quantity(value=quantity.value, uom=uom)
            line.provenance["quantity"] = provenance(quantity_words, 0.9)
            if uom is None:
                read.missing.append("uom")
        else:
            read.missing += ["quantity", "uom"]
        read.price_text = " ".join(w.text for w in cells.get("unit_price", []))
        rates = [read_amount(w.text.rstrip("%"), self.decimal) for w in cells.get("discount", [])]
        read.discounts = [r.value for r in rates if r is not None and 0 < r.value < 100]
        if price is not None:
            line.unit_price = price.value
            line.provenance["unit_price"] = provenance(cells["unit_price"], 0.9)
        if read.per not in (None, Decimal(1)):
            line.price_basis = f"per {read.per.normalize():f}" if read.per else None
        self.lines.append(read)

    def _identifiers(self, line: OrderLine, cells: dict[str, list[Word]]) -> None:
        for name in ("line_no", "vendor_sku", "buyer_part", "upc", "description"):
            words = cells.get(name)
            if words and getattr(line, name) is None:
                setattr(line, name, " ".join(w.text for w in words))
                line.provenance[name] = provenance(words, 0.85)

    def _settle(self, rows: list[Row]) -> None:
        """Rows under the last line: wrapped description, a part number, or sub-rows that are not lines."""
        if not self.lines:
            return
        read = self.lines[-1]
        line = read.line
        for under, row in enumerate(rows):
            text = row.text.strip()
            if _SECTION.match(text):
                continue
            labelled = _PART_LABEL.match(text)
            if labelled and not _DATE.match(labelled.group("code")):
                who = (labelled.group("who") or "").lower()
                name = "buyer_part" if who in {"customer", "buyer", "our"} else "vendor_sku"
                if getattr(line, name) is None:
                    words = [w for w in row.words if labelled.group("code") in w.text] or row.words
                    setattr(line, name, labelled.group("code"))
                    line.provenance[name] = provenance(words, 0.8)
                continue
            cells = self._cells(row, 0)
            numbers = any(
                self._number(cells, name) is not None for name in ("quantity", "unit_price", "amount")
            )
            if self._is_sub_header(row) or numbers:
                read.in_sub_table = True  # a schedule, a tax row: not part of the line's text
                continue
            if read.in_sub_table:
                continue
            first = row.words[0]
            code = _CODE.match(first.text) and not (_DATE.match(first.text) or _SIZE.match(first.text))
            if (
                not read.below_code and code and under < 2
            ):  # a code starts the line's first rows, not an address
                read.below_code = [first]
                rest = row.words[1:]
            else:
                rest = row.words
            if rest:
                extra = " ".join(w.text for w in rest)
                line.description = f"{line.description} {extra}" if line.description else extra
                where = line.provenance.get("description")
                if where is None or where.bbox is None:
                    line.provenance["description"] = provenance(rest, 0.7)
                else:
                    box = where.bbox
                    grown = (
                        min(box[0], rest[0].x0),
                        box[1],
                        max(box[2], rest[-1].x1),
                        max(w.bottom for w in rest),
                    )
                    line.provenance["description"] = where._replace(
                        bbox=grown, confidence=min(where.confidence or 0.7, 0.7)
                    )

    def _is_sub_header(self, row: Row) -> bool:
        """A row of titles inside the table (a schedule's "Ship To / Promised Date / Qty")."""
        found = [p for p in phrases(row) if _titled(p)]
        return len(found) >= 2 and not any(read_amount(w.text, self.decimal) for w in row.words)

    def _summary(self, row: Row, below: Row | None, quantity_here: bool = False) -> bool:
        """A total, subtotal, tax or freight row: never a line; the document total is the last total row."""
        found = phrases(row)
        for phrase, after in zip(found, [*found[1:], None], strict=True):
            label = " ".join(w.text for w in phrase).strip(" :")
            if after is not None and _has_words(after):  # OCR sets words wider apart: "TOTAL" "RECEIV"
                joined = f"{label} {' '.join(w.text for w in after)}".strip(" :")
                label = joined if _summary_kind(joined) else label
            kind = _summary_kind(label)
            if kind == "count" and not quantity_here:
                return True
            if kind == "part" and not quantity_here:
                amount = _last_amount(row, self.decimal)
                if amount is not None:
                    self.totals.append(amount[0].value)
                return True
            if kind == "total" and not (quantity_here and not _GRAND_TOTAL.match(label)):
                self._currency_named(row)
                amount = _last_amount(row, self.decimal)
                if amount is None:
                    self.total_label_above = True  # its amount is on the row below (or was on the row above)
                    return True
                self._total(amount)
                return True
        if self.total_label_above and not any(_has_words([w]) for w in row.words):
            self.total_label_above = False
            amount = _last_amount(row, self.decimal)
            if amount is not None:
                self._total(amount)
                return True
        if not any(_has_words([w]) for w in row.words) and below is not None:
            amount = _last_amount(row, self.decimal)
            labels = [" ".join(w.text for w in p) for p in phrases(below)]
            if amount is not None and any(_summary_kind(t) == "total" for t in labels):
                self._currency_named(below)
                if _last_amount(below, self.decimal) is None:
                    self._total(amount)
                    return True
        return False

    def _currency_named(self, row: Row) -> None:
        """A currency code printed beside the total's label ("Total General / USD")."""
        codes = [w for w in row.words if w.text.upper() in CURRENCY_CODES]
        if codes and self.order.currency is None:
            self.order.currency = codes[0].text.upper()
            self.order.provenance["currency"] = provenance(codes[:1], 0.85)

    def _total(self, amount: tuple[Amount, list[Word]]) -> None:
        self.stated = amount[0].value
        self.totals.append(amount[0].value)
        self.order.stated_total = amount[0].value
        self.order.provenance["stated_total"] = provenance(amount[1], 0.85)
        if amount[0].currency and self.order.currency is None:
            self.order.currency = amount[0].currency

    # -- checks -----------------------------------------------------------------------------------

    def check(self) -> None:
        _line_numbers_read_as_parts(self.lines)
        for read in self.lines:
            line = read.line
            if not _has_part(line) and read.below_code:
                line.vendor_sku = read.below_code[0].text
                line.provenance["vendor_sku"] = provenance(read.below_code, 0.75)
            _part_from_description(line, self._combined_description())
            self.order.lines.append(line)
        self._arithmetic()
        for read in self.lines:
            line = read.line
            for name in read.missing + (["unit_price"] if line.unit_price is None else []):
                what = {"quantity": "quantity", "unit_price": "unit price", "uom": "unit of measure"}[name]
                if name == "uom" and line.quantity is None:
                    what = "quantity, so no unit"
                self.issues.append(Issue(
                    code="pdf.missing_value", message=f"line {line.line_no}: no {what} printed",
                    level=Level.DOCUMENT, severity=Severity.WARNING, field=name, line_no=line.line_no,
                ))  # fmt: skip
            if not _has_part(line):
                self.issues.append(Issue(
                    code="pdf.missing_value", message=f"line {line.line_no}: no item or part number",
                    level=Level.DOCUMENT, severity=Severity.WARNING, field="vendor_sku", line_no=line.line_no,
                ))  # fmt: skip

    def _combined_description(self) -> bool:
        """The description column's title also names the item ("Matl/Desc", "Item / Description")."""
        titles = [c.title.lower() for c in self.header.columns if c.name == "description"]
        return any(re.search(r"mat|item|part|art|code|sku", t) for t in titles)

    def _arithmetic(self) -> None:
        stated = self.stated
        bad: list[_Line] = []
        for read in self.lines:
            line = read.line
            if read.amount is None:
                continue
            if (line.quantity is None) != (line.unit_price is None):
                text = read.quantity_text if line.quantity is not None else read.price_text
                split = split_run_together(text, read.amount)
                if split is not None:
                    read.quantity_text = text
                    self._split(read, *split)
                    continue
            if line.quantity is None or line.unit_price is None:
                continue
            if not _agrees(read):
                split = split_run_together(read.quantity_text, read.amount)
                if split is not None:
                    self._split(read, *split)
                else:
                    bad.append(read)
        computed = sum(
            (extension(r.line.quantity.value, r.line.unit_price, r.per) if r.line.quantity and
             r.line.unit_price is not None else r.amount or Decimal(0)) for r in self.lines
        )  # fmt: skip
        sums_right = stated is None or any(abs(computed - t) <= Decimal("0.02") for t in self.totals)
        for read in bad:
            line = read.line
            assert line.quantity is not None and line.unit_price is not None and read.amount is not None
            product = extension(line.quantity.value, line.unit_price, read.per)
            held = " and the lines do not add up to the stated total" if not sums_right else ""
            self.issues.append(Issue(
                code="pdf.extension_mismatch",
                message=f"page {read.quantity_words[0].page if read.quantity_words else '?'} line "
                f"{line.line_no}: quantity {line.quantity.value} x unit price {line.unit_price} is {product}, "
                f"but the line says {read.amount}{held}",
                level=Level.DOCUMENT, severity=Severity.ERROR if held else Severity.WARNING,
                field="quantity", line_no=line.line_no,
            ))  # fmt: skip
        if stated is not None and not sums_right and not bad:
            self.issues.append(Issue(
                code="pdf.total_mismatch", message=f"the lines add up to {computed}, but the stated total is {stated}",
                level=Level.DOCUMENT, severity=Severity.ERROR,
            ))  # fmt: skip

    def _split(self, read: _Line, quantity: Decimal, price: Decimal) -> None:
        line = read.line
        uom = line.quantity.uom if line.quantity else None
        where = line.provenance.get("quantity") or line.provenance.get("unit_price")
        self.issues.append(Issue(
            code="pdf.columns_run_together",
            message=f"line {line.line_no}: {read.quantity_text!r} read as quantity {quantity} and unit price "
            f"{price}, which make the printed extension {read.amount}",
            level=Level.DOCUMENT, severity=Severity.WARNING, field="quantity", line_no=line.line_no,
        ))  # fmt: skip
        line.quantity = Quantity(value=quantity, uom=uom)
        line.unit_price = price
        if where is not None:
            line.provenance["quantity"] = line.provenance["unit_price"] = where._replace(confidence=0.6)
        settled = {"quantity", "unit_price"} | ({"uom"} if uom else set())
        read.missing = [m for m in read.missing if m not in settled]


def _agrees(read: _Line) -> bool:
    """Quantity x price is the printed extension, also after a printed discount rate."""
    line = read.line
    if line.quantity is None or line.unit_price is None or read.amount is None:
        return True
    prices = [line.unit_price] + [line.unit_price * (100 - d) / 100 for d in read.discounts]
    return any(agrees(line.quantity.value, price, read.amount, read.per) for price in prices)


def _comes_to(read: _Line) -> Decimal:
    """What a line adds to the order: its extension, or its printed amount where a discount applies."""
    line = read.line
    if line.quantity is None or line.unit_price is None:
        return read.amount or Decimal(0)
    if read.discounts and read.amount is not None and _agrees(read):
        return read.amount
    return extension(line.quantity.value, line.unit_price, read.per)


def _summary_kind(label: str) -> str | None:
    """ "total" for the document total's label, "part" for a subtotal, tax, freight or discount row,
    "count" for a total of goods rather than money."""
    if _GRAND_TOTAL.match(label):
        return "total"
    if _COUNT_TOTAL.match(label):
        return "count"
    if _NOT_TOTAL.search(label) or label.lower().startswith("sub"):
        return "part"
    return "total" if _TOTAL.match(label) else None


def _column_of(x0: float, x1: float, columns: list[Column]) -> Column | None:
    """The column whose span, widened to the midpoints between neighbours, holds the centre of ``x0..x1``."""
    ordered = sorted(columns, key=lambda c: c.x0)
    centre = (x0 + x1) / 2
    if not ordered or centre > ordered[-1].x1 + EDGE:  # left of the first title is still the first column
        return None
    for column, after in itertools.pairwise(ordered):
        if centre < (column.x1 + after.x0) / 2:
            return column
    return ordered[-1]


def _number_in(
    words: list[Word], column: Column | None, decimal: str | None
) -> tuple[Amount, list[Word]] | None:
    """The number in a cell: the whole cell, or its part that reads as a number nearest the column title."""
    if not words:
        return None
    whole = read_amount(" ".join(w.text for w in words), decimal)
    if whole is not None:
        return whole, words
    found: list[tuple[float, Amount, list[Word]]] = []
    for i in range(len(words)):
        for j in range(i + 1, min(i + 3, len(words)) + 1):
            part = words[i:j]
            amount = read_amount(" ".join(w.text for w in part), decimal)
            if amount is None:
                continue
            centre = (part[0].x0 + part[-1].x1) / 2
            distance = abs(centre - (column.x0 + column.x1) / 2) if column else 0.0
            found.append((distance - (j - i), amount, part))
    if not found:
        return None
    best = min(found, key=lambda f: f[0])
    return best[1], best[2]


def _last_amount(row: Row, decimal: str | None) -> tuple[Amount, list[Word]] | None:
    """The rightmost amount on a summary row."""
    words = row.words
    for end in range(len(words), 0, -1):
        for start in (end - 2, end - 1):
            if start < 0:
                continue
            part = words[start:end]
            amount = read_amount(" ".join(w.text for w in part), decimal)
            if amount is not None and not _DATE.match(part[-1].text):
                return amount, part
    return None


def _unit(words: list[Word]) -> str | None:
    text = " ".join(w.text for w in words).strip()
    return text.upper() if re.fullmatch(r"[A-Za-z]{1,6}\.?", text) else None


def _text_after_the_unit(cells: dict[str, list[Word]], names: set[str]) -> None:
    """A description that starts under a wide unit column ("EACH  CHEP PALLETS") goes to the description."""
    words = cells.get("uom", [])
    if len(words) > 1 and "description" in names and _unit(words[:1]) and _has_words(words[1:]):
        cells["uom"] = words[:1]
        cells["description"] = sorted([*cells.get("description", []), *words[1:]], key=lambda w: w.x0)


def _has_words(words: list[Word]) -> bool:
    return any(re.search(r"[^\W\d_]{3,}", w.text) for w in words)


def _titled(phrase: list[Word]) -> bool:
    return match_column(" ".join(w.text for w in phrase), {}) is not None


def _has_part(line: OrderLine) -> bool:
    return any(getattr(line, name) for name in PARTS)


def _line_numbers_read_as_parts(lines: list[_Line]) -> None:
    """A part column that only counts lines (1, 2, 3 or 10, 20, 30) numbers them instead."""
    for name in PARTS:
        values = [getattr(r.line, name) for r in lines]
        if not values or any(v is None or not v.isdigit() or len(v) > 5 for v in values):
            continue
        numbers = [int(v) for v in values]
        step = numbers[1] - numbers[0] if len(numbers) > 1 else numbers[0]
        if (
            numbers[0] in {1, 10, 100}
            and step in {1, 10, 100}
            and all(b - a == step for a, b in itertools.pairwise(numbers))
        ):
            for read in lines:
                setattr(read.line, name, None)
                read.line.provenance.pop(name, None)


def _part_from_description(line: OrderLine, combined: bool = False) -> None:
    """An item code printed in the description cell: "[FURN_7777] Chair", "*987123* Oil", "PALLET - 10800001"."""
    if _has_part(line) or not line.description:
        return
    text = line.description
    bracketed = _BRACKETED.match(text)
    labelled = _LABELLED_IN_TEXT.search(text)
    trailing = _TRAILING_CODE.match(text)
    first, _, rest = text.partition(" ")
    if bracketed:
        line.vendor_sku, line.description = bracketed.group("code"), bracketed.group("rest") or None
    elif labelled:
        line.vendor_sku = labelled.group("code")
    elif trailing:
        line.vendor_sku, line.description = trailing.group("code"), trailing.group("rest")
    elif (
        _CODE.match(first) and not _DATE.match(first) and (combined or sum(ch.isdigit() for ch in first) >= 4)
    ):
        line.vendor_sku, line.description = first, rest or None
    else:
        return
    where = line.provenance.get("description")
    if where is not None:
        line.provenance["vendor_sku"] = where._replace(confidence=0.7)
