"""xlsx/xlsm and CSV order sheets -> canonical orders, with resource limits checked first."""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Mapping
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as safe_xml
import openpyxl
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents
from openpyxl.packaging.relationship import get_rels_path
from openpyxl.reader.excel import _find_workbook_part  # type: ignore[attr-defined]  # private: not in the stubs
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.xml.constants import ARC_CONTENT_TYPES

from gateway.model.order import Channel
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import Severity

from ._events import FoundOrders
from ._sheet_orders import Grid
from ._sheet_orders import find_header
from ._sheet_orders import infer_columns
from ._sheet_orders import read_sheet_orders

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_ROWS = 50_000
MAX_COLUMNS = 200
# Opening a workbook read-only, openpyxl streams the worksheets but reads every other part whole
# (shared strings at about 60 µs a string, styles at 2 s and 20 MB of memory per MB), and a sheet
# whose <dimension> is missing is parsed once through just to size it: bound each of them.
MAX_WHOLE_PART = 8 * 1024 * 1024  # an order sheet's shared strings and styles are a few hundred KB
MAX_SHEET_PART = 64 * 1024 * 1024  # 50,000 rows of ten columns are some 20 MB
MAX_UNSIZED_SHEET = MAX_WHOLE_PART
_DIMENSION = re.compile(rb"<(?:\w+:)?(dimension|sheetData)\b")
_ENCRYPTED_MARKER = "EncryptionInfo".encode("utf-16-le")
# What a damaged or hostile workbook raises, also lazily while its sheets are read: a zip entry
# whose size or CRC lies, truncated deflate data, malformed XML, entities defusedxml forbids;
# and, found by fuzzing: an XML attribute openpyxl does not know or of the wrong type
# (TypeError), a shared-string index past the table (IndexError) or an XML declaration naming
# an encoding Python lacks (both LookupError), an unknown compression method
# (NotImplementedError), an encrypted zip entry (RuntimeError).
_UNREADABLE = (
    InvalidFileException,
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    OSError,
    EOFError,
    zlib.error,
    ParseError,
    TypeError,
    LookupError,
    NotImplementedError,
    RuntimeError,
)


def parse_excel_order(
    data: bytes, *, partner: str | None, document_id: str | None, pinned: Mapping[str, str] | None = None
) -> FoundOrders:
    """The order in a workbook: the sheet whose line table reads best."""
    if data.startswith(OLE_MAGIC):
        if _ENCRYPTED_MARKER in data:
            return FoundOrders.failed(
                "excel.encrypted", "the workbook is password-protected; ask for an unprotected copy"
            )
        return FoundOrders.failed(
            "excel.legacy_xls", "this is a legacy .xls workbook; please send it as .xlsx (File > Save As)"
        )
    refusal = _zip_refusal(data)
    if refusal is not None:
        return refusal
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _UNREADABLE as exc:
        return FoundOrders.failed(
            "excel.corrupt", f"the workbook cannot be read: {type(exc).__name__}: {exc}"
        )
    try:
        grids = [g for g in (_grid(ws) for ws in workbook.worksheets) if g is not None]
    except _UNREADABLE as exc:  # read-only sheets are only unpacked and parsed here
        return FoundOrders.failed("excel.corrupt", f"a sheet cannot be read: {type(exc).__name__}: {exc}")
    finally:
        workbook.close()
    oversized = [g for g in grids if isinstance(g, Issue)]
    if oversized:
        return FoundOrders(issues=[i for i in oversized if isinstance(i, Issue)])
    return _best(_as_grids(grids), partner=partner, document_id=document_id, pinned=pinned)


def parse_csv_order(
    data: bytes, *, partner: str | None, document_id: str | None, pinned: Mapping[str, str] | None = None
) -> FoundOrders:
    try:
        grid = _csv_grid(data)
    except _TooManyRows:
        return FoundOrders.failed(
            "csv.too_large", f"the file has more than {MAX_ROWS} rows; split it or send it as EDI"
        )
    except csv.Error as exc:  # e.g. a field over the csv module's limit (an unclosed quote)
        return FoundOrders.failed("csv.unreadable", f"the CSV file cannot be read: {exc}")
    return _best([grid], partner=partner, document_id=document_id, pinned=pinned)


class _TooManyRows(ValueError):
    pass


