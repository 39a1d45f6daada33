"""Business Central's stored cancels look up the order as every other ERP's do

Revision ID: 0030
Revises: 0029

A Business Central cancel (or the delete that starts a change) stored before 0030 holds its look-up
as a bare OData ``$filter`` in ``erp_request["find"]``. Delivery now reads one look-up shape for every
ERP (``emitters._erp.find_one``), so each such row gets that shape: the same ``$filter``, the records
under ``value``, the id in ``id`` and the ETag as ``If-Match``. No fields to match are added, so the
row finds what its filter found before. The downgrade writes the bare filter back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

KIND = "erp.business_central"
_outbound = sa.table("outbound_document", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                     sa.column("erp_request", sa.JSON))  # fmt: skip


def upgrade() -> None:
    _rewrite(lambda find: _as_look_up(find) if isinstance(find, str) else find)


def downgrade() -> None:
    _rewrite(lambda find: find["params"]["$filter"] if isinstance(find, dict) else find)


def _as_look_up(odata_filter: str) -> dict[str, Any]:
    return {
        "what": odata_filter,
        "method": "GET",
        "params": {"$filter": odata_filter},
        "items": "value",
        "key": "id",
        "match": {},
        "if_match": "@odata.etag",
    }


def _rewrite(change: Callable[[Any], Any]) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_outbound.c.id, _outbound.c.erp_request).where(
            _outbound.c.kind == KIND, _outbound.c.erp_request.is_not(None)
        )
    ).all()
    for row_id, request in rows:
        if request and request.get("find"):
            rewritten = {**request, "find": change(request["find"])}
            if rewritten != request:
                connection.execute(
                    _outbound.update().where(_outbound.c.id == row_id).values(erp_request=rewritten)
                )
