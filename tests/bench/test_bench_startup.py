"""The start-up benchmark runs every command (once here) and reads each child's own CPU time and peak RSS."""

from __future__ import annotations

from bench import startup


def test_startup_benchmark_measures_every_command_against_the_interpreter() -> None:
    result = startup.run(runs=1)
    measures = [result.interpreter, result.sqlalchemy, *result.commands]
    assert [m.label for m in result.commands] == [
        "gateway --help",
        "gateway ingest --help",
        "gateway partners check",
        "gateway orders (existing store)",
        "gateway ingest (100 POs, X12)",
    ]
    for m in measures:
        assert len(m.cpu) == len(m.rss_mb) == 1 and m.cpu_median > 0
        assert 5 < m.rss_median < 400
    # the child's own peak, not this test process's (pytest's is far larger): a bare interpreter is small
    assert result.interpreter.rss_median < min(30, result.sqlalchemy.rss_median)
    lines = result.lines()
    assert "median of 1 runs" in lines[0] and len(lines) == 1 + len(measures)
    assert all("x interpreter" in line and "x sqlalchemy" in line for line in lines[1:])
    assert "| gateway ingest (100 POs, X12) |" in result.markdown()
    assert len(result.headlines()) == len(result.commands)
