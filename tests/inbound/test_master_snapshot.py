"""A process's first small document is validated from a partial master-data snapshot (the rows its
lines name), with the same result as from the whole snapshot; anything else loads the whole one."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import reports
from gateway.inbound import master_data
from gateway.inbound import validation
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import copy_of

ACME = (INBOX / "acme-4500012345.edi").read_bytes()  # NW-10042, NW-20017 and NW-30555, all in the catalog
# NW-10042 at C1001's price from 120 (4.20, not the list's 4.50): a price the price agreement gives.
BREAK = (b"PO1*1*24*EA*4.50*", b"PO1*1*120*EA*4.20*")


def _loads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the whole and partial snapshots loaded from now on."""
    loaded: Counter[str] = Counter()
    real = master_data.load_snapshot

    def counting(*args: Any, **kwargs: Any) -> Any:
        loaded["partial" if kwargs.get("skus") is not None else "whole"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(master_data, "load_snapshot", counting)
    return loaded


def _ingest(template: Path, folder: Path, documents: list[Path]) -> list[dict[str, Any]]:
    """Each document's report (orders and their findings included), ingested in turn by one new pipeline
    on a fresh copy of ``template``."""
    folder.mkdir()
    done = []
    for sessions in copy_of(template, folder / "gateway.db"):
        pipeline = Pipeline(sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW)
        for document in documents:
            outcome = pipeline.ingest_path(document)
            with sessions() as session:
                done.append(reports.document_report(session, outcome, orders=True))
    return done


def _acme(tmp_path: Path, name: str, sku: bytes = b"NW-30555", po: bytes = b"4500012345") -> Path:
    path = tmp_path / name
    path.write_bytes(ACME.replace(b"*VN*NW-30555", b"*VN*" + sku).replace(b"4500012345", po).replace(*BREAK))
    assert BREAK[1] in path.read_bytes()
    return path


@pytest.mark.parametrize(
    ("sku", "whole"),
    [
        (b"NW-30555", 0),  # every line names a catalog SKU: the partial snapshot is enough
        (b"NW-99999", 1),  # not in the catalog: its suggestions need the whole catalog
        (b"nw-30555", 1),  # in the catalog in another case: found only in the whole snapshot's index
    ],
)
def test_a_first_small_document_is_validated_as_against_the_whole_snapshot(
    master_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sku: bytes, whole: int
) -> None:
    document = _acme(tmp_path, "po.edi", sku)
    with monkeypatch.context() as never_partial:
        never_partial.setattr(validation, "PARTIAL_SKUS", -1)
        [expected] = _ingest(master_template, tmp_path / "whole", [document])
    loaded = _loads(monkeypatch)
    [found] = _ingest(master_template, tmp_path / "partial", [document])
    assert loaded == Counter({"partial": 1, "whole": whole})
    assert found == expected
    [order] = found["orders"]
    assert order["status"] == ("exception" if sku == b"NW-99999" else "accepted"), order["findings"]
    if whole:  # the control: the line did need the whole catalog
        assert any(f["code"] == "unknown_item" for f in expected["orders"][0]["findings"]) is (
            sku == b"NW-99999"
        )


def test_a_later_document_of_the_same_revision_loads_the_whole_snapshot(
    master_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-running process keeps one whole snapshot: only its first small batch is served partially."""
    documents = [_acme(tmp_path, "one.edi"), _acme(tmp_path, "two.edi", po=b"4500099999")]
    with monkeypatch.context() as never_partial:
        never_partial.setattr(validation, "PARTIAL_SKUS", -1)
        expected = _ingest(master_template, tmp_path / "whole", documents)
    loaded = _loads(monkeypatch)
    found = _ingest(master_template, tmp_path / "partial", documents)
    assert loaded == Counter({"partial": 1, "whole": 1})
    assert found == expected
