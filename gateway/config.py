"""Settings read from the environment (besides the store's, which gateway.storage reads)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
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
