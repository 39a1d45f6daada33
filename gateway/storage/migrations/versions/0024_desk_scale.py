"""the desk at 100,000 orders: time-to-resolve buckets in the tally, and the queue's order as partial indexes

Revision ID: 0024
Revises: 0023

- The tally (``gateway.storage._tally``) gains the ``resolved`` figure of ``order_day_tally``:
  per UTC day of a person's decision, the orders per bucket of their time to resolve, so the
  dashboard's median reads a few hundred rows a day instead of sorting every decision in its
  window. Built here from the orders already stored (``recount_tally``).
- ``ix_purchase_order_open_age``: the open orders (status ``exception``) in the queue's order,
  oldest first, ties by id. A page of the queue reads them in order and stops at the page's
  end, instead of sorting every open order (PostgreSQL did: a top-N sort of 10,000 rows).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from gateway.storage import recount_tally

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

OPEN = "status = 'exception'"
INDEXES = (("ix_purchase_order_open_age", "purchase_order", ["created_at", "id"], OPEN),)


def upgrade() -> None:
    for name, table, columns, where in INDEXES:
        op.create_index(name, table, columns, sqlite_where=sa.text(where), postgresql_where=sa.text(where))
    recount_tally(Session(bind=op.get_bind()), documents=False)  # 0025 adds the documents


def downgrade() -> None:
    for name, table, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    # 0022's tally: no ``resolved`` rows, and each order remembered as its first six facts
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM order_day_tally WHERE figure = 'resolved'"))
    order = sa.table("purchase_order", sa.column("id", sa.Integer), sa.column("tallied_as", sa.JSON))
    last = 0
    while rows := bind.execute(
        sa.select(order.c.id, order.c.tallied_as).where(order.c.id > last).order_by(order.c.id).limit(5000)
    ).all():
        trimmed = [{"b_id": id_, "b_facts": facts[:6]} for id_, facts in rows if facts and len(facts) > 6]
        if trimmed:
            bind.execute(
                order.update()
                .where(order.c.id == sa.bindparam("b_id"))
                .values(tallied_as=sa.bindparam("b_facts")),
                trimmed,
            )
        last = rows[-1][0]
