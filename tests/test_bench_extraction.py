"""The extraction-quality benchmark runs and, on the labelled fixtures, finds every field."""

from __future__ import annotations

from bench import extraction


def test_extraction_benchmark_scores_every_format() -> None:
    lines = extraction.run()
    scored = [line for line in lines if "precision" in line]
    assert [line.split()[0] for line in scored] == ["pdf", "sheet", "email"]
    for line in scored:
        assert "precision 1.000" in line and "recall 1.000" in line, line
    assert "s per page" in lines[-1]
