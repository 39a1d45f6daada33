"""indexes for the order desk's queue and dashboard

Revision ID: 0009
Revises: 0008

- ``ix_purchase_order_queue``: the exception queue scans the orders of one status oldest
  first, filtering and searching on partner, channel, customer and PO number, all from
  the index (the row itself holds the canonical JSON, kilobytes each); the dashboard
  counts the orders the gateway decided alone (``decided_by`` NULL) per window from it.
- ``ix_purchase_order_partner_created``, ``ix_purchase_order_channel_created``: the
  dashboard's volume per partner, channel and day as index range counts.
- ``ix_purchase_order_decided``: the median time to resolve, over the orders people decided.
- ``ix_finding_order_code_action``: an order's blocking findings by code (reason filter, facets).
- ``ix_document_status_received``: documents that produced no order, by status, oldest first.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = (
    (
        "ix_purchase_order_queue",
        "purchase_order",
        ["status", "created_at", "partner", "channel", "customer_account", "po_number", "decided_by"],
    ),
    ("ix_purchase_order_partner_created", "purchase_order", ["partner", "created_at"]),
    ("ix_purchase_order_channel_created", "purchase_order", ["channel", "created_at"]),
    ("ix_purchase_order_decided", "purchase_order", ["decided_at", "decided_by", "created_at"]),
    ("ix_finding_order_code_action", "finding", ["order_id", "code", "action"]),
    ("ix_document_status_received", "document", ["status", "received_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
