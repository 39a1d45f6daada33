"""Fixtures of the security suite: one store per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import copy_of
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import open_app


@pytest.fixture
def desk(store: Path, tmp_path: Path) -> Iterator[DeskApp]:
    """The order desk over the module's own ``store`` (each desk test module builds one)."""
    opened, engine = open_app(store, tmp_path)
    yield opened
    engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def store_pipeline(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Iterator[Pipeline]:
    """A parse-only pipeline (as the readers' own tests use) over a store shared by the module's tests:
    a copy of the run's migrated template (migrating costs a second, copying milliseconds).

    Each hostile document is its own bytes, so tests do not see each other's documents.
    """
    for sessions in copy_of(migrated_template, tmp_path_factory.mktemp("security") / "gateway.db"):
        yield Pipeline(sessions, PartnerRegistry.from_directory(), lambda: FIXED_NOW, validate=False)


# The AS2 world (our endpoint and a real pyas2lib partner, both served on loopback) and its keys,
# shared with tests/transports/test_as2.py rather than copied.
from tests.transports.test_as2 import keys as keys  # noqa: E402
from tests.transports.test_as2 import world as world  # noqa: E402
