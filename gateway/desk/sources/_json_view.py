"""A channel's JSON order (Shopify, WooCommerce, Amazon, Walmart) pretty-printed, one member per line,
with the lines the order's values came from highlighted by their JSON pointer.

The text is made from the stored raw bytes: every number is shown as the document wrote it (its
literal, never a float read back), keys keep their order (a repeated key is shown each time; its
pointer names the last, as the parser reads it), and each line knows the RFC 6901 pointer of the
value it opens, so a value's provenance (``/line_items/2/quantity``) finds its line. A document that
is not JSON is shown as its text, line by line, with a note saying where it stops being JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.errors import GatewayError
from parsers import pointer_token

from ._highlights import Wanted
from ._panes import Highlight
from ._panes import JsonLine
from ._panes import JsonPane
from ._panes import PointerRef
from ._panes import Unplaced
from ._window import gaps
from ._window import window

HEAD_LINES = 200
CONTEXT_LINES = 3
MAX_LINES = 2000
MAX_LINE_CHARS = 2000
MAX_DEPTH = 200  # deeper than any order: shown as text instead
_INDENT = "  "


class _Literal(str):
    """A JSON number as the document wrote it."""


class _Pairs(list[tuple[str, Any]]):
    """An object's members in the document's order, repeated keys included."""


class _TooDeep(GatewayError):
    """The document nests deeper than ``MAX_DEPTH``: it is shown as text (never raised out of here)."""


@dataclass(slots=True)
class _Printed:
    texts: list[str]
    pointers: list[str | None]  # each line's pointer (None for a closing bracket)
    found: dict[str, int]  # pointer -> its line number, from 1


def json_pane(
    data: bytes, wanted: Sequence[Wanted], *, key: str, title: str, mime_part: str | None
) -> tuple[JsonPane, list[Highlight], list[Unplaced]]:
    """The JSON pretty-printed, with each wanted value's line (found by its pointer) highlighted."""
    printed, note = _print(data)
    placed: list[Highlight] = []
    missed: list[Unplaced] = []
    by_line: dict[int, list[Highlight]] = {}
    lines_of = {w.key: printed.found.get(w.source.pointer) for w in wanted if w.source.pointer is not None}
    numbers, left_out = window(
        [n for n in lines_of.values() if n], last=len(printed.texts), head=HEAD_LINES, context=CONTEXT_LINES,
        limit=MAX_LINES,
    )  # fmt: skip
    for item in wanted:
        pointer = item.source.pointer
        number = lines_of.get(item.key)
        if pointer is None:
            missed.append(item.miss("its source names no JSON pointer"))
        elif number is None:
            where = "the document is not JSON" if note else "the document has no value there"
            missed.append(item.miss(f"{_shown_pointer(pointer)}: {where}"))
        elif number in left_out:
            missed.append(item.miss(f"{_shown_pointer(pointer)} (line {number}) is outside the lines shown"))
        else:
            highlight = item.place(key, _anchor(key, number), PointerRef(pointer, number))
            placed.append(highlight)
            by_line.setdefault(number, []).append(highlight)
    shown = tuple(
        JsonLine(
            number=number,
            text=_clip(printed.texts[number - 1]),
            anchor=_anchor(key, number),
            pointer=printed.pointers[number - 1],
            gap_before=gap,
            highlights=tuple(by_line.get(number, ())),
        )
        for number, gap in zip(numbers, gaps(numbers), strict=True)
    )
    more = bool(numbers) and numbers[-1] < len(printed.texts)
    pane = JsonPane(key=key, title=title, mime_part=mime_part, lines=shown, more_lines=more, note=note)
    return pane, placed, missed


def _print(data: bytes) -> tuple[_Printed, str | None]:
    """The document pretty-printed; or, when it is not JSON, its text and a note saying why."""
    text = data.decode("utf-8-sig", errors="replace")
    printed = _Printed([], [], {})
    try:
        document = json.loads(
            text, parse_float=_Literal, parse_int=_Literal, parse_constant=_Literal, object_pairs_hook=_Pairs
        )
        _emit(printed, document, "", "", 0, "")
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        return _Printed(lines, [None] * len(lines), {}), f"Not JSON at {where}; the text is shown as sent."
    except (_TooDeep, RecursionError):
        lines = text.splitlines()
        return _Printed(
            lines, [None] * len(lines), {}
        ), "The JSON nests too deeply to lay out; shown as sent."
    return printed, None


def _emit(out: _Printed, value: Any, pointer: str, label: str, depth: int, comma: str) -> None:
    if depth > MAX_DEPTH:
        raise _TooDeep
    pad = _INDENT * depth
    if isinstance(value, _Pairs | list) and value:
        members = (
            [(f"{json.dumps(k, ensure_ascii=False)}: ", pointer_token(k), v) for k, v in value]
            if isinstance(value, _Pairs)
            else [("", str(i), v) for i, v in enumerate(value)]
        )
        opening, closing = ("{", "}") if isinstance(value, _Pairs) else ("[", "]")
        _line(out, f"{pad}{label}{opening}", pointer)
        for n, (name, token, member) in enumerate(members):
            _emit(out, member, f"{pointer}/{token}", name, depth + 1, "," if n < len(members) - 1 else "")
        out.texts.append(f"{pad}{closing}{comma}")
        out.pointers.append(None)
        return
    _line(out, f"{pad}{label}{_scalar(value)}{comma}", pointer)


def _line(out: _Printed, text: str, pointer: str) -> None:
    out.texts.append(text)
    out.pointers.append(pointer)
    out.found[pointer] = len(out.texts)  # a repeated key: the last, as the parser reads it


def _scalar(value: Any) -> str:
    if isinstance(value, _Pairs):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, _Literal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _shown_pointer(pointer: str) -> str:
    return f"JSON pointer {pointer or '(the whole document)'}"


def _anchor(pane: str, number: int) -> str:
    return f"{pane}-json-{number}"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_LINE_CHARS else text[:MAX_LINE_CHARS] + "…"
