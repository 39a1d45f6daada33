"""What column titles and header labels mean: synonyms per canonical field, matched fuzzily.

One vocabulary for every reader of laid-out documents (sheets, CSV, PDF, OCR).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rapidfuzz import fuzz
from rapidfuzz import process

COLUMN_SYNONYMS: dict[str, list[str]] = {
    "line_no": ["line", "line no", "ln", "#", "item no", "pos"],
    "vendor_sku": ["item", "item #", "sku", "part no", "part number", "product", "product code", "code",
                   "article", "our item", "vendor part", "catalog no"],
    "buyer_part": ["your part", "customer part", "buyer part", "cust part", "customer item", "our part no"],
    "upc": ["upc", "gtin", "ean", "barcode"],
    "description": ["description", "product description", "item description", "desc", "name"],
    "quantity": ["qty", "quantity", "order qty", "qty ordered", "units", "quantity ordered"],
    "uom": ["uom", "unit", "unit of measure", "u/m", "um"],
    "unit_price": ["unit price", "price", "price each", "rate", "unit cost", "each"],
    "amount": ["amount", "ext", "extended", "ext price", "line total", "total", "subtotal", "extension"],
}  # fmt: skip
LABEL_SYNONYMS: dict[str, list[str]] = {
    "po_number": ["po number", "p.o. number", "po #", "po no", "purchase order", "purchase order number",
                  "order number", "order no", "number"],
    "po_date": ["date", "po date", "order date"],
    "ship_to": ["ship to", "deliver to", "delivery address", "ship-to"],
    "terms": ["terms", "payment terms", "shipping terms"],
    "delivery_date": ["delivery date", "requested date", "need by", "required date"],
}  # fmt: skip
MATCH_CUTOFF = 85.0


def _best_synonym(text: str, synonyms: dict[str, list[str]]) -> tuple[str, float] | None:
    """The field whose synonym best matches ``text``, with the score, if good enough."""
    cleaned = re.sub(r"[^\w#/ ]", " ", text.lower()).strip()
    if not cleaned:
        return None
    best: tuple[str, float] | None = None
    for name, words in synonyms.items():
        found = process.extractOne(cleaned, words, scorer=fuzz.ratio, score_cutoff=MATCH_CUTOFF)
        if found and (best is None or found[1] > best[1]):
            best = (name, float(found[1]))
    return best


def match_label(text: str) -> tuple[str, float] | None:
    """The header field a label names (PO number, date, ship-to...), with the match score."""
    return _best_synonym(text, LABEL_SYNONYMS)


def pinned_titles(pinned: Mapping[str, str] | None) -> dict[str, str]:
    """A partner's own column titles, lower-cased, for ``match_column``."""
    return {title.strip().lower(): name for title, name in (pinned or {}).items()}


def match_column(text: str, exact: Mapping[str, str]) -> tuple[str, float] | None:
    """The field a column title names: a pinned title exactly, else the best fuzzy synonym."""
    title = text.strip().lower()
    return (exact[title], 100.0) if title in exact else _best_synonym(text, COLUMN_SYNONYMS)
