"""outbound: the partner's 997/999 falls due a window after we send, not after we store

Revision ID: 0014
Revises: 0013

``ack_window_seconds`` keeps the partner's window on the row; ``ack_due_at`` is set from it
when the document leaves. Rows already stored get their window back from the old due time;
those never sent lose their due time (they show as not sent), sent ones count from their send.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_outbound = sa.table(
    "outbound_document",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("delivered_at", sa.DateTime(timezone=True)),
    sa.column("ack_due_at", sa.DateTime(timezone=True)),
    sa.column("ack_window_seconds", sa.Integer),
)
_LEFT = ("sent", "awaiting_mdn")


def upgrade() -> None:
    with op.batch_alter_table("outbound_document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ack_window_seconds", sa.Integer(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            _outbound.c.id,
            _outbound.c.status,
            _outbound.c.created_at,
            _outbound.c.delivered_at,
            _outbound.c.ack_due_at,
        ).where(_outbound.c.ack_due_at.is_not(None))
    ).all()
    for row in rows:
        window = row.ack_due_at - row.created_at
        if row.status not in _LEFT:
            due = None
        elif row.delivered_at is not None:
            due = row.delivered_at + window
        else:  # awaiting an MDN: when it left is not kept; the old due time stands
            due = row.ack_due_at
        bind.execute(
            sa.update(_outbound)
            .where(_outbound.c.id == row.id)
            .values(ack_window_seconds=round(window.total_seconds()), ack_due_at=due)
        )


def downgrade() -> None:  # the old rule: due a window after the row was stored
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_outbound.c.id, _outbound.c.created_at, _outbound.c.ack_window_seconds).where(
            _outbound.c.ack_window_seconds.is_not(None), _outbound.c.ack_due_at.is_(None)
        )
    ).all()
    for row in rows:
        due = row.created_at + timedelta(seconds=row.ack_window_seconds)
        bind.execute(sa.update(_outbound).where(_outbound.c.id == row.id).values(ack_due_at=due))
    with op.batch_alter_table("outbound_document", schema=None) as batch_op:
        batch_op.drop_column("ack_window_seconds")
