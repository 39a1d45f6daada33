"""Where the gateway keeps its data: GATEWAY_HOME, GATEWAY_DATABASE_URL, GATEWAY_SQLITE_BUSY_SECONDS."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url


def data_home(*, create: bool = True) -> Path:
    """``$GATEWAY_HOME`` (default ``./var``), created on first use unless ``create=False``."""
    home = Path(os.environ.get("GATEWAY_HOME") or "var").resolve()
    if create:
        home.mkdir(parents=True, exist_ok=True)
    return home


def database_url() -> str:
    """``$GATEWAY_DATABASE_URL``, else a SQLite file under the data home (made with the engine)."""
    return os.environ.get("GATEWAY_DATABASE_URL") or f"sqlite:///{data_home(create=False) / 'gateway.db'}"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def sqlite_busy_seconds() -> float:
    """``$GATEWAY_SQLITE_BUSY_SECONDS`` (default 30): how long one SQLite statement waits for another writer."""
    configured = os.environ.get("GATEWAY_SQLITE_BUSY_SECONDS")
    if not configured:
        return 30.0
    try:
        seconds = float(configured)
    except ValueError:
        raise ValueError(
            f"GATEWAY_SQLITE_BUSY_SECONDS must be a number of seconds, not {configured!r}"
        ) from None
    if seconds <= 0:
        raise ValueError(f"GATEWAY_SQLITE_BUSY_SECONDS must be more than 0, not {configured!r}")
    return seconds
