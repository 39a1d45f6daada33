"""A JSON column value already written as JSON text (``storage.JsonText``) is stored as written.

Orders' canonical JSON is written by pydantic (``model_dump_json``) and handed to the store as
text; the store must neither encode it again (a JSON string holding JSON) nor skip the cap on
long strings inside it (``fit_to_columns``).
"""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.model.truncation import VALUE_CAP
from tests.servers.postgres import Postgres
from tests.servers.queue_cluster import fresh_database

WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _stored_as_written(sessions: sessionmaker[Session]) -> None:
    value = {"po_number": "PO-1", "lines": [{"line_no": "1", "note": 'é ~ "quoted"'}], "n": None}
    row = {
        "at": WHEN,
        "actor": "test",
        "action": "json_text",
        "subject_type": "order",
        "subject_id": "1",
        "before": storage.JsonText(json.dumps(value, separators=(",", ":"))),
        "after": {"plain": "dict"},  # a dict beside it is serialized as ever
    }
    with sessions() as session, session.begin():
        storage.insert_rows(session, storage.AuditEntry.__table__, [row])
    with sessions() as session:
        entry = session.scalars(select(storage.AuditEntry)).one()
        assert entry.before == value
        assert entry.after == {"plain": "dict"}


def test_json_text_is_stored_as_written_on_sqlite(sessions: sessionmaker[Session]) -> None:
    _stored_as_written(sessions)


def test_json_text_is_stored_as_written_on_postgresql(postgres: Postgres) -> None:
    engine = storage.make_engine(fresh_database(postgres, "json_text"))
    try:
        _stored_as_written(storage.make_sessionmaker(engine))
    finally:
        engine.dispose()


def _fit(value: str) -> tuple[object, list[tuple[str, str]]]:
    row: dict[str, object] = {"before": storage.JsonText(value)}
    changed = storage.fit_to_columns(storage.AuditEntry.__table__, row)
    return row["before"], changed


def test_a_long_string_inside_json_text_is_capped() -> None:
    value, changed = _fit(json.dumps({"lines": [{"note": "x" * (VALUE_CAP + 10)}], "ok": "short"}))
    assert changed == [("before", f"1 text(s) over {VALUE_CAP:,} characters: cut, noted")]
    assert isinstance(value, dict)
    note = value["lines"][0]["note"]
    assert note.startswith("x" * VALUE_CAP) and "truncated" in note and value["ok"] == "short"


def test_json_text_whose_strings_fit_is_left_as_written() -> None:
    # long as text, but every string fits: escapes, a long key, many short strings
    escaped = json.dumps({"note": "é" * (VALUE_CAP - 1)})  # \u00e9 six characters each in the text
    long_key = json.dumps({"k" * (VALUE_CAP + 5): "v"})  # the cap is on values, as for a dict
    many = json.dumps({str(n): "y" * 100 for n in range(100)})
    for text in (escaped, long_key, many):
        assert len(text) > VALUE_CAP
        value, changed = _fit(text)
        assert changed == [] and value == text and isinstance(value, storage.JsonText)


def test_empty_lists_and_objects_are_written_as_json_dumps_writes_them() -> None:
    """An empty list or object (most findings' suggestions and details) skips the encoder, same text."""
    from gateway.storage._json import dumps

    class Listing(list[int]):
        pass

    for value in ([], {}, [1], {"a": None}, 0, "", None, False, Listing()):
        assert dumps(value) == json.dumps(value), value
    with_text = storage.JsonText("[]")
    assert dumps(with_text) is with_text
