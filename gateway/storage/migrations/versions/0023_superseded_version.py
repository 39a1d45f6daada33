"""the version in force of an order whose partner change waits on the desk, so the desk can refuse the change

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Not in batch mode, as in 0016 and 0020: a batch would copy the table and cascade to its overrides.
    op.drop_column("purchase_order", "superseded")
