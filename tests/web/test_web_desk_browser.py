"""The order desk end to end in a real browser: headless Chromium against `gateway run --role web`.

The store is made by the real CLI (``gateway init --demo``, then ``gateway ingest``) and the
server is the real process. The test logs in, opens a PDF exception and follows a field to where
it came from, fixes an unknown SKU from the suggestions, approves, and sees the 855 and the ERP
payload. Each screen is saved under ``tests.servers.browser.SCREENSHOTS`` for a person to look at.
Chromium not starting is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.conftest import built_once
from tests.run.test_run import free_port
from tests.run.test_run import wait_for
from tests.servers.browser import SCREENSHOTS
from tests.servers.browser import new_page

GATEWAY = Path(sys.executable).parent / "gateway"
PDF = ROOT / "fixtures" / "pdfs" / "buyer-parts-landscape.pdf"
PDF_PO = "GX-L-7702"
TYPO_PO = "4500077777"
TYPO_SKU, REAL_SKU = "NW-30355", "NW-30555"  # one character off


def typo_850() -> bytes:
    """The demo acme 850 under a new PO and interchange number, line 3's vendor SKU mistyped."""
    data = (INBOX / "acme-4500012345.edi").read_bytes()
    return (
        data.replace(b"4500012345", TYPO_PO.encode())
        .replace(b"000001001", b"000077001")
        .replace(REAL_SKU.encode(), TYPO_SKU.encode())
    )


class Desk:
    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home, self.env = home, env
        self.url = f"http://127.0.0.1:{env['GATEWAY_PORT']}"
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        done = subprocess.run([str(GATEWAY), *args], env=self.env, capture_output=True, text=True)
        assert done.returncode == 0, f"gateway {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def ingest(self, path: Path, *extra: str) -> dict[str, Any]:
        [line] = [
            line for line in self.cli("ingest", "--json", str(path), *extra).splitlines() if line.strip()
        ]
        return json.loads(line)

    def start(self) -> None:
        log = (self.home / "run.log").open("ab")
        self.process = subprocess.Popen(
            [str(GATEWAY), "run", "--role", "web"], env=self.env, stdout=log, stderr=log
        )
        wait_for(self.is_up, "the order desk to serve")

    def is_up(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            log = (self.home / "run.log").read_text(errors="replace")
            raise AssertionError(f"gateway run exited with {self.process.returncode}:\n{log}")
        try:
            return httpx.get(f"{self.url}/login").status_code == 200
        except httpx.TransportError:
            return False


def desk_env(home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "GATEWAY_HOME": str(home),
        "GATEWAY_PARTNERS_DIR": str(ROOT / "partners" / "profiles"),
        "GATEWAY_PORT": str(free_port()),
        "GATEWAY_NOW": FIXED_NOW.isoformat(),
        "GATEWAY_ERP_URL": "http://127.0.0.1:9/erp",  # approval queues an ERP payload; nothing receives it
    }
    for name in ("GATEWAY_DATABASE_URL", "GATEWAY_IMAP_HOST", "GATEWAY_API_TOKEN"):
        env.pop(name, None)
    return env


_DEMO_HOMES: dict[str, tuple[Path, str]] = {}  # this process's: each data folder and its password


def demo_built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], str]
) -> tuple[Path, str]:
    """``folder/home`` and the demo password that ``build(folder)`` made and returned, once per run
    however many xdist processes ask (``built_once``). Tests copy the home, never change it."""
    if name not in _DEMO_HOMES:

        def build_with_password(folder: Path) -> None:
            (folder / "password").write_text(build(folder))

        folder = built_once(tmp_path_factory, name, build_with_password)
        _DEMO_HOMES[name] = (folder / "home", (folder / "password").read_text())
    return _DEMO_HOMES[name]


def demo_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data folder made by the real CLI (``gateway init --demo``, then the PDF and the mistyped 850
    ingested, each an exception), once per run; each test serves its own copy of it."""
    plain, password = plain_demo_home(tmp_path_factory)  # init --demo once per run, not once per home
    return demo_built_once(tmp_path_factory, "desk-demo", partial(build_demo_home, plain, password))


def plain_demo_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data folder as ``gateway init --demo`` leaves it with no ERP configured, once per run; a
    fixture copies it and adds its own documents."""
    return demo_built_once(tmp_path_factory, "plain-demo", build_plain_demo_home)


def build_plain_demo_home(folder: Path) -> str:
    home = folder / "home"
    home.mkdir()
    env = desk_env(home)
    del env["GATEWAY_ERP_URL"]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    found = re.search(r"order desk demo user: (\S+) / (\S+)", Desk(home, env).cli("init", "--demo"))
    assert found is not None and found.group(1) == "demo"
    return found.group(2)


