"""The exception queue as CSV, for a spreadsheet: one row per waiting item, every cell safe to open.

Cells come from what customers and partners sent (PO numbers, file names, error messages that
quote their values), so they are hostile: a spreadsheet reads a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return as a formula (CSV injection, OWASP), which can
fetch URLs or, in older Excel, run commands. Such a cell, also after leading spaces, gets a
leading single quote, the mark spreadsheets read as "this is text", and shows as written.
The text is UTF-8 with a byte-order mark, so Excel reads accents right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC

from .exception_queue import ALL_REASONS
from .exception_queue import QueueRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    "kind",
    "order_id",
    "document_id",
    "po_number",
    "customer_account",
    "customer_name",
    "partner",
    "channel",
    "received_at_utc",
    "age_hours",
    "overdue",
    "reasons",
    "codes",
    "status",
    "filename",
    "summary",
)


def neutralise(value: object) -> str:
    """``value`` as a cell no spreadsheet evaluates: a leading ``'`` where it would start a formula."""
    text = "" if value is None else str(value)
    if text.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + text
    return text


def queue_csv(rows: Iterable[QueueRow]) -> str:
    """The rows as CSV text (a header row first), each cell neutralised."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in _cells(row)])
    return out.getvalue()


def _cells(row: QueueRow) -> tuple[object, ...]:
    reasons = "; ".join(ALL_REASONS[key].label if key in ALL_REASONS else key for key in row.reasons)
    return (
        row.kind,
        row.order_id,
        row.document_id,
        row.po_number,
        row.customer_account,
        row.customer_name,
        row.partner,
        row.channel,
        row.received_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
        f"{row.age_hours:.2f}",
        "yes" if row.overdue else "no",
        reasons,
        " ".join(row.codes),
        row.status,
        row.filename,
        row.summary,
    )
