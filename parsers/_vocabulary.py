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
    "line_no": ["line", "line no", "ln", "#", "item no", "pos", "no", "no.", "line #", "position", "pos.",
                "posición", "linea", "línea", "lin", "renglon", "regel", "ligne", "nr", "nr.", "line number",
                "posicion", "zeile", "positie"],
    "vendor_sku": ["item", "item #", "sku", "part no", "part number", "product", "product code", "code",
                   "article", "our item", "vendor part", "vendor part #", "catalog no", "item number",
                   "item code", "part #", "part", "vendor item", "supplier item", "supplier part",
                   "vendor mat no", "vendor material", "mfr part", "articulo", "artículo", "código", "codigo",
                   "referencia", "ref", "artikel", "artikelnummer", "artikel nr", "art nr", "art.-nr.",
                   "référence", "article no", "code article", "artikelcode", "item #/description", "item id",
                   "sku #", "material id", "product id", "default code", "sku code", "artikelnr",
                   "código de producto", "réf", "code produit", "productcode", "materiaal"],
    "buyer_part": ["your part", "customer part", "buyer part", "cust part", "customer item", "our part no",
                   "material", "material no", "material number", "matl", "our material", "r mat", "material #",
                   "customer material", "materialnummer", "material nr", "matériel", "customer part no",
                   "kundenartikel", "kundenmaterial", "referencia cliente", "référence client", "klantartikel",
                   "uw artikel"],
    "upc": ["upc", "gtin", "ean", "barcode", "ean code", "ean13", "gtin13", "código de barras", "code barre",
            "streepjescode"],
    "description": ["description", "product description", "item description", "desc", "name",
                    "material description", "matl desc", "matl/desc", "description / supplier item",
                    "descripción", "descripcion", "beschreibung", "bezeichnung", "artikelbezeichnung",
                    "désignation", "designation", "libellé", "omschrijving", "details", "item / description",
                    "description of goods", "product name", "item name", "libelle"],
    "quantity": ["qty", "quantity", "order qty", "qty ordered", "units", "quantity ordered", "order quantity",
                 "ordered", "qty um", "qty uom", "order qty unit", "order qty /unit", "qty/unit", "qty.",
                 "cantidad", "cant", "cant.", "menge", "bestellmenge", "anzahl", "quantité", "qté", "nombre",
                 "aantal", "hoeveelheid", "order qty.", "qty order", "pri qty", "ordered qty", "quantite",
                 "qte"],
    "uom": ["uom", "unit", "unit of measure", "u/m", "um", "unidad", "ud", "uni", "me", "einheit", "unité",
            "eenheid", "uoM", "measure", "mengeneinheit", "unidad de medida", "unite"],
    "unit_price": ["unit price", "price", "price each", "rate", "unit cost", "each", "cost", "net price",
                   "price/unit", "net price currency", "price per unit", "order unit price", "precio",
                   "precio unitario", "precio unitario sin iva", "precio unit", "p unitario", "preis",
                   "einzelpreis", "stückpreis", "prix", "prix unitaire", "p u ht", "pu ht", "prix unitaire ht",
                   "prijs", "stukprijs", "eenheidsprijs", "unit price excl", "net unit price", "pu"],
    "amount": ["amount", "ext", "extended", "ext price", "line total", "total", "subtotal", "extension",
               "extended price", "extended cost", "extended amount", "net value", "net amount", "value",
               "total price", "importe", "valor", "total linea", "betrag", "gesamtpreis", "gesamt", "montant",
               "montant ht", "total ht", "bedrag", "totaal", "line amount", "ext amount", "net", "price total"],
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
    "po_number": ["po number", "p.o. number", "po #", "po no", "po nr", "po num", "purchase order",
                  "purchase order number", "purchase order no", "purchase order #", "order number", "order no",
                  "order #", "number", "customer po", "customer po number", "your order", "your po",
                  "pedido de compra", "pedido de compra no", "pedido no", "numero de pedido", "no de pedido",
                  "orden de compra", "orden de compra no", "numero de orden", "no de orden", "bestellnummer",
                  "bestell nr", "bestellnr", "bestellung", "bestellung nr", "bestellung no", "numero de commande",
                  "no de commande", "bon de commande", "commande no", "bestelnummer", "bestelling",
                  "inkooporder", "inkoopordernummer", "ordernummer", "your order no", "your order number",
                  "your po no", "your po number", "customer order no", "customer order number"],
    "po_date": ["date", "po date", "order date", "purchase order date", "po issue date", "issue date",
                "po creation date", "creation date", "date issued", "date of order", "document date",
                "fecha", "fecha de pedido", "fecha pedido", "fecha de orden", "fecha de emision", "fecha orden",
                "datum", "bestelldatum", "belegdatum", "bestellung vom", "date de commande", "date commande",
                "date de la commande", "besteldatum", "orderdatum", "datum bestelling", "invoice date",
                "fecha de factura", "rechnungsdatum", "date de facture", "factuurdatum"],
    "po_number_date": ["po number/date", "po no/date", "order number/date", "purchase order/date",
                       "po number / date", "order no/date"],
    "ship_to": ["ship to", "deliver to", "delivery address", "ship-to"],
    "terms": ["terms", "payment terms", "shipping terms"],
    "delivery_date": ["delivery date", "requested date", "need by", "required date", "required", "req date",
                      "ship date", "due date", "promised date", "delivery", "deliv date", "need date",
                      "requested delivery date", "receiving date", "pickup date", "fecha de entrega",
                      "fecha entrega", "f ent", "liefertermin", "lieferdatum", "date de livraison",
                      "date livraison", "leverdatum", "afleverdatum", "due", "date required", "date needed",
                      "date wanted", "date due", "date shipped", "date promised", "date requested"],
    "other_date": ["revision date", "po revision date", "change date", "cancel date", "expiry date",
                   "valid until", "print date", "printed", "payment due", "run date", "date printed",
                   "date revised", "date changed"],
    "other_number": ["vendor no", "vendor number", "vendor #", "vendor code", "vendor id", "vendor",
                     "supplier no", "supplier number", "supplier code", "supplier id", "customer no",
                     "customer number", "customer #", "customer id", "account", "account no", "account number",
                     "account #", "acct", "acct #", "your vendor number", "our vendor number",
                     "your vendor number with us", "phone", "telephone", "tel", "fax", "page", "invoice no",
                     "invoice number", "invoice #", "invoice", "quote no", "quote number", "quotation",
                     "contract no", "contract number", "contract", "requisition no", "requisition", "req no",
                     "release no", "release", "revision", "rev", "zip", "zip code", "postal code", "tax id",
                     "vat no", "vat number", "orig order", "blanket order", "blanket", "sales order",
                     "kundennummer", "kunden nr", "lieferantennummer", "lieferanten nr", "rechnung",
                     "rechnungsnummer", "numero de proveedor", "proveedor", "no de proveedor", "cliente",
                     "numero de cliente", "factura", "factura no", "no de client", "numero de client",
                     "client", "fournisseur", "facture", "facture no", "numero de facture", "numero de dossier",
                     "klantnummer", "leveranciersnummer", "leverancier", "factuur", "factuurnummer",
                     "telefono", "telefon", "telephone no", "phone no", "fax no", "pagina", "seite", "contacto",
                     "gln", "duns", "duns no", "ein"],
}  # fmt: skip
# Labels too short or too general to name a field by themselves: the layout reader takes them, but
# only as weak evidence, where a value stands right of them or under them.
GENERIC_LABELS: dict[str, list[str]] = {
    "po_number": ["no", "#", "nr", "num", "numero", "nummer", "reference", "ref", "your reference",
                  "customer reference", "client reference", "referencia", "referenz", "ihre referenz",
                  "votre reference", "uw referentie", "onze referentie", "po"],
}  # fmt: skip
CURRENCY_LABELS = ["currency", "curr", "currency code", "moneda", "divisa", "wahrung", "waehrung", "devise",
                   "monnaie", "valuta", "munt"]  # fmt: skip
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


