"""MDNs kept apart as suspect: they did not verify, or contradict the MDN already kept

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "as2_suspect_mdn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("partner_as2_id", sa.String(length=128), nullable=False),
        sa.Column("original_message_id", sa.String(length=255), nullable=False),
        sa.Column("as2_message_id", sa.Integer(), nullable=True),
        sa.Column("mdn_message_id", sa.String(length=255), nullable=True),
        sa.Column("disposition", sa.Text(), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["as2_message_id"], ["as2_message.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_as2_suspect_mdn_partner", "as2_suspect_mdn", ["partner"])
    op.create_index("ix_as2_suspect_mdn_as2_message_id", "as2_suspect_mdn", ["as2_message_id"])


def downgrade() -> None:
    op.drop_table("as2_suspect_mdn")
