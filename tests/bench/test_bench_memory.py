"""The memory benchmark runs (on a 1 MB interchange here) and reads the ingest child's own peak RSS."""

from __future__ import annotations

from bench import memory


def test_memory_benchmark_ingests_every_order_in_a_child() -> None:
    result = memory.run(megabytes=1)
    assert result.status == "processed" and result.orders == 1_000_000 // 1700
    assert 0.8 < result.size_mb < 1.5 and result.seconds > 0 and result.cpu_seconds > 0
    assert 0 < result.rss_before_mb <= result.peak_rss_mb < 400
    assert result.rss_per_input == result.peak_rss_mb / result.size_mb
    lines = result.lines()
    assert "588 850s" in lines[0] and "MB/s" in lines[1] and "CPU time" in lines[1]
    assert "VmHWM" in lines[2] and "peak RSS / input size" in lines[2]
    markdown = result.markdown()
    assert markdown.startswith("|  | 1 MB ingest, SQLite |") and "| peak RSS / input size |" in markdown
    assert [h.against for h in result.headlines()] == ["input size"]
