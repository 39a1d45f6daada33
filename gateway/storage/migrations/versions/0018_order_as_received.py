"""the order as the customer sent it, kept once something changed it (replies list the changes)

Revision ID: 0018
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_canonical", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Not in batch mode: see 0015 (a batch would copy the table and cascade-delete its overrides).
    op.drop_column("purchase_order", "received_canonical")
