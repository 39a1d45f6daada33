"""What an X12 interchange keeps per transaction set stays small: the reading of a 200 MB
interchange (117,647 sets) must not grow with its sets.

The 997 needs each set's AK2 and AK5, so a group keeps its sets until the interchange ends;
clean sets numbered one after another are kept as runs, and only sets with issues whole. The
ST02s pyx12 checks for repeats are kept as runs too, and the 997 is written without first
building every segment of it as a list. Memory is measured with tracemalloc, allocation by
allocation, so the figures do not depend on the machine's load.
"""

from __future__ import annotations

import gc
import io
import tracemalloc
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from bench.generate import write_interchange
from emitters import x12_997
from emitters import x12_999
from gateway.inbound import _gc
from gateway.inbound.pipeline import Pipeline
from gateway.model.receipts import GroupReceipt
from gateway.model.receipts import InterchangeReceipt
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import SetLog
from gateway.model.receipts import Severity
from gateway.model.receipts import TransactionReceipt
from parsers._pyx12_classes import _EnvelopeTracker
from partners import PartnerRegistry
from tests.x12.test_acks import Counter
from tests.x12.test_acks import profile
from tests.x12.test_acks import segments

WHEN = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
SETS = 20_000


@contextmanager
def traced() -> Iterator[Callable[[], tuple[int, int]]]:
    """Bytes allocated since entering and still held, and the peak above the start."""
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()

    def used() -> tuple[int, int]:
        held, peak = tracemalloc.get_traced_memory()
        return held - start, peak - start

    try:
        yield used
    finally:
        tracemalloc.stop()


def fresh(text: str) -> str:
    """A new string object, as a reader's split makes one per segment (a literal would be shared)."""
    return "".join(list(text))


def clean(number: str, set_id: str = "850", ref: str | None = None, segments: int = 53) -> TransactionReceipt:
    return TransactionReceipt(
        set_id=fresh(set_id), control_number=fresh(number), implementation_ref=ref, segment_count=segments
    )


def group_of(sets: list[TransactionReceipt]) -> GroupReceipt:
    return GroupReceipt(
        functional_id="PO", sender="ACME", receiver="NORTHWIND", control_number="7", version="004010",
        transactions=SetLog(sets),
    )  # fmt: skip


def test_clean_sets_numbered_in_order_are_kept_in_a_few_bytes_each() -> None:
    """Each set used to keep a receipt, its issue list and two strings: some 180 bytes a set, 3.6 MB
    for 20,000. Kept as a run, a clean set costs the few bytes of its segment count."""
    group = group_of([])
    with traced() as used:
        for number in range(1, SETS + 1):
            group.transactions.append(clean(f"{number:04d}", segments=40 + number % 30))
        held, _ = used()
    assert held < 6 * SETS, held
    assert len(group.transactions) == SETS
    back = list(group.transactions)
    assert [t.control_number for t in back[:2]] + [back[-1].control_number] == ["0001", "0002", "20000"]
    assert [t.segment_count for t in back[:3]] == [41, 42, 43]


def test_a_group_gives_back_every_set_as_it_was_read_in_order() -> None:
    """Runs break wherever the next set is not a clean continuation; the rest are kept whole."""
    warning = Issue(code="w", message="a warning", severity=Severity.WARNING, level=Level.SEGMENT)
    error = Issue(code="e", message="an error", level=Level.TRANSACTION, x12_code="23")
    sets = [
        clean("0001"),
        clean("0002", segments=9),
        TransactionReceipt(set_id="850", control_number="0003", issues=[error]),
        clean("0004"),
        clean("0006"),  # a gap
        clean("0007", set_id="860"),  # another set id
        clean("0008", set_id="860", ref="005010X"),  # another implementation reference
        clean("9999"),
        clean("10000"),  # one digit more: still the run's next number
        clean("010001"),  # padded differently: a new run
        clean("10002"),
        clean("1"),
        clean("A1"),  # not a number
        clean("A2"),
        clean(" 3"),
        clean("３"),  # a digit, but not an ASCII one
        TransactionReceipt(set_id="850", control_number="0004", issues=[warning]),  # issues, even warnings
        clean("0005"),
        clean("0005"),  # the same number again (the repeat is the checker's to report)
        clean("0000"),
        clean("-1"),
    ]
    group = group_of(sets)
    assert list(group.transactions) == sets
    assert len(group.transactions) == len(sets)
    copied = group.model_copy(update={"control_number": "8"})
    assert list(copied.transactions) == sets


