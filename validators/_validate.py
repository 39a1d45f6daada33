"""Runs every check over one order and turns the findings' actions into the order's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from gateway.model.order import Order
from gateway.model.order import OrderPurpose
from gateway.model.status import OrderStatus

from . import _rules
from ._context import ValidationContext
from ._credit import check_credit
from ._findings import Finding
from ._findings import FindingCode
from ._items import resolve_item
from ._pricing import check_price
from ._pricing import units_per
from ._stock import check_stock


@dataclass(slots=True)
class ValidationResult:
    """The order as validation left it (auto-fixes applied), its findings, and what becomes of it.

    ``total`` is the order's value at the prices it will be invoiced at; ``allocations`` are
    the catalog units per SKU an accepted order takes from stock.
    """

    order: Order
    findings: list[Finding]
    total: Decimal = Decimal(0)
    allocations: dict[str, Decimal] = field(default_factory=dict)

    @property
    def outcome(self) -> OrderStatus:
        actions = {f.action for f in self.findings}
        if "reject" in actions:
            return OrderStatus.REJECTED
        return OrderStatus.EXCEPTION if "hold" in actions else OrderStatus.ACCEPTED


def validate(order: Order, context: ValidationContext) -> ValidationResult:
    """Check ``order`` against master data and the partner's policy; the input is not modified."""
    # Rules change only the lines' own fields (sku, unit_price, a new quantity): a copy of the order
    # and of each line does, where a deep copy of every value and its provenance cost most of the time.
    order = order.model_copy(update={"lines": [line.model_copy() for line in order.lines]})
    findings = [*_rules.missing_fields(order, context), *_rules.order_reference(order, context)]
    if order.purpose == OrderPurpose.CANCEL:
        return ValidationResult(order, findings)
    findings += _rules.requested_dates(order, context)
    findings += _rules.ship_to(order, context)
    customer = context.customer
    currency = order.currency or (customer.currency if customer else None) or "USD"
    if order.currency and customer and order.currency != customer.currency:
        findings.append(
            context.finding(
                FindingCode.CURRENCY_MISMATCH,
                f"the order is in {order.currency} but {customer.account} trades in {customer.currency}",
                field="currency",
                expected=customer.currency,
                received=order.currency,
            )
        )
    day = order.po_date or context.today
    lines: list[tuple[int, str, Decimal, Decimal]] = []
    for index, line in enumerate(order.lines):
        product, item_findings = resolve_item(line, context)
        findings += item_findings
        if product is None or line.quantity is None or line.quantity.value <= 0:
            continue
        line.sku = product.sku
        if line.quantity.uom is None and "uom" not in context.policy.required:
            findings.append(_rules.no_unit(line, product, context))
        factor = units_per(line.quantity.uom or product.uom, product)
        if factor is None:
            findings.append(_rules.unconvertible_unit(line, product, context))
            continue
        findings += _rules.pack_multiple(line, product, context)
        price, price_findings = check_price(line, product, factor, currency, day, context)
        findings += price_findings
        lines.append((index, product.sku, factor, price))
    allocations: dict[str, Decimal] = {}
    if order.purpose in _rules.NEW_ORDER:
        free = {sku: context.available.get(sku, Decimal(0)) for _, sku, _, _ in lines}
        for index, sku, factor, _ in lines:
            line = order.lines[index]
            taken, stock_findings = check_stock(line, sku, factor, free[sku], context)
            findings += stock_findings
            free[sku] -= taken
            allocations[sku] = allocations.get(sku, Decimal(0)) + taken
    total = sum((_quantity(order, index) * price for index, _, _, price in lines), Decimal(0))
    if order.purpose in _rules.NEW_ORDER:
        findings += _rules.minimum_value(total, currency, context)
        if context.policy.credit:
            findings += check_credit(total, context)
    return ValidationResult(order, findings, total.quantize(Decimal("0.01")), allocations)


def _quantity(order: Order, index: int) -> Decimal:
    quantity = order.lines[index].quantity
    return quantity.value if quantity else Decimal(0)
