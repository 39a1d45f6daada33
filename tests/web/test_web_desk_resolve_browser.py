"""Documents that made no order, resolved in a real browser: headless Chromium against `gateway run --role web`.

A PDF that came with no customer is assigned one and processed; an order is keyed in by hand
beside a PDF no reader could read, its PO number's region marked on the page image with the
mouse. Screens are saved at 1024 and 1440 px wide under the test's tmp_path.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import expect

from partners import PROFILES_DIR
from tests.conftest import FIXED_NOW
from tests.conftest import ROOT
from tests.run.test_run import free_port
from tests.servers.browser import desk_page
from tests.web.test_web_desk_browser import Desk
from tests.web.test_web_desk_browser import plain_demo_home
from tests.web.test_web_desk_resolve import NO_CUSTOMER_PDF
from tests.web.test_web_desk_resolve import NOTE
from tests.web.test_web_desk_resolve import unreadable_pdf

WIDTHS = (1024, 1440)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Desk, str, dict[str, int]]]:
    """One store and server for the module: each test resolves a document of its own."""
    tmp_path = tmp_path_factory.mktemp("resolve-desk")
    built, password = plain_demo_home(tmp_path_factory)  # gateway init --demo, once per run
    home = tmp_path / "home"
    shutil.copytree(built, home)
    profiles = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, profiles)
    env = {
        **os.environ,
        "GATEWAY_HOME": str(home),
        "GATEWAY_PARTNERS_DIR": str(profiles),
        "GATEWAY_PORT": str(free_port()),
        "GATEWAY_NOW": FIXED_NOW.isoformat(),
        "PYTHONPATH": str(ROOT),  # the server runs this checkout's code, not the installed one's
    }
    for name in ("GATEWAY_DATABASE_URL", "GATEWAY_IMAP_HOST", "GATEWAY_API_TOKEN", "GATEWAY_ERP_URL"):
        env.pop(name, None)
    running = Desk(home, env)
    pdf = tmp_path / "from-nobody.pdf"  # bytes of their own: the demo already holds the fixture
    pdf.write_bytes(NO_CUSTOMER_PDF.read_bytes() + b"\n% sent with no customer\n")
    no_customer = running.ingest(pdf)
    assert no_customer["status"] == "unknown_partner" and no_customer["orders"] == []
    note = tmp_path / NOTE
    note.write_bytes(unreadable_pdf())
    unreadable = running.ingest(note)
    assert unreadable["status"] == "rejected" and unreadable["orders"] == []
    running.start()
    ids = {"no_customer": no_customer["document_id"], "unreadable": unreadable["document_id"]}
    yield running, password, ids
    if running.process is not None and running.process.poll() is None:
        running.process.terminate()
        running.process.wait(20)


def screenshots(page: Page, folder: Path, name: str) -> None:
    """The page at each width, whole; the page is left at the first width."""
    for width in (*WIDTHS[1:], WIDTHS[0]):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=folder / f"{name}-{width}.png", full_page=True)
    assert all((folder / f"{name}-{width}.png").stat().st_size > 0 for width in WIDTHS)


def test_a_no_customer_pdf_is_assigned_and_processed_from_the_desk(
    desk: tuple[Desk, str, dict[str, int]], browser: Browser, tmp_path: Path
) -> None:
    server, password, ids = desk
    with desk_page(browser, server.url, password) as page:
        page.goto("/queue")
        page.locator(f"a[href='/documents/{ids['no_customer']}']").first.click()
        expect(page.get_by_test_id("document-error")).to_contain_text("no customer")
        expect(page.get_by_test_id("assign-form")).to_be_visible()
        screenshots(page, tmp_path, "no-customer")
        page.get_by_test_id("assign-partner").select_option("acme")
        page.get_by_test_id("assign").click()
        expect(page.get_by_test_id("messages").locator(".message.success")).to_contain_text(
            "Customer acme assigned and the document processed."
        )
        expect(page.locator(".order-head").get_by_test_id("status")).to_have_text(
            re.compile("Processed", re.I)
        )
        orders = page.get_by_test_id("document-orders").locator("tbody tr")
        expect(orders).to_have_count(1)
        expect(page.get_by_test_id("assign-form")).to_have_count(0)
        screenshots(page, tmp_path, "no-customer-assigned")
        orders.first.locator("a").click()
        expect(page.get_by_test_id("order")).to_be_visible()
        expect(page.get_by_test_id("order")).to_contain_text("acme", ignore_case=True)


def test_a_keyed_in_order_is_produced_from_an_unreadable_document(
    desk: tuple[Desk, str, dict[str, int]], browser: Browser, tmp_path: Path
) -> None:
    server, password, ids = desk
    with desk_page(browser, server.url, password) as page:
        page.goto(f"/documents/{ids['unreadable']}")
        expect(page.get_by_test_id("document-error")).to_contain_text("no line table found")
        page.get_by_test_id("key-in").locator("summary").click()
        form = page.get_by_test_id("key-in-form")
        expect(form).to_be_visible()
        image = page.get_by_test_id("pdf-page").first
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())

        form.get_by_test_id("keyed-partner").select_option("acme")
        form.get_by_test_id("keyed-po_number").fill("HAND-0042")
        form.get_by_test_id("keyed-po_date").fill("2026-11-20")
        # Mark where the PO number is: arm the field, then drag a box on the page image.
        form.get_by_test_id("mark-po_number").click()
        image.scroll_into_view_if_needed()
        box = image.bounding_box()
        assert box is not None and box["width"] > 100
        page.mouse.move(box["x"] + box["width"] * 0.10, box["y"] + box["height"] * 0.05)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.09, steps=5)
        page.mouse.up()
        expect(page.get_by_test_id("keyed-mark")).to_have_count(1)
        expect(form.get_by_test_id("mark-po_number")).to_have_text("Marked p.1")
        region = form.get_by_test_id("region-po_number").input_value()
        assert re.fullmatch(r"1:[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+", region), region

        form.get_by_test_id("keyed-line-0-part").fill("NW-10042")
        form.get_by_test_id("keyed-description").first.fill("Widget blue")
        form.get_by_test_id("keyed-line-0-quantity").fill("12")
        form.get_by_test_id("keyed-uom").first.fill("EA")
        form.get_by_test_id("keyed-line-0-price").fill("4.50")
        form.get_by_test_id("keyed-add-line").click()
        expect(form.get_by_test_id("keyed-line")).to_have_count(4)
        screenshots(page, tmp_path, "key-in")
        form.get_by_test_id("key-in-submit").click()

        expect(page.get_by_test_id("messages").locator(".message.success")).to_contain_text(
            "Order HAND-0042 keyed in."
        )
        orders = page.get_by_test_id("document-orders").locator("tbody tr")
        expect(orders).to_have_count(1)
        expect(orders.first).to_contain_text("HAND-0042")
        orders.first.locator("a").click()
        expect(page.get_by_test_id("po-number")).to_contain_text("HAND-0042")
        # The PO number points at the region the clerk marked on the page.
        marked = page.locator("rect[data-testid=highlight][data-field='header.po_number']")
        expect(marked).to_have_count(1)
        fx0, fy0, fx1, _ = (float(v) for v in re.split("[:,]", region)[1:])
        svg = marked.locator("xpath=..")
        _, _, view_width, view_height = (float(v) for v in (svg.get_attribute("viewBox") or "").split())
        assert abs(float(marked.get_attribute("x") or "nan") - fx0 * view_width) < 1.5
        assert abs(float(marked.get_attribute("y") or "nan") - fy0 * view_height) < 1.5
        assert abs(float(marked.get_attribute("width") or "nan") - (fx1 - fx0) * view_width) < 1.5
        expect(page.get_by_test_id("keyed").first).to_contain_text("keyed by demo at 2026-11-23T09:30:00")
        expect(page.get_by_test_id("history")).to_contain_text("Keyed in by hand from its document")
        screenshots(page, tmp_path, "keyed-order")