def test_a_997_for_many_sets_is_written_without_holding_each_segment() -> None:
    """The 997's AK2 and AK5 of every set were built as lists, then as lines, then joined: some
    25 times the 997's own size at the peak. Written as it goes, the peak is a few times its size."""
    partner = profile("004010")
    receipt = InterchangeReceipt(
        sender_qualifier="ZZ", sender_id="PARTNERISA", receiver_qualifier="ZZ", receiver_id="NORTHWINDDIST",
        control_number="000000042", version="00401", date="261203", time="1600",
        groups=[group_of([clean(f"{number:04d}") for number in range(1, SETS + 1)])],
    )  # fmt: skip
    with traced() as used:
        document = x12_997.emit(receipt, partner, numbers=Counter(), when=WHEN)
        _, peak = used()
    size = len(document.content)
    assert peak < 4 * size, (peak, size)
    found = segments(document, partner)
    assert found[3:7] == [["AK1", "PO", "7"], ["AK2", "850", "0001"], ["AK5", "A"], ["AK2", "850", "0002"]]
    assert found[-6:-4] == [["AK2", "850", "20000"], ["AK5", "A"]]
    assert found[-4] == ["AK9", "A", str(SETS), str(SETS), str(SETS)]
    assert found[-3] == ["SE", str(2 * SETS + 4), found[2][2]]


def test_a_999_for_many_sets_names_each_sets_implementation_reference() -> None:
    partner = profile("005010")
    sets = [clean(f"{number:04d}", set_id="837", ref="005010X222A1") for number in range(1, 1001)]
    sets[500] = TransactionReceipt(
        set_id="837", control_number="0501", implementation_ref="005010X222A1",
        issues=[Issue(code="e", message="e", level=Level.TRANSACTION, x12_code="5")],
    )  # fmt: skip
    group = group_of(sets)
    group.functional_id, group.version = "HC", "005010X222A1"
    receipt = InterchangeReceipt(
        sender_qualifier="ZZ", sender_id="PARTNERISA", receiver_qualifier="ZZ", receiver_id="NORTHWINDDIST",
        control_number="000000042", version="00501", date="261203", time="1600", groups=[group],
    )  # fmt: skip
    found = segments(x12_999.emit(receipt, partner, numbers=Counter(), when=WHEN), partner)
    assert ["AK2", "837", "1000", "005010X222A1"] in found
    assert found[found.index(["AK2", "837", "0501", "005010X222A1"]) + 1] == ["IK5", "R", "5"]
    assert [s for s in found if s[0] == "AK9"] == [["AK9", "P", "1000", "1000", "999"]]


def test_control_numbers_pyx12_checks_for_repeats_are_kept_as_runs() -> None:
    """pyx12 checks each ST02 against those seen in the group; a set of 20,000 strings is some
    1.7 MB. Numbers in order are kept as runs; anything else is still remembered exactly."""
    tracker = _EnvelopeTracker()
    with traced() as used:
        tracker.st_ids = []  # as pyx12 does at each GS
        for number in range(1, SETS + 1):
            text = fresh(f"{number:04d}")
            assert text not in tracker.st_ids
            tracker.st_ids.append(text)
        held, _ = used()
    assert held < 20_000, held
    seen = tracker.st_ids
    for text in ("0001", "0002", "9999", "10000", "20000"):
        assert text in seen
    for control in ("1", "00001", "20001", "0000", "A1", None, "", "-1", "３"):
        assert control not in seen
    for control in ("1", "A1", None, "0003", "00007", "３"):
        seen.append(control)
        assert control in seen
    assert "7" not in seen and "000007" not in seen
    for text in ("0001", "0002", "9999", "10000", "20000", "00007"):  # in runs that ended
        assert text in seen
    assert "20001" not in seen and "00006" not in seen
    for number in range(30_000, 29_000, -1):  # numbers going down: none follows the last
        seen.append(str(number))
    assert "29001" in seen and "30000" in seen and "29000" not in seen and "030000" not in seen


def test_collections_while_a_document_is_processed_skip_the_heap_it_started_with(
    sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Python's full collections walk every object the process holds: the imports and pyx12's maps
    (some 130,000 objects) each time, about a quarter of an ingest's CPU, and more as what an
    interchange kept grew. What exists when processing starts is frozen out of them meanwhile.
    The young threshold is lowered here so that collections happen within 300 orders at all."""
    monkeypatch.setattr(_gc, "YOUNG_THRESHOLD", 2_000)
    text = io.StringIO()
    write_interchange(text, orders=300, lines=5)
    path = tmp_path / "three-hundred.edi"
    path.write_text(text.getvalue())
    queued: list[int] = []
    stored = Pipeline(sessions, partners, validate=False, queue=SimpleNamespace(defer=queued.append))
    stored.ingest_path(path)  # stored, and queued for a worker
    frozen: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and _gc._inside:  # a collection while the document is processed
            frozen.append(gc.get_freeze_count())

    worker = Pipeline(sessions, partners, validate=False)
    gc.callbacks.append(watch)
    try:
        outcome = worker.process(queued[0], again=False)
    finally:
        gc.callbacks.remove(watch)
    assert outcome.status == "processed" and len(outcome.order_ids) == 300
    assert frozen and min(frozen) > 10_000, (len(frozen), frozen[:5])
    assert gc.get_freeze_count() == 0  # and given back when it ends
