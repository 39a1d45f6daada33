"""Runs registered benchmarks one at a time and writes their markdown report.

A benchmark is a ``Bench``: a title, a ``run`` callable and, optionally, the one size option
it takes. ``run`` returns any object with ``lines()`` (the figures as printed). It may also
have ``markdown()`` (its report section; without it the lines go in a code block),
``headlines()`` (rows of the summary table) and ``environment()`` (facts about what it ran
against, such as ``{"PostgreSQL server": "16.4"}``, listed with the machine facts).
A benchmark that raises is recorded with its error, and the next one runs.
"""

from __future__ import annotations

import shutil
import sys
import time
import traceback
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any
from typing import Protocol
from typing import TextIO
from typing import runtime_checkable

from bench import _machine
from bench._markdown import Headline
from bench._markdown import cell
from bench._markdown import table

REPORTS = Path(__file__).resolve().parent / "reports"
LATEST = REPORTS / "latest.md"


class Result(Protocol):
    def lines(self) -> list[str]: ...


@runtime_checkable
class HasMarkdown(Protocol):
    def markdown(self) -> str: ...


@runtime_checkable
class HasHeadlines(Protocol):
    def headlines(self) -> list[Headline]: ...


@runtime_checkable
class HasEnvironment(Protocol):
    def environment(self) -> dict[str, str]: ...


@dataclass(frozen=True, slots=True)
class Size:
    """The command-line option that sizes a benchmark; its value is ``run``'s one argument."""

    flag: str
    default: int | float
    help: str


@dataclass(frozen=True, slots=True)
class Bench:
    title: str
    run: Callable[..., Result]
    size: Size | None = None


@dataclass(slots=True)
class Outcome:
    """One benchmark's run: what its result rendered to, or the error that stopped it."""

    name: str
    title: str
    seconds: float
    result: Result | None = None
    lines: list[str] = field(default_factory=list)
    markdown: str = ""
    headlines: list[Headline] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    error: str = ""
    trace: str = ""


@dataclass(slots=True)
class Run:
    """Everything one report shows."""

    command: str
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    checkout: _machine.Checkout = field(default_factory=_machine.checkout)
    facts: dict[str, str] = field(default_factory=_machine.facts)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.result is None]


def run_bench(
    name: str, bench: Bench, size: Any = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> Outcome:
    """Run one benchmark and print its lines (to stdout, progress to stderr); an exception becomes its error."""
    out = out or sys.stdout
    err = err or sys.stderr
    sized = f" ({bench.size.flag} {size})" if bench.size else ""
    print(f"bench: {name}{sized} ...", file=err, flush=True)
    started = time.perf_counter()
    outcome = Outcome(name, bench.title, 0.0)
    try:
        result = bench.run(size) if bench.size else bench.run()
        outcome.seconds = time.perf_counter() - started
        outcome.lines = result.lines()
        for line in outcome.lines:
            print(line, file=out, flush=True)
        # rendered now, so that a result that cannot render fails here, not the whole report later
        outcome.markdown = result.markdown() if isinstance(result, HasMarkdown) else ""
        outcome.headlines = result.headlines() if isinstance(result, HasHeadlines) else []
        outcome.environment = result.environment() if isinstance(result, HasEnvironment) else {}
        outcome.result = result
    except Exception as exc:  # any failure is the report's to show; the next benchmark still runs
        outcome.seconds = outcome.seconds or time.perf_counter() - started
        outcome.error, outcome.trace = f"{type(exc).__name__}: {exc}", traceback.format_exc()
        print(f"bench: {name} failed after {outcome.seconds:.1f} s: {outcome.error}", file=err, flush=True)
        return outcome
    print(f"bench: {name} done in {outcome.seconds:.1f} s", file=err, flush=True)
    return outcome


def _summary(outcomes: Sequence[Outcome]) -> str:
    rows: list[list[str]] = []
    for outcome in outcomes:
        title = f"[{outcome.title}](#{_anchor(outcome)})"
        if outcome.result is None:
            rows.append([title, f"**failed**: {_short(outcome.error)}", "", "", ""])
        elif outcome.headlines:
            for index, h in enumerate(outcome.headlines):  # the title on its first row only
                ratio = f"**{h.ratio}**" if h.ratio else ""
                rows.append([title if index == 0 else "", h.measure, h.figure, ratio, h.against])
        else:
            rows.append([title, outcome.lines[0].strip() if outcome.lines else "", "", "", ""])
    return "\n\n".join(
        [
            "## Summary",
            "Ratios are ours over the in-process baseline's speed (above 1: faster than the baseline), "
            "unless the row says what else they divide.",
            table(["benchmark", "measure", "figure", "ratio", "against"], rows, right=(2, 3)),
        ]
    )


def _machine_section(run: Run) -> str:
    facts = dict(run.facts)
    for outcome in run.outcomes:
        facts.update({key: f"{value} ({outcome.name})" for key, value in outcome.environment.items()})
    facts["command"] = f"`{run.command}`"
    if run.checkout.dirty:
        facts["changed files"] = ", ".join(run.checkout.changed)
    rows = [[key, value] for key, value in facts.items()]
    return "## Machine\n\n" + table(["fact", "value"], rows, right=())


def _section(outcome: Outcome) -> str:
    head = f"## {outcome.title}\n\n`{outcome.name}`, {outcome.seconds:.1f} s."
    if outcome.result is None:
        return (
            f"{head} **Failed**: `{cell(_short(outcome.error, 500))}`\n\n"
            f"<details><summary>traceback</summary>\n\n```\n{outcome.trace.rstrip()}\n```\n\n</details>"
        )
    if outcome.markdown:
        return f"{head}\n\n{outcome.markdown}"
    return f"{head}\n\n```\n" + "\n".join(outcome.lines) + "\n```"


def render(run: Run) -> str:
    """The report as markdown: title, summary, machine facts, then one section per benchmark."""
    if run.checkout.commit == "unknown":
        tree = "not a git checkout"
    elif run.checkout.dirty:
        tree = f"work tree with {len(run.checkout.changed)} changed tracked files"
    else:
        tree = "clean work tree"
    title = (
        f"# Benchmarks, {run.started:%Y-%m-%d}, commit {run.checkout.short}"
        f"{' (dirty)' if run.checkout.dirty else ''}\n\n"
        f"Measured from {run.started:%Y-%m-%d %H:%M} UTC on commit `{run.checkout.commit}` ({tree}). "
        f"{len(run.outcomes) - len(run.failed)} of {len(run.outcomes)} benchmarks ran"
        + (f"; failed: {', '.join(o.name for o in run.failed)}." if run.failed else ".")
    )
    parts = [title, _summary(run.outcomes), _machine_section(run)]
    parts.extend(_section(outcome) for outcome in run.outcomes)
    return "\n\n".join(parts) + "\n"


def default_path(run: Run, only: Sequence[str] = ()) -> Path:
    """``bench/reports/<date>-<sha>.md``; a run of some benchmarks only adds their names."""
    suffix = "".join(f"-{name}" for name in only)
    return REPORTS / f"{run.started:%Y-%m-%d}-{run.checkout.short}{suffix}.md"


def write(run: Run, path: Path, *, latest: Path | None = None) -> str:
    """Write the report to ``path`` (and a copy to ``latest``); returns the markdown."""
    text = render(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if latest is not None:
        latest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, latest)
    return text


def _short(text: str, limit: int = 160) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _anchor(outcome: Outcome) -> str:
    """GitHub's anchor for the section heading: lower case, punctuation dropped, spaces to dashes."""
    kept = "".join(c for c in outcome.title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")
