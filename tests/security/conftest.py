"""Fixtures of the security suite: one store per test module (migrating a store takes a second)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import open_app


@pytest.fixture
def desk(store: Path, tmp_path: Path) -> Iterator[DeskApp]:
    """The order desk over the module's own ``store`` (each desk test module builds one)."""
    opened, engine = open_app(store, tmp_path)
    yield opened
    engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def store_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """A parse-only pipeline (as the readers' own tests use) over a store shared by the module's tests.

    Each hostile document is its own bytes, so tests do not see each other's documents.
    """
    path = tmp_path_factory.mktemp("security") / "gateway.db"
    engine = storage.make_engine(f"sqlite:///{path}")
    storage.upgrade(engine)
    yield Pipeline(
        storage.make_sessionmaker(engine), PartnerRegistry.from_directory(), lambda: FIXED_NOW, validate=False
    )
    engine.dispose()


# The AS2 world (our endpoint and a real pyas2lib partner, both served on loopback) and its keys,
# shared with tests/transports/test_as2.py rather than copied.
from tests.transports.test_as2 import keys as keys  # noqa: E402
from tests.transports.test_as2 import world as world  # noqa: E402
