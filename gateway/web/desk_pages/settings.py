"""The desk's Flask settings: defaults here, and over them what the environment changes
(``gateway.config.desk_settings_from_environment``):

- ``GATEWAY_SLA_HOURS``: how old an exception may get before the queue marks it overdue (4);
- ``GATEWAY_SECURE_COOKIES=1``: the session cookie is sent over https only (also on plain
  http requests, e.g. behind a TLS-terminating proxy);
- ``GATEWAY_SECRET_KEY``: see ``security.load_secret_key``.
"""

from __future__ import annotations

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