def label_key(text: str) -> str:
    """A label as compared: lower case without accents or dots, "#" and "/" set apart ("P.O.No." -> "po no")."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("n°", "no ").replace("nº", "no "))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    spaced = re.sub(r"[^a-z0-9#/]+", " ", folded.replace("#", " # ").replace("/", " / "))
    joined = re.sub(r"\b([a-z]) (?=[a-z]\b)", r"\1", spaced)  # "p o" -> "po"
    return " ".join(joined.split()).replace(" / ", "/")


def _keyed(synonyms: dict[str, list[str]]) -> dict[str, str]:
    return {label_key(word): name for name, words in synonyms.items() for word in words}


_LABEL_KEYS = _keyed(LABEL_SYNONYMS)
_GENERIC_KEYS = _keyed(GENERIC_LABELS)
_FUZZY_MIN_LENGTH = 7  # shorter labels must match exactly: "no" is not "po"


def match_label(text: str, *, generic: bool = False) -> tuple[str, float] | None:
    """The header field a label names (PO number, date, ship-to...), with the match score.

    Exact after ``label_key``, else by rapidfuzz for labels of some length ("Numero de Ordem").
    ``generic`` also accepts the bare short labels of ``GENERIC_LABELS`` ("No.", "#"), scored 60.
    """
    key = label_key(text)
    if not key:
        return None
    if key in _LABEL_KEYS:
        return _LABEL_KEYS[key], 100.0
    if generic and key in _GENERIC_KEYS:
        return _GENERIC_KEYS[key], 60.0
    if len(key) < _FUZZY_MIN_LENGTH:
        return None
    found = process.extractOne(key, list(_LABEL_KEYS), scorer=fuzz.ratio, score_cutoff=MATCH_CUTOFF + 3)
    return (_LABEL_KEYS[found[0]], float(found[1])) if found else None


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
# Where a sheet's titles mean otherwise than a printed table's: Odoo's price_unit is the unit price,
# a material id in an export is the seller's article.
SHEET_ONLY_SYNONYMS: dict[str, list[str]] = {
    "unit_price": [*COLUMN_SYNONYMS["unit_price"], "price unit"],
    "vendor_sku": [*COLUMN_SYNONYMS["vendor_sku"], "material"],
    "buyer_part": [w for w in COLUMN_SYNONYMS["buyer_part"] if not w.startswith("material")],
}
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
        for name, words in {**COLUMN_SYNONYMS, **ORDER_COLUMN_SYNONYMS, **SHEET_ONLY_SYNONYMS}.items()
        if name not in ("other", "price_per")  # a PDF table's own columns
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
