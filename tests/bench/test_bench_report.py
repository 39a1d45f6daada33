"""The benchmark report: `python -m bench` writes it (two small benches here), and a failure is recorded."""

from __future__ import annotations

import dataclasses
import io
import os
import re
from functools import partial
from importlib import metadata
from pathlib import Path

import pytest

from bench import as2_receive
from bench import desk_queue
from bench import extraction
from bench import memory
from bench import outbound
from bench import report
from bench import sftp_pull
from bench import validation
from bench import x12_ingest
from bench.__main__ import BENCHES
from bench.__main__ import main
from bench._markdown import Headline
from bench._markdown import table


class LinesOnly:
    """What a new benchmark needs at the least: its printed lines (and here where it ran)."""

    def lines(self) -> list[str]:
        return ["scaling: 3 worker counts", "  1 worker  12.0 docs/s"]

    def environment(self) -> dict[str, str]:
        return {"PostgreSQL server": "16.4"}


class Full:
    def lines(self) -> list[str]:
        return ["full: 1 thing"]

    def markdown(self) -> str:
        return table(["thing", "per s"], [["widgets", "1,234"]])

    def headlines(self) -> list[Headline]:
        return [Headline("widgets", "1,234/s", "2.50x", "the old way, 494/s"), Headline("sprockets", "7 ms")]


class Unrenderable(Full):
    def markdown(self) -> str:
        raise KeyError("widgets")


def _fail(files: int) -> LinesOnly:
    raise RuntimeError("sshd needs root | chroots")


def test_python_m_bench_writes_a_report_of_what_it_ran(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extraction_result: extraction.Result,
) -> None:
    # The extraction bench is what `--only extraction` runs; its result is the run's one scoring
    # of the corpus (half a minute of CPU), which the benchmark's own tests read too.
    assert BENCHES["extraction"].run is extraction.score
    scored = dataclasses.replace(BENCHES["extraction"], run=lambda: extraction_result)
    monkeypatch.setitem(BENCHES, "extraction", scored)
    # The x12 bench still takes `--orders 20` from the command line; its one-PO start-up command runs
    # once timed, as in test_bench_x12.py, not three times (the bench's own default: its median).
    assert BENCHES["x12"].run is x12_ingest.run
    once = dataclasses.replace(BENCHES["x12"], run=partial(x12_ingest.run, startup_runs=1))
    monkeypatch.setitem(BENCHES, "x12", once)
    path = tmp_path / "reports" / "small.md"
    assert main(["--only", "extraction", "--only", "x12", "--orders", "20", "--report", str(path)]) == 0
    printed = capsys.readouterr()
    assert "Extraction quality (field-level" in printed.out and "X12 850 ingest: 20 POs" in printed.out
    assert "bench: x12 (--orders 20) ..." in printed.err and f"report written to {path}" in printed.err
    text = path.read_text()
    assert re.match(r"# Benchmarks, \d{4}-\d\d-\d\d, commit [0-9a-f]{7,}", text)
    sections = re.findall(r"^## (.+)$", text, flags=re.M)
    assert sections == ["Summary", "Machine", "Extraction quality", "X12 850 ingest"]
    assert "2 of 2 benchmarks ran." in text
    summary = text.split("## Machine")[0]
    assert "| [X12 850 ingest](#x12-850-ingest) | ingest: parse + canonical + store |" in summary
    assert re.search(r"POs/s \| \*\*\d+\.\d\dx\*\* \| pyx12 x12n_document", summary)
    assert "| format | precision | recall |" in text and "| pdf | 1.000 | 1.000 |" in text
    # the machine facts are this machine's
    assert f"{os.cpu_count()} logical CPUs" in text and re.search(r"\| RAM \| \d+\.\d GiB \|", text)
    assert re.search(r"\| load average at the start \(1/5/15 min\) \| [\d.]+ / [\d.]+ / [\d.]+ \|", text)
    assert f"| pyx12 | {metadata.version('pyx12')} |" in text and "| SQLAlchemy |" in text
    assert "| pyas2lib |" in text and "| procrastinate |" in text and "PostgreSQL" not in text
    assert "| command | `python -m bench --only extraction --only x12 --orders 20 --report " in text


