"""desk safety: revocable sessions, failed logins for the throttle, the value a credit release covered

Revision ID: 0011
Revises: 0010

- ``desk_user.session_generation``: a session is valid only while it matches.
- ``login_failure``: one row per failed login (name, client address, time), counted per name
  and per address by every web worker.
- ``order_override.order_total``: the order value a credit release covered. Releases made
  before this revision get the order's stored total (what their findings were computed on),
  and a credit-limit release the exposure its finding showed, so they cover what they did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "desk_user", sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failure_username_at", "login_failure", ["username", "at"])
    op.create_index("ix_login_failure_address_at", "login_failure", ["address", "at"])
    op.add_column("order_override", sa.Column("order_total", sa.Numeric(18, 4), nullable=True))
    op.execute(
        "UPDATE order_override SET order_total = (SELECT purchase_order.order_total FROM purchase_order "
        "WHERE purchase_order.id = order_override.order_id) "
        "WHERE code IN ('credit_hold', 'credit_limit')"
    )
    op.execute(
        "UPDATE order_override SET value = (SELECT finding.received FROM finding "
        "WHERE finding.order_id = order_override.order_id AND finding.code = 'credit_limit' "
        "ORDER BY finding.id DESC LIMIT 1) "
        "WHERE code = 'credit_limit' AND value IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("order_override") as batch:
        batch.drop_column("order_total")
    op.drop_table("login_failure")
    with op.batch_alter_table("desk_user") as batch:
        batch.drop_column("session_generation")
