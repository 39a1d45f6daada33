"""The reply to the customer on the order page: a readable preview the clerk edits, and Send delivers it.

The app talks to a real SMTP server on 127.0.0.1 (aiosmtpd, tests/servers/smtp_server.py).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.outbound import replies
from partners import PartnerRegistry
from tests.conftest import ROOT
from tests.servers.smtp_server import SmtpServer
from tests.servers.smtp_server import free_port
from tests.servers.smtp_server import running_smtp_server
from tests.web.test_web_desk_support import NOW
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import desk_store
from tests.web.test_web_desk_support import open_app
from tests.web.test_web_desk_support import post
from tests.web.test_web_desk_support import token

EMAIL_ORDER = ROOT / "fixtures" / "emails" / "typed-lines.eml"
CUSTOMER_EMAIL_ID = "<order-for-next-week@mail.example>"
REASON = (
    "Wir liefern NW-10042 nur in ganzen Kartons à 12 Stück; bitte bestellen Sie 12 oder 24 statt 10 Stück, "
    "dann geht die Ware am Montag raus – danke!"
)


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return desk_store(master_template, tmp_path_factory)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from running_smtp_server()


def opened(store: Path, folder: Path, settings: dict[str, str]) -> Iterator[DeskApp]:
    app, engine = open_app(store, folder, config=dict(settings))
    yield app
    engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def desk(store: Path, tmp_path: Path, smtp: SmtpServer) -> Iterator[DeskApp]:
    yield from opened(store, tmp_path, smtp.settings())


def email_order(desk: DeskApp) -> int:
    outcome = Pipeline(desk.sessions, PartnerRegistry.from_directory(), clock=lambda: NOW).ingest_path(
        EMAIL_ORDER
    )
    [order_id] = outcome.order_ids
    return order_id


def the_reply(desk: DeskApp, order_id: int) -> storage.OutboundRecord:
    """The order's one reply to the customer in the outbox."""
    [row] = [o for o in desk.outbound(order_id) if o.kind == replies.KIND]
    return row


def rejected_email_order(desk: DeskApp, reason: str) -> tuple[FlaskClient, str, int, storage.OutboundRecord]:
    """The email order, rejected by alice with ``reason`` on its page: her browser, the page, the
    order's id and its draft reply."""
    order_id = email_order(desk)
    page = f"/orders/{order_id}"
    client = desk.client("alice")
    assert post(client, f"{page}/reject", {"version": 1, "reason": reason}, page=page).status_code == 303
    return client, page, order_id, the_reply(desk, order_id)


def send_reply(
    client: FlaskClient, page: str, reply_id: int, to: str, subject: str, body: str
) -> TestResponse:
    """Press Send on the reply form of ``page``."""
    return post(
        client, f"{page}/replies/{reply_id}/send", {"to": to, "subject": subject, "body": body}, page=page
    )


def reply_section(page: str) -> str:
    start = page.index('data-testid="reply"')
    return page[start : page.index("</section>", start)]


def field_value(section: str, testid: str) -> str:
    found = re.search(rf'value="([^"]*)"[^>]*data-testid="{testid}"', section)
    assert found is not None, testid
    return html.unescape(found.group(1))


def textarea(section: str) -> str:
    found = re.search(r'data-testid="reply-body">(.*?)</textarea>', section, re.S)
    assert found is not None
    return html.unescape(found.group(1))


