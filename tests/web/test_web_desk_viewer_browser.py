"""The PDF viewer beside the order, in headless Chromium against `gateway run --role web`, at 1024 and 1440 px.

The page fits the panel's width, zooms (buttons, Ctrl + wheel) to where its text is readable
and is drawn again sharp, pans by dragging; a value with a finding is boxed red; hovering a
field lights its box and the other way round; a scanned page shows the words OCR read; an X12 syntax error is red on its segment and links to
its finding. Each
state is saved as a screenshot under the test's tmp_path.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Locator
from playwright.sync_api import expect

from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.servers.browser import desk_page
from tests.web.test_web_desk_browser import PDF_PO
from tests.web.test_web_desk_browser import Desk
from tests.web.test_web_desk_browser import desk as desk  # the fixture: a store, the real server
from tests.web.test_web_desk_browser import open_queue_row

FAX = ROOT / "fixtures" / "scans" / "fax-po.tif"
READABLE = 700  # px: the page drawn at least this wide makes its text readable (about 8 px and up)
LOADED = "img => img.complete && img.naturalWidth > 0"


def _width(image: Locator) -> float:
    return float(image.evaluate("img => img.getBoundingClientRect().width"))


@pytest.mark.parametrize("width", [1024, 1440])
def test_the_pdf_is_readable_zoomable_and_linked_to_its_fields(
    desk: tuple[Desk, str], browser: Browser, width: int, tmp_path: Path
) -> None:
    server, password = desk
    fax = server.ingest(FAX, "--partner", "acme")
    errors = server.ingest(INBOX / "acme-errors.edi")
    [fax_order] = fax["orders"]
    with desk_page(browser, server.url, password, width=width) as page:
        open_queue_row(page, PDF_PO)
        image = page.get_by_test_id("pdf-page").first
        page.wait_for_function(LOADED, arg=image.element_handle())
        expect(page.get_by_test_id("pdf-tools")).to_be_visible()
        expect(page.get_by_test_id("zoom-level")).to_have_text("100%")

        # Fit to width: the page fills the panel, whatever the window.
        panel = page.get_by_test_id("pdf-pages")
        fitted = _width(image)
        assert abs(fitted - float(panel.evaluate("el => el.clientWidth"))) <= 4
        page.screenshot(path=tmp_path / f"pdf-fit-{width}.png")

        # Zoomed to readable in a few clicks, and drawn again sharp once shown larger than drawn.
        clicks = 0
        while _width(image) < READABLE:
            page.get_by_test_id("zoom-in").click()
            clicks += 1
            assert clicks <= 4, f"still {_width(image)} px wide after {clicks} clicks"
        assert _width(image) >= READABLE
        expect(page.get_by_test_id("zoom-level")).not_to_have_text("100%")
        page.screenshot(path=tmp_path / f"pdf-readable-{width}.png")
        while page.get_by_test_id("zoom-level").text_content() != "400%":  # shown larger than drawn
            page.get_by_test_id("zoom-in").click()
        page.wait_for_function(
            "img => img.src.includes('scale=3') && img.complete && img.naturalWidth >= 0.9 * img.getBoundingClientRect().width",
            arg=image.element_handle(),
        )

        # Drag to pan a zoomed page.
        box = panel.bounding_box()
        assert box is not None
        before = panel.evaluate("el => [el.scrollLeft, el.scrollTop]")
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 - 150, box["y"] + box["height"] / 2 - 100, steps=6)
        page.mouse.up()
        after = panel.evaluate("el => [el.scrollLeft, el.scrollTop]")
        assert after[0] > before[0] and after[1] > before[1]

        # Back to fit, then Ctrl + wheel zooms.
        page.get_by_test_id("zoom-fit").click()
        expect(page.get_by_test_id("zoom-level")).to_have_text("100%")
        assert abs(_width(image) - fitted) <= 2
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 100)
        page.keyboard.down("Control")
        page.mouse.wheel(0, -200)
        page.keyboard.up("Control")
        expect(page.get_by_test_id("zoom-level")).not_to_have_text("100%")
        assert _width(image) > fitted
        page.get_by_test_id("zoom-fit").click()

        # A value a finding holds is boxed red; hovering its field lights the box, and back.
        red = page.locator("svg.boxes rect.hl.bad")
        assert red.count() >= 1
        field = red.first.get_attribute("data-field")
        anchor = red.first.get_attribute("id")
        link = page.locator(f"[data-testid=source-link][data-source='{anchor}']").first
        link.scroll_into_view_if_needed()
        link.hover()
        expect(red.first).to_have_class(re.compile(r"\bis-lit\b"))
        red.first.scroll_into_view_if_needed()
        red.first.hover()
        expect(link).to_have_class(re.compile(r"\bis-lit\b"))
        assert field and field.startswith(("lines[", "header."))
        page.screenshot(path=tmp_path / f"pdf-hover-{width}.png")

        # A scanned page: the words OCR read, drawn over it.
        page.goto(f"/orders/{fax_order['order_id']}")
        toggle = page.get_by_test_id("ocr-toggle")
        expect(toggle).to_be_visible()
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
        words = page.get_by_test_id("ocr-word")
        status = page.get_by_test_id("ocr-status")
        page.wait_for_function(  # every scanned page read (each takes Tesseract a few seconds)
            "() => !document.querySelector('[data-scanned]:not([data-words-state=done])')", timeout=90_000
        )
        assert words.count() > 20, status.text_content()
        expect(status).to_be_hidden()
        page.screenshot(path=tmp_path / f"ocr-words-{width}.png")

        # The EDI view: the segment in error is red, its finding is said plainly and links to the
        # finding box; the 997 that answered the interchange is shown beside it.
        [rejected] = [o for o in errors["orders"] if o["po_number"] == "4500012399"]
        page.goto(f"/orders/{rejected['order_id']}")
        segment = page.get_by_test_id("x12-error-segment").filter(has_text="ZZZ")
        expect(segment).to_be_visible()
        link = segment.get_by_test_id("x12-finding-link")
        expect(link).to_have_attribute("title", re.compile(r"Started at /ISA_LOOP/GS_LOOP/"))
        expect(link).not_to_contain_text("Started at")
        expect(page.get_by_test_id("answers").locator("[data-kind='997']")).to_contain_text("rejected")
        page.screenshot(path=tmp_path / f"edi-{width}.png")
        link.click()
        target = (link.get_attribute("href") or "#").lstrip("#")
        assert target.startswith("finding-") and page.url.endswith(f"#{target}")
        expect(page.locator(f"[id='{target}']")).to_be_in_viewport()
