"""Turns guesses into findings: values read with low confidence are flagged for a person."""

from __future__ import annotations

from gateway.model.order import Order
from gateway.model.receipts import Issue
from gateway.model.receipts import Level

REVIEW_BELOW = 0.8


def low_confidence_issues(order: Order) -> list[Issue]:
    """One issue per value whose provenance confidence is below ``REVIEW_BELOW``, naming its field and line."""
    found: list[Issue] = []
    traced_values = (("order", None, order), *((f"line {ln.line_no}", ln.line_no, ln) for ln in order.lines))
    for label, line_no, traced in traced_values:
        for name, where in traced.provenance.items():
            if where.confidence is not None and where.confidence < REVIEW_BELOW:
                place = f"page {where.page}" if where.page else where.cell or where.mime_part or "?"
                found.append(
                    Issue(
                        code="extraction.low_confidence",
                        message=f"{label} {name} was read with confidence {where.confidence:.2f} ({place}); "
                        "please check it against the document",
                        level=Level.DOCUMENT,
                        field=name,
                        line_no=line_no,
                    )
                )
    return found
