"""Item identity: each line to one vendor SKU, by SKU, customer part or GTIN; else suggestions."""

from __future__ import annotations

from gateway.model.order import OrderLine

from ._context import ValidationContext
from ._findings import Action
from ._findings import Finding
from ._findings import FindingCode
from ._master import Product
from ._master import gtin14


def resolve_item(line: OrderLine, context: ValidationContext) -> tuple[Product | None, list[Finding]]:
    """The product a line orders, or None with an ``unknown_item`` finding (possibly auto-fixed)."""
    master = context.master
    customer = context.customer_account or ""
    found = (
        (line.vendor_sku and master.product(line.vendor_sku))
        or (line.buyer_part and master.by_customer_part(customer, line.buyer_part))
        or (line.upc and master.by_gtin(line.upc))
        or None
    )
    if found is not None:
        return found, []
    sent = line.vendor_sku or line.buyer_part or line.upc
    if sent is None and not line.description:
        return None, []  # nothing to resolve: the missing-field rule reports it
    code_sent = line.vendor_sku or line.buyer_part
    suggestions = master.suggestions.suggest(customer, code_sent, line.description)
    what = _what_was_sent(line)
    policy = context.policy
    top = suggestions[0] if suggestions else None
    threshold = policy.auto_fix_score
    if (
        top is not None
        and policy.action(FindingCode.UNKNOWN_ITEM) == "auto_fix"
        and threshold is not None
        and top.score >= threshold
    ):
        product = master.product(top.sku)
        line.sku = top.sku
        return product, [
            context.finding(
                FindingCode.UNKNOWN_ITEM,
                f"line {line.line_no}: {what} is not in the catalog; replaced by {top.sku} "
                f"({top.matched}, score {top.score:g} ≥ {threshold:g})",
                line_no=line.line_no,
                field="sku",
                expected=top.sku,
                received=sent or line.description,
                suggestions=suggestions,
            )
        ]
    hint = f"; closest: {', '.join(f'{s.sku} ({s.score:g})' for s in suggestions)}" if suggestions else ""
    action: Action | None = "hold" if policy.action(FindingCode.UNKNOWN_ITEM) == "auto_fix" else None
    return None, [
        context.finding(
            FindingCode.UNKNOWN_ITEM,
            f"line {line.line_no}: {what} matches no SKU, customer part or GTIN{hint}",
            action=action,
            line_no=line.line_no,
            field="sku",
            received=sent or line.description,
            suggestions=suggestions,
        )
    ]


def _what_was_sent(line: OrderLine) -> str:
    sent = [
        f"{label} {value}"
        for label, value in (("SKU", line.vendor_sku), ("part", line.buyer_part), ("UPC", line.upc))
        if value
    ]
    if line.upc and gtin14(line.upc) is None:
        sent[-1] += " (not a valid GTIN: wrong length or check digit)"
    if not sent and line.description:
        sent.append(f"description {line.description!r}")
    return ", ".join(sent)
