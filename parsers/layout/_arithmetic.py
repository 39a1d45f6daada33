"""Cross-checks of a line table: quantity x unit price = extension, and the lines add up to the total.

The checks also choose between readings: a quantity whose digits ran into the price column is
split where the product matches the printed extension.
"""

from __future__ import annotations

from decimal import Decimal

from .._values import read_amount

CENT = Decimal("0.01")


def extension(quantity: Decimal, price: Decimal, per: Decimal | None = None) -> Decimal:
    """What a line comes to: quantity x price, for a price given per ``per`` units (per 100, per 1000)."""
    return quantity * price / (per if per else 1)


def agrees(quantity: Decimal, price: Decimal, amount: Decimal, per: Decimal | None = None) -> bool:
    """Whether the printed extension is the product, within the rounding of the printed numbers."""
    places = max(0, -int(price.as_tuple().exponent))
    price_rounding = abs(quantity) * Decimal(5) / Decimal(10) ** (places + 1) / (per if per else 1)
    return abs(extension(quantity, price, per) - amount) <= max(CENT, price_rounding) + Decimal("0.005")


def split_run_together(text: str, amount: Decimal) -> tuple[Decimal, Decimal] | None:
    """A quantity and a price printed so close they read as one number ("1212500.00" = 12 x 12500.00).

    Only the split whose product is the printed extension is taken, and only if it is the one such split.
    """
    compact = text.replace(" ", "")
    found: list[tuple[Decimal, Decimal]] = []
    for cut in range(1, len(compact)):
        head, tail = compact[:cut], compact[cut:]
        if not head[-1].isdigit() or not tail[0].isdigit() or (tail.startswith("0") and tail[:2] != "0."):
            continue
        quantity, price = read_amount(head), read_amount(tail)
        if quantity is None or price is None or quantity.value <= 0 or price.value <= 0:
            continue
        if agrees(quantity.value, price.value, amount):
            found.append((quantity.value, price.value))
    return found[0] if len(found) == 1 else None
