"""alerts that reach a person: what each alert names, its dedupe key, and its notifications

Revision ID: 0027
Revises: 0026

- ``alert``: ``order_id``, ``document_id`` (what it is about, beside ``outbound_id``), ``action``
  (what to do), ``dedupe_key`` (one open alert per key), ``repeats`` and ``last_at`` (raised
  again while open).
- ``alert_notification``: one message about an alert (raised, resolved) or the daily digest, per
  channel, with its delivery state (pending/sent/dead, attempts, next_at).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("action", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("repeats", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("last_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_alert_dedupe_key", ["dedupe_key"], unique=False)
        batch_op.create_foreign_key("fk_alert_order_id", "purchase_order", ["order_id"], ["id"])
        batch_op.create_foreign_key("fk_alert_document_id", "document", ["document_id"], ["id"])
    op.create_table(
        "alert_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_notification_alert_id", "alert_notification", ["alert_id"], unique=False)
    op.create_index("ix_alert_notification_due", "alert_notification", ["status", "next_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_alert_notification_due", table_name="alert_notification")
    op.drop_index("ix_alert_notification_alert_id", table_name="alert_notification")
    op.drop_table("alert_notification")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint("fk_alert_document_id", type_="foreignkey")
        batch_op.drop_constraint("fk_alert_order_id", type_="foreignkey")
        batch_op.drop_index("ix_alert_dedupe_key")
        for column in ("last_at", "repeats", "dedupe_key", "action", "document_id", "order_id"):
            batch_op.drop_column(column)
