"""the desk's KPIs in the tally: order accuracy, receipt to ERP, time to ship, 997 turnaround

Revision ID: 0029
Revises: 0028

- ``kpi_day_tally``: per UTC day, figure (``erp``, ``ship``, ``ack``) and [partner, bucket of
  seconds], how many events took that long (``gateway.storage._kpi_tally``); built here from the
  ERP payloads delivered, the shipments with an 856 and the 997/999s received so far.
- ``ix_audit_log_subject``: the tally asks whether an order changed (its audit entries).
- ``order_day_tally`` figures ``settled`` and ``accurate``: every order is counted again
  (``recount_tally``), as each one's ``tallied_as`` gains a ninth fact, whether it was accepted unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from gateway.storage import recount_kpis
from gateway.storage import recount_tally

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# The outbox kinds of ERP payloads when this was written (gateway.outbound.outbox.ERP_KINDS), so that
# this migration does the same whatever emitters come later.
ERP_KINDS = (
    "erp.canonical",
    "erp.netsuite",
    "erp.business_central",
    "erp.sap_business_one",
    "erp.quickbooks_online",
    "erp.sage_intacct",
    "erp.fortnox",
    "erp.visma_net",
)


def upgrade() -> None:
    op.create_table(
        "kpi_day_tally",
        sa.Column("figure", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("figure", "day", "key"),
    )
    op.create_index("ix_audit_log_subject", "audit_log", ["subject_type", "subject_id"])
    session = Session(bind=op.get_bind())
    recount_tally(session, documents=False)
    recount_kpis(session, erp_kinds=ERP_KINDS)
    session.flush()


def downgrade() -> None:
    op.drop_index("ix_audit_log_subject", table_name="audit_log")
    op.drop_table("kpi_day_tally")
    op.execute("DELETE FROM order_day_tally WHERE figure IN ('settled', 'accurate')")
