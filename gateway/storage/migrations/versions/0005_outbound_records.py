"""shipments, shipped lines, invoices and alerts

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("shipment_id", sa.String(length=30), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("outbound_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["outbound_id"], ["outbound_document.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner", "shipment_id"),
    )
    op.create_table(
        "shipped_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_pk", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("uom", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["purchase_order.id"]),
        sa.ForeignKeyConstraint(["shipment_pk"], ["shipment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_shipped_line_order_line", "shipped_line", ["order_id", "line_no"], unique=False)
    op.create_index("ix_shipped_line_shipment_pk", "shipped_line", ["shipment_pk"], unique=False)
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("invoice_number", sa.String(length=22), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("outbound_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["purchase_order.id"]),
        sa.ForeignKeyConstraint(["outbound_id"], ["outbound_document.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner", "invoice_number"),
    )
    op.create_index("ix_invoice_order_id", "invoice", ["order_id"], unique=False)
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=True),
        sa.Column("outbound_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["outbound_id"], ["outbound_document.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_resolved_at", "alert", ["resolved_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_alert_resolved_at", table_name="alert")
    op.drop_table("alert")
    op.drop_index("ix_invoice_order_id", table_name="invoice")
    op.drop_table("invoice")
    op.drop_index("ix_shipped_line_shipment_pk", table_name="shipped_line")
    op.drop_index("ix_shipped_line_order_line", table_name="shipped_line")
    op.drop_table("shipped_line")
    op.drop_table("shipment")
