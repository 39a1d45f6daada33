"""Text (an email body) as numbered lines, with the lines order values came from highlighted."""

from __future__ import annotations

from collections.abc import Sequence

from ._highlights import Wanted
from ._highlights import text_line
from ._panes import Highlight
from ._panes import LineRef
from ._panes import TextLine
from ._panes import TextPane
from ._panes import Unplaced
from ._window import gaps
from ._window import window

HEAD_LINES = 200
CONTEXT_LINES = 3
MAX_LINES = 1000
MAX_LINE_CHARS = 2000


def text_pane(
    text: str, wanted: Sequence[Wanted], *, key: str, title: str, mime_part: str | None
) -> tuple[TextPane, list[Highlight], list[Unplaced]]:
    """The text's lines, numbered from 1 as ``str.splitlines`` numbers them, as the parsers do."""
    lines = text.splitlines()
    placed: list[Highlight] = []
    missed: list[Unplaced] = []
    by_line: dict[int, list[Highlight]] = {}
    wanted_lines = {w.key: text_line(w.source) for w in wanted}
    numbers, left_out = window(
        [n for n in wanted_lines.values() if n], last=len(lines), head=HEAD_LINES, context=CONTEXT_LINES,
        limit=MAX_LINES,
    )  # fmt: skip
    for item in wanted:
        number = wanted_lines[item.key]
        if number is None:
            missed.append(item.miss("its source names no line of the text"))
        elif not 1 <= number <= len(lines):
            missed.append(item.miss(f"line {number} is past the end of the text ({len(lines)} lines)"))
        elif number in left_out:
            missed.append(item.miss(f"line {number} is outside the lines shown"))
        else:
            highlight = item.place(key, _anchor(key, number), LineRef(number))
            placed.append(highlight)
            by_line.setdefault(number, []).append(highlight)
    shown = tuple(
        TextLine(
            number=number,
            text=_clip(lines[number - 1]),
            anchor=_anchor(key, number),
            gap_before=gap,
            highlights=tuple(by_line.get(number, ())),
        )
        for number, gap in zip(numbers, gaps(numbers), strict=True)
    )
    more = bool(numbers) and numbers[-1] < len(lines)
    return TextPane(key=key, title=title, mime_part=mime_part, lines=shown, more_lines=more), placed, missed


def _anchor(pane: str, number: int) -> str:
    return f"{pane}-line-{number}"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_LINE_CHARS else text[:MAX_LINE_CHARS] + "…"
