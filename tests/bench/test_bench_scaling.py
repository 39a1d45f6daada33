"""The scale-out benchmark runs end to end at a tiny size: real PostgreSQL, real workers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import scaling
from gateway.jobs.services import QueueSettings
from tests.servers.queue_cluster import Cluster


@pytest.mark.slow
def test_scaling_bench_measures_each_worker_count_against_inline() -> None:
    result = scaling.run(documents=12, workers=(2,))  # the bench itself runs 1, 2 and 4
    assert set(result.rates) == set(result.baselines) == {2}
    assert result.inline_rate > 0 and all(rate > 0 for rate in result.rates.values())
    assert "| 2 `gateway worker` |" in result.markdown()
    assert result.environment()["PostgreSQL server"]
    assert result.headlines()[0].ratio.endswith("x")


def test_the_bench_runs_workers_with_the_deployed_queue_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The workers' heartbeat, stall window and recovery cadence are QueueSettings' defaults (what
    `gateway worker` runs with when nothing is set), not the test cluster's 1 s heartbeat and 2 s
    recovery pass: a recovery pass every 2 s listed every waiting job five times as often, and
    ended a document job's run each time."""
    cluster = Cluster(
        "postgresql+psycopg://gateway@127.0.0.1:1/none", tmp_path, env=scaling.deployed_timing()
    )
    for name in [k for k in os.environ if k.startswith("GATEWAY_")]:
        monkeypatch.delenv(name)
    for name, value in cluster.env.items():
        if name.startswith("GATEWAY_WORKER_") or name == "GATEWAY_SHUTDOWN_SECONDS":
            monkeypatch.setenv(name, value)
    assert QueueSettings.from_environment() == QueueSettings()
