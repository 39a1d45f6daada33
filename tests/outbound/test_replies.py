"""Replies to customers who order by email, PDF or sheet: built, edited, sent by SMTP to a real server.

The server is aiosmtpd on 127.0.0.1 (tests/servers/smtp_server.py); each test asserts on the message it
received: headers, decoded text, and the threading headers to the customer's own email.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import desk
from gateway import storage
from gateway.config import SmtpSettings
from gateway.desk import OrderDesk
from gateway.inbound.pipeline import Pipeline
from gateway.jobs.inline import Worker
from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Quantity
from gateway.outbound import replies
from gateway.outbound.dispatch import Sent
from gateway.outbound.mailer import send_due_replies
from gateway.storage import DeskUser
from partners import Delivery
from partners import PartnerProfile
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import ROOT
from tests.servers.smtp_server import SmtpServer
from tests.servers.smtp_server import free_port
from tests.servers.smtp_server import running_smtp_server
from tests.web.test_web_desk_support import password

EMAILS = ROOT / "fixtures" / "emails"
CUSTOMER_EMAIL_ID = "<order-for-next-week@mail.example>"  # typed-lines.eml's Message-ID


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from running_smtp_server()


def settings_for(server: SmtpServer) -> SmtpSettings:
    found = SmtpSettings.from_environment(server.settings())
    assert found is not None
    return found


@pytest.fixture
def sessions(master_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    return master_sessions


@pytest.fixture
def staff(sessions: sessionmaker[Session]) -> dict[str, DeskUser]:
    with sessions() as session, session.begin():
        return {
            name: desk.add_user(session, name, password(name), role, at=FIXED_NOW)
            for name, role in (("alice", "clerk"), ("carol", "credit"))
        }


def with_acme(**changes: Any) -> PartnerRegistry:
    """The shipped profiles, acme's changed as a profile file would change it."""
    profiles = []
    for profile in PartnerRegistry.from_directory():
        if profile.name == "acme":
            data = profile.model_dump()
            for key, value in changes.items():
                data[key] = value if not isinstance(value, dict) else {**data[key], **value}
            profile = PartnerProfile.model_validate(data)
        profiles.append(profile)
    return PartnerRegistry(profiles)


def replies_of(sessions: sessionmaker[Session], order_id: int) -> list[storage.OutboundRecord]:
    with sessions() as session:
        outbound = storage.OutboundRecord
        return list(
            session.scalars(
                select(outbound)
                .where(outbound.order_id == order_id, outbound.kind == replies.KIND)
                .order_by(outbound.id)
            )
        )


def one_order(pipeline: Pipeline, path: Path, po_number: str | None = None) -> storage.PurchaseOrder:
    outcome = pipeline.ingest_path(path)
    with pipeline.sessions() as session:
        found = [session.get(storage.PurchaseOrder, i) for i in outcome.order_ids]
    matching = [o for o in found if o is not None and (po_number is None or o.po_number == po_number)]
    assert len(matching) == 1, [o.po_number for o in found if o]
    return matching[0]


def act(sessions: sessionmaker[Session], action: Any, *args: Any, **kw: Any) -> Any:
    with sessions() as session, session.begin():
        return action(session, *args, **kw)


def desk_over(sessions: sessionmaker[Session], partners: PartnerRegistry) -> tuple[Pipeline, OrderDesk]:
    """The pipeline and the order desk over `partners`, both at the fixed clock."""
    return Pipeline(sessions, partners, clock=lambda: FIXED_NOW), OrderDesk(partners, clock=lambda: FIXED_NOW)


def queue_reply(
    sessions: sessionmaker[Session],
    order_id: int,
    outbound_id: int,
    user: DeskUser,
    *,
    to: str,
    subject: str,
    body: str,
    when: datetime = FIXED_NOW,
) -> Any:
    """The clerk presses send on a reply: ``desk.send_reply`` in its own transaction."""
    return act(
        sessions, desk.send_reply, order_id, outbound_id, user, to=to, subject=subject, body=body, when=when
    )