def _csv_grid(data: bytes) -> Grid:
    """A CSV file's filled cells; raises ``_TooManyRows`` past ``MAX_ROWS``, or ``csv.Error``."""
    text = _csv_text(data)
    grid = Grid("csv")
    # newline="": the csv module splits rows itself, also on a lone CR (old Mac line ends).
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        for row_number, row in enumerate(rows, start=1):
            if row_number > MAX_ROWS:
                raise _TooManyRows(f"more than {MAX_ROWS} rows")
            for column, value in enumerate(row[:MAX_COLUMNS], start=1):
                if value.strip():
                    grid.put(row_number, column, value.strip())
    except csv.Error as exc:
        raise csv.Error(f"at line {rows.line_num}: {exc}") from exc
    return grid


def _csv_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM, or UTF-16 with one), else Windows-1252: what spreadsheet programs
    save CSV in; "Quantité" saved by a European Excel is cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    """The candidate found on the most lines; a decimal comma appears on fewer lines than ``;``."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    return max(",;\t|", key=lambda d: (sum(d in line for line in lines), d == ","))


WORKBOOK_ERRORS = _UNREADABLE  # what opening or reading a workbook with openpyxl may raise


def workbook_refusal(data: bytes) -> Issue | None:
    """Why ``data`` is not opened as a workbook at all (no zip, a damaged one, a part too large for
    how openpyxl reads it), or None: for any other reader of workbooks, such as the desk's view."""
    refused = _zip_refusal(data)
    return refused.issues[0] if refused is not None else None


