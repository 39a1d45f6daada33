"""the desk's tally (summary rows the dashboard and the queue's facets read) and indexes for its search

Revision ID: 0022
Revises: 0020

- ``order_day_tally``, ``open_order_tally`` and ``purchase_order.tallied_as``: see
  ``gateway.storage._tally``; built here from the orders already stored.
- ``ix_purchase_order_open_po``, ``_open_customer``, ``_open_partner``: the queue's search (a
  prefix of the PO number, customer account or partner, in any case) as an index range over
  the orders in exception only. On PostgreSQL the lower-cased value is indexed in the "C"
  collation, the byte order the search's range compares in; SQLite compares bytes already.
- ``ix_document_waiting`` replaces 0009's ``ix_document_status_received``: the same order, plus
  partner and format, so the queue's documents are counted per partner and format from it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from gateway.storage import recount_tally

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

SEARCH_INDEXES = (
    ("ix_purchase_order_open_po", "po_number"),
    ("ix_purchase_order_open_customer", "customer_account"),
    ("ix_purchase_order_open_partner", "partner"),
)


def upgrade() -> None:
    op.create_table(
        "order_day_tally",
        sa.Column("figure", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("figure", "day", "key"),
    )
    op.create_table(
        "open_order_tally",
        sa.Column("figure", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("figure", "key"),
    )
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tallied_as", sa.JSON(), nullable=True))
    collate = ' COLLATE "C"' if op.get_bind().dialect.name == "postgresql" else ""
    for name, column in SEARCH_INDEXES:
        op.execute(
            f"CREATE INDEX {name} ON purchase_order (status, (lower({column}){collate})) "
            "WHERE status = 'exception'"
        )
    op.drop_index("ix_document_status_received", table_name="document")
    op.create_index("ix_document_waiting", "document", ["status", "received_at", "partner", "format"])
    recount_tally(Session(bind=op.get_bind()), documents=False)  # 0025 adds the documents


def downgrade() -> None:
    op.drop_index("ix_document_waiting", table_name="document")
    op.create_index("ix_document_status_received", "document", ["status", "received_at"])
    for name, _ in reversed(SEARCH_INDEXES):
        op.drop_index(name, table_name="purchase_order")
    # Not in batch mode, as in 0016: a batch would copy the table and cascade to its overrides.
    op.drop_column("purchase_order", "tallied_as")
    op.drop_table("open_order_tally")
    op.drop_table("order_day_tally")
