"""X12 one segment per line, read with the parser's own pre-pass, around the order's transaction set.

Segment numbers are the pre-pass's, counted from 1 over the whole document, which is what X12
provenance records. The document is streamed: only the order's ST..SE (with its ISA and GS
before it and GE and IEA after it) is kept, never the whole interchange. With no provenance
and no control number to find the order by, the first segments are shown.

Each line shows at most ``MAX_ELEMENTS`` elements and ``MAX_LINE_CHARS`` characters, and says
what it leaves out, so the pane is bounded whatever the segments hold; a segment longer than
the reader's limit shows its head, noted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from gateway.model.receipts import Separators
from parsers.x12 import InterchangeHeader
from parsers.x12 import Oversize
from parsers.x12 import RawSegment
from parsers.x12 import scan

from ._highlights import Wanted
from ._highlights import element_position
from ._panes import CannotShow
from ._panes import Highlight
from ._panes import SegmentElement
from ._panes import SegmentLine
from ._panes import SegmentPane
from ._panes import SegmentRef
from ._panes import Unplaced

MAX_SEGMENTS = 2000
HARD_LIMIT = 2 * MAX_SEGMENTS
MAX_ELEMENT_CHARS = 500
MAX_ELEMENTS = 64
MAX_LINE_CHARS = 1000
_ENVELOPE = {"ISA", "GS", "GE", "IEA"}


@dataclass(slots=True)
class _Seg:
    index: int
    id: str
    elements: list[str]
    separators: Separators
    oversize: Oversize | None = None


def segment_pane(
    stream: BinaryIO,
    wanted: Sequence[Wanted],
    *,
    key: str,
    title: str,
    mime_part: str | None,
    control_number: str | None = None,
) -> tuple[SegmentPane, list[Highlight], list[Unplaced]]:
    """The segments of the order's transaction set, with its values' elements highlighted."""
    targets = {w.source.segment_index for w in wanted if w.source.segment_index is not None}
    kept, more, seen_any = _window(stream, targets, control_number)
    if seen_any and not kept:  # the order's segments are not in this document: show its start
        stream.seek(0)
        kept, more, seen_any = _window(stream, set(), None)
    if not seen_any:
        problem = CannotShow("x12.not_x12", "the document holds no X12 segments (no ISA was found)")
        pane = SegmentPane(key=key, title=title, mime_part=mime_part, problem=problem)
        return pane, [], [w.miss("the X12 document cannot be read") for w in wanted]
    by_index = {seg.index: seg for seg in kept}
    placed: list[Highlight] = []
    missed: list[Unplaced] = []
    on_segment: dict[int, list[Highlight]] = {}
    on_element: dict[tuple[int, int], list[Highlight]] = {}
    for item in wanted:
        index = item.source.segment_index
        seg = by_index.get(index) if index is not None else None
        expected = item.source.segment_id
        if index is None:
            missed.append(item.miss("its source names no segment"))
        elif seg is None:
            missed.append(item.miss(f"segment {index} is not among the segments shown"))
        elif expected and seg.id != expected:
            missed.append(item.miss(f"segment {index} is {seg.id}, not the {expected} its source names"))
        else:
            position = element_position(item.source)
            ref = SegmentRef(index, seg.id, item.source.element, position)
            highlight = item.place(key, _anchor(key, index), ref)
            placed.append(highlight)
            on_segment.setdefault(index, []).append(highlight)
            if position is not None:
                on_element.setdefault((index, position), []).append(highlight)
    lines: list[SegmentLine] = []
    previous = 0
    for seg in kept:
        elements = _shown(seg, on_element)
        lines.append(
            SegmentLine(
                index=seg.index,
                segment_id=seg.id,
                separator=_visible(seg.separators.element),
                terminator=_visible(seg.separators.segment) if seg.separators.segment not in "\r\n" else "",
                anchor=_anchor(key, seg.index),
                elements=elements,
                gap_before=seg.index - previous - 1,
                highlights=tuple(on_segment.get(seg.index, ())),
            )
        )
        previous = seg.index
    pane = SegmentPane(key=key, title=title, mime_part=mime_part, segments=tuple(lines), more_after=more)
    return pane, placed, missed


def _window(stream: BinaryIO, targets: set[int], control: str | None) -> tuple[list[_Seg], bool, bool]:
    """The segments to show, whether any follow them, and whether any segment was found at all."""
    low = min(targets) if targets else None
    high = max(targets) if targets else None
    find_by_control = low is None and bool(control)
    kept: list[_Seg] = []
    pending: deque[_Seg] = deque(maxlen=MAX_SEGMENTS)
    isa: _Seg | None = None
    gs: _Seg | None = None
    phase = "before"
    separators = Separators()
    seen_any = False
    for event in scan(stream):
        if isinstance(event, InterchangeHeader):
            separators = event.separators
            continue
        if not isinstance(event, RawSegment):
            continue
        seen_any = True
        elements = event.text.split(separators.element)
        seg = _Seg(event.index, elements[0].strip(), elements, separators, event.oversize)
        if phase == "done":
            return kept, True, True
        if phase == "before":
            if low is None and not find_by_control:
                kept.append(seg)
                phase = "done" if len(kept) >= MAX_SEGMENTS else phase
                continue
            if seg.id == "ISA":
                isa, gs = seg, None
                pending.clear()
            elif seg.id == "GS":
                gs = seg
                pending.clear()
            else:
                if seg.id == "ST":
                    pending.clear()
                    if find_by_control and len(elements) > 2 and elements[2].strip() == control:
                        low = seg.index
                pending.append(seg)
            if low is not None and seg.index >= low:
                kept = [s for s in (isa, gs) if s is not None and s is not seg] + list(pending)
                kept += [seg] if seg.id in ("ISA", "GS") else []
                phase = "inside"
            elif seg.id == "SE":
                pending.clear()
            continue
        if phase == "inside":
            if (
                len(kept) < MAX_SEGMENTS
                or (seg.index in targets and len(kept) < HARD_LIMIT)
                or seg.id == "SE"
            ):
                kept.append(seg)
            past = high is None or seg.index >= high
            if past and seg.id in ("SE", "GE", "IEA"):
                phase = "done" if seg.id == "IEA" else "tail"
            continue
        if seg.id in _ENVELOPE - {"ISA", "GS"}:
            kept.append(seg)
        if seg.id in ("IEA", "ISA"):
            if seg.id == "ISA":
                return kept, True, True
            phase = "done"
    return kept, False, seen_any


# Control characters used as delimiters (0x1D, 0x1C, 0x1F...) as their Unicode pictures (U+241D...),
# so a clerk sees where elements and components part instead of nothing.
_PICTURES = {code: 0x2400 + code for code in range(0x20)} | {0x7F: 0x2421}


def _visible(text: str) -> str:
    return text.translate(_PICTURES)


def _shown(seg: _Seg, on_element: dict[tuple[int, int], list[Highlight]]) -> tuple[SegmentElement, ...]:
    """The elements of one line, each clipped, up to the line's budget; the last says what is left out."""
    shown: list[SegmentElement] = []
    budget = MAX_LINE_CHARS
    for position, text in enumerate(seg.elements):
        if budget <= 0 or position >= MAX_ELEMENTS:
            left = len(seg.elements) - position
            shown.append(SegmentElement(position, f"… ({left:,} more elements not shown)", ()))
            break
        clipped = _visible(_clip(text, min(MAX_ELEMENT_CHARS, budget)))
        budget -= len(clipped)
        shown.append(SegmentElement(position, clipped, tuple(on_element.get((seg.index, position), ()))))
    if seg.oversize is not None:
        last = shown[-1]
        note = f" (the segment is longer than the reader's limit; element {seg.oversize.element:02d} "
        note += f"holds {seg.oversize.element_length:,} characters, cut)"
        shown[-1] = SegmentElement(last.position, last.text + note, last.highlights)
    return tuple(shown)


def _anchor(pane: str, index: int) -> str:
    return f"{pane}-seg-{index}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