def _zip_refusal(data: bytes) -> FoundOrders | None:
    if not data.startswith(ZIP_MAGIC):
        return FoundOrders.failed(
            "excel.not_a_workbook", "the file is not an xlsx workbook (no zip container)"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except Exception as exc:
        # zipfile has no one error for a damaged archive: BadZipFile, NotImplementedError (an
        # unknown version or compression), UnicodeDecodeError (a name flagged UTF-8 that is not).
        return FoundOrders.failed(
            "excel.corrupt", f"the workbook's zip container is damaged: {type(exc).__name__}: {exc}"
        )
    total = sum(e.file_size for e in entries)
    packed = max(sum(e.compress_size for e in entries), 1)
    if total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO:
        return FoundOrders.failed(
            "excel.too_large",
            f"the workbook unpacks to {total / 1e6:.0f} MB from {packed / 1e6:.1f} MB (ratio {total / packed:.0f}); "
            f"refused above {MAX_UNCOMPRESSED // 1_000_000} MB or a ratio of {MAX_RATIO}",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            oversized = _oversized_part(archive)
    except _UNREADABLE as exc:
        return FoundOrders.failed(
            "excel.corrupt", f"the workbook's parts cannot be listed: {type(exc).__name__}: {exc}"
        )
    if oversized is not None:
        return FoundOrders.failed("excel.too_large", f"{oversized}; refused")
    return None


def _oversized_part(archive: zipfile.ZipFile) -> str | None:
    """Which part is too large for how openpyxl reads it (see ``MAX_WHOLE_PART``), or None."""
    sizes = {info.filename: info.file_size for info in archive.infolist()}
    for name in (ARC_CONTENT_TYPES, *sizes):
        if sizes.get(name, 0) > MAX_SHEET_PART:
            return f"part {name!r} unpacks to {sizes[name] >> 20} MB, over {MAX_SHEET_PART >> 20} MB"
    if sizes.get(ARC_CONTENT_TYPES, 0) > MAX_WHOLE_PART:
        return f"part {ARC_CONTENT_TYPES!r} unpacks to {sizes[ARC_CONTENT_TYPES] >> 20} MB"
    # The worksheets, found as openpyxl finds them: the workbook part's relationships.
    # types-openpyxl types from_tree for its own element protocol, which an ElementTree Element is at run time
    manifest = Manifest.from_tree(safe_xml.fromstring(archive.read(ARC_CONTENT_TYPES)))  # type: ignore[arg-type]
    relations = get_rels_path(_find_workbook_part(manifest).PartName[1:])  # type: ignore[no-untyped-call]  # untyped in the stubs
    if sizes.get(relations, 0) > MAX_WHOLE_PART:
        return f"part {relations!r} unpacks to {sizes[relations] >> 20} MB"
    sheets = {r.target for r in get_dependents(archive, relations) if r.Type.endswith("/worksheet")}
    for name, size in sizes.items():
        if name not in sheets and size > MAX_WHOLE_PART:
            return f"part {name!r} unpacks to {size >> 20} MB, over {MAX_WHOLE_PART >> 20} MB for a part read whole"
        if name in sheets and size > MAX_UNSIZED_SHEET and not _has_dimension(archive, name):
            return (
                f"sheet {name!r} unpacks to {size >> 20} MB and does not say its size (no <dimension>), "
                f"allowed up to {MAX_UNSIZED_SHEET >> 20} MB"
            )
    return None


def _has_dimension(archive: zipfile.ZipFile, name: str) -> bool:
    """Whether the sheet's <dimension> comes before its data, so openpyxl need not read it all to size it."""
    with archive.open(name) as part:
        found = _DIMENSION.search(part.read(64 * 1024))
    return found is not None and found.group(1) == b"dimension"


def _grid(worksheet: object) -> Grid | Issue | None:
    grid = Grid(getattr(worksheet, "title", "sheet"))
    # Read-only openpyxl stops at the row its <dimension> names: a stale or hostile one would
    # silently drop the lines below it. Forget it and read every row there is (up to MAX_ROWS).
    worksheet.reset_dimensions()  # type: ignore[attr-defined]
    for row_number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):  # type: ignore[attr-defined]
        if row_number > MAX_ROWS:
            return Issue(
                code="excel.too_large",
                message=f"sheet {grid.name!r} has more than {MAX_ROWS} rows; refused",
                level=Level.DOCUMENT,
            )
        for column, value in enumerate(row[:MAX_COLUMNS], start=1):
            if value is not None and str(value).strip() != "":
                grid.put(row_number, column, value)
    return grid if grid.cells else None


def _as_grids(items: list[Grid | Issue]) -> list[Grid]:
    return [g for g in items if isinstance(g, Grid)]


def _best(
    grids: list[Grid], *, partner: str | None, document_id: str | None, pinned: Mapping[str, str] | None
) -> FoundOrders:
    if not grids:
        return FoundOrders.failed("excel.empty", "the workbook has no filled cells")
    ranked = sorted(grids, key=lambda g: -_table_score(g, pinned))
    best = read_sheet_orders(
        ranked[0], partner=partner, channel=Channel.EXCEL, document_id=document_id, pinned=pinned
    )
    read = [(ranked[0].name, best)] if best.orders else []
    # Other sheets with a line table of ordered quantities are orders too, never dropped unseen.
    for grid in ranked[1:]:
        if find_header(grid, pinned) is None:
            continue
        more = read_sheet_orders(
            grid, partner=partner, channel=Channel.EXCEL, document_id=document_id, pinned=pinned
        )
        if any(line.quantity and line.quantity.value > 0 for order, _ in more.orders for line in order.lines):
            read.append((grid.name, more))
    if len(read) <= 1:
        sheet = read[0][1] if read else best
        return FoundOrders(
            orders=[order for order, _ in sheet.orders],
            issues=sheet.issues,
            order_issues=[issues for _, issues in sheet.orders],
        )
    names = ", ".join(f"{name!r} ({len(sheet.orders)} order(s))" for name, sheet in read)
    result = FoundOrders(
        issues=[
            Issue(
                code="excel.several_sheets",
                message=f"the workbook holds line tables on several sheets, each read: {names}",
                severity=Severity.WARNING,
                level=Level.DOCUMENT,
            )
        ]
    )
    for _, sheet in read:
        for order, issues in sheet.orders:
            result.orders.append(order)
            result.order_issues.append([*sheet.issues, *issues])
    return result


def sheet_grids(data: bytes, *, is_csv: bool) -> list[Grid]:
    """The filled cells of every sheet of a workbook, or of a CSV file, as the readers see them.

    For the order desk to find a corrected value; raises what openpyxl raises on a workbook it
    cannot read, and ``ValueError`` for one the readers refuse.
    """
    if is_csv:
        return [_csv_grid(data)]
    refusal = _zip_refusal(data)
    if refusal is not None:
        raise ValueError(refusal.issues[0].message)
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return _as_grids([g for g in (_grid(ws) for ws in workbook.worksheets) if g is not None])
    finally:
        workbook.close()


def _table_score(grid: Grid, pinned: Mapping[str, str] | None) -> float:
    """How well a sheet reads as a line table: its header's match; inferred columns rank below any header."""
    header = find_header(grid, pinned)
    if header is not None:
        return header.score
    return 1.0 if infer_columns(grid) is not None else 0.0
