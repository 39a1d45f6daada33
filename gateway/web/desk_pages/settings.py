"""The desk's Flask settings: defaults, and what the environment changes.

- ``GATEWAY_SLA_HOURS``: how old an exception may get before the queue marks it overdue (4);
- ``GATEWAY_SECURE_COOKIES=1``: the session cookie is sent over https only (also on plain
  http requests, e.g. behind a TLS-terminating proxy);
- ``GATEWAY_SECRET_KEY``: see ``security.load_secret_key``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

DEFAULT_SLA_HOURS = 4.0
SESSION_HOURS = 12


def defaults() -> dict[str, Any]:
    return {
        "SESSION_COOKIE_NAME": "gateway_desk",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=SESSION_HOURS),
        # A token lives as long as the session: a clerk who leaves a form open over lunch can still send it.
        "WTF_CSRF_TIME_LIMIT": None,
        "DESK_SLA_HOURS": DEFAULT_SLA_HOURS,
        "DESK_PAGE_SIZE": 50,
    }


def from_environment(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings the environment sets; a bad value raises ``ValueError`` naming the variable."""
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
