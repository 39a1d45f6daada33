"""What the web app is built from (``WebConfig``), the desk's settings and us in AS2, from the environment."""

from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from ._senders import ErpSettings
from ._store import clock
from ._store import pipeline_from_environment

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from sqlalchemy.orm import sessionmaker

    from gateway.inbound.pipeline import Pipeline
    from gateway.transports.as2_identity import As2Identity
    from partners import PartnerRegistry


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
