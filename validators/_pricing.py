"""Units and prices: convert the ordered unit to the catalog's, then hold the price to the agreement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gateway.model.order import OrderLine

from ._context import ValidationContext
from ._context import money
from ._findings import Finding
from ._findings import FindingCode
from ._master import PriceRule
from ._master import Product

PACK_UNITS = frozenset({"CA", "BX", "PK", "CT", "PL", "BG", "RL"})
FIXED_UNITS = {"DZ": Decimal(12), "GR": Decimal(144)}
EACH_UNITS = frozenset({"EA", "PC", "UN"})
_TEN_THOUSANDTH = Decimal("0.0001")
_PRICE_MISMATCH = FindingCode.PRICE_MISMATCH  # read once: an enum member read from its class is a Python call


def units_per(uom: str, product: Product) -> Decimal | None:
    """How many of the product's own unit one ``uom`` holds; None when they don't convert."""
    uom, base = uom.upper(), product.uom.upper()
    if uom == base or (uom in EACH_UNITS and base in EACH_UNITS):
        return Decimal(1)
    if base in EACH_UNITS:
        if uom in FIXED_UNITS:
            return FIXED_UNITS[uom]
        if uom in PACK_UNITS:
            return product.pack_size
    if uom in EACH_UNITS and base in PACK_UNITS and product.pack_size > 0:
        return 1 / product.pack_size
    return None


def agreed_price(
    context: ValidationContext, product: Product, quantity: Decimal, day: date
) -> tuple[Decimal, str, PriceRule | None]:
    """The unit price per catalog unit on ``day`` for ``quantity`` catalog units, and where it came from.

    Customer-specific beats group-specific beats the price list; among those, the largest
    quantity break reached wins. Without any, the product's list price.
    """
    customer = context.customer
    ranks = {context.customer_account: 0, customer.group if customer else None: 1, None: 2}
    best: tuple[int, Decimal] | None = None
    chosen: PriceRule | None = None
    for rule in context.master.prices_for(product.sku):
        rank = ranks.get(rule.customer)
        if rank is None or not rule.valid_on(day) or rule.min_quantity > quantity:
            continue
        key = (rank, -rule.min_quantity)
        if best is None or key < best:
            best, chosen = key, rule
    if chosen is None:
        return product.list_price, f"list price of {product.sku}", None
    return chosen.unit_price, chosen.describe(), chosen


def check_price(
    line: OrderLine,
    product: Product,
    factor: Decimal,
    currency: str,
    day: date,
    context: ValidationContext,
) -> tuple[Decimal, list[Finding]]:
    """The unit price the line should carry (per ordered unit), and any price or currency finding."""
    assert line.quantity is not None
    base_quantity = line.quantity.value * factor
    per_unit, source, rule = agreed_price(context, product, base_quantity, day)
    expected = (per_unit * factor).quantize(_TEN_THOUSANDTH).normalize()
    uom = line.quantity.uom or product.uom
    rule_currency = rule.currency if rule else product.currency
    if rule_currency != currency:
        return expected, [
            context.finding(
                FindingCode.CURRENCY_MISMATCH,
                f"line {line.line_no}: the order is in {currency} but the {source} is in {rule_currency}",
                line_no=line.line_no,
                field="currency",
                expected=rule_currency,
                received=currency,
                agreement=source,
            )
        ]
    received = line.unit_price
    if received is None or context.policy.price_tolerance.allows(expected, received):
        return (received if received is not None else expected), []
    fixing = context.policy.action(_PRICE_MISMATCH) == "auto_fix"
    shown, sent = money(expected), money(received)  # each written once, for the message and the fields
    outcome = f"; corrected to {shown}" if fixing else ""
    finding = context.finding(
        _PRICE_MISMATCH,
        f"line {line.line_no}: unit price {sent}/{uom} but the {source} gives {shown}/{uom}{outcome}",
        line_no=line.line_no,
        field="unit_price",
        expected=shown,
        received=sent,
        agreement=source,
        agreement_id=rule.id if rule else None,
    )
    if fixing:
        line.unit_price = expected
        return expected, [finding]
    return received, [finding]