def build_demo_home(plain: Path, password: str, folder: Path) -> str:
    """Build the demo data folder in ``folder/home`` from a copy of the ``plain`` one that
    ``gateway init --demo`` made; returns the demo user's ``password``."""
    home = folder / "home"
    shutil.copytree(plain, home)
    running = Desk(home, desk_env(home))
    pdf = running.ingest(PDF, "--partner", "acme")
    assert [(o["po_number"], o["status"]) for o in pdf["orders"]] == [(PDF_PO, "exception")]
    typo = folder / f"acme-{TYPO_PO}.edi"
    typo.write_bytes(typo_850())
    [order] = running.ingest(typo)["orders"]
    assert order["status"] == "exception"
    [finding] = [f for f in order["findings"] if f["code"] == "unknown_item"]
    assert finding["received"] == TYPO_SKU and finding["suggestions"][0]["sku"] == REAL_SKU
    return password


@pytest.fixture
def desk(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Desk, str]]:
    built, password = demo_home(tmp_path_factory)
    home = tmp_path / "home"
    shutil.copytree(built, home)
    running = Desk(home, desk_env(home))
    running.start()
    yield running, password
    if running.process is not None and running.process.poll() is None:
        running.process.terminate()
        running.process.wait(20)


def open_queue_row(page: Page, po_number: str) -> None:
    page.goto("/queue")
    page.get_by_test_id("queue-open").filter(has_text=f"PO {po_number}").click()
    expect(page.get_by_test_id("order")).to_be_visible()
    expect(page.get_by_test_id("po-number")).to_contain_text(po_number)


def test_the_order_desk_in_a_browser(desk: tuple[Desk, str], browser: Browser) -> None:
    server, demo_password = desk
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with new_page(browser, server.url, width=1400, height=1000) as page:
        page.on("dialog", lambda dialog: dialog.accept())

        page.goto("/")
        expect(page.get_by_test_id("login-form")).to_be_visible()
        page.get_by_test_id("login-username").fill("demo")
        page.get_by_test_id("login-password").fill(demo_password)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("current-user")).to_contain_text("demo")
        page.goto("/queue")
        rows = page.get_by_test_id("queue-row")
        expect(rows.first).to_be_visible()
        assert rows.count() >= 2
        expect(page.get_by_test_id("queue-open").filter(has_text=f"PO {PDF_PO}")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / "queue.png", full_page=True)

        # A PDF exception: the page image with the boxes, and a field pointing at its box.
        open_queue_row(page, PDF_PO)
        expect(
            page.get_by_test_id("finding").and_(page.locator("[data-code=price_mismatch]")).first
        ).to_be_visible()
        image = page.get_by_test_id("pane-pdf").get_by_test_id("pdf-page").first
        expect(image).to_be_visible()
        loaded = "img => img.complete && img.naturalWidth > 0"  # the server renders the page to a PNG
        page.wait_for_function(loaded, arg=image.element_handle())
        highlights = page.get_by_test_id("highlight")
        assert highlights.count() >= 1
        expect(highlights.first).to_be_visible()
        box = highlights.first.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        page.screenshot(path=SCREENSHOTS / "order-pdf.png", full_page=True)
        link = page.get_by_test_id("source-link").last
        anchor = link.get_attribute("data-source")
        assert anchor
        target = page.locator(f"[id='{anchor}']")
        link.click()
        expect(target).to_have_class(re.compile(r"\bis-pointed\b"))
        expect(target).to_be_in_viewport()
        assert page.url.endswith(f"#{anchor}")

        # The unknown SKU: pick the suggestion, then approve and see what was sent.
        open_queue_row(page, TYPO_PO)
        unknown = page.get_by_test_id("finding").and_(page.locator("[data-code=unknown_item]"))
        expect(unknown).to_be_visible()
        pick = unknown.get_by_test_id("pick-sku").first
        expect(pick).to_have_attribute("data-sku", REAL_SKU)
        pick.click()
        expect(page.get_by_test_id("messages").locator(".message.success")).to_contain_text(
            f"Line 3 now orders {REAL_SKU}."
        )
        expect(page.get_by_test_id("line-sku").nth(2)).to_have_text(REAL_SKU)
        expect(
            page.get_by_test_id("changes-pending")
        ).to_be_visible()  # the finding goes when approving checks again
        page.get_by_test_id("approve").click()
        expect(page.get_by_test_id("messages").locator(".message.success")).to_be_visible()
        expect(page.get_by_test_id("desk-error")).to_have_count(0)
        expect(page.get_by_test_id("decided")).to_contain_text("Accepted")
        expect(page.get_by_test_id("finding").and_(page.locator("[data-code=unknown_item]"))).to_have_count(0)
        expect(page.get_by_test_id("sent-855")).to_be_visible()
        expect(page.get_by_test_id("sent-erp")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / "order-approved.png", full_page=True)

        # The other screens.
        page.goto("/documents")
        expect(page.get_by_test_id("document-row").first).to_be_visible()
        page.screenshot(path=SCREENSHOTS / "documents.png", full_page=True)
        page.goto("/dashboard")
        expect(page.get_by_test_id("figures")).to_be_visible()
        for chart in ("chart-reasons", "chart-daily", "chart-channels", "chart-partners"):
            expect(page.get_by_test_id(chart).locator("svg.chart")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)
        page.goto("/partners")
        expect(page.get_by_test_id("partner-row").first).to_be_visible()
        page.screenshot(path=SCREENSHOTS / "partners.png", full_page=True)
