"""The scale-out benchmark runs end to end at a tiny size: real PostgreSQL, real workers."""

from __future__ import annotations

import pytest

from bench import scaling


@pytest.mark.slow
def test_scaling_bench_measures_each_worker_count_against_inline() -> None:
    result = scaling.run(documents=12, workers=(1, 2))  # the bench itself runs 1, 2 and 4
    assert set(result.rates) == {1, 2}
    assert result.inline_rate > 0 and all(rate > 0 for rate in result.rates.values())
    assert "| 2 `gateway worker` |" in result.markdown()
    assert result.environment()["PostgreSQL server"]
    assert result.headlines()[0].ratio.endswith("x")
