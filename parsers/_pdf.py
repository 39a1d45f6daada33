"""PDF purchase orders -> canonical orders, read from the layout alone with pdfplumber.

Words are grouped into lines by position. The line table's header row is found by fuzzy
column synonyms (as for sheets), its columns by the header words' x-ranges; later rows are
assigned to columns by position, wrapped text joins the line above, a repeated header on
the next page is skipped, and the table ends at a total. Every value keeps its page and
bounding box, and a confidence; failed cross-checks become findings.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from gateway.model import Address
from gateway.model import Channel
from gateway.model import Order
from gateway.model import OrderLine
from gateway.model import Party
from gateway.model import Quantity
from gateway.model import Terms
from gateway.receipts import Issue
from gateway.receipts import Level
from gateway.receipts import Severity
from partners import PartnerProfile

from ._confidence import low_confidence_issues
from ._events import FoundOrders
from ._pdf_budget import OverBudget
from ._pdf_budget import PdfBudget
from ._pdf_budget import pdf_inflation_refusal
from ._values import parse_date
from ._values import parse_number
from ._vocabulary import match_column
from ._vocabulary import pinned_titles
from .layout._words import Row
from .layout._words import Word
from .layout._words import phrases
from .layout._words import provenance
from .layout._words import rows_of

MAX_PAGES = 300
_LABELS = {
    "po_number": re.compile(r"\b(?:p\.?\s?o\.?|purchase\s+order|order)\s*(?:number|no\.?|#)?\s*[:#]?\s*(?P<v>[A-Z0-9][\w/-]*\d[\w/-]*)",
                            re.IGNORECASE),
    "po_date": re.compile(r"\b(?:po\s+|order\s+)?date\s*:?\s*(?P<v>\d{1,4}[./-]\d{1,2}[./-]\d{2,4}|[A-Z][a-z]{2} \d{1,2}, \d{4})",
                          re.IGNORECASE),
    "terms": re.compile(r"\b(?:payment\s+)?terms\s*:?\s*(?P<v>.+)$", re.IGNORECASE),
}  # fmt: skip
_SHIP_TO = re.compile(r"^\s*(?:ship\s*-?\s*to|deliver\s+to)\s*:?\s*(?P<v>.*)$", re.IGNORECASE)
_TOTAL = re.compile(r"^\s*(?:grand\s+)?total\b|^\s*(?:order|po)\s+total\b|^\s*amount\s+due\b", re.IGNORECASE)
_SUBTOTAL = re.compile(r"^\s*(sub\s*total|tax|freight|shipping|discount)\b", re.IGNORECASE)
_PAGE_FOOTER = re.compile(r"\bpage\s+\d+\s*(?:of\s*\d+)?\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PdfTemplate:
    """A partner's declarative PDF layout: anchor labels for header fields, its own column titles."""

    anchors: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, str] = field(default_factory=dict)


def pdf_template(partner: PartnerProfile | None) -> PdfTemplate | None:
    """The partner's PDF template from its profile: ``pdf_anchors`` and ``sheet_columns``."""
    if partner is None or not (partner.pdf_anchors or partner.sheet_columns):
        return None
    return PdfTemplate(
        anchors={k: v for k, v in partner.pdf_anchors.items()}, columns=dict(partner.sheet_columns)
    )


def parse_pdf_order(
    data: bytes, *, partner: str | None, document_id: str | None, template: PdfTemplate | None = None
) -> FoundOrders:
    """The order in a PDF, or a specific error: encrypted, corrupt, too long, too costly to read, no text.

    A partner's ``template`` is applied first; the generic layout reading fills in the rest.
    """
    refusal = pdf_inflation_refusal(data)
    if refusal is not None:
        return FoundOrders.failed("pdf.too_large", f"the PDF is refused: {refusal}")
    budget = PdfBudget()
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                return FoundOrders.failed(
                    "pdf.too_many_pages", f"the PDF has {len(pdf.pages)} pages; refused above {MAX_PAGES}"
                )
            lines = [
                line for number, page in enumerate(pdf.pages, start=1) for line in _rows(page, number, budget)
            ]
    except OverBudget as exc:
        return FoundOrders.failed("pdf.too_complex", f"{exc}: send it as EDI or a sheet, or split it")
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        return FoundOrders.failed(
            "pdf.encrypted", f"the PDF is encrypted or password-protected ({type(exc).__name__})"
        )
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
            return FoundOrders.failed("pdf.encrypted", "the PDF is encrypted or password-protected")
        return FoundOrders.failed("pdf.corrupt", f"the PDF cannot be read: {type(cause).__name__}: {cause}")
    except (PDFSyntaxError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        return FoundOrders.failed("pdf.corrupt", f"the PDF cannot be read: {type(exc).__name__}: {exc}")
    if not lines:
        return FoundOrders.failed(
            "pdf.no_text", "the PDF has no text layer (a scanned image); it needs OCR, which is not done here"
        )
    return _read(lines, partner=partner, document_id=document_id, template=template or PdfTemplate())


def _rows(page: Any, number: int, budget: PdfBudget) -> list[Row]:
    budget.layout(page)  # pdfminer's reading of the page, paid for as it goes
    return rows_of(
        Word(w["text"], float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]), number)
        for w in page.extract_words(keep_blank_chars=False, x_tolerance=1.5, y_tolerance=2)
    )


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


