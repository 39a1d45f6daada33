"""an index to find a partner's earlier interchange by its ISA13 (possible duplicate interchanges)

Revision ID: 0019
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_purchase_order_partner_isa13",
        "purchase_order",
        ["partner", "interchange_control_number"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_purchase_order_partner_isa13", table_name="purchase_order")
