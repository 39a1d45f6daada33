"""the stock each order accepted before 0020 took, worked out from its stored lines; ERP update requests

Revision ID: 0021
Revises: 0020

``outbound_document.erp_request``: how an ERP payload that updates or cancels an order is sent
(method, path, a look-up of the ERP's id), for ERP payloads other than a plain POST.

An order accepted before 0020 took stock but did not record it (``allocations`` NULL), so a
partner's change or cancellation gave back its credit and not its stock. Each such order now records
what ``gateway.inbound.amendments.derived_allocations`` says it took, never more than the inventory still has
allocated beyond what the orders that recorded theirs hold (``backfill_allocations``). From 0021 on,
an accepted order records ``{}`` when it took nothing, so NULL no longer means two things.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from gateway.inbound.amendments import backfill_allocations
from gateway.inbound.master_data import load_snapshot

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erp_request", sa.JSON(), nullable=True))
    session = Session(bind=op.get_bind())
    backfill_allocations(session, load_snapshot(session), when=datetime.now(UTC))
    session.close()  # the migration's own transaction, on the connection, commits it


def downgrade() -> None:
    # The allocations worked out stay in 0020's column. Not in batch mode, as in 0016 and 0020.
    op.drop_column("outbound_document", "erp_request")