def queue_as_shown(
    sessions: sessionmaker[Session],
    order_id: int,
    outbound_id: int,
    user: DeskUser,
    when: datetime = FIXED_NOW,
) -> replies.ReplyView:
    """Send a reply as it is drafted: its address, subject and text unchanged; returns what was shown."""
    with sessions() as session:
        record = session.get(storage.OutboundRecord, outbound_id)
        assert record is not None
        shown = replies.read_reply(record)
    queue_reply(
        sessions, order_id, outbound_id, user, to=shown.to, subject=shown.subject, body=shown.body, when=when
    )
    return shown


def rejected_typed_lines(
    sessions: sessionmaker[Session], user: DeskUser, reason: str
) -> tuple[PartnerRegistry, storage.PurchaseOrder]:
    """typed-lines.eml stored, rejected with ``reason``, its drafted reply queued as drafted."""
    partners = PartnerRegistry.from_directory()
    pipeline, order_desk = desk_over(sessions, partners)
    stored = one_order(pipeline, EMAILS / "typed-lines.eml")
    act(sessions, order_desk.reject, stored.id, 1, user, reason=reason)
    [draft] = replies_of(sessions, stored.id)
    queue_as_shown(sessions, stored.id, draft.id, user)
    return partners, stored


# -- what changed, as the customer reads it ----------------------------------------------------


def line(no: str, sku: str, quantity: str, uom: str, price: str | None = None) -> OrderLine:
    return OrderLine(
        line_no=no,
        vendor_sku=sku,
        quantity=Quantity(value=Decimal(quantity), uom=uom),
        unit_price=Decimal(price) if price else None,
    )


def test_changes_are_listed_line_by_line_what_was_sent_beside_what_is_accepted() -> None:
    sent = Order(
        partner="acme",
        channel=Channel.EMAIL,
        po_number="778812",
        currency="USD",
        lines=[
            line("1", "NW-10042", "10", "EA", "4.50"),
            line("2", "NW-20017", "6", "CA", "52.80"),
            line("3", "NW-99001", "3", "EA"),
            line("4", "NW-30555", "2", "EA", "12.00"),
            line("5", "W-BLUE", "1", "EA"),
        ],
    )
    accepted = sent.model_copy(deep=True)
    accepted.lines[0].quantity = Quantity(value=Decimal("12"), uom="EA")
    accepted.lines[1].unit_price = Decimal("51.00")
    accepted.lines[2].vendor_sku = accepted.lines[2].sku = "NW-30555"
    accepted.lines[4].sku = "NW-40001"  # validation replaced the unknown item (auto_fix below)
    del accepted.lines[3]
    accepted.lines.append(line("6", "NW-60010", "36", "EA", "1.25"))
    accepted.lines[0].sku = "NW-10042"  # merely resolved: not a change
    fixed = [{"code": "unknown_item", "action": "auto_fix", "line_no": "5", "received": "W-BLUE"}]

    changes = replies.order_changes(sent, accepted, fixed)

    assert [c.describe() for c in changes] == [
        "Line 1, quantity: you sent 10 EA, we accept 12 EA",
        "Line 2, price: you sent 52.80 USD, we accept 51.00 USD",
        "Line 3, item: you sent NW-99001, we accept NW-30555",
        "Line 4: removed (you sent 2 EA of NW-30555 at 12.00 USD)",
        "Line 5, item: you sent W-BLUE, we accept NW-40001",
        "Line 6: added, 36 EA of NW-60010 at 1.25 USD",
    ]
    text = replies.confirmation_text(accepted, changes)
    assert "We accept it with the changes below:" in text
    assert "- Line 1, quantity: you sent 10 EA, we accept 12 EA" in text
    assert replies.order_changes(sent, sent) == []
    assert "We accept it as you sent it." in replies.confirmation_text(sent, [])


