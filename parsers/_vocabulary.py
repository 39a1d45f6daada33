"""What column titles and header labels mean: synonyms per canonical field, matched fuzzily.

One vocabulary for every reader of laid-out documents (sheets, CSV, PDF, OCR).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping

from rapidfuzz import fuzz
from rapidfuzz import process

COLUMN_SYNONYMS: dict[str, list[str]] = {
    "line_no": ["line", "line no", "ln", "#", "item no", "pos",
                # sheets and exports (five languages)
                "line number", "position", "posicion", "posición", "linea", "línea", "ligne", "zeile", "regel",
                "positie"],
    "vendor_sku": ["item", "item #", "sku", "part no", "part number", "product", "product code", "code",
                   "article", "our item", "vendor part", "catalog no",
                   # sheets and exports (five languages)
                   "material", "material id", "material number", "material no", "item code", "item number", "product id",
                   "default code", "sku code", "artikel", "artikelnummer", "artikelnr", "artikelcode", "artículo", "articulo",
                   "código", "codigo", "código de producto", "referencia", "référence", "réf", "code article", "code produit",
                   "productcode", "materiaal"],
    "buyer_part": ["your part", "customer part", "buyer part", "cust part", "customer item", "our part no",
                   # sheets and exports (five languages)
                   "customer material", "customer part no", "kundenartikel", "kundenmaterial", "referencia cliente",
                   "référence client", "klantartikel", "uw artikel"],
    "upc": ["upc", "gtin", "ean", "barcode",
            # sheets and exports (five languages)
            "ean code", "ean13", "gtin13", "código de barras", "code barre", "streepjescode"],
    "description": ["description", "product description", "item description", "desc", "name",
                    # sheets and exports (five languages)
                    "product name", "item name", "material description", "beschreibung", "bezeichnung", "artikelbezeichnung",
                    "descripción", "descripcion", "désignation", "designation", "libellé", "libelle", "omschrijving"],
    "quantity": ["qty", "quantity", "order qty", "qty ordered", "units", "quantity ordered",
                 # sheets and exports (five languages)
                 "ordered qty", "order quantity", "menge", "anzahl", "bestellmenge", "cantidad", "cant", "quantité",
                 "quantite", "qté", "qte", "aantal", "hoeveelheid"],
    "uom": ["uom", "unit", "unit of measure", "u/m", "um",
            # sheets and exports (five languages)
            "einheit", "mengeneinheit", "me", "unidad", "unidad de medida", "ud", "unité", "unite", "eenheid"],
    "unit_price": ["unit price", "price", "price each", "rate", "unit cost", "each",
                   # sheets and exports (five languages)
                   "price/unit", "price per unit", "price unit", "net price", "preis", "einzelpreis", "stückpreis",
                   "precio", "precio unitario", "prix", "prix unitaire", "pu", "prijs", "stukprijs", "eenheidsprijs"],
    "amount": ["amount", "ext", "extended", "ext price", "line total", "total", "subtotal", "extension",
               # sheets and exports (five languages)
               "net value", "net amount", "line amount", "price total", "betrag", "gesamtpreis", "importe", "montant",
               "montant ht", "bedrag", "totaal"],
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


# Sheets and flat exports: columns that carry an order's header on every row (one row per line,
# several POs in one file), and column names written as identifiers (product_uom_qty, default_code).
ORDER_COLUMN_SYNONYMS: dict[str, list[str]] = {
    "po_number": ["po", "po number", "po no", "po #", "po id", "purchase order", "purchase order number",
                  "purchase order no", "order number", "order no", "order id", "order #", "order ref",
                  "customer po", "customer po number", "client order ref", "bestellnummer", "bestellung",
                  "bestell nr", "número de pedido", "numero de pedido", "pedido", "n° de commande",
                  "numéro de commande", "commande", "bestelnummer", "bestelling", "ordernummer",
                  "inkoopordernummer"],
    "po_date": ["date", "po date", "order date", "date order", "bestelldatum", "datum", "fecha", "fecha pedido",
                "fecha de pedido", "date de commande", "date commande", "besteldatum", "orderdatum"],
    "delivery_date": ["delivery date", "ship date", "due date", "requested date", "need by", "required date",
                      "liefertermin", "lieferdatum", "fecha de entrega", "fecha entrega", "date de livraison",
                      "leverdatum", "afleverdatum"],
    "customer": ["customer", "customer name", "customer id", "customer account", "client", "buyer", "sold to",
                 "partner", "kunde", "kundenname", "kundennummer", "cliente", "acheteur", "klant"],
    "ship_to": ["ship to", "ship-to", "delivery address", "deliver to", "shipping address", "lieferadresse",
                "dirección de entrega", "adresse de livraison", "afleveradres", "leveradres"],
    "currency": ["currency", "curr", "currency code", "währung", "waehrung", "moneda", "divisa", "devise",
                 "monnaie", "valuta"],
}  # fmt: skip
# When a title matches no synonym whole, the first of these fields one of its words names wins:
# "product_uom_qty" is a quantity, "price_subtotal" an amount, "customer_name" the customer.
WORD_PRIORITY = ("quantity", "amount", "unit_price", "currency", "delivery_date", "po_date", "uom", "line_no",
                 "po_number", "ship_to", "customer", "description", "upc", "buyer_part", "vendor_sku")  # fmt: skip
WORD_SCORE = 85.0  # a title read from one of its words: the lowest whole-title match accepted


def _fold(text: str) -> str:
    """Lower case without accents, identifier separators as spaces: "Artículo_Nr" -> "articulo nr"."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", text)  # camelCase: productUomQty
    text = unicodedata.normalize("NFKD", text.replace("_", " ").lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w#/°]", " ", text).split())


@functools.cache
def _sheet_vocabulary() -> tuple[dict[str, list[str]], dict[str, set[str]]]:
    """Folded synonyms of line and order columns, and the one-word synonyms of each field."""
    whole = {
        name: [_fold(w) for w in words]
        for name, words in {**COLUMN_SYNONYMS, **ORDER_COLUMN_SYNONYMS}.items()
    }
    single = {name: {w for w in words if " " not in w and len(w) > 1} for name, words in whole.items()}
    return whole, single


def match_sheet_column(text: str, exact: Mapping[str, str]) -> tuple[str, float] | None:
    """The line or order field a sheet's column title names: pinned, whole title, else its words."""
    title = text.strip().lower()
    if title in exact:
        return exact[title], 100.0
    folded = _fold(text)
    if not folded or len(folded) > 60:
        return None
    whole, single = _sheet_vocabulary()
    best: tuple[str, float] | None = None
    for name, words in whole.items():
        found = process.extractOne(folded, words, scorer=fuzz.ratio, score_cutoff=MATCH_CUTOFF)
        if found and (best is None or found[1] > best[1]):
            best = (name, float(found[1]))
    if best is not None:
        return best
    tokens = folded.split()
    if len(tokens) < 2:
        return None
    named = {name for name in WORD_PRIORITY for token in tokens if token in single[name]}
    return next(((name, WORD_SCORE) for name in WORD_PRIORITY if name in named), None)
