"""Available-to-promise: a line asking for more than is free is backordered, cut, held or rejected."""

from __future__ import annotations

from decimal import ROUND_FLOOR
from decimal import Decimal

from gateway.model.order import OrderLine

from ._context import ValidationContext
from ._context import show
from ._findings import Finding
from ._findings import FindingCode


def check_stock(
    line: OrderLine, sku: str, factor: Decimal, free: Decimal, context: ValidationContext
) -> tuple[Decimal, list[Finding]]:
    """Catalog units this line takes from stock, and a ``short_stock`` finding when ``free`` won't do."""
    assert line.quantity is not None
    wanted = line.quantity.value * factor
    if wanted <= free:
        return wanted, []
    free = max(free, Decimal(0))
    policy = context.policy.short_stock
    uom = line.quantity.uom or "units"
    can_ship = (free / factor).to_integral_value(rounding=ROUND_FLOOR) if factor else Decimal(0)
    remedy = {
        "backorder": f"; {show(line.quantity.value - can_ship)} {uom} go on backorder",
        "partial": f"; cut to {show(can_ship)} {uom}",
        "hold": "",
        "reject": "",
    }[policy]
    finding = context.finding(
        FindingCode.SHORT_STOCK,
        f"line {line.line_no}: {show(line.quantity.value)} {uom} of {sku} ordered, "
        f"{show(can_ship)} {uom} available{remedy}",
        line_no=line.line_no,
        field="quantity",
        expected=can_ship,
        received=line.quantity.value,
        disposition=policy,
    )
    if policy == "partial":
        line.quantity = line.quantity.model_copy(update={"value": can_ship})
        return can_ship * factor, [finding]
    return min(wanted, free), [finding]
