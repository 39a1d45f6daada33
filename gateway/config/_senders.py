"""The ERP's and the mailer's settings: where to send, and how often to try (``GATEWAY_ERP_*``, ``GATEWAY_SMTP_*``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Literal

if TYPE_CHECKING:
    from gateway.outbound.retries import RetryPolicy
    from partners import ErpTarget


Security = Literal["none", "starttls", "tls"]
SMTP_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "tls": 465}


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
