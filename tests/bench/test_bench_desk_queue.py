"""The desk pages benchmark runs (on 100 against 1,000 orders here) and times every page on both stores."""

from __future__ import annotations

from bench import desk_queue


def test_desk_benchmark_times_each_page_over_http_on_a_small_and_a_big_store() -> None:
    report = desk_queue.run(orders=1_000, small=100, runs=1, postgres=False)
    assert report.orders == 1_000 and report.small == 100 and 50 < report.exceptions < 200
    assert report.waiting_documents == 5 and report.findings > report.exceptions and report.outbound > 0
    assert [page.path for page in report.pages] == list(desk_queue.PAGES)
    assert {page.backend for page in report.pages} == {"SQLite"}
    for page in report.pages:
        assert min(page.small_wall, page.small_cpu, page.big_wall, page.big_cpu) > 0
        assert page.cpu_ratio > 0 and page.wall_ratio > 0
    lines = report.lines()
    assert "1,000 orders" in lines[0] and "against 100" in lines[0] and "ratio" in lines[1]
    assert len(lines) == len(report.pages) + 2
    assert "| SQLite | `/dashboard` |" in report.markdown()
    assert report.headlines()[0].measure == "desk /queue at 1,000 orders (SQLite)"
