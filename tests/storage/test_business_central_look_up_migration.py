"""Migration 0030: a Business Central cancel stored with a bare OData ``$filter`` as its look-up is
delivered, after the upgrade, through the one look-up every ERP uses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy import select
from sqlalchemy import text

from gateway import storage
from gateway.config import ErpSettings
from gateway.model.status import OutboxStatus
from gateway.outbound.delivery import deliver_due
from gateway.storage._engine import MIGRATIONS
from tests.conftest import FIXED_NOW
from tests.servers.erp_server import ErpServer
from tests.servers.erp_server import Reply

FILTER = "externalDocumentNumber eq '4500050001' and customerNumber eq 'C1001'"
SAP_FIND = {
    "what": "an order",
    "params": {"$filter": "NumAtCard eq '1'"},
    "items": "value",
    "key": "DocEntry",
}


@pytest.fixture
def erp() -> Iterator[ErpServer]:
    server = ErpServer()
    yield server
    server.stop()


def _alembic(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _store(engine: Engine, kind: str, request: dict[str, Any]) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO outbound_document (partner, kind, content, transaction_control_numbers, status, "
                "created_at, errors, attempts, erp_request, erp_target, idempotency_key) VALUES ('acme', "
                ":kind, :content, '[]', 'pending', :at, '[]', 0, :request, 'default', :key)"
            ),
            {"kind": kind, "content": b"", "at": FIXED_NOW, "request": json.dumps(request), "key": kind},
        )


def _requests(engine: Engine) -> list[Any]:
    with storage.make_sessionmaker(engine)() as session:
        return list(
            session.scalars(select(storage.OutboundRecord.erp_request).order_by(storage.OutboundRecord.id))
        )


def test_a_stored_business_central_cancel_is_found_deleted_and_can_be_downgraded(
    tmp_path: Path, erp: ErpServer
) -> None:
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    _alembic(engine, "0029")
    _store(engine, "erp.business_central", {"method": "DELETE", "path": "({id})", "find": FILTER})
    _store(engine, "erp.sap_business_one", {"method": "POST", "path": "({id})/Cancel", "find": SAP_FIND})

    _alembic(engine, "0030")
    bc, sap = _requests(engine)
    assert bc["find"]["params"] == {"$filter": FILTER} and bc["find"]["if_match"] == "@odata.etag"
    assert sap["find"] == SAP_FIND  # another ERP's look-up is left as it was

    _alembic(engine, "0029", down=True)
    assert [request["find"] for request in _requests(engine)] == [FILTER, SAP_FIND]
    _alembic(engine, "0030")

    erp.found = [{"id": "b6f4017a-b749-ee11-ad0b-a1422c0f7f1f", "@odata.etag": 'W/"JzE5OzEn"'}]
    erp.replies = [Reply(204)]
    sessions = storage.make_sessionmaker(engine)
    with httpx.Client() as client:
        url = f"{erp.base}/api/v2.0/companies(c0)/salesOrders"
        settings = ErpSettings(url=url, backoff_seconds=30)
        with sessions() as session, session.begin():  # only the Business Central row is due
            session.execute(
                storage.OutboundRecord.__table__.update()
                .where(storage.OutboundRecord.kind != "erp.business_central")
                .values(status=OutboxStatus.SENT)
            )
        report = deliver_due(sessions, settings, now=FIXED_NOW, client=client)
    engine.dispose()

    assert report.delivered == 1
    lookup, delete = erp.calls
    assert unquote(lookup.path.replace("+", " ")).endswith(f"salesOrders?$filter={FILTER}")
    assert (delete.method, delete.path) == (
        "DELETE",
        "/api/v2.0/companies(c0)/salesOrders(b6f4017a-b749-ee11-ad0b-a1422c0f7f1f)",
    )
    assert delete.headers["If-Match"] == 'W/"JzE5OzEn"'
