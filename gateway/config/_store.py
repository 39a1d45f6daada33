"""The store, the profiles and the pipeline, built from the environment: the one place each is built.

``sessions_from_environment`` builds the engine and sessionmaker from the URL ``gateway.storage`` reads
(``GATEWAY_DATABASE_URL``, else the SQLite file under ``GATEWAY_HOME``); ``clock`` is the time the
gateway works by.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session
    from sqlalchemy.orm import sessionmaker

    from gateway.inbound.pipeline import Pipeline
    from gateway.jobs import ProcrastinateQueue
    from partners import PartnerRegistry


log = logging.getLogger(__name__)


def partners_dir() -> Path:
    """``$GATEWAY_PARTNERS_DIR``, else the profiles shipped in partners/profiles/."""
    from partners import PROFILES_DIR  # with the profiles' models: not for the clock's users

    configured = os.environ.get("GATEWAY_PARTNERS_DIR")
    return Path(configured) if configured else PROFILES_DIR


def clock() -> Callable[[], datetime]:
    """The time the gateway works by: ``$GATEWAY_NOW`` (ISO 8601) frozen, for replays and tests; else now."""
    frozen = os.environ.get("GATEWAY_NOW")
    if not frozen:
        return lambda: datetime.now(UTC)
    instant = datetime.fromisoformat(frozen)
    instant = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    return lambda: instant


# -- the store -------------------------------------------------------------------------------------


def engine_from_environment() -> Engine:
    """The store's engine: the one place it is built from the environment. A bad
    ``GATEWAY_SQLITE_BUSY_SECONDS`` raises ``ValueError``."""
    from gateway import storage

    return storage.make_engine(storage.database_url())


def sessions_from_environment(*, migrate: Callable[[Engine], None] | None = None) -> sessionmaker[Session]:
    """The store's sessionmaker, over a new engine; ``migrate`` (e.g. ``storage.upgrade``) runs on
    the engine first."""
    from gateway import storage

    return storage.make_sessionmaker(migrated_engine_from_environment(migrate=migrate))


def migrated_engine_from_environment(*, migrate: Callable[[Engine], None] | None = None) -> Engine:
    """The store's engine with ``migrate`` run on it first: what a command that only reads opens
    (``storage.reading``), without a sessionmaker and so without SQLAlchemy's ORM."""
    engine = engine_from_environment()
    if migrate is not None:
        migrate(engine)
    return engine


def migrate_from_environment() -> None:
    """Bring the store to the newest schema: once, in the supervisor, before any child starts."""
    from gateway import storage

    engine = engine_from_environment()
    storage.upgrade(engine)
    engine.dispose()


def partners_from_environment() -> PartnerRegistry:
    """The profiles in ``GATEWAY_PARTNERS_DIR``; each refused file is logged as an error, the rest trade."""
    from partners import PartnerRegistry

    registry = PartnerRegistry.from_directory(partners_dir())
    for refused in registry.refused:
        log.error(
            "partner profile refused; that partner cannot trade until it is fixed: %s: %s",
            refused.path,
            refused.error,
        )
    return registry


def pipeline_from_environment(
    *, queued: bool = True, sessions: sessionmaker[Session] | None = None
) -> Pipeline:
    """The pipeline every role and command uses; ``queued`` defers processing to the job queue
    on PostgreSQL. The worker's own pipeline (``queued=False``) processes what the queue hands it.
    """
    from gateway.inbound.map_cache import map_store_from_environment
    from gateway.inbound.pipeline import Pipeline
    from parsers import use_map_store

    from ._senders import ErpSettings

    use_map_store(map_store_from_environment())
    erp = ErpSettings.from_environment()
    return Pipeline(
        sessions or sessions_from_environment(),
        partners_from_environment(),
        clock=clock(),
        erp_kind=erp.kind if erp else None,
        queue=queue_from_environment() if queued else None,
    )


def queue_from_environment() -> ProcrastinateQueue | None:
    """The job queue when the store is PostgreSQL; None (process inline) for SQLite."""
    from gateway import jobs
    from gateway import storage

    return jobs.queue_for(storage.database_url())
