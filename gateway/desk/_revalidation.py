"""Re-validation of an edited order: the pipeline's validator, the desk's overrides, and what still stands.

The order goes through ``gateway.inbound.validation.StoreValidator``, exactly as the pipeline runs it
(customer row locked, live open orders, live stock), with two differences:

- the order being re-validated is not its own duplicate: its PO number counts as seen only
  when *another* live order of the customer has it;
- nothing is allocated here: the caller allocates the stock once the order is accepted; stock the
  order already holds (the version in force of a partner's change waiting on the desk) counts as
  free for it.

Then the desk's overrides (``order_override``) are applied: a finding an override answers
(a price difference accepted on that line at that price, a credit hold released, a duplicate
dismissed) is kept, with ``action = "warn"`` and the override under ``details.override``, so
it no longer holds the order but still shows. A credit release answers a credit finding only
while the order's value is no higher than the value it was released at and, for a credit
limit, the exposure no higher than the exposure it covered; otherwise the hold stands again
for a credit user, with the release it outgrew under ``details.released``.

Findings of the earlier run that re-validation cannot see again are carried over:

- auto-fixes whose fixed value the line still carries (the stored order is the fixed one,
  so a price corrected at intake no longer differs, but the 855 must still say it changed);
- the parser's own findings (``syntax``, ``low_confidence``): the clerk who approves has
  reviewed the values, so one that held the order becomes ``warn``, with ``details.reviewed_by``.
  Evaluated after a fix (``reviewer=None``) nobody has approved yet, so they stand as they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import validators
from gateway import storage
from gateway.inbound.amendments import held_allocations
from gateway.inbound.rows import finding_row
from gateway.inbound.validation import StoreValidator
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.status import OrderStatus
from partners import PartnerProfile
from validators import FindingCode

BLOCKING = frozenset({"hold", "reject"})
PARSE_CODES = frozenset({FindingCode.SYNTAX.value, FindingCode.LOW_CONFIDENCE.value})
CREDIT_CODES = (FindingCode.CREDIT_HOLD.value, FindingCode.CREDIT_LIMIT.value)
_QUANTITY_FIXES = frozenset({FindingCode.PACK_MULTIPLE.value, FindingCode.SHORT_STOCK.value})


@dataclass(slots=True)
class Revalidation:
    """The order as validation left it, its findings as stored rows, and the outcome they give."""

    order: Order
    findings: list[dict[str, Any]]
    total: Decimal
    allocations: dict[str, Decimal] = field(default_factory=dict)

    @property
    def outcome(self) -> OrderStatus:
        actions = {f["action"] for f in self.findings}
        if "reject" in actions:
            return OrderStatus.REJECTED
        return OrderStatus.EXCEPTION if "hold" in actions else OrderStatus.ACCEPTED

    @property
    def blocking(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["action"] in BLOCKING]


def other_live_order(session: Session, order: storage.PurchaseOrder) -> int | None:
    """Another order of the same customer with the same PO number (by ``po_key``), not rejected: what it duplicates."""
    if not order.po_key:
        return None
    purchase_order = storage.PurchaseOrder
    return session.scalar(
        select(purchase_order.id)
        .where(
            purchase_order.customer_account == order.customer_account,
            purchase_order.po_key == order.po_key,
            purchase_order.status != OrderStatus.REJECTED,
            purchase_order.id != order.id,
        )
        .order_by(purchase_order.id)
        .limit(1)
    )


def revalidate(
    session: Session,
    stored: storage.PurchaseOrder,
    order: Order,
    profile: PartnerProfile,
    *,
    master: validators.MasterData,
    today: date,
    previous: Sequence[Mapping[str, Any]],
    reviewer: str | None,
) -> Revalidation:
    """Validate ``order`` (the stored order as edited) as the pipeline would, then apply the desk's decisions.

    ``reviewer``: the user approving, who reviews the parser's findings; None to evaluate without approving.
    """
    validator = StoreValidator(session, master, today, own_stock=held_allocations(stored))
    validator.prepare([(order, profile)], exclude_order_ids=[stored.id])
    result = validator.validate(order, profile, held=True)
    overrides = list(
        session.scalars(
            select(storage.OrderOverride)
            .where(storage.OrderOverride.order_id == stored.id)
            .order_by(storage.OrderOverride.id)
        )
    )
    fresh = [finding_row(_overridden(f, overrides, result.total)) for f in result.findings]
    seen = {(f["code"], f["line_no"]) for f in fresh}
    lines = {line.line_no: line for line in result.order.lines}
    carried = [row for old in previous if (row := _carried_over(old, seen, lines, reviewer)) is not None]
    return Revalidation(result.order, carried + fresh, result.total, dict(result.allocations))


def _overridden(
    finding: validators.Finding, overrides: list[storage.OrderOverride], total: Decimal
) -> validators.Finding:
    if finding.action not in BLOCKING:
        return finding
    for override in reversed(overrides):  # the newest decision about it wins
        if override.code != finding.code.value or override.line_no != finding.line_no:
            continue
        if finding.code.value in CREDIT_CODES:
            answers = _release_covers(override, finding, total)
            if not answers:  # the order outgrew the release: the hold stands, for a credit user
                released = {**finding.details, "released": _release(override)}
                return finding.model_copy(update={"details": released})
        else:
            answers = override.value is None or _same_amount(override.value, finding.received)
        if answers:
            note = {
                "reason": override.reason,
                "by": override.created_by,
                "at": override.created_at.isoformat(),
                "was": finding.action,
            }
            return finding.model_copy(
                update={"action": "warn", "details": {**finding.details, "override": note}}
            )
    return finding


def _release_covers(override: storage.OrderOverride, finding: validators.Finding, total: Decimal) -> bool:
    """Whether a credit release still answers ``finding``: the order is worth no more than it was
    released at and, for a credit limit, the exposure is no higher than the release covered."""
    if override.order_total is None or total > override.order_total:
        return False
    if finding.code != FindingCode.CREDIT_LIMIT:
        return True
    covered, exposure = _amount(override.value), _amount(finding.received)
    return covered is not None and exposure is not None and exposure <= covered


def _release(override: storage.OrderOverride) -> dict[str, Any]:
    """A credit release the order outgrew, as the reopened hold shows it."""
    return {
        "override_id": override.id,
        "by": override.created_by,
        "at": override.created_at.isoformat(),
        "reason": override.reason,
        "order_total": None
        if override.order_total is None
        else f"{override.order_total.quantize(Decimal('0.01'))}",
        "exposure": override.value,
    }


def _amount(text: str | None) -> Decimal | None:
    try:
        return None if text is None else Decimal(text)
    except InvalidOperation:
        return None


def _carried_over(
    old: Mapping[str, Any],
    seen: set[tuple[str, str | None]],
    lines: Mapping[str, OrderLine],
    reviewer: str | None,
) -> dict[str, Any] | None:
    row = dict(old)
    if row["code"] in PARSE_CODES:
        if row["action"] == "hold" and reviewer is not None:
            row["action"], row["severity"] = "warn", "warning"
            row["details"] = {**(row.get("details") or {}), "reviewed_by": reviewer}
        return row
    if row["action"] != "auto_fix" or (row["code"], row["line_no"]) in seen:
        return None
    line = lines.get(row["line_no"] or "")
    return row if line is not None and _fix_stands(row, line) else None


def _fix_stands(row: Mapping[str, Any], line: OrderLine) -> bool:
    """Whether the line still carries the value the auto-fix set (the clerk may have changed it since)."""
    expected = row.get("expected")
    code = row["code"]
    if code == FindingCode.PRICE_MISMATCH.value:
        return line.unit_price is not None and _same_amount(expected, str(line.unit_price))
    if code in _QUANTITY_FIXES:
        return line.quantity is not None and _same_amount(expected, str(line.quantity.value))
    if code == FindingCode.UNKNOWN_ITEM.value:
        return line.sku is not None and line.sku == expected
    return False


def _same_amount(left: str | None, right: str | None) -> bool:
    if left is None or right is None:
        return left == right
    try:
        return Decimal(left) == Decimal(right)
    except InvalidOperation:
        return left == right
