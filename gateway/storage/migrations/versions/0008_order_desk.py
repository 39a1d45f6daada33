"""order desk: order version and decision, desk users, overrides

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # duplicate_of has no foreign key: SQLite adds one only by rebuilding purchase_order.
    op.add_column("purchase_order", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.add_column("purchase_order", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("purchase_order", sa.Column("decided_by", sa.String(length=64), nullable=True))
    op.add_column("purchase_order", sa.Column("decision_reason", sa.Text(), nullable=True))
    op.add_column("purchase_order", sa.Column("duplicate_of", sa.Integer(), nullable=True))
    op.create_table(
        "desk_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "order_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.String(length=32), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["purchase_order.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_order_override_order_id", "order_override", ["order_id"])


def downgrade() -> None:
    op.drop_table("order_override")
    op.drop_table("desk_user")
    with op.batch_alter_table("purchase_order") as batch:
        for column in ("duplicate_of", "decision_reason", "decided_by", "decided_at", "version"):
            batch.drop_column(column)
