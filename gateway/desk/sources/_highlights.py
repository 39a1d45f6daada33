"""Which canonical values have a source, and what kind of place each source names.

The canonical JSON keeps a ``provenance`` map on every object; this walks the order and turns
each entry into a ``Wanted`` highlight with its path, label and display value. Key values
(the PO number, each line's item and quantity) that have no provenance are reported, so the
desk can say so instead of silently showing nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from pydantic import ValidationError

from gateway.model.json_path import follow
from gateway.model.order import Provenance
from gateway.model.order import Source

from ._panes import Highlight
from ._panes import Target
from ._panes import Unplaced

PDF = "pdf"
CELL = "cell"
LINE = "line"
SEGMENT = "segment"
PART = "part"
POINTER = "pointer"
_SOURCE = TypeAdapter(Source)
_TEXT_LINE = re.compile(r"^line (\d+)$")
_CELL = re.compile(r"^([A-Z]{1,3})(\d+)$")
_ELEMENT = re.compile(r"^([A-Z][A-Z0-9]{1,2})(\d{2})$")
LABELS = {
    "po_number": "PO number",
    "po_date": "PO date",
    "purpose_code": "Purpose",
    "po_type": "PO type",
    "currency": "Currency",
    "release_number": "Release",
    "stated_line_count": "Stated line count",
    "stated_total": "Stated total",
    "line_no": "Line number",
    "vendor_sku": "Vendor SKU",
    "buyer_part": "Buyer part",
    "upc": "UPC",
    "sku": "SKU",
    "description": "Description",
    "quantity": "Quantity",
    "unit_price": "Unit price",
    "price_basis": "Price basis",
    "pack": "Pack",
    "name": "Name",
    "role": "Role",
    "city": "City",
    "region": "Region",
    "postal_code": "Postal code",
    "country": "Country",
    "value": "Value",
    "id": "ID",
    "id_qualifier": "ID qualifier",
    "scac": "SCAC",
    "routing": "Routing",
    "transport_method": "Transport method",
    "lines": "Line",
}
KEY_LINE_FIELDS = ("vendor_sku", "buyer_part", "upc", "quantity")


@dataclass(frozen=True, slots=True)
class Wanted:
    """A canonical value with a recorded source, not yet placed in a pane."""

    key: str
    field_path: str
    label: str
    field: str
    value: str | None
    line_index: int | None
    line_no: str | None
    source: Provenance

    @property
    def kind(self) -> str | None:
        return source_kind(self.source)

    def place(self, pane: str, anchor: str, target: Target) -> Highlight:
        return Highlight(
            key=self.key,
            field_path=self.field_path,
            label=self.label,
            field=self.field,
            value=self.value,
            line_index=self.line_index,
            line_no=self.line_no,
            confidence=self.source.confidence,
            pane=pane,
            anchor=anchor,
            target=target,
            keyed_by=self.source.keyed_by,
            keyed_at=self.source.keyed_at,
        )

    def miss(self, reason: str) -> Unplaced:
        return Unplaced(self.field_path, self.label, reason)


def source_kind(source: Provenance) -> str | None:
    """What a source points at: a PDF box, a sheet cell, a text line, an X12 segment, a MIME part, a JSON pointer."""
    if source.page is not None and source.bbox is not None:
        return PDF
    if source.sheet is not None and source.cell is not None:
        return LINE if body_table_part(source) is not None else CELL
    if source.cell is not None and _TEXT_LINE.match(source.cell):
        return LINE
    if source.segment_index is not None:
        return SEGMENT
    if source.mime_part is not None:
        return PART
    if source.pointer is not None:
        return POINTER
    return None


def body_table_part(source: Provenance) -> str | None:
    """The MIME part of a table pasted into an email body, whose "sheet" is named ``body <part>``."""
    sheet = source.sheet or ""
    return sheet[5:] if sheet.startswith("body ") and sheet[5:] else None


def text_line(source: Provenance) -> int | None:
    """The body line of a text source: ``cell="line 7"``, or the row of a pasted-table cell."""
    cell = source.cell or ""
    found = _TEXT_LINE.match(cell)
    if found:
        return int(found.group(1))
    at = split_cell(cell)
    return at[0] if at and body_table_part(source) is not None else None


def split_cell(ref: str) -> tuple[int, int] | None:
    """``"B6"`` -> (row 6, column 2)."""
    found = _CELL.match(ref.strip().upper())
    if found is None:
        return None
    column = 0
    for letter in found.group(1):
        column = column * 26 + ord(letter) - 64
    return int(found.group(2)), column


def column_letter(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def element_position(source: Provenance) -> int | None:
    """``PO102`` -> 2."""
    found = _ELEMENT.match(source.element or "")
    return int(found.group(2)) if found else None


@dataclass(slots=True)
class Collected:
    wanted: list[Wanted]
    unplaced: list[Unplaced]
    any_provenance: bool


def collect(canonical: dict[str, Any] | None, line_indexes: Sequence[int] | None = None) -> Collected:
    """Every value of ``canonical`` that records a source, in the order the desk lists fields.

    ``line_indexes`` are the positions in the whole order of the lines ``canonical`` holds, when
    it holds only some of them (a page of a long order).
    """
    found = Collected([], [], False)
    if not canonical:
        return found
    header = {k: v for k, v in canonical.items() if k != "lines"}
    for path, label, line, name, value, raw in _walk(header, "header", "", None):
        _add(found, path, label, line, name, value, raw)
    lines = canonical.get("lines") or []
    for index, line in zip(
        line_indexes if line_indexes is not None else range(len(lines)), lines, strict=False
    ):
        if not isinstance(line, dict):
            continue
        prefix = f"Line {line.get('line_no', index + 1)}"
        where = (index, str(line["line_no"]) if line.get("line_no") is not None else None)
        for path, label, _, name, value, raw in _walk(line, f"lines[{index}]", prefix, where):
            _add(found, path, label, where, name, value, raw)
        sources = line.get("provenance") or {}
        for name in KEY_LINE_FIELDS:
            if line.get(name) not in (None, "") and name not in sources:
                found.unplaced.append(
                    Unplaced(f"lines[{index}].{name}", f"{prefix} · {LABELS[name]}", "no source was recorded")
                )
    if canonical.get("po_number") and "po_number" not in (canonical.get("provenance") or {}):
        found.unplaced.append(Unplaced("header.po_number", LABELS["po_number"], "no source was recorded"))
    return found


def _add(
    found: Collected,
    path: str,
    label: str,
    line: tuple[int, str | None] | None,
    name: str,
    value: str | None,
    raw: Any,
) -> None:
    found.any_provenance = True
    try:
        source = _SOURCE.validate_python(raw)
    except (ValidationError, ValueError, TypeError):
        found.unplaced.append(Unplaced(path, label, f"its recorded source cannot be read: {str(raw)[:80]}"))
        return
    key = f"hl-{len(found.wanted) + 1}"
    index, line_no = line if line else (None, None)
    found.wanted.append(Wanted(key, path, label, name, value, index, line_no, source))


Walked = tuple[str, str, tuple[int, str | None] | None, str, str | None, Any]


def _walk(
    obj: dict[str, Any], path: str, label: str, line: tuple[int, str | None] | None
) -> Iterator[Walked]:
    sources = obj.get("provenance")
    if isinstance(sources, dict):
        for name, raw in sources.items():
            leaf = re.split(r"[.\[]", name, maxsplit=1)[0]
            title = LABELS.get(leaf) or (leaf if leaf.isupper() else leaf.replace("_", " ").capitalize())
            rest = name[len(leaf) :]
            if rest.startswith("[") and rest.endswith("]") and rest[1:-1].isdigit():
                title = f"{title} {int(rest[1:-1]) + 1}"
            elif rest:
                title = f"{title} {rest.strip('.')}"
            yield (
                f"{path}.{name}",
                f"{label} · {title}" if label else title,
                line,
                leaf,
                _display(obj, name),
                raw,
            )
    for name, value in obj.items():
        if name == "provenance":
            continue
        if isinstance(value, dict):
            yield from _walk(value, f"{path}.{name}", _child_label(label, name, value, None), line)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    child = _child_label(label, name, item, index)
                    yield from _walk(item, f"{path}.{name}[{index}]", child, line)


def _child_label(label: str, name: str, value: dict[str, Any], index: int | None) -> str:
    title = name.replace("_", " ").capitalize()
    qualifier = value.get("role") or value.get("qualifier") or value.get("function")
    if qualifier:
        title = f"{title} {qualifier}"
    elif index is not None:
        title = f"{title} {index + 1}"
    return f"{label} · {title}" if label else title


def _display(obj: dict[str, Any], name: str) -> str | None:
    if name not in obj:  # a contact's channels are traced by qualifier: {"TE": ...} in ``channels``
        inner = next(
            (v for k, v in obj.items() if k != "provenance" and isinstance(v, dict) and name in v), None
        )
        obj = inner if inner is not None else obj
    value = follow(obj, re.findall(r"[^.\[\]]+", name))
    if value is None:
        return None
    if isinstance(value, dict) and "value" in value:
        return " ".join(str(value[k]) for k in ("value", "uom") if value.get(k) is not None)
    if isinstance(value, dict | list):
        return None
    return str(value)
