"""Alert notifications reach a person: a real SMTP server (aiosmtpd) and a webhook server on 127.0.0.1.

Covers the delivery side of ``gateway.alerts``: email and webhook (JSON and Slack), an SMTP outage
(the notice is kept and sent once the server is back, once), repeats de-duplicated, the
"resolved" notice, the daily digest, and refusals for good. The kinds raised by their real
conditions are in ``test_alerts_kinds.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.alerts import raise_alert
from gateway.alerts import resolve_alerts
from gateway.alerts.checks import queue_digest_if_due
from gateway.alerts.sending import NoticeReport
from gateway.alerts.sending import send_due_notifications
from gateway.config import AlertSettings
from gateway.config import SmtpSettings
from gateway.inbound.pipeline import Pipeline
from gateway.jobs.inline import Worker
from gateway.model.status import AlertChannel
from gateway.model.status import AlertEvent
from gateway.model.status import AlertKind
from gateway.model.status import NotificationStatus
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.servers.erp_server import ErpServer
from tests.servers.erp_server import Reply
from tests.servers.smtp_server import SmtpServer
from tests.servers.smtp_server import free_port
from tests.servers.smtp_server import running_smtp_server

T0 = FIXED_NOW  # 2026-11-23 09:30 UTC
DESK = "https://desk.northwind.example"
OPS = "ops@northwind.example"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from running_smtp_server()


@pytest.fixture
def hook() -> Iterator[ErpServer]:
    server = ErpServer()  # any loopback HTTP server that keeps what it is sent
    server.replies = [Reply(200)]
    yield server
    server.stop()


def smtp_settings(server: SmtpServer | None = None, *, port: int | None = None) -> SmtpSettings:
    env = server.settings() if server else {}
    if port is not None:
        env = {**SmtpServer("127.0.0.1", port).settings()}
    settings = SmtpSettings.from_environment(env)
    assert settings is not None
    return settings


def alert_settings(hook: ErpServer | None = None, *, email: bool = True, **more: object) -> AlertSettings:
    return AlertSettings(
        public_url=DESK,
        email_to=(OPS,) if email else (),
        webhook_url=f"{hook.base}/hooks/alerts" if hook else None,
        backoff_seconds=30,
        **more,  # type: ignore[arg-type]
    )


def failing_poller(session: Session, at: datetime = T0, *, times: int = 1) -> storage.Alert:
    alert = storage.Alert()
    for _ in range(times):
        alert = raise_alert(
            session,
            kind=AlertKind.POLLER_FAILING,
            partner="acme",
            message="sftp-pull of acme failed 3 times in a row; last: ConnectionRefusedError",
            action="check the sftp-pull connection of acme",
            at=at,
            dedupe_key="poller_failing:acme:sftp-pull",
        )
    return alert


def send(
    sessions: sessionmaker[Session],
    settings: AlertSettings,
    smtp: SmtpSettings | None,
    at: datetime = T0,
) -> NoticeReport:
    with httpx.Client() as client:
        return send_due_notifications(sessions, settings, smtp, now=at, client=client)


def notifications(sessions: sessionmaker[Session]) -> list[storage.AlertNotification]:
    with sessions() as session:
        return list(session.scalars(select(storage.AlertNotification).order_by(storage.AlertNotification.id)))


def test_an_alert_goes_by_email_and_webhook_naming_partner_failure_action_and_link(
    sessions: sessionmaker[Session], smtp: SmtpServer, hook: ErpServer
) -> None:
    with sessions() as session, session.begin():
        alert_id = failing_poller(session).id
    assert smtp.received == [] and hook.requests == [], "nothing is sent inside the raising transaction"

    report = send(sessions, alert_settings(hook), smtp_settings(smtp))

    assert (report.sent, report.retrying, report.dead) == (2, 0, 0)
    [mail] = smtp.received
    assert mail.recipients == [OPS]
    message = mail.message
    assert message["Subject"] == "[gateway] a transport keeps failing (partner acme)"
    body = message.get_content()
    assert "What failed: sftp-pull of acme failed 3 times in a row" in body
    assert "What to do: check the sftp-pull connection of acme" in body
    assert f"On the desk: {DESK}/partners/acme" in body
    [(headers, raw)] = hook.requests
    posted = json.loads(raw)
    assert headers["Content-Type"] == "application/json"
    assert posted["event"] == AlertEvent.RAISED and posted["alert_id"] == alert_id
    assert posted["kind"] == AlertKind.POLLER_FAILING and posted["partner"] == "acme"
    assert posted["action"] == "check the sftp-pull connection of acme"
    assert posted["link"] == f"{DESK}/partners/acme"
    assert {(n.channel, n.status, n.attempts) for n in notifications(sessions)} == {
        (AlertChannel.EMAIL, NotificationStatus.SENT, 1),
        (AlertChannel.WEBHOOK, NotificationStatus.SENT, 1),
    }
    again = send(sessions, alert_settings(hook), smtp_settings(smtp), T0 + timedelta(hours=1))
    assert again.sent == 0 and len(smtp.received) == 1 and len(hook.requests) == 1


def test_a_slack_webhook_gets_text_only(sessions: sessionmaker[Session], hook: ErpServer) -> None:
    with sessions() as session, session.begin():
        failing_poller(session)
    settings = replace(alert_settings(hook, email=False), webhook_format="slack")
    assert send(sessions, settings, None).sent == 1
    [(_, raw)] = hook.requests
    posted = json.loads(raw)
    assert list(posted) == ["text"]
    assert posted["text"].startswith("[gateway] a transport keeps failing (partner acme)\n")
    assert f"{DESK}/partners/acme" in posted["text"]


def test_an_smtp_outage_keeps_the_alert_and_sends_it_once_when_the_server_is_back(
    sessions: sessionmaker[Session],
) -> None:
    port = free_port()  # nobody listens: the mail server is down
    settings, smtp = alert_settings(), smtp_settings(port=port)
    with sessions() as session, session.begin():
        failing_poller(session)

    down = send(sessions, settings, smtp)
    assert (down.sent, down.retrying, down.dead) == (0, 1, 0)
    [row] = notifications(sessions)
    assert row.status == NotificationStatus.PENDING and row.attempts == 1
    assert row.last_error and "Connection" in row.last_error
    assert row.next_at is not None and row.next_at.replace(tzinfo=T0.tzinfo) == T0 + timedelta(seconds=30)
    assert send(sessions, settings, smtp, T0 + timedelta(seconds=10)).retrying == 0, "not due yet"
    still = send(sessions, settings, smtp, T0 + timedelta(seconds=30))
    assert still.retrying == 1
    [row] = notifications(sessions)
    assert row.attempts == 2 and row.next_at.replace(tzinfo=T0.tzinfo) == T0 + timedelta(seconds=90)  # type: ignore[union-attr]

    for server in running_smtp_server(port=port):  # the server is back, on its address
        assert send(sessions, settings, smtp, T0 + timedelta(seconds=60)).sent == 0, "backing off"
        assert send(sessions, settings, smtp, T0 + timedelta(seconds=90)).sent == 1
        assert send(sessions, settings, smtp, T0 + timedelta(hours=2)).sent == 0
        [mail] = server.received
        assert "a transport keeps failing" in mail.message["Subject"]
    [row] = notifications(sessions)
    assert row.status == NotificationStatus.SENT and row.attempts == 3 and row.last_error is None


def test_without_a_channel_notifications_wait_and_go_once_one_is_configured(
    sessions: sessionmaker[Session], smtp: SmtpServer
) -> None:
    with sessions() as session, session.begin():
        failing_poller(session)
    assert send(sessions, AlertSettings(), None).sent == 0
    [row] = notifications(sessions)
    assert row.channel is None and row.status == NotificationStatus.PENDING
    assert send(sessions, alert_settings(), None).sent == 0, "email named, but no SMTP server set: it waits"
    [row] = notifications(sessions)
    assert row.channel == AlertChannel.EMAIL and row.attempts == 0
    assert send(sessions, alert_settings(), smtp_settings(smtp)).sent == 1
    assert len(smtp.received) == 1


def test_repeats_are_one_notification_with_a_count_and_a_resolved_alert_says_so(
    sessions: sessionmaker[Session], smtp: SmtpServer
) -> None:
    with sessions() as session, session.begin():
        failing_poller(session, times=3)
    settings, mail = alert_settings(), smtp_settings(smtp)
    assert send(sessions, settings, mail).sent == 1
    with sessions() as session, session.begin():
        failing_poller(session, T0 + timedelta(minutes=5))
        [alert] = session.scalars(select(storage.Alert)).all()
        assert alert.repeats == 3 and alert.resolved_at is None
    assert send(sessions, settings, mail, T0 + timedelta(minutes=5)).sent == 0
    assert len(smtp.received) == 1

    with sessions() as session, session.begin():
        resolved = resolve_alerts(
            session, at=T0 + timedelta(minutes=9), dedupe_key="poller_failing:acme:sftp-pull"
        )
        assert resolved == 1
    assert send(sessions, settings, mail, T0 + timedelta(minutes=10)).sent == 1
    notice = smtp.received[-1].message
    assert notice["Subject"] == "[gateway] resolved: a transport keeps failing (partner acme)"
    assert "Resolved at 2026-11-23 09:39 UTC" in notice.get_content()

    with sessions() as session, session.begin():
        failing_poller(session, T0 + timedelta(hours=1))  # it fails again: a new alert, told again
        assert len(session.scalars(select(storage.Alert)).all()) == 2
    assert send(sessions, settings, mail, T0 + timedelta(hours=1)).sent == 1
    assert [m.message["Subject"].startswith("[gateway] resolved") for m in smtp.received] == [
        False,
        True,
        False,
    ]


def test_the_daily_digest_lists_what_is_open_once_a_day(
    sessions: sessionmaker[Session], smtp: SmtpServer
) -> None:
    settings = alert_settings(digest_hour=7)
    day = T0.replace(hour=0, minute=0)
    with sessions() as session, session.begin():
        failing_poller(session, day + timedelta(hours=1))
        raise_alert(
            session,
            kind=AlertKind.PROFILE_REFUSED,
            partner=None,
            message="profile file broken.toml does not load: isa: Field required",
            action="fix broken.toml and restart the gateway",
            at=day + timedelta(hours=2),
        )
    with sessions() as session, session.begin():
        assert not queue_digest_if_due(session, settings, now=day + timedelta(hours=6, minutes=59))
        assert queue_digest_if_due(session, settings, now=day + timedelta(hours=7, minutes=1))
        assert not queue_digest_if_due(session, settings, now=day + timedelta(hours=23)), "once a day"
    mail = smtp_settings(smtp)
    send(sessions, settings, mail, day + timedelta(hours=7, minutes=2))
    digest = [m.message for m in smtp.received if "digest" in m.message["Subject"]]
    assert len(digest) == 1
    assert digest[0]["Subject"] == "[gateway] daily digest: 2 open alerts at 2026-11-23 07:01 UTC:"
    body = digest[0].get_content()
    assert body.index("a transport keeps failing (partner acme)") < body.index(
        "a partner profile does not load"
    )
    assert (
        "what to do: fix broken.toml and restart the gateway (https://desk.northwind.example/partners)"
        in body
    )
    with sessions() as session, session.begin():
        assert queue_digest_if_due(session, settings, now=day + timedelta(days=1, hours=7))


def test_a_webhook_that_refuses_for_good_stops_and_one_that_is_busy_is_tried_later(
    sessions: sessionmaker[Session], hook: ErpServer
) -> None:
    settings = alert_settings(hook, email=False)
    hook.replies = [Reply(503, {"Retry-After": "120"}), Reply(400)]
    with sessions() as session, session.begin():
        failing_poller(session)
    assert send(sessions, settings, None).retrying == 1
    [row] = notifications(sessions)
    assert row.next_at is not None and row.next_at.replace(tzinfo=T0.tzinfo) == T0 + timedelta(seconds=120)
    assert send(sessions, settings, None, T0 + timedelta(seconds=120)).dead == 1
    [row] = notifications(sessions)
    assert row.status == NotificationStatus.DEAD and row.last_error is not None and "400" in row.last_error
    assert send(sessions, settings, None, T0 + timedelta(days=1)).dead == 0
    assert len(hook.requests) == 2


def test_settings_come_from_the_environment_and_bad_values_are_named() -> None:
    settings = AlertSettings.from_environment(
        {
            "GATEWAY_PUBLIC_URL": "https://desk.example/",
            "GATEWAY_ALERT_EMAIL_TO": "ops@example.com, oncall@example.com",
            "GATEWAY_ALERT_WEBHOOK_URL": "https://hooks.example/T1",
            "GATEWAY_ALERT_WEBHOOK_FORMAT": "slack",
            "GATEWAY_ALERT_STUCK_MINUTES": "15",
            "GATEWAY_ALERT_DIGEST_HOUR": "6",
            "GATEWAY_ALERT_POLLER_FAILURES": "5",
            "GATEWAY_ALERT_ACK_WINDOW_HOURS": "36",
        }
    )
    assert (settings.poller_failures, settings.ack_window_hours) == (5, 36.0)
    assert (AlertSettings().poller_failures, AlertSettings().ack_window_hours) == (3, 24.0)
    assert settings.public_url == "https://desk.example"
    assert settings.email_to == ("ops@example.com", "oncall@example.com")
    assert settings.channels == (AlertChannel.EMAIL, AlertChannel.WEBHOOK)
    assert (settings.webhook_format, settings.stuck_minutes, settings.digest_hour) == ("slack", 15.0, 6)
    assert AlertSettings.from_environment({}).channels == ()
    for name, value in [
        ("GATEWAY_ALERT_EMAIL_TO", "ops"),
        ("GATEWAY_ALERT_WEBHOOK_FORMAT", "xml"),
        ("GATEWAY_ALERT_WEBHOOK_URL", "ftp://x"),
        ("GATEWAY_ALERT_DIGEST_HOUR", "24"),
        ("GATEWAY_ALERT_STUCK_MINUTES", "-1"),
        ("GATEWAY_ALERT_POLLER_FAILURES", "0"),
        ("GATEWAY_ALERT_POLLER_FAILURES", "2.5"),
        ("GATEWAY_ALERT_ACK_WINDOW_HOURS", "soon"),
    ]:
        with pytest.raises(ValueError, match=name):
            AlertSettings.from_environment({name: value})


def test_the_worker_send_pass_sends_the_notices(
    sessions: sessionmaker[Session], smtp: SmtpServer, hook: ErpServer
) -> None:
    pipeline = Pipeline(sessions, PartnerRegistry.from_directory(), clock=lambda: T0)
    worker = Worker(pipeline, {}, None, lambda: T0, smtp=smtp_settings(smtp), alerts=alert_settings(hook))
    with sessions() as session, session.begin():
        failing_poller(session)
    with httpx.Client() as client:
        report = worker.send_out(client)
    assert report.notified == 2 and report.busy
    assert len(smtp.received) == 1 and len(hook.requests) == 1
