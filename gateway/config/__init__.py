"""The one wiring point: every setting read from the environment, and the store built from it.

Each ``*Settings`` class reads its ``GATEWAY_*`` variables in ``from_environment``; the store's
engine and sessionmaker are built here only (``sessions_from_environment``), from the URL that
``gateway.storage`` reads (``GATEWAY_DATABASE_URL``, else the SQLite file under ``GATEWAY_HOME``).
``WebConfig`` is what ``gateway.web.create_app`` is built from.

Start-up stays light: every command reads ``AlertSettings`` at its start, and ``gateway --help``
may import this package, so it is a lazy front door (``gateway._lazy``): a name's module is
imported on first use (a frozen dataclass costs about 2 ms of CPU to define, and a listing needs
one of the seven). No module here imports an ORM, pydantic or ``email`` at its top; each function
imports what it builds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway._lazy import front_door

if TYPE_CHECKING:
    from ._alerts import AlertFormat as AlertFormat
    from ._alerts import AlertSettings as AlertSettings
    from ._imap import ImapSettings as ImapSettings
    from ._roles import QueueSettings as QueueSettings
    from ._roles import RunSettings as RunSettings
    from ._senders import SMTP_PORTS as SMTP_PORTS
    from ._senders import ErpSettings as ErpSettings
    from ._senders import Security as Security
    from ._senders import SmtpSettings as SmtpSettings
    from ._store import clock as clock
    from ._store import engine_from_environment as engine_from_environment
    from ._store import migrate_from_environment as migrate_from_environment
    from ._store import migrated_engine_from_environment as migrated_engine_from_environment
    from ._store import partners_dir as partners_dir
    from ._store import partners_from_environment as partners_from_environment
    from ._store import pipeline_from_environment as pipeline_from_environment
    from ._store import queue_from_environment as queue_from_environment
    from ._store import sessions_from_environment as sessions_from_environment
    from ._web import WebConfig as WebConfig
    from ._web import as2_identity_from_environment as as2_identity_from_environment
    from ._web import channel_secret as channel_secret
    from ._web import desk_settings_from_environment as desk_settings_from_environment

__getattr__, __dir__ = front_door(__name__, __file__)