def test_smtp_settings_come_from_the_environment_and_a_bad_one_is_named() -> None:
    assert SmtpSettings.from_environment({}) is None
    found = SmtpSettings.from_environment(
        {"GATEWAY_SMTP_HOST": "mail.example", "GATEWAY_SMTP_FROM": "orders@northwind.example"}
    )
    assert found is not None and (found.port, found.security, found.user) == (587, "starttls", None)
    tls = SmtpSettings.from_environment(
        {
            "GATEWAY_SMTP_HOST": "mail.example",
            "GATEWAY_SMTP_SECURITY": "TLS",
            "GATEWAY_SMTP_USER": "desk",
            "GATEWAY_SMTP_PASSWORD": "s3cret",
            "GATEWAY_SMTP_FROM": "orders@northwind.example",
        }
    )
    assert tls is not None and (tls.port, tls.security, tls.user, tls.password) == (
        465,
        "tls",
        "desk",
        "s3cret",
    )
    with pytest.raises(ValueError, match="GATEWAY_SMTP_SECURITY"):
        SmtpSettings.from_environment({"GATEWAY_SMTP_HOST": "h", "GATEWAY_SMTP_SECURITY": "ssl"})
    with pytest.raises(ValueError, match="GATEWAY_SMTP_FROM"):
        SmtpSettings.from_environment({"GATEWAY_SMTP_HOST": "h"})
    with pytest.raises(ValueError, match="GATEWAY_SMTP_PORT"):
        SmtpSettings.from_environment(
            {"GATEWAY_SMTP_HOST": "h", "GATEWAY_SMTP_PORT": "x", "GATEWAY_SMTP_FROM": "a@b.c"}
        )


# -- the desk: approve with changes, read, edit, send ------------------------------------------


def test_a_changed_and_approved_email_order_gets_a_confirmation_the_clerk_edits_and_sends(
    sessions: sessionmaker[Session], staff: dict[str, DeskUser], smtp: SmtpServer
) -> None:
    pipeline, order_desk = desk_over(sessions, PartnerRegistry.from_directory())
    stored = one_order(pipeline, EMAILS / "typed-lines.eml")
    assert stored.status == "exception"  # line 5: 10 EA of NW-10042, a pack of 12
    act(sessions, order_desk.correct_quantity, stored.id, 1, staff["alice"], line_no="5", quantity="12")
    approved = act(sessions, order_desk.approve, stored.id, 2, staff["alice"])
    assert approved.status == "accepted"

    [draft] = replies_of(sessions, stored.id)
    assert draft.id in approved.outbound_ids and draft.status == "draft"
    shown = replies.read_reply(draft)
    assert (shown.to, shown.subject, shown.in_reply_to) == (
        "orders@acme-retail.example",
        "Re: PO 778812",
        CUSTOMER_EMAIL_ID,
    )
    assert "We accept it with the changes below:" in shown.body
    assert "- Line 5, quantity: you sent 10 EA, we accept 12 EA" in shown.body
    assert "- Line 7: 3 CA of NW-30555" in shown.body  # the order as accepted, line by line

    edited = shown.body.replace("Kind regards,", "Your goods leave on Monday.\n\nKind regards,")
    with pytest.raises(desk.PermissionDenied):
        queue_reply(sessions, stored.id, draft.id, staff["carol"], to=shown.to, subject="x", body="y")
    with pytest.raises(desk.InvalidChange, match="not an email address"):
        queue_reply(sessions, stored.id, draft.id, staff["alice"], to="jane at acme", subject="x", body="y")
    queued = queue_reply(
        sessions,
        stored.id,
        draft.id,
        staff["alice"],
        to=shown.to,
        subject="Re: PO 778812 – confirmed",
        body=edited,
    )
    assert queued.edited
    report = send_due_replies(sessions, settings_for(smtp), now=FIXED_NOW + timedelta(minutes=1))
    assert (report.sent, report.retrying, report.dead) == (1, 0, 0)

    [received] = smtp.received
    message = received.message
    assert received.recipients == ["orders@acme-retail.example"]
    assert received.sender == "orders@northwind.example"
    assert message["From"] == "Northwind order desk <orders@northwind.example>"
    assert message["To"] == "orders@acme-retail.example"
    assert message["Subject"] == "Re: PO 778812 – confirmed"
    assert message["In-Reply-To"] == CUSTOMER_EMAIL_ID and message["References"] == CUSTOMER_EMAIL_ID
    assert message["Message-ID"] and message["Date"]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert (
        "- Line 5, quantity: you sent 10 EA, we accept 12 EA" in text
        and "Your goods leave on Monday." in text
    )

    [sent] = replies_of(sessions, stored.id)
    assert sent.delivered_at is not None and sent.delivered_at.replace(tzinfo=UTC) == FIXED_NOW + timedelta(
        minutes=1
    )
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert replies.read_reply(sent).sender == message["From"]  # the outbox keeps what went
    with sessions() as session:
        [entry] = [e for e in desk.order_history(session, stored.id) if e.action == "order.send_reply"]
    assert (entry.actor, entry.at.replace(tzinfo=UTC)) == ("alice", FIXED_NOW)
    assert entry.after is not None and entry.before is not None
    assert (
        entry.after["text"] == edited
        and entry.after["edited"] is True
        and entry.after["outbound_id"] == sent.id
    )
    assert (entry.before["reply"], entry.after["to"]) == ("draft", "orders@acme-retail.example")
    with pytest.raises(desk.InvalidChange, match="sent already"):
        queue_reply(sessions, stored.id, sent.id, staff["alice"], to=shown.to, subject="x", body="y")


