"""The web tests' browser: one headless Chromium per test module, each test in a context of its own.

Starting Playwright's driver and Chromium costs about a CPU second and several seconds on a loaded
machine; a module's browser tests share one. Not one per session: while Playwright's sync API is
running, this thread counts its event loop as running, and a later test's ``asyncio.run`` (the job
queue's tests) would fail; after a module the driver is stopped, as before.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.servers.browser import chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched
