"""Headless Chromium for the order desk's end-to-end tests: Debian's chromium driven by Playwright.

Playwright never downloads a browser here: ``executable_path`` points at /usr/bin/chromium,
which ``scripts/system-packages.sh`` installs. The flags keep Chromium off the network it
would otherwise try to reach at start. Screenshots go to ``SCREENSHOTS`` for a person to look at.
The tests share one Chromium per test module (the ``browser`` fixture in tests/web/conftest.py)
and each opens a context of its own: its own cookies, storage and pages.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# How long a page action or an ``expect`` waits for its condition. It only ends a hung test: a
# condition met sooner returns at once, and a loaded machine (Playwright's 5 s default, or 10 s)
# failed tests that would have passed a moment later.
PATIENCE_MS = 120_000
expect.set_options(timeout=PATIENCE_MS)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM}: run scripts/system-packages.sh as root")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_page(browser: Browser, url: str, *, width: int, height: int = 900) -> Iterator[Page]:
    """A page in a new context of ``browser`` (nothing shared with other tests' pages: cookies,
    storage, cache), ``width`` by ``height``, its paths relative to ``url``; the context is
    closed after, whatever the test did."""
    context = browser.new_context(base_url=url, viewport={"width": width, "height": height})
    try:
        context.set_default_timeout(PATIENCE_MS)
        yield context.new_page()
    finally:
        context.close()


@contextmanager
def desk_page(
    browser: Browser, url: str, password: str, *, width: int = 1024, confirm: bool = False
) -> Iterator[Page]:
    """A page on the order desk at ``url``, ``width`` by 900, logged in as ``demo`` with ``password``;
    with ``confirm`` it accepts every dialog (``confirm()``) the desk opens."""
    with new_page(browser, url, width=width) as page:
        if confirm:
            page.on("dialog", lambda dialog: dialog.accept())
        log_in(page, password)
        yield page


def log_in(page: Page, password: str) -> None:
    """Log in through the login form as ``demo``."""
    page.goto("/login")
    page.get_by_test_id("login-username").fill("demo")
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("current-user")).to_contain_text("demo")