def test_a_substituted_item_is_listed_and_the_order_as_received_is_kept(
    sessions: sessionmaker[Session], staff: dict[str, DeskUser]
) -> None:
    pipeline, order_desk = desk_over(sessions, PartnerRegistry.from_directory())
    stored = one_order(pipeline, EMAILS / "typed-lines.eml")
    assert stored.received_canonical is None  # nothing changed it yet
    act(sessions, order_desk.correct_quantity, stored.id, 1, staff["alice"], line_no="5", quantity="12")
    act(sessions, order_desk.pick_sku, stored.id, 2, staff["alice"], line_no="7", sku="NW-40001")
    with sessions() as session:
        kept = session.get(storage.PurchaseOrder, stored.id)
        assert kept is not None and kept.received_canonical is not None
        assert kept.received_canonical["lines"][0]["quantity"]["value"] == "10"  # line 5 as sent
    changes = replies.order_changes(
        replies.as_received(kept) or Order.model_validate(kept.canonical),
        Order.model_validate(kept.canonical),
    )
    assert [c.describe() for c in changes] == [
        "Line 5, quantity: you sent 10 EA, we accept 12 EA",
        "Line 7, item: you sent NW-30555, we accept NW-40001",
    ]


def test_a_rejection_is_drafted_readably_and_goes_as_the_clerk_sends_it(
    sessions: sessionmaker[Session], staff: dict[str, DeskUser], smtp: SmtpServer
) -> None:
    pipeline, order_desk = desk_over(sessions, PartnerRegistry.from_directory())
    stored = one_order(pipeline, EMAILS / "typed-lines.eml")
    reason = "Wir liefern NW-10042 nur in ganzen Kartons à 12 Stück; bitte bestellen Sie 12 oder 24 statt 10 Stück – danke!"
    rejected = act(sessions, order_desk.reject, stored.id, 1, staff["alice"], reason=reason)
    [draft] = replies_of(sessions, stored.id)
    assert rejected.outbound_ids == [draft.id]
    assert b"=\r\n" in draft.content  # the MIME is quoted-printable, soft line breaks and all...
    shown = queue_as_shown(sessions, stored.id, draft.id, staff["alice"])
    assert f"Reason: {reason}" in shown.body and "=\n" not in shown.body  # ...the preview is not
    assert send_due_replies(sessions, settings_for(smtp), now=FIXED_NOW).sent == 1
    [received] = smtp.received
    body = received.message.get_body(preferencelist=("plain",))
    assert body is not None and f"Reason: {reason}" in body.get_content()
    assert received.message["In-Reply-To"] == CUSTOMER_EMAIL_ID


