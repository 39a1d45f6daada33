"""outbound: pre-send errors, 997 tracking, delivery attempts

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_document", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=16), type_=sa.String(length=32))
        batch_op.add_column(sa.Column("errors", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("ack_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ack_received_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ack_code", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_outbound_document_order_id", ["order_id"], unique=False)
        batch_op.create_index("ix_outbound_document_ack_due", ["ack_received_at", "ack_due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbound_document", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_document_ack_due")
        batch_op.drop_index("ix_outbound_document_order_id")
        for column in (
            "idempotency_key",
            "delivered_at",
            "last_error",
            "next_attempt_at",
            "attempts",
            "ack_code",
            "ack_received_at",
            "ack_due_at",
            "errors",
        ):
            batch_op.drop_column(column)
        batch_op.alter_column("kind", existing_type=sa.String(length=32), type_=sa.String(length=16))
