"""An order's findings marked on its document view: the segment and element of each X12 error,
the box or cell of each value a finding concerns, and each message in plain words.

The X12 validator (pyx12) words its errors for programmers ("Segment ZZZ*junk not found.
Started at /ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/PO1_LOOP/PO1"); ``plain_message`` says the same for
a clerk and keeps the original, loop path included, for a tooltip.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from typing import Protocol

from ._panes import FindingMark
from ._panes import Highlight
from ._panes import SegmentPane
from ._panes import SourceView

# The line column a finding's field and a value's field belong to (as the order screen groups them).
LINE_COLUMNS = {
    "sku": "item",
    "vendor_sku": "item",
    "buyer_part": "item",
    "upc": "item",
    "description": "description",
    "quantity": "quantity",
    "uom": "quantity",
    "unit_price": "price",
}
_HEADER = ("po_number", "po_date", "currency", "stated_total")
MAX_MARKED = 50  # findings marked on one view, as many as the order page lists: the page stays small


class FindingRow(Protocol):
    """What is read of a finding (``gateway.storage.Finding`` is one)."""

    id: int
    order_id: int | None
    code: str
    action: str | None
    message: str
    field: str | None
    line_no: str | None
    details: dict[str, Any]


_TYPES = {"N0": "whole-number", "N": "numeric", "N2": "numeric", "R": "decimal", "ID": "code", "AN": "text",
          "DT": "date", "TM": "time"}  # fmt: skip


def _element_name(name: str, ref: str) -> str:
    return f"{ref} ({name})" if name else ref


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
_RULES: list[_Rule] = [
    (
        re.compile(r"^Segment (?P<seg>[A-Z0-9]{2,3})(?:\*\S*)? not found\.\s+Started at \S+"),
        lambda m: (
            f"The {m['seg']} segment does not belong here: the transaction set has no place for "
            f"a {m['seg']} at this point."
        ),
    ),
    (
        re.compile(r'^Mandatory segment "(?P<name>[^"]*)" \((?P<seg>\w+)\) missing'),
        lambda m: f"The required {m['seg']} segment ({m['name']}) is missing.",
    ),
    (
        re.compile(
            r"^Segment (?P<seg>\w+) exceeded max count\.\s+Found (?P<n>\d+), should have (?P<max>\d+)"
        ),
        lambda m: f"The {m['seg']} segment is repeated {m['n']} times here; at most {m['max']} are allowed.",
    ),
    (
        re.compile(r"^Segment (?P<seg>\w+) found but marked as not used"),
        lambda m: f"The {m['seg']} segment is not used in this transaction set.",
    ),
    (
        re.compile(r'^Mandatory loop "(?P<name>[^"]*)" \((?P<loop>\w+)\) missing'),
        lambda m: f"The required {m['name']} loop ({m['loop'].removesuffix('_LOOP')}) is missing.",
    ),
    (
        re.compile(r"^Loop (?P<loop>\w+) exceeded max count\.\s+Found (?P<n>\d+), should have (?P<max>\d+)"),
        lambda m: (
            f"The {m['loop'].removesuffix('_LOOP')} loop is repeated {m['n']} times; at most "
            f"{m['max']} are allowed."
        ),
    ),
    (
        re.compile(r"^Loop (?P<loop>\w+) found but marked as not used"),
        lambda m: f"The {m['loop'].removesuffix('_LOOP')} loop is not used in this transaction set.",
    ),
    (
        re.compile(r"^Syntax Error \((?P<rule>\w+)\): (?P<rest>.+)$", re.S),
        lambda m: m["rest"][:1].upper() + m["rest"][1:].rstrip(".") + ".",
    ),
    (
        re.compile(r'^Mandatory data element "(?P<name>[^"]*)" \((?P<ref>\w+)\) is missing'),
        lambda m: f"{_element_name(m['name'], m['ref'])} is required but empty.",
    ),
    (
        re.compile(
            r'^Data element "(?P<name>[^"]*)" \((?P<ref>\w+)\) is too (?P<how>short|long): '
            r'len\("(?P<value>.*)"\) = (?P<n>\d+) [<>] (?P<limit>\d+)',
            re.S,
        ),
        lambda m: (
            f'{_element_name(m["name"], m["ref"])} "{m["value"]}" is too {m["how"]}: {m["n"]} '
            f"characters, {'at least' if m['how'] == 'short' else 'at most'} {m['limit']} allowed."
        ),
    ),
    (
        re.compile(r"^\((?P<value>.*)\) is not a valid code for (?P<name>.+) \((?P<ref>\w+)\)$", re.S),
        lambda m: f'{_element_name(m["name"], m["ref"])}: "{m["value"]}" is not one of its codes.',
    ),
    (
        re.compile(
            r'^Data element "(?P<name>[^"]*)" \((?P<ref>\w+)\) contains an invalid (?P<what>date|time) \((?P<value>.*)\)$',
            re.S,
        ),
        lambda m: f'{_element_name(m["name"], m["ref"])}: "{m["value"]}" is not a valid {m["what"]}.',
    ),
    (
        re.compile(
            r'^Data element "(?P<name>[^"]*)" \((?P<ref>\w+)\) is type (?P<type>\w+), contains an invalid '
            r"character\((?P<value>.*)\)$",
            re.S,
        ),
        lambda m: (
            f'{_element_name(m["name"], m["ref"])}: "{m["value"]}" holds a character a '
            f"{_TYPES.get(m['type'], m['type'])} value cannot hold."
        ),
    ),
    (
        re.compile(r'^Data element "(?P<name>[^"]*)" \((?P<ref>\w+)\) is marked as Not Used'),
        lambda m: f"{_element_name(m['name'], m['ref'])} must be empty in this segment.",
    ),
    (
        re.compile(
            r'^Too many elements in segment "(?P<name>[^"]*)" \((?P<seg>\w+)\)\. Has (?P<n>\d+), should have (?P<max>\d+)'
        ),
        lambda m: f"The {m['seg']} segment has {m['n']} elements; at most {m['max']} are allowed.",
    ),
]
_PATH = re.compile(r"\s*Started at /\S*")


def plain_message(message: str, details: dict[str, Any] | None = None) -> tuple[str, str | None]:
    """A finding's message for a clerk, and the original (with its loop path) when it differs.

    The original also names the validator's loop (``details.loop_id``) when it has one.
    """
    text = message.strip()
    plain = None
    for pattern, say in _RULES:
        found = pattern.search(text)
        if found is not None:
            plain = say(found)
            break
    if plain is None:
        plain = _PATH.sub("", text).strip() or text
    technical = text
    loop = (details or {}).get("loop_id")
    if isinstance(loop, str) and loop and loop not in text:
        technical = f"{text} (loop {loop})"
    return plain, (technical if technical != plain else None)


def place_of(details: dict[str, Any] | None) -> str | None:
    """``segment 7 (ZZZ)`` or ``segment 5 (PO1), element PO102``, from an X12 finding's details."""
    details = details or {}
    index, segment, element = details.get("segment_index"), details.get("segment"), details.get("element")
    parts = []
    if isinstance(index, int):
        parts.append(f"segment {index}" + (f" ({segment})" if segment else ""))
    elif segment:
        parts.append(f"the {segment} segment")
    if parts and isinstance(element, int) and element > 0:
        parts.append(f"element {segment or ''}{element:02d}")
    return ", ".join(parts) if parts else None


