"""The desk shows open alerts, with what to do and a link to what they are about, on the dashboard
and on the partner's page; a resolved one leaves both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.alerts import raise_alert
from gateway.alerts import resolve_alerts
from gateway.model.status import AlertKind
from tests.web.test_web_desk_support import NOW
from tests.web.test_web_desk_support import UNKNOWN_SKU_PO
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import build_store
from tests.web.test_web_desk_support import open_app


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(master_template, tmp_path_factory.mktemp("desk-alerts"))


@pytest.fixture
def desk(store: Path, tmp_path: Path) -> Iterator[DeskApp]:
    opened, engine = open_app(store, tmp_path)
    yield opened
    engine.dispose()  # type: ignore[attr-defined]


def test_open_alerts_show_on_the_dashboard_and_the_partner_page_with_action_and_link(desk: DeskApp) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    with desk.sessions() as session, session.begin():
        raise_alert(
            session,
            kind=AlertKind.ERP_PAYLOAD,
            partner="acme",
            order_id=order_id,
            message=f"order {order_id} cannot go to the ERP: line 1 has <no> SKU",
            action="correct the order, then approve it again on the desk",
            at=NOW,
        )
    client = desk.client("alice")
    for page in (client.get("/dashboard").text, client.get("/partners/acme").text):
        assert 'data-alert-kind="erp_payload"' in page
        assert "<strong>An order cannot go to the ERP</strong> (acme)" in page
        assert "line 1 has &lt;no&gt; SKU" in page, "escaped"
        assert "What to do: correct the order, then approve it again on the desk" in page
        assert f'<a href="/orders/{order_id}">open</a>' in page
    assert 'data-alert-kind="erp_payload"' not in client.get("/partners/globex").text
    with desk.sessions() as session, session.begin():
        resolve_alerts(
            session, at=NOW, kind=AlertKind.ERP_PAYLOAD, dedupe_key=f"erp_payload:acme::{order_id}:"
        )
    assert 'data-alert-kind="erp_payload"' not in client.get("/dashboard").text
    assert 'data-alert-kind="erp_payload"' not in client.get("/partners/acme").text
