"""The AS2 receive benchmark runs (on a few messages here) and every MDN it gets back is positive."""

from __future__ import annotations

from bench import as2_receive


def test_as2_receive_benchmark_measures_both_sizes_against_pyas2lib() -> None:
    report = as2_receive.run(messages=6)
    small, large = report.results
    assert (small.label, small.messages, large.label, large.messages) == ("1 KB", 6, "1 MB", 2)
    assert 900 < small.payload_bytes < 1_200 and 900_000 < large.payload_bytes < 1_100_000
    assert small.wire_bytes > small.payload_bytes and large.wire_bytes > large.payload_bytes
    assert all(
        0 < r.processing_seconds < r.endpoint_seconds and r.baseline_seconds > 0 for r in report.results
    )
    assert report.mdns_verified == 8
    lines = report.lines()
    assert "signed (sha256) + encrypted" in lines[0] and "msg/s" in lines[2] and "MB/s" in lines[4]
    assert "of which X12 processing" in lines[3]
    assert sum("ratio endpoint / pyas2lib alone" in line for line in lines) == 2