def test_a_failing_benchmark_is_recorded_and_the_others_still_run(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    benches = {
        "sftp": report.Bench("SFTP pull", _fail, report.Size("--sftp-files", 1_000, "files")),
        "scaling": report.Bench("Scaling on PostgreSQL", LinesOnly),
        "full": report.Bench("Full result", Full),
        "broken": report.Bench("Broken markdown", Unrenderable),
    }
    run = report.Run(command="python -m bench")
    run.outcomes = [report.run_bench(name, bench, 3, out=out, err=err) for name, bench in benches.items()]
    assert [o.name for o in run.failed] == ["sftp", "broken"] and "sftp failed after" in err.getvalue()
    assert "scaling: 3 worker counts" in out.getvalue()

    latest = tmp_path / "latest.md"
    text = report.write(run, tmp_path / "r.md", latest=latest)
    assert latest.read_text() == text == (tmp_path / "r.md").read_text()
    assert "2 of 4 benchmarks ran; failed: sftp, broken." in text
    assert "| [Broken markdown](#broken-markdown) | **failed**: KeyError: 'widgets' |" in text
    assert "| [SFTP pull](#sftp-pull) | **failed**: RuntimeError: sshd needs root \\| chroots |" in text
    assert "**Failed**: `RuntimeError: sshd needs root \\| chroots`" in text and "Traceback" in text
    # lines only: a code block, its first line in the summary, its environment with the machine facts
    assert "| [Scaling on PostgreSQL](#scaling-on-postgresql) | scaling: 3 worker counts |" in text
    assert "```\nscaling: 3 worker counts\n  1 worker  12.0 docs/s\n```" in text
    assert "| PostgreSQL server | 16.4 (scaling) |" in text
    # markdown and headlines: the benchmark's own table, one summary row per headline
    assert "| widgets | 1,234 |" in text
    assert "| [Full result](#full-result) | widgets | 1,234/s | **2.50x** | the old way, 494/s |" in text
    assert "|  | sprockets | 7 ms |  |  |" in text


def test_reports_are_named_by_date_and_commit() -> None:
    run = report.Run(command="python -m bench")
    assert run.checkout.short != "unknown"
    day = run.started.strftime("%Y-%m-%d")
    assert report.default_path(run) == report.REPORTS / f"{day}-{run.checkout.short}.md"
    assert report.default_path(run, ["x12", "memory"]).name == f"{day}-{run.checkout.short}-x12-memory.md"


def test_every_registered_benchmark_has_a_title_and_its_own_option() -> None:
    flags = [bench.size.flag for bench in BENCHES.values() if bench.size]
    assert len(set(flags)) == len(flags) and "--memory-mb" in flags and "--orders" in flags
    assert list(BENCHES)[:2] == ["extraction", "x12"] and "memory" in BENCHES


def test_each_benchmark_result_renders_tables_and_headlines() -> None:
    """Built from figures, not runs: every bench's markdown() is a table and its headlines have ratios."""
    asn = outbound.KindResult("856", 10, 0.02, 0.01, 0.5, 0.52, 10)
    invoice = outbound.KindResult("810", 10, 0.02, 0.01, 0.4, 0.42, 10)
    results: list[tuple[object, str]] = [
        (validation.Result(60, 3_000, 20, 0.1, 0.5, 30, 30, 200.0, 10.0, 300.0), "| all lines known |"),
        (outbound.Result(10, 30, 120, asn, invoice, 200.0, 210.0), "| 856 | 10 | 0.0 | 10 |"),
        (
            as2_receive.Report([as2_receive.SizeResult("1 KB", 6, 1_000, 4_000, 0.5, 0.2, 0.1)], 6),
            "| 1 KB | 6 | 1,000 (4,000) |",
        ),
        (
            desk_queue.Report(
                100_000,
                1_000,
                10_000,
                45_000,
                500,
                100_000,
                40.0,
                7,
                [desk_queue.Page("SQLite", "/queue", 20.0, 10.0, 26.0, 12.5)],
            ),
            "| SQLite | `/queue` | 20.0 / 10.0 | 26.0 / 12.5 | 1.30x / 1.25x |",
        ),
        (
            sftp_pull.Report(20, 0.7, 1.0, 0.25, 0.5, 20, 0, 300.0),
            "| SftpPuller: download, store in SQLite, delete |",
        ),
        (
            memory.Result(200, 212.0, 600.0, "processed", 117_647, 110.0, 300.0),
            "| peak RSS / input size | 1.42 |",
        ),
    ]
    for result, row in results:
        assert isinstance(result, report.HasMarkdown) and isinstance(result, report.HasHeadlines)
        assert row in result.markdown(), result.markdown()
        headlines = result.headlines()
        assert headlines and all(h.measure and h.figure for h in headlines)
        assert any(h.ratio and h.against for h in headlines), headlines
