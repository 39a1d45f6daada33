"""The outbound benchmark runs (on 20 shipments here) and every 856 and 810 it writes passes pyx12."""

from __future__ import annotations

from bench import outbound


def test_outbound_benchmark_writes_documents_pyx12_accepts() -> None:
    result = outbound.run(shipments=20)
    assert result.packs >= 2 * 20 and result.items >= 3 * result.packs
    for kind, figures in (("856", result.asn), ("810", result.invoice)):
        assert figures.kind == kind and figures.documents == figures.passed == 20
        assert figures.megabytes > 0 and figures.generation_seconds > 0
        assert 0 < figures.validation_seconds < figures.combined_seconds
    lines = result.lines()
    assert "20 of 20 passed pyx12" in lines[1] and "docs/s" in lines[2] and "peak RSS" in lines[-1]
    assert result.peak_rss_mb >= result.peak_rss_mb_after_generation > 0
