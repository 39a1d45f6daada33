"""Builds the engine and sessionmaker once from a URL, and migrates the schema with Alembic.

SQLAlchemy's ORM is imported only to make a sessionmaker: a command that only reads the store
opens a read-only Core connection (``reading``) and never loads it.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool

from ._config import sqlite_busy_seconds
from ._config import sqlite_file
from ._json import dumps

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
    from sqlalchemy.orm import Session
    from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
# A migration's own id and the one(s) it follows, as written at the top of each versions/ file.
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")
READ_ONLY = "gateway_read_only"  # execution option: on SQLite, BEGIN without taking the write lock
BUSY_PATIENCE_SECONDS = 600.0

T = TypeVar("T")


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL, foreign keys, full fsync and a busy timeout (GATEWAY_SQLITE_BUSY_SECONDS, 30 s)."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, json_serializer=dumps)
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    file = sqlite_file(url)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)  # SQLite makes the file, not its folder
    busy = sqlite_busy_seconds()
    engine = create_engine(
        url,
        connect_args={"timeout": busy, "check_same_thread": False},
        poolclass=StaticPool if in_memory else None,
        json_serializer=dumps,
    )
    event.listen(engine, "connect", lambda dbapi, record: _sqlite_pragmas(dbapi, busy))
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, busy_seconds: float) -> None:
    dbapi_connection.isolation_level = None  # let "begin" below issue BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take the write lock at BEGIN so concurrent writers queue instead of failing to upgrade.

    A connection with the ``READ_ONLY`` execution option only reads: its BEGIN takes no lock
    (in WAL mode it reads beside a writer).
    """
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked": another connection held the write lock past the busy timeout."""
    cause = exc.orig if isinstance(exc, OperationalError) else exc
    code = getattr(cause, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def retry_while_busy(
    action: Callable[[], T],
    *,
    on_busy: Callable[[OperationalError], None],
    patience_seconds: float = BUSY_PATIENCE_SECONDS,
) -> T:
    """``action()``, tried again while the store is busy (each try already waits the busy timeout).

    ``on_busy`` is told of every busy try, so a person sees the wait. Other errors, and a store
    still busy after ``patience_seconds``, raise.
    """
    deadline = time.monotonic() + patience_seconds
    while True:
        try:
            return action()
        except OperationalError as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
            on_busy(exc)


def conflict_insert(session: Session) -> Callable[[Any], PostgresqlInsert | SqliteInsert]:
    """``insert`` of the session's database, with its ON CONFLICT clauses: PostgreSQL's, else SQLite's.

    Each dialect's module is imported on first use: PostgreSQL's package imports every driver's
    module (asyncpg's asyncio too), about 0.12 s of CPU a store on SQLite has no use for.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    from sqlalchemy.orm import sessionmaker  # the ORM: not for a command that only reads (``reading``)

    return sessionmaker(engine, expire_on_commit=False)


def reading(engine: Engine) -> Connection:
    """A Core connection that only reads: on SQLite its BEGIN takes no write lock, so a listing
    beside a long write does not wait for it. Use it as ``with reading(engine) as connection:``."""
    return engine.connect().execution_options(**{READ_ONLY: True})


def upgrade(engine: Engine) -> None:
    """Migrate the database to the newest schema; harmless when it is already there.

    The revision is read first without a write lock, so starting a command beside a long write
    does not wait for it; only a store that is behind is migrated (under the write lock). Alembic
    itself is imported only then: its machinery costs a command more start-up than the rest of
    opening the store.
    """
    if schema_is_current(engine):
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def schema_is_current(engine: Engine) -> bool:
    """Whether the store is at the newest revision; read-only, from Alembic's own version table."""
    with reading(engine) as connection:
        if not inspect(connection).has_table("alembic_version"):  # a new store
            return False
        current = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
    return current == head_revisions(MIGRATIONS / "versions")


@cache
def head_revisions(versions: Path) -> frozenset[str]:
    """The revisions no other follows, read from the migration files as Alembic's own script
    directory would find them (``tests/cli/test_startup.py`` checks that both agree)."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in versions.glob("*.py"):
        for name, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            found = _QUOTED.findall(value)
            if name == "revision":
                revisions.update(found[:1])
            else:
                followed.update(found)
    return frozenset(revisions - followed)
