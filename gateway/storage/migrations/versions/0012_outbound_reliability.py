"""duplicate-PO key, and every SSCC ever used

Revision ID: 0012
Revises: 0011

- ``purchase_order.po_key``: ``gateway.model.order.po_key(po_number)``, what the duplicate-PO check
  compares (case, whitespace and punctuation do not count); indexed with the customer, and
  filled here for the orders already stored. ``po_number`` keeps the value as sent.
- ``sscc``: every SSCC-18 used, supplied or allocated, keyed on the SSCC, so none is used twice;
  filled here from the MAN*GM segments of the 856s already recorded (a shipment whose record
  carried the SSCC supplied it; the others were allocated). Our serials now count per GS1
  company prefix (``control_counter`` partner ``gs1:<prefix>``) and skip every recorded SSCC,
  so the old per-partner ``SSCC`` counters are no longer read.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from gateway.model.order import po_key

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    op.add_column("purchase_order", sa.Column("po_key", sa.String(length=64), nullable=True))
    _fill_po_keys()
    op.create_index("ix_purchase_order_customer_po_key", "purchase_order", ["customer_account", "po_key"])
    op.create_table(
        "sscc",
        sa.Column("sscc", sa.String(length=18), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("shipment_id", sa.String(length=30), nullable=False),
        sa.Column("allocated", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sscc"),
    )
    op.create_index("ix_sscc_partner_shipment", "sscc", ["partner", "shipment_id"])
    _fill_ssccs()


def downgrade() -> None:
    op.drop_index("ix_sscc_partner_shipment", table_name="sscc")
    op.drop_table("sscc")
    op.drop_index("ix_purchase_order_customer_po_key", table_name="purchase_order")
    # A plain DROP COLUMN: a batch copy of purchase_order would cascade-delete its children on SQLite.
    op.drop_column("purchase_order", "po_key")


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


def _fill_ssccs() -> None:
    bind = op.get_bind()
    shipments = sa.table(
        "shipment",
        sa.column("id", sa.Integer),
        sa.column("partner"),
        sa.column("shipment_id"),
        sa.column("record", sa.JSON),
        sa.column("outbound_id", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    outbound = sa.table(
        "outbound_document", sa.column("id", sa.Integer), sa.column("content", sa.LargeBinary)
    )
    ssccs = sa.table(
        "sscc",
        sa.column("sscc"),
        sa.column("partner"),
        sa.column("shipment_id"),
        sa.column("allocated", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    seen: set[str] = set()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                shipments.c.id,
                shipments.c.partner,
                shipments.c.shipment_id,
                shipments.c.record,
                shipments.c.created_at,
                outbound.c.content,
            )
            .join(outbound, outbound.c.id == shipments.c.outbound_id)
            .where(shipments.c.id > last)
            .order_by(shipments.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        found = []
        for row in rows:
            supplied = _supplied(row.record)
            for value in _labels(row.content):
                if value not in seen:
                    seen.add(value)
                    found.append(
                        {
                            "sscc": value,
                            "partner": row.partner,
                            "shipment_id": row.shipment_id,
                            "allocated": value not in supplied,
                            "created_at": row.created_at or datetime.now(UTC),
                        }
                    )
        if found:
            bind.execute(ssccs.insert(), found)
        last = rows[-1].id


def _supplied(record: Any) -> set[str]:
    """The SSCCs a shipment record as received carried."""
    return {
        pack["sscc"]
        for order in (record or {}).get("orders", [])
        for pack in order.get("packs", [])
        if pack.get("sscc")
    }


def _labels(content: bytes) -> list[str]:
    """The MAN*GM values of an interchange, whatever its separators (ISA is fixed width)."""
    text = content.decode("latin-1").lstrip()
    if len(text) < 106 or not text.startswith("ISA"):
        return []
    element, terminator = text[3], text[105]
    labels = []
    for segment in text.split(terminator):
        fields = segment.strip().split(element)
        if fields[0] == "MAN" and len(fields) > 2 and fields[1] == "GM":
            labels.append(fields[2].strip())
    return labels