def mark_findings(view: SourceView, findings: Sequence[FindingRow]) -> SourceView:
    """``view`` with ``findings`` marked: X12 errors on their segment and element, the others on
    the boxes, cells and lines of the values they concern; each in plain words (``view.findings``).

    The first ``MAX_MARKED`` findings are marked, then those that hold the order, up to as many again.
    """
    holding = [f for f in findings[MAX_MARKED:] if f.action in ("hold", "reject")]
    findings = [*findings[:MAX_MARKED], *holding[:MAX_MARKED]]
    segments = {
        line.index: line for pane in view.panes if isinstance(pane, SegmentPane) for line in pane.segments
    }
    marks: dict[str, list[FindingMark]] = {}
    by_id: dict[int, FindingMark] = {}
    for finding in findings:
        details = finding.details if isinstance(finding.details, dict) else {}
        message, technical = plain_message(finding.message or "", details)
        anchor: str | None = None
        keys: list[str] = []
        index, element = details.get("segment_index"), details.get("element")
        shown = segments.get(index) if isinstance(index, int) else None
        if shown is not None:
            anchor = shown.anchor
            keys.append(anchor)
            if isinstance(element, int) and element > 0:
                keys.append(f"{anchor}-e{element}")
        for highlight in view.highlights:
            if _concerns(finding, highlight):
                anchor = anchor or highlight.anchor
                keys.append(highlight.key)
        mark = FindingMark(
            finding_id=finding.id,
            order_id=finding.order_id,
            code=finding.code,
            action=finding.action,
            message=message,
            technical=technical,
            place=place_of(details),
            anchor=anchor,
            element=element if isinstance(element, int) else None,
        )
        for key in dict.fromkeys(keys):
            marks.setdefault(key, []).append(mark)
        if finding.id is not None:
            by_id[finding.id] = mark
    return replace(view, marks={k: tuple(v) for k, v in marks.items()}, findings=by_id)


def _concerns(finding: FindingRow, highlight: Highlight) -> bool:
    """Whether ``finding`` is about the value ``highlight`` shows."""
    name = finding.field or ""
    if finding.line_no is not None:
        column = LINE_COLUMNS.get(name)
        return (
            highlight.line_no == finding.line_no
            and column is not None
            and LINE_COLUMNS.get(highlight.field) == column
        )
    if highlight.line_index is not None:
        return False
    if name in _HEADER:
        return highlight.field_path == f"header.{name}"
    if name.startswith("date_"):
        return highlight.field_path.startswith("header.dates[") and f" {name[5:]} " in f"{highlight.label} "
    if name == "ship_to":
        return highlight.field_path.startswith("header.parties[") and " ST " in f"{highlight.label} "
    return False
