"""Alembic environment: uses the connection handed in by ``upgrade``, else GATEWAY_DATABASE_URL."""

from __future__ import annotations

import warnings

from alembic import context
from sqlalchemy.exc import SAWarning

from gateway.storage._config import database_url
from gateway.storage._engine import make_engine
from gateway.storage._models import Base

config = context.config

# Batch mode on SQLite reflects a table before adding a column, and reflection cannot read 0022's
# expression indexes. Adding a column copies no table, so they stay (test_desk_queue's query plans).
warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        with make_engine(database_url()).begin() as own:
            _run(own)
    else:
        _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
