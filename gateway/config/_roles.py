"""``gateway run``'s and the job queue's settings (``GATEWAY_HOST``, ``GATEWAY_WORKER_*``...)."""

from __future__ import annotations

import os
from dataclasses import dataclass


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
