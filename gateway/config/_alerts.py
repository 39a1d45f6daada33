"""The alerts' thresholds and channel (``GATEWAY_ALERT_*``): every command reads them at its start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

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
