"""Markdown pieces the benchmark results build their report sections from: tables and headlines."""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Headline:
    """One row of the report's summary: a figure and its ratio against a baseline.

    ``ratio`` is a ready string ("2.73x", "0.31"), or "" when the figure has no baseline.
    """

    measure: str
    figure: str
    ratio: str = ""
    against: str = ""


def cell(value: object) -> str:
    """A value safe inside a table cell: pipes escaped, no line breaks."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(
    header: Sequence[str], rows: Sequence[Sequence[object]], *, right: Collection[int] | None = None
) -> str:
    """A GitHub markdown table; the ``right`` columns (by default all but the first: figures) align right."""
    right = range(1, len(header)) if right is None else right
    align = ["---:" if index in right else "---" for index in range(len(header))]
    out = ["| " + " | ".join(cell(name) for name in header) + " |", "| " + " | ".join(align) + " |"]
    out.extend("| " + " | ".join(cell(value) for value in row) + " |" for row in rows)
    return "\n".join(out)
