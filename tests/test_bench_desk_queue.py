"""The desk queue benchmark runs (on 1,000 orders here), and answers the same with and without its indexes."""

from __future__ import annotations

from bench import desk_queue


def test_desk_queue_benchmark_times_every_query_both_ways() -> None:
    report = desk_queue.run(orders=1_000, runs=1)
    assert report.orders == 1_000 and 50 < report.exceptions < 200 and report.waiting_documents == 5
    assert report.findings > report.exceptions and report.outbound > 0
    assert report.same_answers
    names = [case.name for case in report.cases]
    assert names[0] == "queue page 1, no filter" and names[-1] == "dashboard, 30 days"
    assert any(name.startswith("search PO") for name in names) and "reason = price" in names
    for case in report.cases:
        assert case.indexed_ms > 0 and case.baseline_ms > 0 and case.ratio > 0
    first = report.cases[0].answer
    assert first[0] == report.exceptions + report.waiting_documents, (
        "the queue holds every exception and document"
    )
    lines = report.lines()
    assert "1,000 orders" in lines[0] and "with 0009" in lines[1] and lines[-1].endswith("yes")
    assert len(lines) == len(report.cases) + 3
