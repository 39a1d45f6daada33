"""JSON column values: a value already written as JSON text (``JsonText``) is stored as written.

Every JSON column is serialized by the engine's ``json_serializer`` (``dumps``), on SQLite and
PostgreSQL alike. A canonical order is written by pydantic (``model_dump_json``, in Rust) in about
half the time its ``model_dump`` takes and far less than that plus ``json.dumps``, so the pipeline
hands its text over as ``JsonText`` and it is not encoded again. An empty list or object, the
``suggestions`` and ``details`` of most findings, is written without the encoder (as it writes them).
"""

from __future__ import annotations

import json
from typing import Any


class JsonText(str):
    """The text of a JSON value, for a JSON column: stored as it is, never encoded again."""

    __slots__ = ()


_EMPTY: dict[type, str] = {list: "[]", dict: "{}"}  # json.dumps([]) and json.dumps({})


def dumps(value: Any) -> str:
    """The engine's JSON serializer: ``JsonText`` as written, anything else with ``json.dumps``."""
    if isinstance(value, JsonText):
        return value
    if not value and (empty := _EMPTY.get(type(value))):
        return empty
    return json.dumps(value)
