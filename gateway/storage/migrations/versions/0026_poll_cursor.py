"""poll cursors of the polled marketplaces (Amazon, Walmart)

Revision ID: 0026
Revises: 0025

- ``poll_cursor``: per partner and channel, the lower bound the next poll asks the marketplace
  from; moved only after every order up to it is stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "poll_cursor",
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("position", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partner", "channel"),
    )


def downgrade() -> None:
    op.drop_table("poll_cursor")
