"""The one wiring point: every setting read from the environment, and the store built from it.

Each ``*Settings`` class reads its ``GATEWAY_*`` variables in ``from_environment``; the store's
engine and sessionmaker are built here only (``sessions_from_environment``), from the URL that
``gateway.storage`` reads (``GATEWAY_DATABASE_URL``, else the SQLite file under ``GATEWAY_HOME``).
``WebConfig`` is what ``gateway.web.create_app`` is built from.

Start-up stays light: ``gateway --help`` may import this module, so it imports no ORM, no
pydantic and no ``email`` at module level; each function imports what it builds.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session
    from sqlalchemy.orm import sessionmaker

    from gateway.inbound.pipeline import Pipeline
    from gateway.jobs import ProcrastinateQueue
    from gateway.outbound.retries import RetryPolicy
    from gateway.transports.as2_identity import As2Identity
    from partners import ErpTarget
    from partners import PartnerRegistry

Security = Literal["none", "starttls", "tls"]
SMTP_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "tls": 465}
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


# -- the web app -----------------------------------------------------------------------------------


def channel_secret(variable: str) -> str | None:
    """The value of the environment variable a channel profile names for its secret (``secret_env``);
    None when it is unset or empty. Read at each use, so a rotated secret needs no restart."""
    return os.environ.get(variable) or None


@dataclass(frozen=True, slots=True)
class WebConfig:
    """What ``gateway.web.create_app`` builds the app from; ``from_environment`` is what it uses
    when given none (tests build one around their own store).

    ``api_token``: the bearer token API clients must send (None: the API answers 503).
    ``as2_identity``: us in AS2 (None: ``POST /as2`` answers 503). What arrives by AS2, and what
    the desk reprocesses, goes through ``pipeline`` (default: one over ``sessions`` and
    ``partners``, validating). ``erp_kind``: the ERP payload an order approved on the desk queues
    (the pipeline's own setting). ``flask``: Flask and desk settings over the environment's
    (``SECRET_KEY``, ``DESK_SLA_HOURS``...; see ``gateway.web.desk_pages.settings``).
    ``secrets``: a channel's secret by the variable its profile names (default: the environment).
    """

    sessions: sessionmaker[Session]
    partners: PartnerRegistry
    clock: Callable[[], datetime]
    api_token: str | None = None
    as2_identity: As2Identity | None = None
    pipeline: Pipeline | None = None
    erp_kind: str | None = None
    flask: Mapping[str, Any] = field(default_factory=dict)
    secrets: Callable[[str], str | None] = channel_secret

    @classmethod
    def from_environment(cls) -> WebConfig:
        """The store, profiles, ERP kind, AS2 identity (``GATEWAY_AS2_*``), API token
        (``GATEWAY_API_TOKEN``) and secret key: the secret key is read (or made) now, so a bad one
        stops the start."""
        from gateway.web.desk_pages.security import load_secret_key

        pipeline = pipeline_from_environment()
        now = clock()
        identity = as2_identity_from_environment(at=now())
        erp = ErpSettings.from_environment()
        return cls(
            pipeline.sessions,
            pipeline.partners,
            now,
            api_token=os.environ.get("GATEWAY_API_TOKEN"),
            as2_identity=identity,
            pipeline=pipeline,
            erp_kind=erp.kind if erp else None,
            flask={"SECRET_KEY": load_secret_key()},
        )


# -- the settings of each role and channel ---------------------------------------------------------


def desk_settings_from_environment(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The desk's Flask settings the environment sets, over ``gateway.web.desk_pages.settings``'
    defaults: ``GATEWAY_SECURE_COOKIES`` and ``GATEWAY_SLA_HOURS``. A bad value raises
    ``ValueError`` naming the variable."""
    env = os.environ if env is None else env
    settings: dict[str, Any] = {}
    secure = env.get("GATEWAY_SECURE_COOKIES", "").strip().lower()
    if secure:
        if secure not in ("1", "0", "true", "false", "yes", "no"):
            raise ValueError(f"GATEWAY_SECURE_COOKIES must be 1 or 0, not {secure!r}")
        settings["SESSION_COOKIE_SECURE"] = secure in ("1", "true", "yes")
    sla = env.get("GATEWAY_SLA_HOURS", "").strip()
    if sla:
        try:
            hours = float(sla)
        except ValueError:
            raise ValueError(f"GATEWAY_SLA_HOURS must be a number of hours, not {sla!r}") from None
        if not 0 < hours < 24 * 365:
            raise ValueError(f"GATEWAY_SLA_HOURS must be above 0 and under a year, not {sla}")
        settings["DESK_SLA_HOURS"] = hours
    return settings


def as2_identity_from_environment(
    environ: Mapping[str, str] | None = None, *, at: datetime | None = None
) -> As2Identity | None:
    """Us in AS2, as the ``GATEWAY_AS2_*`` variables describe; None when ``GATEWAY_AS2_ID`` is unset.

    A key or certificate that cannot be used raises ``ConfigError``.
    """
    from gateway.errors import ConfigError
    from gateway.transports.as2_identity import As2Identity

    env = os.environ if environ is None else environ
    as2_id = env.get("GATEWAY_AS2_ID", "").strip()
    if not as2_id:
        return None
    key_file = env.get("GATEWAY_AS2_KEY_FILE")
    if not key_file:
        raise ConfigError("GATEWAY_AS2_ID is set but GATEWAY_AS2_KEY_FILE is not")
    cert_file = env.get("GATEWAY_AS2_CERT_FILE")
    return As2Identity.from_files(
        as2_id,
        Path(key_file),
        Path(cert_file) if cert_file else None,
        key_password=env.get("GATEWAY_AS2_KEY_PASSWORD") or None,
        mdn_url=env.get("GATEWAY_AS2_MDN_URL") or None,
        domain=env.get("GATEWAY_AS2_DOMAIN") or None,
        email=env.get("GATEWAY_AS2_EMAIL") or None,
        at=at,
    )


@dataclass(frozen=True, slots=True)
class RunSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    worker_seconds: float = 5.0
    shutdown_seconds: float = 30.0

    @classmethod
    def from_environment(cls) -> RunSettings:
        env = os.environ
        return cls(
            host=env.get("GATEWAY_HOST", "127.0.0.1"),
            port=int(env.get("GATEWAY_PORT", "8080")),
            worker_seconds=float(env.get("GATEWAY_WORKER_SECONDS", "5")),
            shutdown_seconds=float(env.get("GATEWAY_SHUTDOWN_SECONDS", "30")),
        )


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """``GATEWAY_WORKER_*``: jobs at once per process, heartbeat, when a silent worker is dead, how
    often the recovery pass looks for dead workers' jobs, and how long a worker waits for a database
    connection from its pool before it drops the queue and starts again."""

    concurrency: int = 1
    heartbeat_seconds: float = 10.0
    stalled_seconds: float = 30.0  # a worker silent this long is dead: its jobs run again elsewhere
    shutdown_seconds: float = 30.0
    recover_seconds: int = 10  # a seconds step of a cron: 1 to 60
    pool_timeout_seconds: float = 30.0  # psycopg_pool's own default

    @classmethod
    def from_environment(cls) -> QueueSettings:
        env = os.environ
        heartbeat = float(env.get("GATEWAY_WORKER_HEARTBEAT_SECONDS", "10"))
        stalled = float(env.get("GATEWAY_WORKER_STALLED_SECONDS", "30"))
        if stalled <= heartbeat:
            raise ValueError("GATEWAY_WORKER_STALLED_SECONDS must be longer than the heartbeat")
        recover = env.get("GATEWAY_WORKER_RECOVER_SECONDS", "10")
        if not recover.isdigit() or not 1 <= int(recover) <= 60:
            raise ValueError(
                f"GATEWAY_WORKER_RECOVER_SECONDS must be whole seconds from 1 to 60, not {recover!r}"
            )
        return cls(
            concurrency=int(env.get("GATEWAY_WORKER_CONCURRENCY", "1")),
            heartbeat_seconds=heartbeat,
            stalled_seconds=stalled,
            shutdown_seconds=float(env.get("GATEWAY_SHUTDOWN_SECONDS", "30")),
            recover_seconds=int(recover),
            pool_timeout_seconds=float(env.get("GATEWAY_WORKER_POOL_TIMEOUT_SECONDS", "30")),
        )


class _Retried:
    """Settings of a sender that retries: its ``RetryPolicy`` from its own three fields."""

    __slots__ = ()
    max_attempts: int
    backoff_seconds: float
    backoff_cap_seconds: float

    @property
    def policy(self) -> RetryPolicy:
        from gateway.outbound.retries import RetryPolicy

        return RetryPolicy(self.max_attempts, self.backoff_seconds, self.backoff_cap_seconds)


@dataclass(frozen=True, slots=True)
class ErpSettings(_Retried):
    url: str
    kind: str = "erp.canonical"
    token: str | None = None
    user: str | None = None  # SAP Business One and Sage Intacct logins
    password: str | None = None
    company: str | None = None  # SAP's CompanyDB, Intacct's company id
    sender_id: str | None = None  # Sage Intacct's Web Services sender
    sender_password: str | None = None
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_cap_seconds: float = 3600.0
    timeout_seconds: float = 20.0
    name: str = "default"  # the target: partners.DEFAULT_TARGET, or a profile's [erp] target name

    @classmethod
    def for_target(cls, target: ErpTarget, env: Mapping[str, str] | None = None) -> ErpSettings:
        """A partner profile's ERP target with its credentials read from the variables it names.

        A variable it names that is unset or empty raises ``ConfigError`` naming it (the secret is
        never in the profile, so it can only be missing here)."""
        from gateway.errors import ConfigError

        env = os.environ if env is None else env
        values: dict[str, str | None] = {}
        unset: list[str] = []
        for credential in ("token", "user", "password", "company", "sender_id", "sender_password"):
            variable = getattr(target, f"{credential}_env")
            values[credential] = env.get(variable) or None if variable else None
            if variable and values[credential] is None:
                unset.append(variable)
        if unset:
            raise ConfigError(f"ERP target {target.name!r} needs {', '.join(unset)}, which is not set")
        return cls(
            url=target.url,
            kind=target.kind,
            token=values["token"],
            user=values["user"],
            password=values["password"],
            company=values["company"],
            sender_id=values["sender_id"],
            sender_password=values["sender_password"],
            max_attempts=target.max_attempts,
            backoff_seconds=target.backoff_seconds,
            backoff_cap_seconds=target.backoff_cap_seconds,
            timeout_seconds=target.timeout_seconds,
            name=target.name,
        )

    @classmethod
    def from_environment(cls) -> ErpSettings | None:
        """From GATEWAY_ERP_*; None when GATEWAY_ERP_URL is unset (no ERP payloads are queued)."""
        env = os.environ
        url = env.get("GATEWAY_ERP_URL")
        if not url:
            return None
        from gateway.outbound.outbox import ERP_KINDS

        kind = env.get("GATEWAY_ERP_KIND", "erp.canonical")
        if kind not in ERP_KINDS:
            raise ValueError(f"GATEWAY_ERP_KIND must be one of {', '.join(ERP_KINDS)}, not {kind!r}")
        settings = cls(
            url=url,
            kind=kind,
            token=env.get("GATEWAY_ERP_TOKEN") or None,
            user=env.get("GATEWAY_ERP_USER") or None,
            password=env.get("GATEWAY_ERP_PASSWORD") or None,
            company=env.get("GATEWAY_ERP_COMPANY") or None,
            sender_id=env.get("GATEWAY_ERP_SENDER_ID") or None,
            sender_password=env.get("GATEWAY_ERP_SENDER_PASSWORD") or None,
            max_attempts=int(env.get("GATEWAY_ERP_MAX_ATTEMPTS", "8")),
            backoff_seconds=float(env.get("GATEWAY_ERP_BACKOFF_SECONDS", "30")),
            backoff_cap_seconds=float(env.get("GATEWAY_ERP_BACKOFF_CAP_SECONDS", "3600")),
            timeout_seconds=float(env.get("GATEWAY_ERP_TIMEOUT_SECONDS", "20")),
        )
        if missing := settings.missing():
            raise ValueError(f"GATEWAY_ERP_KIND {kind} needs {', '.join(missing)}")
        return settings

    def missing(self) -> list[str]:
        """What this kind of ERP needs that is not set (environment names; URL shape)."""
        from partners import ERP_CREDENTIALS  # one table, also a profile's [erp] target's

        needs = ERP_CREDENTIALS.get(self.kind, ())
        missing = [f"GATEWAY_ERP_{name.upper()}" for name in needs if not getattr(self, name)]
        if self.kind == "erp.quickbooks_online" and self.url.rstrip("/").rsplit("/", 1)[-1] not in (
            "estimate",
            "salesreceipt",
        ):
            missing.append("a GATEWAY_ERP_URL ending in /estimate or /salesreceipt")
        return missing


@dataclass(frozen=True, slots=True)
class SmtpSettings(_Retried):
    host: str
    sender: str
    port: int = 587
    security: Security = "starttls"
    user: str | None = None
    password: str | None = None
    timeout_seconds: float = 30.0
    max_attempts: int = 8
    backoff_seconds: float = 60.0
    backoff_cap_seconds: float = 3600.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """From GATEWAY_SMTP_*; None when GATEWAY_SMTP_HOST is unset. A bad value raises ``ValueError``."""
        from email.utils import getaddresses  # the email package: not for `gateway --help`

        env = os.environ if env is None else env
        host = env.get("GATEWAY_SMTP_HOST", "").strip()
        if not host:
            return None
        security = env.get("GATEWAY_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
        if security not in SMTP_PORTS:
            raise ValueError(f"GATEWAY_SMTP_SECURITY must be none, starttls or tls, not {security!r}")
        port = env.get("GATEWAY_SMTP_PORT", "").strip()
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise ValueError(f"GATEWAY_SMTP_PORT must be a port number, not {port!r}")
        sender = env.get("GATEWAY_SMTP_FROM", "").strip()
        if not any("@" in address for _, address in getaddresses([sender])):
            raise ValueError(
                "GATEWAY_SMTP_FROM must be the address replies come from, e.g. orders@example.com"
            )
        return cls(
            host=host,
            sender=sender,
            port=int(port) if port else SMTP_PORTS[security],
            security=security,  # type: ignore[arg-type]  # checked against SMTP_PORTS above
            user=env.get("GATEWAY_SMTP_USER") or None,
            password=env.get("GATEWAY_SMTP_PASSWORD") or None,
        )


@dataclass(frozen=True, slots=True)
class ImapSettings:
    host: str
    username: str
    password: str
    port: int = 993
    security: Literal["tls", "starttls", "plain"] = "tls"
    folder: str = "INBOX"
    mark: Literal["move", "seen"] = "move"
    processed_folder: str = "Processed"
    poll_seconds: float = 60.0
    max_backoff_seconds: float = 300.0
    ca_file: str | None = None

    @classmethod
    def from_environment(cls) -> ImapSettings:
        """From GATEWAY_IMAP_* variables; plain text only when asked for (a local server)."""
        env = os.environ
        missing = [n for n in ("HOST", "USER", "PASSWORD") if not env.get(f"GATEWAY_IMAP_{n}")]
        if missing:
            raise ValueError("set " + ", ".join(f"GATEWAY_IMAP_{n}" for n in missing) + " to poll IMAP")
        security = env.get("GATEWAY_IMAP_SECURITY", "tls")
        if security not in ("tls", "starttls", "plain"):
            raise ValueError(f"GATEWAY_IMAP_SECURITY must be tls, starttls or plain, not {security!r}")
        mark = env.get("GATEWAY_IMAP_MARK", "move")
        if mark not in ("move", "seen"):
            raise ValueError(f"GATEWAY_IMAP_MARK must be move or seen, not {mark!r}")
        return cls(
            host=env["GATEWAY_IMAP_HOST"],
            username=env["GATEWAY_IMAP_USER"],
            password=env["GATEWAY_IMAP_PASSWORD"],
            port=int(env.get("GATEWAY_IMAP_PORT", "993" if security == "tls" else "143")),
            security=security,  # type: ignore[arg-type]
            folder=env.get("GATEWAY_IMAP_FOLDER", "INBOX"),
            mark=mark,  # type: ignore[arg-type]
            processed_folder=env.get("GATEWAY_IMAP_PROCESSED_FOLDER", "Processed"),
            poll_seconds=float(env.get("GATEWAY_IMAP_POLL_SECONDS", "60")),
            ca_file=env.get("GATEWAY_IMAP_CA_FILE") or None,
        )


AlertFormat = Literal["json", "slack"]


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """``GATEWAY_ALERT_*`` and ``GATEWAY_PUBLIC_URL``: where alerts go and when the checks run.

    Email goes to ``email_to`` through the SMTP server of ``GATEWAY_SMTP_*``; the webhook gets a
    JSON object per notification (``slack``: ``{"text": ...}``). A failed send is tried again
    after ``backoff_seconds * 2**(n-1)`` (capped), for as long as it takes; an answer that refuses
    it for good (5xx SMTP, 4xx HTTP but 408/429) stops it (``dead``, kept with the error).

    The thresholds (``poller_failures``, ``stuck_minutes``, ``ack_window_hours``) are read where
    they apply, each time; ``gateway`` checks them once before any command, so a bad value stops
    it at start-up with the variable named, never later inside a poll.
    """

    public_url: str | None = None
    email_to: tuple[str, ...] = ()
    webhook_url: str | None = None
    webhook_format: AlertFormat = "json"
    stuck_minutes: float = 30.0  # a document still ``received`` this long after it was stored
    poller_failures: int = 3  # a poller failing this many times in a row raises ``poller_failing``
    ack_window_hours: float = 24.0  # a 997/999 is overdue this long after sending, unless the profile says
    digest_hour: int = 7  # UTC hour from which the day's digest goes
    check_seconds: float = 60.0  # how often the pollers run the time-based checks
    backoff_seconds: float = 30.0
    backoff_cap_seconds: float = 3600.0
    timeout_seconds: float = 10.0

    @property
    def channels(self) -> tuple[str, ...]:
        from gateway.model.status import AlertChannel

        return tuple(
            channel
            for channel, wanted in (
                (AlertChannel.EMAIL, self.email_to),
                (AlertChannel.WEBHOOK, self.webhook_url),
            )
            if wanted
        )

    def delay(self, attempts: int) -> float:
        return min(self.backoff_seconds * 2 ** (attempts - 1), self.backoff_cap_seconds)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> AlertSettings:
        """A bad value raises ``ValueError`` naming the variable."""
        env = os.environ if env is None else env
        to = tuple(a.strip() for a in env.get("GATEWAY_ALERT_EMAIL_TO", "").split(",") if a.strip())
        if any("@" not in address for address in to):
            raise ValueError(f"GATEWAY_ALERT_EMAIL_TO must be email addresses, comma-separated, not {to!r}")
        form = env.get("GATEWAY_ALERT_WEBHOOK_FORMAT", "json").strip().lower() or "json"
        if form not in ("json", "slack"):
            raise ValueError(f"GATEWAY_ALERT_WEBHOOK_FORMAT must be json or slack, not {form!r}")
        hook = env.get("GATEWAY_ALERT_WEBHOOK_URL", "").strip() or None
        if hook is not None and not hook.startswith(("http://", "https://")):
            raise ValueError(f"GATEWAY_ALERT_WEBHOOK_URL must be an http(s) URL, not {hook!r}")
        hour = env.get("GATEWAY_ALERT_DIGEST_HOUR", "7").strip()
        if not hour.isdigit() or not 0 <= int(hour) <= 23:
            raise ValueError(f"GATEWAY_ALERT_DIGEST_HOUR must be an hour from 0 to 23 (UTC), not {hour!r}")
        return cls(
            public_url=(env.get("GATEWAY_PUBLIC_URL", "").strip().rstrip("/") or None),
            email_to=to,
            webhook_url=hook,
            webhook_format=form,  # type: ignore[arg-type]  # checked above
            stuck_minutes=_positive(env, "GATEWAY_ALERT_STUCK_MINUTES", 30.0),
            poller_failures=_whole(env, "GATEWAY_ALERT_POLLER_FAILURES", 3),
            ack_window_hours=_positive(env, "GATEWAY_ALERT_ACK_WINDOW_HOURS", 24.0),
            digest_hour=int(hour),
            check_seconds=_positive(env, "GATEWAY_ALERT_CHECK_SECONDS", 60.0),
            backoff_seconds=_positive(env, "GATEWAY_ALERT_BACKOFF_SECONDS", 30.0),
            backoff_cap_seconds=_positive(env, "GATEWAY_ALERT_BACKOFF_CAP_SECONDS", 3600.0),
        )


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number from 1, not {raw!r}")
    return int(raw)


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if not value > 0:
        raise ValueError(f"{name} must be above 0, not {raw}")
    return value
