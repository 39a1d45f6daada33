"""xlsx sheets and CSV files as a bounded grid, with the cells order values came from highlighted.

Only a window is read: the first rows (where the PO number and the table header sit), then
the rows around each highlighted cell, up to ``MAX_ROWS`` rows and ``MAX_COLUMNS`` columns
(plus any highlighted column). Workbooks are opened read-only with cached values; a
workbook that unpacks too large or too far is refused before it is opened.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from datetime import time
from decimal import Decimal
from typing import Any

import openpyxl

from parsers import WORKBOOK_ERRORS
from parsers import workbook_refusal

from ._highlights import Wanted
from ._highlights import column_letter
from ._highlights import split_cell
from ._panes import CannotShow
from ._panes import CellRef
from ._panes import GridCell
from ._panes import GridColumn
from ._panes import GridRow
from ._panes import Highlight
from ._panes import SheetPane
from ._panes import Unplaced
from ._window import gaps
from ._window import window

HEAD_ROWS = 30
CONTEXT_ROWS = 2
MAX_ROWS = 400
MAX_COLUMNS = 26
SCAN_COLUMNS = 200
MAX_CELL_CHARS = 300
CSV_SHEET = "csv"

Rows = dict[int, dict[int, str]]


def sheet_panes(
    data: bytes, fmt: str, wanted: Sequence[Wanted], *, key: str, title: str, mime_part: str | None
) -> tuple[list[SheetPane], list[Highlight], list[Unplaced]]:
    """One pane per sheet that holds a highlighted cell (the first sheet when none does)."""
    if fmt == "csv":
        return _panes(_CsvBook(data), wanted, key=key, title=title, mime_part=mime_part)
    refusal = _zip_refusal(data)
    if refusal is not None:
        return (
            [SheetPane(key=key, title=title, mime_part=mime_part, problem=refusal)],
            [],
            _all_missed(wanted),
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except WORKBOOK_ERRORS as exc:
        return _unreadable(exc, wanted, key=key, title=title, mime_part=mime_part)
    try:
        return _panes(_XlsxBook(workbook), wanted, key=key, title=title, mime_part=mime_part)
    except WORKBOOK_ERRORS as exc:  # read-only sheets are only unpacked and parsed here
        return _unreadable(exc, wanted, key=key, title=title, mime_part=mime_part)
    finally:
        workbook.close()


def _unreadable(
    exc: Exception, wanted: Sequence[Wanted], *, key: str, title: str, mime_part: str | None
) -> tuple[list[SheetPane], list[Highlight], list[Unplaced]]:
    problem = CannotShow("sheet.corrupt", f"the workbook cannot be read: {type(exc).__name__}: {exc}")
    return [SheetPane(key=key, title=title, mime_part=mime_part, problem=problem)], [], _all_missed(wanted)


def _all_missed(wanted: Iterable[Wanted]) -> list[Unplaced]:
    return [w.miss("the sheet cannot be shown") for w in wanted]


class _CsvBook:
    def __init__(self, data: bytes) -> None:
        self.text = data.decode("utf-8-sig", errors="replace")
        self.names = (CSV_SHEET,)

    def rows(self, name: str, last: int) -> tuple[Rows, bool]:
        rows: Rows = {}
        reader = csv.reader(io.StringIO(self.text), delimiter=_delimiter(self.text))
        try:
            for number, row in enumerate(reader, start=1):
                if number > last:
                    return rows, any(v.strip() for v in row)
                rows[number] = {
                    c: _clip(v.strip()) for c, v in enumerate(row[:SCAN_COLUMNS], start=1) if v.strip()
                }
        except csv.Error:  # a field larger than csv's limit: show what came before it
            return rows, True
        return rows, False


class _XlsxBook:
    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.names = tuple(workbook.sheetnames)

    def rows(self, name: str, last: int) -> tuple[Rows, bool]:
        sheet = self.workbook[name]
        rows: Rows = {}
        for number, row in enumerate(sheet.iter_rows(max_row=last + 1, values_only=True), start=1):
            cells = {c: text for c, v in enumerate(row[:SCAN_COLUMNS], start=1) if (text := display(v)) != ""}
            if number > last:
                return rows, bool(cells) or (sheet.max_row or 0) > number
            rows[number] = cells
        return rows, False


def _panes(
    book: _CsvBook | _XlsxBook, wanted: Sequence[Wanted], *, key: str, title: str, mime_part: str | None
) -> tuple[list[SheetPane], list[Highlight], list[Unplaced]]:
    missed: list[Unplaced] = []
    by_sheet: dict[str, list[tuple[Wanted, int, int]]] = {}
    for item in wanted:
        at = split_cell(item.source.cell or "")
        sheet = item.source.sheet
        if at is None or sheet is None:
            missed.append(item.miss(f"its source is not a sheet cell ({item.source.cell!r})"))
        elif sheet not in book.names:
            missed.append(item.miss(f"the document has no sheet named {sheet!r}"))
        else:
            by_sheet.setdefault(sheet, []).append((item, *at))
    names = [n for n in book.names if n in by_sheet] or list(book.names[:1])
    panes: list[SheetPane] = []
    placed: list[Highlight] = []
    for number, name in enumerate(names, start=1):
        pane_key = key if len(names) == 1 else f"{key}-{number}"
        pane_title = title if len(names) == 1 else f"{title} · {name}"
        pane, hits, misses = _grid(book, name, by_sheet.get(name, []), pane_key, pane_title, mime_part)
        panes.append(pane)
        placed += hits
        missed += misses
    return panes, placed, missed


def _grid(
    book: _CsvBook | _XlsxBook,
    name: str,
    wanted: list[tuple[Wanted, int, int]],
    key: str,
    title: str,
    mime_part: str | None,
) -> tuple[SheetPane, list[Highlight], list[Unplaced]]:
    wanted_rows = [row for _, row, _ in wanted]
    last_wanted = max(wanted_rows, default=0)
    rows, more = book.rows(name, max(HEAD_ROWS, last_wanted + CONTEXT_ROWS))
    filled = max((r for r, cells in rows.items() if cells), default=0)
    last = max(filled, last_wanted)
    shown_rows, rows_left_out = window(
        wanted_rows, last=last, head=HEAD_ROWS, context=CONTEXT_ROWS, limit=MAX_ROWS
    )
    used = max((c for r in shown_rows for c in rows.get(r, {})), default=0)
    wanted_columns = {column for _, _, column in wanted}
    shown_columns = sorted(set(range(1, min(used, MAX_COLUMNS) + 1)) | wanted_columns)
    placed: list[Highlight] = []
    missed: list[Unplaced] = []
    by_cell: dict[tuple[int, int], list[Highlight]] = {}
    for item, row, column in wanted:
        if row in rows_left_out:
            missed.append(item.miss(f"row {row} is outside the rows shown"))
            continue
        ref = f"{column_letter(column)}{row}"
        highlight = item.place(key, f"{key}-{ref}", CellRef(name, row, column, ref))
        placed.append(highlight)
        by_cell.setdefault((row, column), []).append(highlight)
    columns = tuple(
        GridColumn(number, column_letter(number), gap)
        for number, gap in zip(shown_columns, gaps(shown_columns), strict=True)
    )
    grid_rows = tuple(
        GridRow(
            number=row,
            anchor=f"{key}-row-{row}",
            gap_before=gap,
            cells=tuple(
                GridCell(
                    column=c.number,
                    ref=f"{c.letter}{row}",
                    text=rows.get(row, {}).get(c.number, ""),
                    anchor=f"{key}-{c.letter}{row}",
                    highlights=tuple(by_cell.get((row, c.number), ())),
                )
                for c in columns
            ),
        )
        for row, gap in zip(shown_rows, gaps(shown_rows), strict=True)
    )
    pane = SheetPane(
        key=key,
        title=title,
        mime_part=mime_part,
        sheet=name,
        sheets=book.names,
        columns=columns,
        rows=grid_rows,
        more_rows=more or (bool(shown_rows) and shown_rows[-1] < filled),
        more_columns=used > (shown_columns[-1] if shown_columns else 0),
    )
    return pane, placed, missed


def display(value: object) -> str:
    """A cell value as the sheet would show it, near enough: no float noise, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, int | Decimal):
        return str(value)
    return _clip(str(value).strip())


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS] + "…"


def _delimiter(text: str) -> str:
    """The parser's choice (parsers/_excel.py): the candidate found on the most of the first lines."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    return max(",;\t|", key=lambda d: (sum(d in line for line in lines), d == ","))


def _zip_refusal(data: bytes) -> CannotShow | None:
    """The parser's own refusal (``parsers.workbook_refusal``), as the desk words it: one rule for
    what is too large or too damaged to open, whoever opens it."""
    issue = workbook_refusal(data)
    if issue is None:
        return None
    return CannotShow(issue.code.replace("excel.", "sheet.", 1), f"{issue.message}; not shown")
