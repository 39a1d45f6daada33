"""The desk shows open alerts, with what to do and a link to what they are about, on the dashboard
and on the partner's page; a resolved one leaves both. The alerts page lists them by kind and
partner, and a clerk or admin resolves one there (CSRF, audited, notified)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import storage
from gateway.alerts import raise_alert
from gateway.alerts import resolve_alerts
from gateway.alerts._text import alert_notice
from gateway.model.status import AlertEvent
from gateway.model.status import AlertKind
from tests.web.test_web_desk_support import NOW
from tests.web.test_web_desk_support import UNKNOWN_SKU_PO
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import desk_store
from tests.web.test_web_desk_support import open_app
from tests.web.test_web_desk_support import post


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return desk_store(master_template, tmp_path_factory)


@pytest.fixture
def desk(store: Path, tmp_path: Path) -> Iterator[DeskApp]:
    opened, engine = open_app(store, tmp_path)
    yield opened
    engine.dispose()  # type: ignore[attr-defined]


def erp_alert(desk: DeskApp, order_id: int, *, message: str = "", action: str = "correct the order") -> int:
    """An ``erp_payload`` alert about acme's order ``order_id``; returns its id."""
    with desk.sessions() as session, session.begin():
        return raise_alert(
            session,
            kind=AlertKind.ERP_PAYLOAD,
            partner="acme",
            order_id=order_id,
            message=message or f"order {order_id} cannot go to the ERP",
            action=action,
            at=NOW,
        ).id


def test_open_alerts_show_on_the_dashboard_and_the_partner_page_with_action_and_link(desk: DeskApp) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    erp_alert(
        desk,
        order_id,
        message=f"order {order_id} cannot go to the ERP: line 1 has <no> SKU",
        action="correct the order, then approve it again on the desk",
    )
    client = desk.client("alice")
    for page in (client.get("/dashboard").text, client.get("/partners/acme").text):
        assert 'data-alert-kind="erp_payload"' in page
        assert "<strong>An order cannot go to the ERP</strong> (acme)" in page
        assert "line 1 has &lt;no&gt; SKU" in page, "escaped"
        assert "What to do: correct the order, then approve it again on the desk" in page
        assert f'<a href="/orders/{order_id}">open</a>' in page
        assert 'data-testid="resolve-alert"' in page, "a clerk may resolve it where it is shown"
    assert 'data-alert-kind="erp_payload"' not in client.get("/partners/globex").text
    with desk.sessions() as session, session.begin():
        resolve_alerts(
            session, at=NOW, kind=AlertKind.ERP_PAYLOAD, dedupe_key=f"erp_payload:acme::{order_id}:"
        )
    assert 'data-alert-kind="erp_payload"' not in client.get("/dashboard").text
    assert 'data-alert-kind="erp_payload"' not in client.get("/partners/acme").text


def test_a_clerk_resolves_an_alert_on_the_alerts_page_audited_and_notified(desk: DeskApp) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    alert_id = erp_alert(desk, order_id)
    client = desk.client("alice")
    page = client.get("/alerts?kind=erp_payload&partner=acme").text
    assert f'data-alert-id="{alert_id}"' in page
    assert "First seen" in page and "raised 1 time" in page
    assert "the next check raises it again" in page
    assert f'data-alert-id="{alert_id}"' not in client.get("/alerts?partner=globex").text
    assert f'data-alert-id="{alert_id}"' not in client.get("/alerts?kind=ack_overdue").text

    refused = client.post(f"/alerts/{alert_id}/resolve", data={"note": "no token"})
    assert refused.status_code == 400, "CSRF is checked as on every desk POST"
    answer = post(client, f"/alerts/{alert_id}/resolve", {"note": "fixed the SKU by hand"}, page="/alerts")
    assert answer.status_code == 303
    followed = client.get(answer.headers["Location"]).text
    assert f"Alert {alert_id} resolved." in followed
    assert f'data-alert-id="{alert_id}"' not in followed
    assert f'data-alert-id="{alert_id}"' not in client.get("/dashboard").text

    with desk.sessions() as session:
        alert = session.get(storage.Alert, alert_id)
        assert alert is not None and alert.resolved_at is not None
        audit = session.scalars(
            select(storage.AuditEntry).where(
                storage.AuditEntry.action == "alert.resolve", storage.AuditEntry.subject_id == str(alert_id)
            )
        ).one()
        assert audit.actor == "alice"
        assert audit.after is not None and audit.after["note"] == "fixed the SKU by hand"
        notice = session.scalars(
            select(storage.AlertNotification).where(
                storage.AlertNotification.alert_id == alert_id,
                storage.AlertNotification.event == AlertEvent.RESOLVED,
            )
        ).one()
        assert notice.body == "Resolved by alice: fixed the SKU by hand"
        text = alert_notice(alert, AlertEvent.RESOLVED, "https://desk.example", said=notice.body)
        assert "Resolved by alice: fixed the SKU by hand." in text.text
        assert text.fields["resolution"] == "Resolved by alice: fixed the SKU by hand"

    again = post(client, f"/alerts/{alert_id}/resolve", {"note": ""}, page="/alerts")
    assert "is not open" in client.get(again.headers["Location"]).text
    assert erp_alert(desk, order_id) != alert_id, "a condition still true is raised again, as a new alert"


def test_the_credit_role_sees_alerts_but_may_not_resolve_them(desk: DeskApp) -> None:
    alert_id = erp_alert(desk, desk.order_id(UNKNOWN_SKU_PO))
    client = desk.client("carol")
    page = client.get("/alerts").text
    assert f'data-alert-id="{alert_id}"' in page
    assert 'data-testid="resolve-alert"' not in page
    assert post(client, f"/alerts/{alert_id}/resolve", {"note": "x"}, page="/alerts").status_code == 403
    with desk.sessions() as session:
        alert = session.get(storage.Alert, alert_id)
        assert alert is not None and alert.resolved_at is None
