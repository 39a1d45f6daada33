"""Catalog search for the desk's SKU picker: plain substring hits first, then validation's fuzzy suggestions.

The fuzzy part is the same ``SuggestionIndex`` that proposes SKUs on an ``unknown_item``
finding (rapidfuzz over SKU, the customer's part numbers and descriptions), asked once with
the text as a code and once as a description. Substring hits catch what a clerk types as
a fragment ("hex key"), which a whole-string fuzzy ratio scores too low.

Each hit carries what tells two items of the same name apart: list price, pack and unit, and
the free stock (on hand less allocated, every warehouse) once the desk has read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import validators

SKU_HIT = 99.0  # the text is part of the SKU (the whole SKU scores 100)
DESCRIPTION_HIT = 95.0  # the text is part of the description
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class CatalogHit:
    sku: str
    description: str
    uom: str
    pack_size: Decimal
    list_price: Decimal
    currency: str
    score: float
    matched: str
    available: Decimal | None = None  # free stock; None when not looked up


def search_catalog(
    master: validators.MasterData,
    text: str,
    limit: int = 10,
    *,
    customer_account: str | None = None,
) -> list[CatalogHit]:
    """Active catalog items matching ``text``, best first; ``customer_account`` adds its part numbers."""
    query = text.strip()
    limit = max(1, min(limit, MAX_LIMIT))
    if not query:
        return []
    best: dict[str, tuple[float, str]] = {}
    needle = query.casefold()
    for product in master.products.values():
        sku = product.sku.casefold()
        if needle in sku:
            best[product.sku] = (100.0 if needle == sku else SKU_HIT, product.sku)
        elif needle in product.description.casefold():
            best[product.sku] = (DESCRIPTION_HIT, product.description)
    index = master.suggestions
    fuzzy = [
        *index.suggest(customer_account, query, None, limit),
        *index.suggest(customer_account, None, query, limit),
    ]
    for suggestion in fuzzy:
        if suggestion.score > best.get(suggestion.sku, (-1.0, ""))[0]:
            best[suggestion.sku] = (suggestion.score, suggestion.matched)
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
    return [_hit(master.products[sku], score, matched) for sku, (score, matched) in ranked]


def catalog_items(master: validators.MasterData, skus: Iterable[str]) -> dict[str, CatalogHit]:
    """The catalog's facts about each of ``skus`` that it has (a suggestion's price, pack and stock)."""
    found: dict[str, CatalogHit] = {}
    for sku in skus:
        product = master.product(sku)
        if product is not None:
            found[sku] = _hit(product, 100.0, product.sku)
    return found


def _hit(product: validators.Product, score: float, matched: str) -> CatalogHit:
    return CatalogHit(
        sku=product.sku,
        description=product.description,
        uom=product.uom,
        pack_size=product.pack_size,
        list_price=product.list_price,
        currency=product.currency,
        score=score,
        matched=matched,
    )
