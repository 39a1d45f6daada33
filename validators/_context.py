"""What a check needs besides the order: master data, the partner's policy, and the live figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from typing import Any

from ._findings import Action
from ._findings import Finding
from ._findings import FindingCode
from ._findings import Suggestion
from ._master import Customer
from ._master import MasterData
from ._policy import ValidationPolicy


@dataclass(frozen=True, slots=True)
class ValidationContext:
    """One order's view of the world.

    ``open_orders`` is the value of the customer's accepted, not yet invoiced orders;
    ``available`` is stock free to promise per SKU; ``po_seen`` says the customer already sent
    this PO number. The caller reads those under the locks that make them true.
    """

    master: MasterData
    policy: ValidationPolicy
    today: date
    customer_account: str | None
    customer: Customer | None = None
    open_orders: Decimal = Decimal(0)
    available: Mapping[str, Decimal] = field(default_factory=dict)
    po_seen: bool = False

    def finding(
        self,
        code: FindingCode,
        message: str,
        *,
        action: Action | None = None,
        line_no: str | None = None,
        field: str | None = None,
        expected: Any = None,
        received: Any = None,
        suggestions: list[Suggestion] | None = None,
        **details: Any,
    ) -> Finding:
        return Finding(
            code=code,
            action=action or self.policy.action(code),
            message=message,
            line_no=line_no,
            field=field,
            expected=expected if expected is None or type(expected) is str else _text(expected),
            received=received if received is None or type(received) is str else _text(received),
            suggestions=suggestions or [],
            details={k: _text(v) if isinstance(v, Decimal | date) else v for k, v in details.items()}
            if details
            else {},
        )


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return show(value)
    return str(value)


def show(quantity: Decimal) -> str:
    """A quantity without trailing zeros: ``24``, ``2.5``."""
    return f"{quantity.normalize():f}"


_CENT = Decimal("0.01")


def money(amount: Decimal) -> str:
    """An amount with at least two decimals: ``4.50``, ``0.125``, ``5033.00``."""
    cents = amount.quantize(_CENT)
    return f"{cents if cents == amount else amount.normalize():f}"
