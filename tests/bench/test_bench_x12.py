"""The X12 ingest benchmark runs at small sizes and prints the command's CPU per PO without start-up."""

from __future__ import annotations

import re

from bench import x12_ingest


def test_x12_benchmark_prints_cpu_per_po_without_startup_for_both_sizes() -> None:
    result = x12_ingest.run(orders=12, small=6, startup_runs=1)  # the bench's own default: 3
    assert (result.orders, result.small_orders, result.startup_runs) == (12, 6, 1)
    assert result.startup_seconds > 0 and result.small_command_seconds > 0 and result.command_seconds > 0
    lines = result.lines()
    startup = next(line for line in lines if "of 1 PO (start-up, median of 1)" in line)
    assert f"{result.startup_seconds:.2f} s" in startup
    without = next(line for line in lines if "without start-up:" in line)
    figures = re.search(r"([-\d.]+) ms CPU per PO at 12 POs against ([-\d.]+) at 6 \(([-\d.]+)x", without)
    assert figures is not None, without
    # each size's CPU less the one-PO command's, per PO beyond the first
    assert float(figures[1]) == round((result.command_seconds - result.startup_seconds) * 1000 / 11, 3)
    assert float(figures[2]) == round((result.small_command_seconds - result.startup_seconds) * 1000 / 5, 3)
    assert f"({result.per_po_ms / result.small_per_po_ms:.2f}x" in without
    assert any(line.startswith("  goal: 10x pyx12") for line in lines)
    assert "Without start-up: " in result.markdown()
    assert any("without start-up" in headline.measure for headline in result.headlines())


def test_without_a_smaller_size_the_cost_per_po_stands_alone() -> None:
    """``--orders`` at or below the smaller size: no second command, so no comparison is printed."""
    result = x12_ingest.Result(
        5, 0.1, 1.0, 2.0, 50, 60, ingest_seconds=1.5, pyx12_997_seconds=3.0, command_seconds=2.2,
        command_rss_mb=80, startup_seconds=2.0,
    )  # fmt: skip
    without = next(line for line in result.lines() if "without start-up:" in line)
    assert without.endswith("50.000 ms CPU per PO at 5 POs")  # (2.2 - 2.0) s over 4 POs
    assert not any("linear" in line for line in result.lines())
    assert "0.30 s CPU" in next(line for line in result.lines() if "goal:" in line)  # a tenth of pyx12's 3.0
    assert len(result.headlines()) == 3