# -- a reply that cannot go is kept, retried, dead-lettered with an alert ----------------------


def test_a_reply_the_server_cannot_take_is_retried_then_refused_for_good_is_dead_with_an_alert(
    sessions: sessionmaker[Session], staff: dict[str, DeskUser], smtp: SmtpServer
) -> None:
    _, stored = rejected_typed_lines(sessions, staff["alice"], "no single units")

    nobody = SmtpSettings.from_environment({**smtp.settings(), "GATEWAY_SMTP_PORT": str(free_port())})
    assert nobody is not None
    report = send_due_replies(sessions, nobody, now=FIXED_NOW)
    assert (report.sent, report.retrying, report.dead) == (0, 1, 0)
    [waiting] = replies_of(sessions, stored.id)
    assert waiting.status == "pending" and waiting.attempts == 1
    assert waiting.last_error is not None and "ConnectionRefusedError" in waiting.last_error
    assert waiting.next_attempt_at is not None and waiting.next_attempt_at.replace(tzinfo=UTC) > FIXED_NOW
    assert send_due_replies(sessions, settings_for(smtp), now=FIXED_NOW).sent == 0  # not due yet

    smtp.answer = "554 5.7.1 message refused: spam suspected"
    later = waiting.next_attempt_at.replace(tzinfo=UTC)
    report = send_due_replies(sessions, settings_for(smtp), now=later)
    assert (report.sent, report.dead) == (0, 1)
    [dead] = replies_of(sessions, stored.id)
    assert dead.status == "dead" and dead.last_error is not None and "554" in dead.last_error
    with sessions() as session:
        [alert] = session.scalars(select(storage.Alert).where(storage.Alert.outbound_id == dead.id)).all()
        status = session.scalars(
            select(storage.TransportStatus).where(storage.TransportStatus.channel == "smtp")
        ).one()
    assert alert.kind == "delivery_dead" and alert.partner == "acme" and "554" in alert.message
    assert alert.resolved_at is None and status.last_error is not None and "554" in status.last_error
    assert smtp.received == []

    # the clerk corrects it and sends it again: the alert is closed, the message goes
    assert replies.read_reply(dead).editable
    queue_as_shown(sessions, stored.id, dead.id, staff["alice"], when=later)
    smtp.answer = "250 OK"
    assert send_due_replies(sessions, settings_for(smtp), now=later).sent == 1
    with sessions() as session:
        closed = session.get(storage.Alert, alert.id)
        assert closed is not None and closed.resolved_at is not None
    assert len(smtp.received) == 1


# -- touchless acceptance: a per-partner setting -----------------------------------------------


def test_confirming_touchless_orders_is_off_unless_the_partner_profile_turns_it_on(
    sessions: sessionmaker[Session], smtp: SmtpServer
) -> None:
    assert PartnerProfile.model_fields["confirm_touchless"].default is False
    stored = one_order(
        Pipeline(sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW),
        EMAILS / "pdf-attachment.eml",
    )
    assert stored.status == "accepted" and stored.decided_by is None
    assert replies_of(sessions, stored.id) == []


def test_a_touchless_order_is_confirmed_at_once_when_the_profile_says_so_and_the_worker_sends_it(
    sessions: sessionmaker[Session], smtp: SmtpServer
) -> None:
    partners = with_acme(confirm_touchless=True)
    pipeline = Pipeline(sessions, partners, clock=lambda: FIXED_NOW)
    stored = one_order(pipeline, EMAILS / "pdf-attachment.eml")
    assert stored.status == "accepted" and stored.decided_by is None
    [pending] = replies_of(sessions, stored.id)
    assert pending.status == "pending"
    worker = Worker(pipeline, {}, None, lambda: FIXED_NOW, smtp=settings_for(smtp))
    with httpx.Client() as client:
        report = worker.send_out(client)
    assert report.mailed == 1 and report.busy
    [received] = smtp.received
    message = received.message
    assert message["Subject"] == "Re: PO 4500077001" and message["To"] == "orders@acme-retail.example"
    assert message["In-Reply-To"] and message["In-Reply-To"] == message["References"]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Thank you for your purchase order 4500077001" in text and "We accept it as you sent it." in text
    assert "- Line 1: 24 EA of NW-10042" in text
    assert replies_of(sessions, stored.id)[0].status == "sent"


