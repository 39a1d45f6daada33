"""One order from the rows of a laid-out document: header fields, then the line table."""

from __future__ import annotations

from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.receipts import Issue
from gateway.model.receipts import Level

from .._confidence import low_confidence_issues
from .._events import FoundOrders
from ._header_fields import read_header_fields
from ._table import find_header
from ._table import read_line_table
from ._template import PdfTemplate
from ._words import Row


def read_order(
    rows: list[Row], *, partner: str | None, document_id: str | None, template: PdfTemplate
) -> FoundOrders:
    """The order laid out in ``rows`` (every page, top to bottom), with the reader's findings."""
    result = FoundOrders()
    order = Order(partner=partner, channel=Channel.PDF, document_id=document_id, po_number=None)
    header = find_header(rows, template.columns)
    header_issues = read_header_fields(
        order, rows, template.anchors, table_at=header.start if header is not None else None
    )
    if header is None:
        result.issues.append(
            Issue(code="pdf.no_line_table", message="no line table found: no header row with a quantity "
                  "column and an item or description column", level=Level.DOCUMENT)
        )  # fmt: skip
        return result
    result.issues.extend(header_issues)
    read_line_table(order, rows, header, template.columns, result.issues)
    result.issues.extend(low_confidence_issues(order))
    if order.lines:
        result.orders.append(order)
    else:
        result.issues.append(
            Issue(code="pdf.no_lines", message="the line table has no order lines", level=Level.DOCUMENT)
        )
    return result
