"""Credit: open AR plus open orders plus this order must stay within the limit, and no hold."""

from __future__ import annotations

from decimal import Decimal

from ._context import ValidationContext
from ._context import money
from ._findings import Finding
from ._findings import FindingCode


def check_credit(total: Decimal, context: ValidationContext) -> list[Finding]:
    customer = context.customer
    if customer is None:
        return [
            context.finding(
                FindingCode.CREDIT_HOLD,
                f"customer {context.customer_account or '(none)'} has no credit account in the master data",
                field="customer",
                received=context.customer_account,
            )
        ]
    if customer.on_hold:
        return [
            context.finding(
                FindingCode.CREDIT_HOLD,
                f"{customer.name} ({customer.account}) is on credit hold",
                field="customer",
                received=customer.account,
            )
        ]
    exposure = customer.open_ar + context.open_orders + total
    if exposure <= customer.credit_limit:
        return []
    return [
        context.finding(
            FindingCode.CREDIT_LIMIT,
            f"exposure {money(exposure)} {customer.currency} (open AR {money(customer.open_ar)} + open orders "
            f"{money(context.open_orders)} + this order {money(total)}) is over the credit limit of "
            f"{money(customer.credit_limit)}",
            field="total",
            expected=money(customer.credit_limit),
            received=money(exposure),
        )
    ]
