"""Work, not time: the function calls a piece of code makes (counted by cProfile) and the SQL it runs.

A bound on calls says "this input was refused before it was read" or "this page grows with its
document, not faster" on any machine, however slow or loaded; a bound on seconds does not, and
fails when the machine is busy. A call into C counts once, whatever it does.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import event


@dataclass(repr=False)
class Calls:
    """The function calls made while a ``counted_calls`` block ran (empty until it ends)."""

    total: int = 0
    by_function: dict[tuple[str, str], int] = field(default_factory=dict)  # (file, function) -> calls

    def __repr__(self) -> str:
        return f"Calls({self.total})"

    def of(self, file_suffix: str, function: str) -> int:
        """Calls of ``function`` defined in a file whose path ends with ``file_suffix``."""
        return sum(
            n
            for (path, name), n in self.by_function.items()
            if path.endswith(file_suffix) and name == function
        )


@contextmanager
def counted_calls() -> Iterator[Calls]:
    """Count every function call made in this thread inside the block."""
    calls = Calls()
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield calls
    finally:
        profiler.disable()
        stats = pstats.Stats(profiler)
        calls.total = stats.total_calls  # type: ignore[attr-defined]  # set by pstats, not in the stubs
        for (path, _, name), (_, ncalls, *_) in stats.stats.items():  # type: ignore[attr-defined]
            calls.by_function[path, name] = calls.by_function.get((path, name), 0) + ncalls


@contextmanager
def sql_statements(target: Any) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement, with its parameters, run inside the block by ``target``: an Engine,
    or the Engine class for every engine (one a command builds for itself)."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(target, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", record)
