"""Editing an order's header and lines in a real browser (headless Chromium against `gateway run --role web`).

The store and server are ``tests.web.test_web_desk_browser``'s. On the PDF exception the clerk
corrects the ship-to and splits a line; on the EDI exception the clerk removes a line and picks
another item, approves, and reads the 855: IR for the removed line, IS with our item for the
substituted one, the buyer's item number on its PO1. Screens at 1024 and 1440 px wide go under
the test's tmp_path.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.servers.browser import desk_page
from tests.web.test_web_desk_browser import PDF_PO
from tests.web.test_web_desk_browser import REAL_SKU
from tests.web.test_web_desk_browser import TYPO_PO
from tests.web.test_web_desk_browser import TYPO_SKU
from tests.web.test_web_desk_browser import Desk
from tests.web.test_web_desk_browser import desk as desk  # the fixture: store, users and the server
from tests.web.test_web_desk_browser import open_queue_row

WIDTHS = (1024, 1440)


def open_details(page: Page, form: str, nth: int = 0) -> None:
    """Open the ``<details>`` that holds the form with test id ``form``."""
    page.locator(f"details:has([data-testid={form}]) > summary").nth(nth).click()
    expect(page.get_by_test_id(form).nth(nth)).to_be_visible()


def shots(page: Page, folder: Path, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=folder / f"{name}-{width}.png", full_page=True)


def test_edit_the_header_and_the_lines_then_the_855_answers_the_buyers_lines(
    desk: tuple[Desk, str], browser: Browser, tmp_path: Path
) -> None:
    server, demo_password = desk
    # confirm: "Remove line 2 from the order?"
    with desk_page(browser, server.url, demo_password, width=1440, confirm=True) as page:
        # The PDF order: correct the ship-to's city, split the first line.
        open_queue_row(page, PDF_PO)
        open_details(page, "ship-to-form")
        form = page.get_by_test_id("ship-to-form")
        form.locator("#st-name").fill("Springfield DC")
        form.locator("#st-city").fill("Springfield")
        form.get_by_role("button").click()
        expect(page.get_by_test_id("messages")).to_contain_text("The ship-to is corrected.")
        expect(page.get_by_test_id("field-ship_to")).to_contain_text("Springfield")
        lines = page.get_by_test_id("line").count()
        open_details(page, "split-line-form")
        split = page.get_by_test_id("split-line-form").first
        split.locator("input[name=quantity]").fill("1")
        split.get_by_role("button").click()
        expect(page.get_by_test_id("messages")).to_contain_text("is split: 1 went to a new line.")
        expect(page.get_by_test_id("line")).to_have_count(lines + 1)
        expect(page.get_by_test_id("split-from")).to_have_count(1)
        expect(page.get_by_test_id("keyed").first).to_contain_text("keyed by demo at ")
        shots(page, tmp_path, "pdf-edited")

        # The EDI order: remove line 2, pick the item for line 3, approve, read the 855.
        open_queue_row(page, TYPO_PO)
        open_details(page, "remove-line-form", 1)
        page.get_by_test_id("remove-line-form").nth(1).get_by_role("button").click()
        expect(page.get_by_test_id("messages")).to_contain_text("Line 2 is removed.")
        expect(page.get_by_test_id("line")).to_have_count(2)
        page.get_by_test_id("finding").and_(page.locator("[data-code=unknown_item]")).get_by_test_id(
            "pick-sku"
        ).first.click()
        expect(page.get_by_test_id("messages")).to_contain_text(f"Line 3 now orders {REAL_SKU}.")
        page.get_by_test_id("approve").click()
        expect(page.get_by_test_id("decided")).to_contain_text("Accepted")
        shots(page, tmp_path, "edi-approved")
        page.get_by_test_id("sent-855").get_by_role("link").first.click()
        text = page.content()
        assert "BAK*00*AC*" + TYPO_PO in text
        assert "ACK*IR*6*CA" in text
        assert f"PO1*3*10*EA*12**VN*{TYPO_SKU}" in text
        assert f"ACK*IS*10*EA****VN*{REAL_SKU}" in text
    assert all(
        (tmp_path / f"{name}-{w}.png").stat().st_size > 0
        for name in ("pdf-edited", "edi-approved")
        for w in WIDTHS
    )
