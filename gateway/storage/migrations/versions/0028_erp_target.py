"""ERP routing: each ERP payload names the target it goes to

Revision ID: 0028
Revises: 0027

- ``outbound_document.erp_target``: the ERP target of an ERP payload (a partner profile's
  ``[erp]`` target name, or ``default`` for GATEWAY_ERP_*); NULL for every other document.
  Existing ERP payloads were all queued for the one global ERP: they are backfilled to ``default``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erp_target", sa.String(length=40), nullable=True))
    outbound = sa.table("outbound_document", sa.column("kind", sa.String), sa.column("erp_target", sa.String))
    op.execute(outbound.update().where(outbound.c.kind.like("erp.%")).values(erp_target="default"))


def downgrade() -> None:
    with op.batch_alter_table("outbound_document", schema=None) as batch_op:
        batch_op.drop_column("erp_target")
