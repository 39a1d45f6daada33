"""the order as the customer sent it, kept once the desk or validation changed it (the 855 and the replies compare with it)

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_canonical", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Not in batch mode, as in 0015: a batch would copy the table and cascade to its overrides.
    op.drop_column("purchase_order", "received_canonical")