def _read(
    lines: list[Row], *, partner: str | None, document_id: str | None, template: PdfTemplate
) -> FoundOrders:
    result = FoundOrders()
    order = Order(partner=partner, channel=Channel.PDF, document_id=document_id, po_number=None)
    header_at = next((i for i, line in enumerate(lines) if _header(line, template.columns)), None)
    above = lines[: header_at if header_at is not None else len(lines)]
    _anchored_fields(order, above, template.anchors)
    _header_fields(order, above)
    if header_at is None:
        result.issues.append(
            Issue(code="pdf.no_line_table", message="no line table found: no header row with a quantity "
                  "column and an item or description column", level=Level.DOCUMENT)
        )  # fmt: skip
        return result
    columns = _header(lines[header_at], template.columns) or []
    stated_total = _table(order, lines[header_at + 1 :], columns, result.issues, template.columns)
    _cross_check(order, stated_total, result.issues)
    result.issues.extend(low_confidence_issues(order))
    if order.lines:
        result.orders.append(order)
    else:
        result.issues.append(
            Issue(code="pdf.no_lines", message="the line table has no order lines", level=Level.DOCUMENT)
        )
    return result


def _anchored_fields(order: Order, lines: list[Row], anchors: Mapping[str, str]) -> None:
    """Template fields: the text after the anchor label on its line."""
    for name, anchor in anchors.items():
        for line in lines:
            at = line.text.lower().find(anchor.lower())
            if at < 0:
                continue
            value = line.text[at + len(anchor) :].strip(" :#\t")
            words = [w for w in line.words if w.text in value.split()]
            if not value or not words:
                continue
            where = provenance(words, 1.0)
            if name == "po_number":
                order.po_number = value
                order.provenance["po_number"] = where
            elif name == "po_date" and (parsed := parse_date(value)):
                order.po_date = parsed
                order.provenance["po_date"] = where
            elif name == "terms":
                terms = Terms(description=value)
                terms.provenance["description"] = where
                order.terms.append(terms)
            break


def _header_fields(order: Order, lines: list[Row]) -> None:
    for index, line in enumerate(lines):
        text = line.text
        for name, pattern in _LABELS.items():
            match = pattern.search(text)
            if match is None:
                continue
            value = match.group("v").strip()
            words = [w for w in line.words if w.text in value.split()] or line.words
            if name == "po_number" and order.po_number is None:
                order.po_number = value
                order.provenance["po_number"] = provenance(words, 0.9)
            elif name == "po_date" and order.po_date is None and (parsed := parse_date(value)):
                order.po_date = parsed
                order.provenance["po_date"] = provenance(words, 0.9)
            elif name == "terms" and not order.terms:
                terms = Terms(description=value)
                terms.provenance["description"] = provenance(words, 0.8)
                order.terms.append(terms)
        ship = _SHIP_TO.match(text)
        if ship and order.ship_to is None:
            block = [ship.group("v")] if ship.group("v") else []
            block_words = list(line.words[1:])
            for follow in lines[index + 1 : index + 5]:
                if any(p.search(follow.text) for p in _LABELS.values()) or not follow.text.strip():
                    break
                block.append(follow.text)
                block_words += follow.words
            if block:
                party = Party(role="ST", name=block[0], address=Address(lines=block[1:]))
                party.provenance["name"] = provenance(block_words or line.words, 0.7)
                order.parties.append(party)


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
