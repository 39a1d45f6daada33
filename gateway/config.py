"""Settings read from the environment (besides the store's, which gateway.storage reads)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path


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
