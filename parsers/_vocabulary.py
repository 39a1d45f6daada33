"""What column titles and header labels mean: synonyms per canonical field, matched fuzzily.

One vocabulary for every reader of laid-out documents (sheets, CSV, PDF, OCR).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rapidfuzz import fuzz
from rapidfuzz import process

COLUMN_SYNONYMS: dict[str, list[str]] = {
    "line_no": ["line", "line no", "ln", "#", "item no", "pos", "no", "no.", "line #", "position", "pos.", "posición",
                "linea", "línea", "lin", "renglon", "regel", "ligne", "nr", "nr."],
    "vendor_sku": ["item", "item #", "sku", "part no", "part number", "product", "product code", "code", "article",
                   "our item", "vendor part", "vendor part #", "catalog no", "item number", "item code", "part #",
                   "part", "vendor item", "supplier item", "supplier part", "vendor mat no", "vendor material",
                   "mfr part", "articulo", "artículo", "código", "codigo", "referencia", "ref", "artikel",
                   "artikelnummer", "artikel nr", "art nr", "art.-nr.", "référence", "article no", "code article",
                   "artikelcode", "item #/description", "item id", "sku #"],
    "buyer_part": ["your part", "customer part", "buyer part", "cust part", "customer item", "our part no",
                   "material", "material no", "material number", "matl", "our material", "r mat", "material #",
                   "customer material", "materialnummer", "material nr", "matériel"],
    "upc": ["upc", "gtin", "ean", "barcode"],
    "description": ["description", "product description", "item description", "desc", "name", "material description",
                    "matl desc", "matl/desc", "description / supplier item", "descripción", "descripcion",
                    "beschreibung", "bezeichnung", "artikelbezeichnung", "désignation", "designation", "libellé",
                    "omschrijving", "details", "item / description", "description of goods"],
    "quantity": ["qty", "quantity", "order qty", "qty ordered", "units", "quantity ordered", "order quantity",
                 "ordered", "qty um", "qty uom", "order qty unit", "order qty /unit", "qty/unit", "qty.",
                 "cantidad", "cant", "cant.", "menge", "bestellmenge", "anzahl", "quantité", "qté", "nombre",
                 "aantal", "hoeveelheid", "order qty.", "qty order", "pri qty"],
    "uom": ["uom", "unit", "unit of measure", "u/m", "um", "unidad", "ud", "uni", "me", "einheit", "unité", "eenheid",
            "uoM", "measure"],
    "unit_price": ["unit price", "price", "price each", "rate", "unit cost", "each", "cost", "net price", "price/unit",
                   "net price currency", "price per unit", "order unit price", "precio", "precio unitario",
                   "precio unitario sin iva", "precio unit", "p unitario", "preis", "einzelpreis", "stückpreis",
                   "prix", "prix unitaire", "p u ht", "pu ht", "prix unitaire ht", "prijs", "stukprijs",
                   "eenheidsprijs", "unit price excl", "net unit price"],
    "amount": ["amount", "ext", "extended", "ext price", "line total", "total", "subtotal", "extension",
               "extended price", "extended cost", "extended amount", "net value", "net amount", "value",
               "total price", "importe", "valor", "total linea", "betrag", "gesamtpreis", "gesamt", "montant",
               "montant ht", "total ht", "bedrag", "totaal", "line amount", "ext amount", "net"],
    "price_per": ["per", "price per", "price unit", "per unit", "per/unit", "price uom", "pe", "preiseinheit"],
    "currency": ["curr", "currency", "cur", "moneda", "währung", "devise", "valuta"],
    "other": ["delivery date", "due date", "req date", "required date", "date", "promised date", "ship date",
              "purchase contract", "contract", "orig order", "received", "backordered", "back ordered",
              "% desc", "%desc", "desc %", "disc", "disc %", "disc.% taxes", "discount", "taxes", "tax", "rev",
              "fixed", "requested date", "need by", "fecha", "fecha entrega", "liefertermin", "lieferdatum",
              "date de livraison", "leverdatum", "remarks", "notes", "status", "whse", "warehouse"],
}  # fmt: skip
# Column fields a line can carry; the others only mark where a column of the table is.
LINE_COLUMNS = frozenset({"line_no", "vendor_sku", "buyer_part", "upc", "description", "quantity", "uom",
                          "unit_price", "amount", "price_per", "currency"})  # fmt: skip
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
