"""The intake the SFTP pull and the drop inbox share: which listed files are complete, the store, the problems told."""

from __future__ import annotations

import stat

from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.outbound.transport_status import status_rows
from gateway.transports._intake import Intake
from gateway.transports._intake import IntakeReport
from gateway.transports._intake import StabilityGate
from partners import DropInbox
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


REGULAR, FOLDER, FIFO = stat.S_IFREG | 0o640, stat.S_IFDIR | 0o750, stat.S_IFIFO | 0o640


def intake(pipeline: Pipeline) -> Intake:
    settings = DropInbox(path="inbox", patterns=["*.edi", "*.pdf"], ignore=["*.part.edi"])
    return Intake(pipeline, "acme", settings, lambda: FIXED_NOW, channel="drop", status_channel="drop")


def test_only_wanted_regular_files_that_stayed_still_are_complete(pipeline: Pipeline) -> None:
    ticker = Ticker()
    gate = StabilityGate(5, ticker)
    listing: dict[str, tuple[int, tuple[int, int]] | None] = {
        "b.edi": (REGULAR, (10, 1)),
        "a.pdf": (REGULAR, (20, 1)),
        "upload.part.edi": (REGULAR, (30, 1)),
        "notes.txt": (REGULAR, (40, 1)),
        "sub.edi": (FOLDER, (0, 1)),
        "pipe.edi": (FIFO, (0, 1)),
        "gone.edi": None,
    }
    looked: list[str] = []

    def look(name: str) -> tuple[int, tuple[int, int]] | None:
        looked.append(name)
        return listing[name]

    def sort() -> tuple[list[tuple[str, tuple[int, int]]], IntakeReport]:
        report = IntakeReport()
        ready = intake(pipeline).complete_files(
            list(listing),
            report,
            gate=gate,
            look=look,
            refused=lambda name, mode: f"refused {name} ({stat.S_IFMT(mode):o})",
            complete=gate.ready,
        )
        return ready, report

    ready, report = sort()
    assert ready == [] and report.waiting == ["b.edi", "a.pdf"], "first seen: not still for 5 s yet"
    assert report.problems == [f"refused pipe.edi ({stat.S_IFIFO:o})"]
    assert "notes.txt" not in looked and "upload.part.edi" not in looked, "unwanted names are never looked at"
    ticker.now += 5
    listing["a.pdf"] = (REGULAR, (21, 2))  # still growing
    ready, report = sort()
    assert ready == [("b.edi", (10, 1))] and report.waiting == ["a.pdf"]
    del listing["b.edi"]
    sort()
    assert gate.still_for("b.edi") == 0.0, "a name no longer listed is forgotten"


def test_a_checked_file_is_stored_as_the_partners_and_counted_taken(
    pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    ticker = Ticker()
    gate = StabilityGate(5, ticker)
    gate.ready("order.edi", (1, 1))
    ticker.now += 3
    content = sorted(INBOX.glob("*.edi"))[0].read_bytes()
    report = IntakeReport()
    with intake(pipeline).spool() as spool:
        spool.write(content)
        outcome = intake(pipeline).store(spool, "order.edi", len(content), report, gate=gate)
    assert [(t.name, t.size, t.outcome) for t in report.taken] == [("order.edi", len(content), outcome)]
    assert gate.still_for("order.edi") == 0.0, "taken: the gate forgets it"
    with sessions() as session:
        document = session.get(storage.Document, outcome.document_id)
        assert document is not None
        assert (document.channel, document.filename, document.partner) == ("drop", "order.edi", "acme")
        assert storage.document_bytes(session, document.id) == content


def test_a_polls_problems_go_to_the_transport_status(
    pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    report = IntakeReport(problems=["first", "second"])
    intake(pipeline).record_problems(report)
    with sessions() as session:
        [row] = status_rows(session)
        assert (row.partner, row.channel, row.last_error, row.failures_in_a_row) == (
            "acme",
            "drop",
            "second",
            2,
        )
