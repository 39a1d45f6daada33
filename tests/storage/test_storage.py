"""The store: documents by content hash, chunked bytes, control numbers, migrations."""

from __future__ import annotations

import io
import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import JSON
from sqlalchemy import Engine
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.storage._engine import MIGRATIONS
from tests.conftest import FIXED_NOW
from tests.conftest import hold_write_lock
from tests.servers.postgres import store_url


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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_models_partial_index_is_partial_on_both_databases(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """``storage.PartialIndex`` gives each database its ``where`` only when that database asks
    (so that declaring it loads no dialect): the schema made from the models has it on both."""
    url = store_url(backend, request, tmp_path, "partial_index")
    engine = storage.make_engine(url)
    storage.Base.metadata.create_all(engine)
    query = {
        "sqlite": "SELECT sql FROM sqlite_master WHERE name = 'ix_purchase_order_open_age'",
        "postgresql": "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_purchase_order_open_age'",
    }[backend]
    with engine.connect() as connection:
        made = connection.scalar(text(query))
    assert made is not None and "(created_at, id) WHERE" in made and "'exception'" in made, made
    engine.dispose()


def upgrade_to(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(storage.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def store_at(backend: str, request: pytest.FixtureRequest, folder: Path, name: str, revision: str) -> Engine:
    """A new store on ``backend`` migrated up to ``revision`` only, for a later migration to find."""
    engine = storage.make_engine(store_url(backend, request, folder, name))
    upgrade_to(engine, revision)
    return engine


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_keys_the_po_numbers_already_stored(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = store_at(backend, request, tmp_path, "po_key_migration", "0010")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO document (id, sha256, size, channel, received_at, status, errors, meta) "
                "VALUES (1, 'x', 1, 'test', :at, 'processed', '[]', '{}')"
            ),
            {"at": FIXED_NOW},
        )
        for ordinal, number in enumerate([" B-77812 ", "b77812", None]):
            connection.execute(
                text(
                    "INSERT INTO purchase_order (document_id, ordinal, channel, po_number, purpose, status, "
                    "line_count, canonical, created_at) "
                    "VALUES (1, :ordinal, 'x12', :number, 'original', 'accepted', 0, '{}', :at)"
                ),
                {"ordinal": ordinal, "number": number, "at": FIXED_NOW},
            )
    storage.upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT po_number, po_key FROM purchase_order ORDER BY ordinal")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [(" B-77812 ", "b77812"), ("b77812", "b77812"), (None, None)]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_records_the_ssccs_of_the_856s_already_sent(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = store_at(backend, request, tmp_path, "sscc_migration", "0010")
    isa = "ISA|00|          |00|          |ZZ|NORTHWINDDIST  |ZZ|ACMERETAIL     |261124|1430|U|00401|000000001|0|P|>"
    assert len(isa) == 105
    content = f"{isa}!GS|SH|X!ST|856|0001!MAN|GM|006141410000000012!MAN|GM|106141411234567897!SE|4|0001!"
    record = {"orders": [{"packs": [{"items": []}, {"sscc": "106141411234567897", "items": []}]}]}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO outbound_document (id, partner, kind, content, transaction_control_numbers, status, "
                "created_at, errors, attempts) VALUES (1, 'acme', '856', :content, '[]', 'sent', :at, '[]', 0)"
            ),
            {"content": content.encode(), "at": FIXED_NOW},
        )
        connection.execute(
            text(
                "INSERT INTO shipment (partner, shipment_id, record, outbound_id, created_at) "
                "VALUES ('acme', 'SH-1', :record, 1, :at)"
            ).bindparams(bindparam("record", type_=JSON)),
            {"record": record, "at": FIXED_NOW},
        )
    storage.upgrade(engine)
    sessions = storage.make_sessionmaker(engine)
    with sessions() as session:
        used = {row.sscc: (row.shipment_id, row.allocated) for row in session.scalars(select(storage.Sscc))}
    assert used == {"006141410000000012": ("SH-1", True), "106141411234567897": ("SH-1", False)}
    with sessions() as session, session.begin():
        fresh = storage.allocate_sscc(session, "0614141", partner="acme", shipment_id="SH-2", when=FIXED_NOW)
    engine.dispose()
    assert fresh == "006141410000000029", "serial 1 was used before the migration: skipped"


def test_migration_0014_counts_stored_997_deadlines_from_the_send(tmp_path: Path) -> None:
    """Rows stored under the old rule: an unsent one loses its due time, a sent one counts from its send."""
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
    window = timedelta(hours=24)
    sent_at = FIXED_NOW + timedelta(days=3)
    old = storage.OutboundRecord.__table__
    base = {"partner": "acme", "kind": "855", "content": b"x", "created_at": FIXED_NOW, "errors": []}
    with engine.begin() as connection:
        columns = {c.name for c in old.columns} - {"ack_window_seconds"}
        for status, delivered in (("pending", None), ("sent", sent_at)):
            row = {**base, "status": status, "delivered_at": delivered, "ack_due_at": FIXED_NOW + window}
            connection.execute(insert(old).values({k: v for k, v in row.items() if k in columns}))
    storage.upgrade(engine)
    with storage.make_sessionmaker(engine)() as session:
        unsent, sent = session.scalars(select(storage.OutboundRecord).order_by(storage.OutboundRecord.id))
        assert (unsent.ack_window_seconds, unsent.ack_due_at) == (86400, None)
        assert sent.ack_window_seconds == 86400
        assert sent.ack_due_at is not None and sent.ack_due_at.replace(tzinfo=None) == (
            sent_at + window
        ).replace(tzinfo=None)


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
