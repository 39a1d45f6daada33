"""duplicate-PO key, and every SSCC ever used

Revision ID: 0012
Revises: 0010

- ``purchase_order.po_key``: ``gateway.model.po_key(po_number)``, what the duplicate-PO check
  compares (case, whitespace and punctuation do not count); indexed with the customer, and
  filled here for the orders already stored. ``po_number`` keeps the value as sent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.model import po_key

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    op.add_column("purchase_order", sa.Column("po_key", sa.String(length=64), nullable=True))
    _fill_po_keys()
    op.create_index("ix_purchase_order_customer_po_key", "purchase_order", ["customer_account", "po_key"])


def downgrade() -> None:
    op.drop_index("ix_purchase_order_customer_po_key", table_name="purchase_order")
    with op.batch_alter_table("purchase_order") as batch:
        batch.drop_column("po_key")


def _fill_po_keys() -> None:
    bind = op.get_bind()
    orders = sa.table(
        "purchase_order", sa.column("id", sa.Integer), sa.column("po_number"), sa.column("po_key")
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(orders.c.id, orders.c.po_number)
            .where(orders.c.id > last, orders.c.po_number.is_not(None))
            .order_by(orders.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            orders.update().where(orders.c.id == sa.bindparam("order_id")).values(po_key=sa.bindparam("key")),
            [{"order_id": row.id, "key": po_key(row.po_number)} for row in rows],
        )
        last = rows[-1].id