def test_a_touchless_order_that_validation_fixed_lists_the_fixes(
    sessions: sessionmaker[Session], smtp: SmtpServer
) -> None:
    partners = with_acme(
        confirm_touchless=True,
        validation={"actions": {"price_mismatch": "auto_fix", "pack_multiple": "auto_fix"}},
    )
    stored = one_order(
        Pipeline(sessions, partners, clock=lambda: FIXED_NOW), EMAILS / "pasted-table-and-csv.eml", "7781-22"
    )
    assert stored.status == "accepted"
    assert stored.received_canonical is not None  # the order as sent, kept: validation changed it
    [pending] = replies_of(sessions, stored.id)
    text = replies.read_reply(pending).body
    assert "We accept it with the changes below:" in text
    changes = [ln for ln in text.splitlines() if ln.startswith("- Line") and "you sent" in ln]
    assert any("price: you sent" in ln for ln in changes) and any(
        "quantity: you sent" in ln for ln in changes
    )
    assert "- Line 6, quantity: you sent 24 EA" in text or "- Line 6, quantity: you sent 24" in text


def test_an_x12_route_leaves_replies_to_the_mailer(
    sessions: sessionmaker[Session], staff: dict[str, DeskUser]
) -> None:
    """A partner that takes EDI by SFTP may also order by email: its replies never go down the EDI route."""
    partners, stored = rejected_typed_lines(sessions, staff["alice"], "no")
    acme = partners.get("acme")
    assert acme is not None
    routed = PartnerRegistry(
        [
            p if p.name != "acme" else acme.model_copy(update={"delivery": Delivery(via="sftp")})
            for p in partners
        ]
    )
    handed: list[str] = []

    class Recording:
        def send(self, *, content: bytes, filename: str, profile: PartnerProfile, outbound_id: int) -> Sent:
            handed.append(filename)
            return Sent("uploaded")

    from gateway.outbound.dispatch import send_due

    report = send_due(sessions, routed, {"sftp": Recording()}, now=FIXED_NOW)
    assert report.sent == 0 and handed == []
    assert replies_of(sessions, stored.id)[0].status == "pending"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback only
def test_the_mailer_logs_in_with_the_configured_user_and_a_refused_login_is_dead_at_once(
    sessions: sessionmaker[Session], staff: dict[str, DeskUser]
) -> None:
    _, stored = rejected_typed_lines(sessions, staff["alice"], "no")
    for server in running_smtp_server(users={"desk": "s3cret"}):
        wrong = SmtpSettings.from_environment(
            server.settings(GATEWAY_SMTP_USER="desk", GATEWAY_SMTP_PASSWORD="guess")
        )
        assert wrong is not None
        assert send_due_replies(sessions, wrong, now=FIXED_NOW).dead == 1  # repeating cannot help
        [dead] = replies_of(sessions, stored.id)
        assert (
            dead.status == "dead"
            and dead.last_error is not None
            and dead.last_error.startswith("login refused: 535")
        )
        queue_as_shown(sessions, stored.id, dead.id, staff["alice"])
        right = SmtpSettings.from_environment(
            server.settings(GATEWAY_SMTP_USER="desk", GATEWAY_SMTP_PASSWORD="s3cret")
        )
        assert right is not None
        assert send_due_replies(sessions, right, now=FIXED_NOW).sent == 1
        assert len(server.received) == 1 and server.received[0].recipients == ["orders@acme-retail.example"]
