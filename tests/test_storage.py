"""The store: documents by content hash, chunked bytes, control numbers, migrations."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from tests.conftest import FIXED_NOW
from tests.conftest import hold_write_lock


def store(sessions: sessionmaker[Session], data: bytes, filename: str = "a.edi") -> tuple[int, bool]:
    with sessions() as session, session.begin():
        document, created = storage.store_document(
            session, io.BytesIO(data), channel="test", filename=filename, received_at=FIXED_NOW
        )
        return document.id, created


def test_same_bytes_twice_are_one_document(sessions: sessionmaker[Session]) -> None:
    first = store(sessions, b"ISA*hello", "one.edi")
    second = store(sessions, b"ISA*hello", "two.edi")
    assert first == (first[0], True)
    assert second == (first[0], False)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(storage.Document)) == 1


def test_large_document_is_chunked_and_streams_back(sessions: sessionmaker[Session]) -> None:
    data = os.urandom(5 * 1024 * 1024 + 123)
    document_id, _ = store(sessions, data)
    with sessions() as session:
        chunks = session.scalar(select(func.count()).where(storage.DocumentChunk.document_id == document_id))
        assert chunks == 6
        reader = storage.open_document(session, document_id)
        assert reader.read(10) == data[:10]
        reader.seek(0)
        assert reader.read() == data
        assert storage.document_bytes(session, document_id) == data


def test_hostile_filename_is_reduced_to_a_safe_name(sessions: sessionmaker[Session]) -> None:
    document_id, _ = store(sessions, b"x", "../../etc/passwd\x00\r\n.edi")
    with sessions() as session:
        document = session.get(storage.Document, document_id)
        assert document is not None
        assert document.filename == "passwd.edi"
        assert "../../etc/passwd" in document.meta["original_filename"]
    assert storage.safe_filename("C:\\Users\\x\\order.pdf") == "order.pdf"
    assert storage.safe_filename("..") is None


def test_control_numbers_count_per_partner_and_kind(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        numbers = storage.ControlNumbers(session, "acme")
        assert [numbers.next("ISA") for _ in range(3)] == [1, 2, 3]
        assert numbers.next("GS") == 1
        assert storage.ControlNumbers(session, "globex").next("ISA") == 1
    with sessions() as session, session.begin():
        assert storage.allocate_control_number(session, "acme", "ISA") == 4


def test_rolled_back_numbers_are_not_handed_out_twice(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        with session.begin():
            storage.allocate_control_number(session, "acme", "ST")
        session.begin()
        assert storage.allocate_control_number(session, "acme", "ST") == 2
        session.rollback()
    with sessions() as session, session.begin():
        assert storage.allocate_control_number(session, "acme", "ST") == 2


def test_concurrent_allocation_has_no_duplicates_or_gaps(sessions: sessionmaker[Session]) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            with sessions() as session, session.begin():
                number = storage.allocate_control_number(session, "acme", "ISA")
            with lock:
                results.append(number)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 101))


def test_migrations_match_the_models_and_upgrade_twice_is_harmless(tmp_path: Path) -> None:
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    storage.upgrade(engine)
    storage.upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), storage.Base.metadata)
    assert diff == []


def test_upgrade_of_a_current_schema_takes_no_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_SQLITE_BUSY_SECONDS", "1")
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    engine = storage.make_engine(url)
    storage.upgrade(engine)
    with engine.connect() as connection:
        head = MigrationContext.configure(connection).get_current_heads()
    engine.dispose()
    holder = hold_write_lock(tmp_path / "gateway.db")  # a long write in another process
    try:
        engine = storage.make_engine(url)
        storage.upgrade(engine)  # reads the revision; would fail with "database is locked" if it wrote
    finally:
        holder.execute("COMMIT")
    with engine.connect() as connection:
        assert head and MigrationContext.configure(connection).get_current_heads() == head
    engine.dispose()
