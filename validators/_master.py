"""Master data as validation reads it: immutable, in memory, indexed for the lookups the checks make."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from stdnum import ean

if TYPE_CHECKING:
    from ._suggest import SuggestionIndex


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    description: str
    upc: str | None
    uom: str
    pack_size: Decimal
    list_price: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class PriceRule:
    """One row of a price list: ``customer`` is an account, a customer group, or None for everyone."""

    sku: str
    customer: str | None
    min_quantity: Decimal
    unit_price: Decimal
    currency: str
    valid_from: date | None = None
    valid_to: date | None = None
    id: int | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def describe(self) -> str:
        who = f"contract price for {self.customer}" if self.customer else "price list"
        span = f"{self.valid_from or '…'} to {self.valid_to or '…'}"
        return f"{who}, {self.sku} from {self.min_quantity.normalize():f}, valid {span}"


@dataclass(frozen=True, slots=True)
class Customer:
    account: str
    name: str
    credit_limit: Decimal
    open_ar: Decimal
    currency: str
    on_hold: bool = False
    group: str | None = None


def gtin14(code: str) -> str | None:
    """A UPC/EAN/GTIN as 14 digits, or None when it is not one (wrong length or check digit)."""
    digits = code.strip()
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14) or not ean.is_valid(digits):
        return None
    return digits.zfill(14)


class MasterData:
    """Catalog, cross-references, price lists and address books; built once, shared read-only."""

    def __init__(
        self,
        products: Iterable[Product],
        xref: Iterable[tuple[str, str, str]] = (),
        prices: Iterable[PriceRule] = (),
        ship_tos: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.products: dict[str, Product] = {p.sku: p for p in products}
        self._by_gtin: dict[str, Product] | None = None  # made when a line first names a UPC
        self._by_upper_sku = {sku.upper(): p for sku, p in self.products.items()}
        self._xref: dict[str, dict[str, str]] = {}
        for customer, part, sku in xref:
            self._xref.setdefault(customer, {})[part.upper()] = sku
        self._prices: dict[str, list[PriceRule]] = {}
        for rule in prices:
            self._prices.setdefault(rule.sku, []).append(rule)
        self._ship_tos: dict[str, set[str]] = {}
        for customer, code in ship_tos:
            self._ship_tos.setdefault(customer, set()).add(code.upper())
        self._suggestions: SuggestionIndex | None = None

    def __bool__(self) -> bool:
        return bool(self.products)

    def product(self, sku: str) -> Product | None:
        return self.products.get(sku) or self._by_upper_sku.get(sku.strip().upper())

    def by_gtin(self, code: str) -> Product | None:
        normal = gtin14(code)
        if not normal:
            return None
        if self._by_gtin is None:  # orders by SKU never need it; two threads at once build the same
            self._by_gtin = {g: p for p in self.products.values() if p.upc and (g := gtin14(p.upc))}
        return self._by_gtin.get(normal)

    def by_customer_part(self, customer: str, part: str) -> Product | None:
        sku = self._xref.get(customer, {}).get(part.strip().upper())
        return self.products.get(sku) if sku else None

    def prices_for(self, sku: str) -> list[PriceRule]:
        return self._prices.get(sku, [])

    def ship_tos(self, customer: str) -> set[str]:
        return self._ship_tos.get(customer, set())

    @property
    def suggestions(self) -> SuggestionIndex:
        if self._suggestions is None:
            # Imported here: rapidfuzz is needed only when a line matches nothing exactly, and
            # importing it is about 20 ms of CPU at every start of a command that validates.
            from ._suggest import SuggestionIndex

            self._suggestions = SuggestionIndex(
                ((p.sku, p.description) for p in self.products.values()), self._xref
            )
        return self._suggestions
