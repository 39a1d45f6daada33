"""Long-running roles warm up before their first document: the maps and master data are loaded at start."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
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
from tests.conftest import ROOT


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


_FIRST_OF_EACH_FORMAT = """
import json, sys
from datetime import datetime
from pathlib import Path
from pydantic import BaseModel
from gateway import storage
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry

def models(cls=BaseModel):
    for sub in cls.__subclasses__():
        yield sub
        yield from models(sub)

def built():
    return {f"{m.__module__}.{m.__qualname__}" for m in models() if m.__pydantic_complete__}

store, fixtures, now = sys.argv[1], Path(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
pipeline = Pipeline(
    storage.make_sessionmaker(storage.make_engine(f"sqlite:///{store}")),
    PartnerRegistry.from_directory(),
    clock=lambda: now,
)
pipeline.warm_up()
modules, complete = set(sys.modules), built()
statuses = [
    pipeline.ingest_path(fixtures / path, partner=partner).status
    for path, partner in [
        ("inbox/acme-4500012345.edi", None),
        ("pdfs/buyer-parts-landscape.pdf", "acme"),
        ("sheets/plain-export.xlsx", "acme"),
        ("sheets/semicolon.csv", "acme"),
        ("emails/forwarded.eml", None),
        ("inbox/unknown-sender.edi", None),  # read provisionally (imported where first used)
    ]
]
print(json.dumps({
    "statuses": statuses,
    "imported": sorted(set(sys.modules) - modules),
    "built": sorted(built() - complete),
}))
"""


def test_a_warmed_up_process_imports_no_reader_and_builds_no_model_for_its_first_documents(
    tmp_path: Path, master_template: Path
) -> None:
    """A fresh `gateway worker` imported the PDF, sheet, email and image readers (pdfplumber,
    openpyxl, pypdfium2...) and built about 20 pydantic models' schemas while it processed its first
    documents: about 1 s of CPU inside the scaling bench's window (5 ms a document over 200), which
    a warm inline process did not pay. Checked in a fresh process: this one has loaded everything."""
    store = tmp_path / "gateway.db"
    shutil.copyfile(master_template, store)
    fixtures, now = str(ROOT / "fixtures"), FIXED_NOW.isoformat()
    script = [sys.executable, "-c", _FIRST_OF_EACH_FORMAT, str(store), fixtures, now]
    done = subprocess.run(script, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert "processed" in report["statuses"]
    assert [m for m in report["imported"] if not m.startswith("encodings.")] == []
    assert report["built"] == []
