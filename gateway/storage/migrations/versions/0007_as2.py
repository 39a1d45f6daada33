"""AS2 messages in and out, with their MDNs

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "as2_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("partner_as2_id", sa.String(length=128), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("outbound_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("compressed", sa.Boolean(), nullable=False),
        sa.Column("mic", sa.String(length=160), nullable=True),
        sa.Column("mdn_mode", sa.String(length=8), nullable=True),
        sa.Column("mdn_url", sa.Text(), nullable=True),
        sa.Column("mdn", sa.LargeBinary(), nullable=True),
        sa.Column("mdn_signature", sa.LargeBinary(), nullable=True),
        sa.Column("mdn_message_id", sa.String(length=255), nullable=True),
        sa.Column("mdn_disposition", sa.Text(), nullable=True),
        sa.Column("mdn_mic", sa.String(length=160), nullable=True),
        sa.Column("mdn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.ForeignKeyConstraint(["outbound_id"], ["outbound_document.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner_as2_id", "message_id", "direction"),
    )
    op.create_index("ix_as2_message_partner", "as2_message", ["partner"])
    op.create_index("ix_as2_message_status", "as2_message", ["status"])
    op.create_index("ix_as2_message_document_id", "as2_message", ["document_id"])
    op.create_index("ix_as2_message_outbound_id", "as2_message", ["outbound_id"])


def downgrade() -> None:
    op.drop_table("as2_message")
