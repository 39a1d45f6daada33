"""The order pytest-xdist's work stealing hands tests out in: the known slow test files first.

``--dist worksteal`` splits the collected tests into one contiguous run per process, in
collection order, and an idle process takes the second half of the longest queue left. A
two-minute test that happens to sit late in a run therefore starts late, and the suite ends
with one process busy and the others idle. Here every known slow file is placed at the head of
one process's run (the longest first, each to the run with the fewest slow seconds so far); the
other tests keep their order after them. A file moves whole, so its module fixtures are set up
once. Files missing from ``SLOW`` (or renamed) are simply not moved: the list can only be stale,
never wrong.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TypeVar

# Seconds each file's tests took in a loaded CI run (pytest --durations), roughly: only the order
# matters. Files named together go to the same process: the extraction benchmark's tests and the
# report test read one session fixture, the corpus scored once per process (a minute of CPU).
SLOW: dict[tuple[str, ...], float] = {
    ("tests/jobs/test_job_queue_faults.py",): 300.0,
    ("tests/run/test_run.py",): 150.0,
    ("tests/web/test_web_desk_browser.py",): 100.0,
    ("tests/jobs/test_job_queue.py",): 100.0,
    ("tests/bench/test_bench_startup.py",): 90.0,
    ("tests/bench/test_bench_extraction.py", "tests/bench/test_bench_report.py"): 80.0,
    ("tests/web/test_web_desk_inplace.py",): 80.0,
    ("tests/bench/test_bench_scaling.py",): 60.0,
    ("tests/web/test_web_desk_viewer_browser.py",): 60.0,
    ("tests/x12/test_x12_reader.py",): 50.0,
    ("tests/bench/test_bench_x12.py",): 45.0,
    ("tests/web/test_web_desk_resolve_browser.py",): 45.0,
    ("tests/web/test_web_desk_edits_browser.py",): 45.0,
    ("tests/web/test_web_desk_replies_browser.py",): 45.0,
    ("tests/security/test_desk_bounded_pages.py",): 40.0,
}
GROUP = {path: group for group in SLOW for path in group}

Item = TypeVar("Item")


def worksteal_runs(count: int, processes: int) -> list[int]:
    """How many tests each process gets at the start: xdist's WorkStealingScheduling gives each
    idle process, in turn, the pending tests divided by the processes still to be served."""
    sizes = []
    for served in range(processes):
        sizes.append(count // (processes - served))
        count -= sizes[-1]
    return sizes


def slow_first(items: Sequence[Item], files: Sequence[str], processes: int) -> list[Item]:
    """``items`` reordered so that each process's run starts with its share of the slow files.

    ``files`` holds each item's file path, relative to the repository (as in its node id)."""
    runs = worksteal_runs(len(items), processes)
    by_group: dict[tuple[str, ...], list[Item]] = {}
    for item, path in zip(items, files, strict=True):
        if path in GROUP:
            by_group.setdefault(GROUP[path], []).append(item)
    heads: list[list[Item]] = [[] for _ in runs]
    loads = [0.0 for _ in runs]
    for group in sorted(by_group, key=lambda g: (-SLOW[g], g)):
        run = min(range(len(runs)), key=lambda r: (loads[r], r))
        heads[run].extend(by_group[group])
        loads[run] += SLOW[group]
    rest = iter(item for item, path in zip(items, files, strict=True) if path not in GROUP)
    ordered: list[Item] = []
    for head, size in zip(heads, runs, strict=True):
        ordered.extend(head)
        ordered.extend(itertools.islice(rest, max(size - len(head), 0)))
    ordered.extend(rest)
    return ordered