def test_a_rejected_email_order_shows_a_readable_reply_that_send_delivers_as_edited(
    desk: DeskApp, smtp: SmtpServer
) -> None:
    client, page, _, row = rejected_email_order(desk, REASON)
    assert b"=\r\n" in row.content  # stored as quoted-printable MIME...

    section = reply_section(client.get(page).text)
    for raw in ("=\n", "=\r\n", "=C3", "Content-Transfer-Encoding", "MIME-Version", "Content-Type"):
        assert raw not in section  # ...shown as text
    assert field_value(section, "reply-to") == "orders@acme-retail.example"
    assert field_value(section, "reply-subject") == "Re: PO 778812"
    body = textarea(section)
    assert f"Reason: {REASON}" in body and "We are sorry: we cannot accept your purchase order 778812" in body
    assert CUSTOMER_EMAIL_ID in html.unescape(section)  # it answers the customer's email
    outbound = html.unescape(client.get(f"/outbound/{row.id}").text)
    assert "Subject: Re: PO 778812" in outbound and f"Reason: {REASON}" in outbound
    assert "Content-Transfer-Encoding" not in outbound

    edited = body.replace("Kind regards,", "Ruf uns gern an: +49 30 1234.\n\nKind regards,")
    response = send_reply(
        client, page, row.id, "Jane Buyer <orders@acme-retail.example>", "Re: PO 778812", edited
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#reply-{row.id}")
    [received] = smtp.received
    message = received.message
    assert message["To"] == "Jane Buyer <orders@acme-retail.example>"
    assert message["In-Reply-To"] == CUSTOMER_EMAIL_ID and message["References"] == CUSTOMER_EMAIL_ID
    assert message["From"] == "Northwind order desk <orders@northwind.example>"
    sent_body = message.get_body(preferencelist=("plain",))
    assert sent_body is not None
    assert f"Reason: {REASON}" in sent_body.get_content() and "Ruf uns gern an" in sent_body.get_content()

    shown = html.unescape(client.get(page).text)
    assert "Sent to Jane Buyer <orders@acme-retail.example>." in shown
    section = reply_section(shown)
    assert 'data-status="sent"' in section and 'data-testid="send-reply"' not in section
    assert "Ruf uns gern an: +49 30 1234." in section and "=\n" not in section
    history = shown[shown.index('data-testid="history"') :]
    assert "Sent the reply to the customer" in history


def test_an_approved_email_order_with_a_fix_offers_the_confirmation_listing_the_change(
    desk: DeskApp, smtp: SmtpServer
) -> None:
    order_id = email_order(desk)
    page = f"/orders/{order_id}"
    client = desk.client("alice")
    assert (
        post(
            client, f"{page}/quantity", {"version": 1, "line_no": "5", "quantity": "12"}, page=page
        ).status_code
        == 303
    )
    assert post(client, f"{page}/approve", {"version": 2}, page=page).status_code == 303
    shown = html.unescape(client.get(page).text)
    assert "The confirmation to the customer is drafted below" in shown
    section = reply_section(shown)
    body = textarea(section)
    assert "We accept it with the changes below:" in body
    assert "- Line 5, quantity: you sent 10 EA, we accept 12 EA" in body
    row = the_reply(desk, order_id)
    to, subject = field_value(section, "reply-to"), field_value(section, "reply-subject")
    assert send_reply(client, page, row.id, to, subject, body).status_code == 303
    [received] = smtp.received
    assert received.message["Subject"] == "Re: PO 778812"


def test_a_bad_address_is_answered_on_the_page_and_nothing_is_sent(desk: DeskApp, smtp: SmtpServer) -> None:
    client, page, order_id, row = rejected_email_order(desk, "no")
    response = send_reply(client, page, row.id, "jane at acme", "Re", "x")
    assert response.status_code == 422
    assert "is not an email address" in html.unescape(response.text)
    assert smtp.received == [] and desk.outbound(order_id)[-1].status == "draft"
    credit = desk.client("carol")
    response = credit.post(
        f"{page}/replies/{row.id}/send",
        data={"to": "a@b.example", "subject": "Re", "body": "x", "csrf_token": token(credit, page)},
    )
    assert response.status_code == 403 and smtp.received == []


def test_when_the_mail_server_is_down_the_page_says_so_and_the_reply_waits_in_the_outbox(
    store: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    for desk in opened(store, tmp_path, smtp.settings(GATEWAY_SMTP_PORT=str(free_port()))):
        client, page, _, row = rejected_email_order(desk, "no single units")
        response = send_reply(client, page, row.id, "orders@acme-retail.example", "Re: PO 778812", "Sorry.")
        assert response.status_code == 303
        shown = html.unescape(client.get(page).text)
        assert "Not sent yet: ConnectionRefusedError" in shown and "tried again" in shown
        section = reply_section(shown)
        assert 'data-status="pending"' in section and 'data-testid="reply-error"' in section
        with desk.sessions() as session:
            kept = session.scalars(
                select(storage.OutboundRecord).where(storage.OutboundRecord.id == row.id)
            ).one()
        assert (kept.status, kept.attempts) == ("pending", 1) and kept.next_attempt_at is not None
