"""Long-running roles warm up before their first document: the maps and master data are loaded at start."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from parsers import _pyx12
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX


@pytest.fixture
def cold_maps() -> Iterator[None]:
    """This process as if just started: no map parsed yet (other tests may have loaded some)."""
    caches = (_pyx12.load_map, _pyx12._map_file_once, _pyx12._node)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


def test_a_warmed_up_pipeline_parses_no_map_for_its_first_document(
    master_sessions: sessionmaker[Session], cold_maps: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first 850 a fresh pollers or worker process took used to parse its maps (850, the
    envelope, and the 855's for the check before it may leave): about a second of CPU on top of
    that document's own, which made it the slowest 997 of all."""
    pipeline = Pipeline(master_sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW)
    loaded = pipeline.warm_up()
    assert {"850.4010.xml", "855.4010.xml", "x12.control.00401.xml", "850.5010.xml"} <= set(loaded)
    parsed: list[str] = []
    real = _pyx12._PYX12_LOAD_MAP_FILE

    def counted(map_file: str, *args: Any) -> Any:
        parsed.append(map_file)
        return real(map_file, *args)

    monkeypatch.setattr(_pyx12, "_PYX12_LOAD_MAP_FILE", counted)  # pyx12's loader, for reader and checker

    outcome = pipeline.ingest_path(INBOX / "acme-4500012345.edi")

    with master_sessions() as session:
        kinds = sorted(
            session.scalars(
                select(storage.OutboundRecord.kind).where(storage.OutboundRecord.id.in_(outcome.outbound_ids))
            )
        )
    assert kinds == ["855", "997"]  # the 855 was checked by pyx12 before it was stored
    assert parsed == []


def test_a_cold_pipeline_parses_each_map_its_first_document_needs_once(
    master_sessions: sessionmaker[Session], cold_maps: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a warm-up (``gateway ingest``), the reader and the 855's check share one parsed copy
    of each map; the check, which swaps pyx12's loader for the shared one, must not call itself."""
    parsed: list[str] = []
    real = _pyx12._PYX12_LOAD_MAP_FILE

    def counted(map_file: str, *args: Any) -> Any:
        parsed.append(map_file)
        return real(map_file, *args)

    monkeypatch.setattr(_pyx12, "_PYX12_LOAD_MAP_FILE", counted)
    pipeline = Pipeline(master_sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW)

    outcome = pipeline.ingest_path(INBOX / "acme-4500012345.edi")

    assert len(outcome.outbound_ids) == 2  # its 997 and 855
    assert sorted(parsed) == ["850.4010.xml", "855.4010.xml", "x12.control.00401.xml"]
