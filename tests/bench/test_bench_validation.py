"""The validation benchmark runs (on a small catalog here) and its fuzzy lines find the SKU meant."""

from __future__ import annotations

from bench import validation


def test_validation_benchmark_ranks_the_meant_sku_first() -> None:
    result = validation.run(count=60, skus=3_000, customer_count=20)
    assert result.unknown_lines > 20 and result.fuzzy_hits == result.unknown_lines
    lines = result.lines()
    assert "orders/s" in lines[1] and "100.0%" in lines[2] and "peak RSS" in lines[-1]
