"""the stock an accepted order took, per SKU, so a partner's change or cancellation can give it back

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("allocations", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Not in batch mode, as in 0016: a batch would copy the table and cascade to its overrides.
    op.drop_column("purchase_order", "allocations")
