"""While a document is processed, Python's cyclic collector runs rarely; afterwards it is as it was.

The collector's thresholds are the process's, so the tests look at them from inside the
processing (through the parser the pipeline calls) and after it, including after a failure and
with two documents processed at once on two threads.
"""

from __future__ import annotations

import gc
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from bench.generate import write_file
from gateway.inbound import _gc
from gateway.inbound import pipeline as pipeline_module
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import three_po_interchange


@pytest.fixture
def default_thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_a_document_is_processed_with_few_collections_then_the_thresholds_come_back(
    sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    monkeypatch: pytest.MonkeyPatch,
    default_thresholds: tuple[int, int, int],
) -> None:
    seen: list[tuple[int, int, int]] = []
    parse_stream = pipeline_module.parse_stream

    def watching(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_threshold())
        return parse_stream(*args, **kwargs)

    monkeypatch.setattr(pipeline_module, "parse_stream", watching)
    pipeline = Pipeline(sessions, partners, clock=lambda: FIXED_NOW)
    outcome = pipeline.ingest_stream(io.BytesIO(three_po_interchange()), channel="file", filename="three.edi")
    assert outcome.status == "processed" and len(outcome.order_ids) == 3
    assert len(seen) == 1 and seen[0][0] >= _gc.YOUNG_THRESHOLD
    assert gc.get_threshold() == default_thresholds


def test_a_failure_inside_gives_the_thresholds_back(default_thresholds: tuple[int, int, int]) -> None:
    with pytest.raises(RuntimeError), _gc.few_collections():
        assert gc.get_threshold()[0] == _gc.YOUNG_THRESHOLD
        raise RuntimeError("the document failed")
    assert gc.get_threshold() == default_thresholds


def test_two_documents_at_once_the_thresholds_come_back_when_the_last_ends(
    default_thresholds: tuple[int, int, int],
) -> None:
    first_in, second_done, first_may_end = threading.Event(), threading.Event(), threading.Event()
    during: list[tuple[int, int, int]] = []

    def first() -> None:
        with _gc.few_collections():
            first_in.set()
            first_may_end.wait(30)
            during.append(gc.get_threshold())

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(30)
    with _gc.few_collections():
        pass
    second_done.set()
    # the second ended while the first is still inside: still few collections for the first
    assert gc.get_threshold()[0] == _gc.YOUNG_THRESHOLD
    first_may_end.set()
    thread.join(30)
    assert during[0][0] == _gc.YOUNG_THRESHOLD
    assert gc.get_threshold() == default_thresholds


def test_thresholds_set_higher_by_the_program_are_left_alone() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(_gc.YOUNG_THRESHOLD * 2, 10, 10)
        with _gc.few_collections():
            assert gc.get_threshold() == (_gc.YOUNG_THRESHOLD * 2, 10, 10)
        assert gc.get_threshold() == (_gc.YOUNG_THRESHOLD * 2, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_a_full_batch_of_orders_is_read_and_stored_without_a_collection(
    sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    default_thresholds: tuple[int, int, int],
    tmp_path: Path,
) -> None:
    """The orders of a batch stay alive until it is stored: a threshold below the objects they hold
    (50,000 was, at about 150 per order) ran a young collection over them every few dozen orders,
    each one scanning them all again: 28 collections and 0.13 s of CPU per 2,000 POs."""
    path = write_file(tmp_path / "batch.edi", orders=pipeline_module._BATCH_LINES // 5, lines=5)
    pipeline = Pipeline(sessions, partners, clock=lambda: FIXED_NOW)
    inside: list[int] = []  # the generations collected while the document was processed

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and gc.get_threshold()[0] >= _gc.YOUNG_THRESHOLD:
            inside.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        outcome = pipeline.ingest_path(path)
    finally:
        gc.callbacks.remove(count)
    assert outcome.status == "processed" and len(outcome.order_ids) == pipeline_module._BATCH_LINES // 5
    assert inside == [], f"{len(inside)} collections (generations {inside})"
