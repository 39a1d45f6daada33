"""Shared test fixtures: a fresh SQLite store per test, partner registries, a pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.pipeline import Pipeline
from partners import PartnerRegistry
from partners import load_profile

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
INBOX = ROOT / "fixtures" / "inbox"
TEST_PROFILES = Path(__file__).parent / "profiles"
FIXED_NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    storage.upgrade(engine)
    yield storage.make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def partners() -> PartnerRegistry:
    return PartnerRegistry.from_directory()


@pytest.fixture
def corpus_partners() -> PartnerRegistry:
    registry = PartnerRegistry.from_directory()
    for path in sorted(TEST_PROFILES.glob("*.toml")):
        registry.add(load_profile(path))
    return registry


@pytest.fixture
def pipeline(sessions: sessionmaker[Session], partners: PartnerRegistry) -> Pipeline:
    return Pipeline(sessions, partners, clock=lambda: FIXED_NOW)


@pytest.fixture
def corpus_pipeline(sessions: sessionmaker[Session], corpus_partners: PartnerRegistry) -> Pipeline:
    return Pipeline(sessions, corpus_partners, clock=lambda: FIXED_NOW)
