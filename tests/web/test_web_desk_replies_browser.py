"""The reply to an email customer in a real browser: headless Chromium against `gateway run --role web`,
the web process configured by GATEWAY_SMTP_* to send to a real SMTP server on 127.0.0.1 (aiosmtpd).

The clerk rejects an emailed order, reads the drafted reply (text, not MIME), edits it, and sends
it; the server receives it as edited, threaded to the customer's email. Screenshots at 1024 and
1440 px wide are saved under the test's tmp_path.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import expect

from tests.conftest import FIXED_NOW
from tests.conftest import ROOT
from tests.run.test_run import free_port
from tests.servers.browser import new_page
from tests.servers.smtp_server import SmtpServer
from tests.servers.smtp_server import running_smtp_server
from tests.web.test_web_desk_browser import Desk
from tests.web.test_web_desk_browser import plain_demo_home

EMAIL_ORDER = ROOT / "fixtures" / "emails" / "typed-lines.eml"
PO = "778812"
REASON = (
    "Wir liefern NW-10042 nur in ganzen Kartons à 12 Stück; bitte bestellen Sie 12 oder 24 statt 10 Stück, "
    "dann geht die Ware am Montag raus – danke!"
)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from running_smtp_server()


@pytest.fixture
def desk(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[tuple[Desk, str, int]]:
    built, password = plain_demo_home(tmp_path_factory)  # gateway init --demo, once per run
    home = tmp_path / "home"
    shutil.copytree(built, home)
    env = {
        **os.environ,
        "GATEWAY_HOME": str(home),
        "GATEWAY_PARTNERS_DIR": str(ROOT / "partners" / "profiles"),
        "GATEWAY_PORT": str(free_port()),
        "GATEWAY_NOW": FIXED_NOW.isoformat(),
        **smtp.settings(),
        # the `gateway` script runs this checkout's code, as the tests do (cwd first on sys.path)
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    for name in ("GATEWAY_DATABASE_URL", "GATEWAY_IMAP_HOST", "GATEWAY_API_TOKEN", "GATEWAY_ERP_URL"):
        env.pop(name, None)
    running = Desk(home, env)
    [order] = running.ingest(EMAIL_ORDER)["orders"]
    assert (order["po_number"], order["status"]) == (PO, "exception")
    running.start()
    yield running, password, int(order["order_id"])
    if running.process is not None and running.process.poll() is None:
        running.process.terminate()
        running.process.wait(20)


def test_the_clerk_reads_edits_and_sends_the_reply_in_a_browser(
    desk: tuple[Desk, str, int], smtp: SmtpServer, browser: Browser, tmp_path: Path
) -> None:
    server, demo_password, order_id = desk
    with new_page(browser, server.url, width=1024) as page:
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto("/")
        page.get_by_test_id("login-username").fill("demo")
        page.get_by_test_id("login-password").fill(demo_password)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("current-user")).to_contain_text("demo")

        page.goto(f"/orders/{order_id}")  # the demo has another PO 778812
        expect(page.get_by_test_id("po-number")).to_have_text(PO)
        page.locator("#reject-reason").fill(REASON)
        page.get_by_test_id("reject").click()
        reply = page.get_by_test_id("reply")
        expect(reply).to_be_visible()
        expect(reply).to_have_attribute("data-status", "draft")
        expect(reply.get_by_test_id("reply-to")).to_have_value("orders@acme-retail.example")
        expect(reply.get_by_test_id("reply-subject")).to_have_value(f"Re: PO {PO}")
        body = reply.get_by_test_id("reply-body")
        text = body.input_value()
        assert f"Reason: {REASON}" in text
        shown = reply.inner_text()
        for raw in ("=\n", "=C3", "Content-Transfer-Encoding", "MIME-Version"):
            assert raw not in text and raw not in shown
        for width in (1024, 1440):
            page.set_viewport_size({"width": width, "height": 900})
            reply.scroll_into_view_if_needed()
            box = body.bounding_box()
            assert box is not None and box["width"] >= 300  # a text a person can read and edit
            page.screenshot(path=tmp_path / f"reply-draft-{width}.png", full_page=True)

        body.fill(text.replace("Kind regards,", "Ruf uns gern an: +49 30 1234.\n\nKind regards,"))
        reply.get_by_test_id("send-reply").click()
        expect(page.get_by_test_id("messages").locator(".message.success")).to_contain_text(
            "Sent to orders@acme-retail.example."
        )
        sent = page.get_by_test_id("reply")
        expect(sent).to_have_attribute("data-status", "sent")
        expect(sent.get_by_test_id("reply-text")).to_contain_text("Ruf uns gern an: +49 30 1234.")
        page.screenshot(path=tmp_path / "reply-sent-1440.png", full_page=True)

    [received] = smtp.received  # the web request sent it before answering
    message = received.message
    assert message["In-Reply-To"] == "<order-for-next-week@mail.example>"
    assert message["Subject"] == f"Re: PO {PO}" and message["To"] == "orders@acme-retail.example"
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    assert f"Reason: {REASON}" in plain.get_content() and "Ruf uns gern an" in plain.get_content()
    assert (tmp_path / "reply-draft-1024.png").stat().st_size > 0
