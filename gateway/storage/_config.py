"""Where the gateway keeps its data: GATEWAY_HOME and GATEWAY_DATABASE_URL."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """``$GATEWAY_HOME`` (default ``./var``), created on first use."""
    home = Path(os.environ.get("GATEWAY_HOME") or "var").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def database_url() -> str:
    """``$GATEWAY_DATABASE_URL``, else a SQLite file under the data home."""
    return os.environ.get("GATEWAY_DATABASE_URL") or f"sqlite:///{data_home() / 'gateway.db'}"
