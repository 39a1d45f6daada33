"""Ingest a hostile document through the real pipeline and check what the store says (no tests here).

Every hostile input must end as a stored document whose status, ``error_code`` and ``errors``
name what was wrong: never ``internal_error`` (an exception escaped the parsers), never a
crash, never a silent drop.
"""

from __future__ import annotations

import io

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.model.status import DocumentStatus

INTERNAL_ERROR = "internal_error"


def ingest(
    pipeline: Pipeline, data: bytes, *, filename: str, channel: str = "email", partner: str | None = None
) -> storage.Document:
    """Store and process ``data``; the stored document row afterwards."""
    outcome = pipeline.ingest_stream(io.BytesIO(data), channel=channel, filename=filename, partner=partner)
    with pipeline.sessions() as session:
        document = session.get(storage.Document, outcome.document_id)
        assert document is not None
        assert storage.document_bytes(session, document.id) == data  # stored whole: nothing lost
        session.expunge(document)
    return document


def reasons(document: storage.Document) -> list[str]:
    """The parsers' own codes (``excel.too_large``...) of the document's errors, in order."""
    return [error["reason"] for error in document.errors or []]


def assert_refused(document: storage.Document, reason: str, *, says: str = "") -> None:
    """Rejected with ``reason`` as the headline error, its message saying ``says``."""
    assert document.error_code != INTERNAL_ERROR, document.error
    assert document.status == DocumentStatus.REJECTED, (document.status, document.error)
    assert reasons(document)[:1] == [reason], (reasons(document), document.error)
    assert document.error and says in document.error, document.error
