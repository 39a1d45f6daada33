"""The pyx12 boundary: with ``_pyx12_classes`` (its subclasses of pyx12's classes, kept apart so
that mypyc compiles this module), the only module that imports pyx12.

It runs pyx12's envelope checks, map walker and element validation over segments the
pre-pass has already split, and turns every pyx12 finding into our ``Issue``.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
import string
import threading
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Protocol
from typing import TypeVar

import pyx12
import pyx12.errors
import pyx12.map_if
import pyx12.params
import pyx12.path
import pyx12.segment
import pyx12.x12file
import pyx12.x12n_document
from pyx12.map_walker import walk_tree

from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import Separators
from gateway.model.receipts import Severity

from ._pyx12_classes import _EnvelopeTracker
from ._pyx12_classes import _parsed_refdes
from ._pyx12_classes import _Segment

logging.getLogger("pyx12").setLevel(logging.CRITICAL)

# Checks the gateway makes itself: versions (003xxx/004030/004060 are read with a warning) and
# the functional id (850s outside a PO group get a warning), and the separators ISA11 and ISA16
# (the pre-pass reads them; X12 lets any character the data do not use delimit, control characters too).
_OWN_CHECKS = frozenset({"ISA11", "ISA12", "ISA16", "GS01", "GS08"})
# Before 004010, dates were YYMMDD; those versions are read with the 004010 map.
_DATE_ELEMENTS = frozenset({"373", "29"})
_LEGACY_BEFORE = "004010"
_TOO_SHORT = "4"
_TOO_MANY = "3"  # AK403: too many data elements
# AK304/IK304 for a segment not found where it stands (see _placement_code)
_UNRECOGNIZED, _UNEXPECTED, _NOT_IN_SET, _OUT_OF_SEQUENCE = "1", "2", "6", "7"
_ENVELOPE_LEVEL = {"isa": Level.INTERCHANGE, "gs": Level.GROUP, "st": Level.TRANSACTION}
_NOT_ERRORS = {"SEG1"}


@functools.cache
def _params() -> pyx12.params.params:
    return pyx12.params.params()


class MapStore(Protocol):
    """Where the gateway keeps parsed maps between processes. ``load`` returns the map made from
    ``sources`` (the map file first, then the files pyx12 reads beside it) by this ``version`` of
    pyx12, calling ``parse`` when it holds none made from these files' present content."""

    def load(self, sources: Sequence[Path], version: str, parse: Callable[[], Any]) -> Any: ...


_MAP_STORE: list[MapStore] = []  # at most one, set by the gateway (parsers do no I/O of their own)
_MAP_SIDE_FILES = ("codes.xml", "dataele.xml")  # pyx12's map root reads these from the map folder


def use_map_store(store: MapStore | None) -> None:
    """Load maps through ``store`` from now on (None: parse each from its XML)."""
    _MAP_STORE[:] = [] if store is None else [store]


@functools.cache
def load_map(map_dir: Path, map_file: str) -> Any:
    """Load a pyx12 map once per process (through the gateway's map store when it set one)."""

    def parse() -> Any:  # pyx12's, even mid-check_interchange
        return _PYX12_LOAD_MAP_FILE(map_file, _params(), str(map_dir))

    if not _MAP_STORE:
        return parse()
    sources = [map_dir / map_file, *(map_dir / name for name in _MAP_SIDE_FILES)]
    return _MAP_STORE[0].load(sources, pyx12.__version__, parse)


@functools.cache
def _node(map_dir: Path, map_file: str, path: str) -> Any:
    return load_map(map_dir, map_file).getnodebypath(path)


_GS_PATH = "/ISA_LOOP/GS_LOOP/GS"
_CONTROL_MAP = "x12.control.00401.xml"
_GROUP_ENVELOPE = {"GS": _GS_PATH, "GE": "/ISA_LOOP/GS_LOOP/GE"}
# Entries each memo keeps before it starts again (they bound the reader's memory, whatever the
# file's size): set shapes are few; segment texts are mostly unique (a PO number, a SKU), so
# their memo is kept small and the value shapes, which repeat, do the work.
_WALK_LIMIT = 2_000
_TEXT_LIMIT = 5_000
_SHAPE_LIMIT = 20_000
_WALKS: dict[Any, list[tuple[_Rule | None, list[Issue]]]] = {}
_ELEMENTS: dict[Any, list[Issue]] = {}
_CLEAN: dict[Any, bool] = {}
# A value's shape keeps what pyx12's element checks look at (length, character classes,
# control characters, spaces) and hides the rest; dates, times, coded and composite
# elements stay verbatim. Only results without errors are shared between equal shapes.
_TEXT_SHAPE = str.maketrans(
    {**dict.fromkeys("0123456789", "9"), **dict.fromkeys(string.ascii_uppercase, "A"),
     **dict.fromkeys(string.ascii_lowercase, "a")}
)  # fmt: skip
_NUMBER_SHAPE = str.maketrans(dict.fromkeys("0123456789", "9"))
_VERBATIM_TYPES = frozenset({"DT", "TM", "D8", "D6", "RD8"})
_VERBATIM_ELEMENTS = frozenset({"1250", "1251"})

_T = TypeVar("_T")


def _by_identity(make: Callable[[Any], _T]) -> Callable[[Any], _T]:
    """Memoize ``make`` per object identity.

    pyx12's map nodes hash and compare by their id and their parent's id, so the ST of 004010's
    850 map equals 005010's, and a map's N1 loops are all one key: a dict or functools.cache
    keyed by the node would hand one map's results to another. The memo is keyed by ``id()``
    and each entry holds its object, so the id cannot be reused while the entry lives, and
    the entry is checked to be that very object.
    """
    entries: dict[int, tuple[Any, _T]] = {}

    def memoized(obj: Any) -> _T:
        entry = entries.get(id(obj))
        if entry is None or entry[0] is not obj:
            entry = (obj, make(obj))
            entries[id(obj)] = entry
        return entry[1]

    return memoized


class _Rule:
    """What the checks need of one segment node of one loaded map, worked out once per node.

    Memo keys hold the rule, which hashes by identity (``object``'s hash), never the node.
    """

    __slots__ = ("element_refs", "loop_id", "node", "plan")

    def __init__(self, node: Any) -> None:
        self.node = node
        self.loop_id = _loop_id(node)
        self.element_refs = tuple(
            _data_element(node.get_child_node_by_idx(i)) for i in range(node.get_child_count())
        )
        # (element position, its shape's table) for the elements shaped, in order; the rest stay verbatim
        self.plan = tuple((index + 1, table) for index, table in enumerate(_plan(node)) if table is not None)


@_by_identity
def _rule(node: Any) -> _Rule:
    return _Rule(node)


def _plan(node: Any) -> list[dict[int, str] | None]:
    """Per element position of ``node``: the translation table giving its shape, or None (verbatim)."""
    plan: list[dict[int, str] | None] = []
    for index in range(node.get_child_count()):
        child = node.get_child_node_by_idx(index)
        table: dict[int, str] | None = None
        plain = isinstance(child, pyx12.map_if.element_if) and not child.valid_codes
        if plain and child.data_ele not in _VERBATIM_ELEMENTS:
            data_type = child.root.data_elements.get_by_elem_num(child.data_ele)["data_type"] or ""
            if data_type not in _VERBATIM_TYPES:
                numeric = data_type == "R" or data_type.startswith("N")
                table = _NUMBER_SHAPE if numeric else _TEXT_SHAPE
        plan.append(table)
    return plan


def _shape(plan: tuple[tuple[int, dict[int, str]], ...], parts: list[str], element_separator: str) -> str:
    shaped = parts[:]
    count = len(shaped)
    for position, table in plan:
        if position >= count:
            break
        shaped[position] = shaped[position].translate(table)
    return element_separator.join(shaped)


def _remember(cache: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value


_ENVELOPE_IDS = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})
# Each trailer, the header it closes and what that envelope is called.
_TRAILERS = {"SE": ("ST", "transaction set"), "GE": ("GS", "functional group"), "IEA": ("ISA", "interchange")}


class _Seg:
    """A segment's text (first repetitions only) and its elements, with pyx12's Segment built only
    when needed. ``parts`` may come split already (the reader splits each segment once)."""

    __slots__ = ("_parsed", "_separators", "id", "parts", "text")

    def __init__(self, text: str, separators: Separators, parts: list[str] | None = None) -> None:
        rep = separators.repetition
        if rep and rep in text:
            text, parts = _first_repetition(text, separators), None
        self.text = text
        self.parts = parts if parts is not None else text.split(separators.element)
        self.id = self.parts[0]
        self._separators = separators
        self._parsed: Any = None

    @property
    def first(self) -> str:
        return self.parts[1] if len(self.parts) > 1 else ""

    @property
    def segment(self) -> Any:
        if self._parsed is None:
            seps = self._separators
            self._parsed = _Segment(self.text, seps.segment, seps.element, seps.component)
        return self._parsed

    @property
    def for_tracker(self) -> Any:
        """What pyx12's envelope bookkeeping reads of an ST or SE: a ``_Plain`` when it holds data
        and no element has components (nearly always), else pyx12's Segment (which also gives the
        text of an error message about an empty segment)."""
        parts = self.parts
        if (
            self._parsed is None
            and self.id in _PLAIN_IDS
            and self._separators.component not in self.text
            and any(parts[1:])
        ):
            return _Plain(parts)
        return self.segment


# The segments whose envelope bookkeeping may read a ``_Plain``: pyx12's ``_parse_segment`` asks
# an ST or SE for its id, emptiness, id validity and element values, nothing else.
_PLAIN_IDS = frozenset({"ST", "SE"})


class _Plain:
    """An ST or SE with no component separator in it, answering what pyx12's ``X12Base`` and
    ``X12Reader._parse_segment`` ask, as its Segment would: building that Segment (an object per
    element and component) was most of the bookkeeping's cost, twice per set.

    Without a component separator each element is one component, so its value is the element's
    text (``Composite.format`` of a single element), and the segment is empty when every element is.
    """

    __slots__ = ("parts",)

    def __init__(self, parts: list[str]) -> None:
        self.parts = parts

    def get_seg_id(self) -> str:
        return self.parts[0]

    def is_empty(self) -> bool:
        return not any(self.parts[1:])

    def is_seg_id_valid(self) -> bool:
        return bool(pyx12.segment.Segment.is_seg_id_valid(self))

    @property
    def seg_id(self) -> str:
        return self.parts[0]

    def get_value(self, ref_des: str) -> str | None:
        seg_id, element, component = _parsed_refdes(ref_des)
        if seg_id is not None and seg_id != self.parts[0]:
            raise pyx12.errors.EngineError(
                f"Invalid Reference Designator: {ref_des}, seg_id: {self.parts[0]}"
            )
        if element is None:
            raise IndexError(f"{ref_des} is not a valid element index")
        if element >= len(self.parts):
            return None
        if component is not None and component > 1:
            return None
        return self.parts[element]


@dataclass(slots=True)
class SegmentCheck:
    """What validation found for one segment, and where the segment sits."""

    issues: list[Issue] = field(default_factory=list)
    loop_id: str | None = None
    position: int = 0
    index: int = 0
    # The data element reference number (AK402) of each element position, from the map.
    element_refs: tuple[str | None, ...] = ()


class InterchangeValidator:
    """Validates one interchange, segment by segment, in bounded memory.

    Both pyx12 steps are deterministic, so their results are memoized: the map walk per
    transaction-set shape (its segment ids and qualifiers) and the element checks per map
    node and segment text. ``cache=False`` turns that off (tests compare both ways).
    """

    def __init__(self, map_dir: Path, separators: Separators, *, cache: bool = True) -> None:
        self._map_dir = map_dir
        # Per map file, the node its sets are walked from; and the map folder as a memo key's
        # text: both asked once per set, where a Path is hashed in Python each time.
        self._starts: dict[str, Any] = {}
        self._map_key = str(map_dir)
        self._separators = separators
        self._cache = cache
        self._tracker = _EnvelopeTracker()
        self._walker: Any = walk_tree()
        self._node: Any = _node(map_dir, _CONTROL_MAP, _GS_PATH)
        self._map_file: str | None = None
        self._validating = False
        self._legacy_dates = False
        # What besides the node and the text pyx12's element checks depend on (memo keys).
        self._scope = self._memo_scope()
        # The last set's segments when its walk came from the memo: pyx12's walker did not see
        # them, so a segment found after the set, outside any (``check``), replays them first.
        self._unwalked: list[_Seg] = []

    def _memo_scope(self) -> tuple[bool, str, str, str]:
        seps = self._separators
        return (self._legacy_dates, seps.segment, seps.element, seps.component)

    def start_transaction(self, map_file: str | None) -> None:
        """Validate the coming transaction set against ``map_file``, or its envelope only when None.

        Every set is walked from its group's GS with a fresh walker, so a set's walk depends on
        nothing but its own segments and can be reused for the next set of the same shape. The
        walker is made when a segment is first walked: a set the memo answers needs none.
        """
        self._validating = map_file is not None
        self._unwalked = []
        if map_file is not None:
            self._map_file = map_file
            start = self._starts.get(map_file)
            if start is None:
                start = self._starts[map_file] = _node(self._map_dir, map_file, _GS_PATH)
            self._node = start
            self._walker = None

    def _walk_tree(self) -> Any:
        if self._walker is None:
            self._walker = walk_tree()
            self._walker.forceWalkCounterToLoopStart("/ISA_LOOP/GS_LOOP", _GS_PATH)
        return self._walker

    def check(self, text: str, segment_index: int) -> SegmentCheck:
        """Check one segment outside a validated transaction set (envelopes, unsupported sets)."""
        seg = _Seg(text, self._separators)
        if seg.id == "GS":
            self._legacy_dates = (seg.segment.get_value("GS08") or "")[:6] < _LEGACY_BEFORE
            self._scope = self._memo_scope()
        result = self._track(seg, segment_index)
        if self._unwalked:  # walk the set the memo answered for, as a run without memos did
            unwalked, self._unwalked = self._unwalked, []
            for earlier in unwalked:
                self._locate(earlier.segment, earlier.id, [])
        node = self._locate(seg.segment, seg.id, result.issues)
        return self._finish(_rule_of(node), seg, segment_index, result)

    def check_transaction(self, items: Sequence[tuple[str, int, list[str] | None]]) -> list[SegmentCheck]:
        """Check a validated transaction set, ST through SE, given as (text, segment index, elements)
        triples; elements is the text split by the element separator, or None to split it here."""
        seps = self._separators
        segs = [_Seg(text, seps, parts) for text, _, parts in items]
        # (seg.id, seg.first), written out: a property call less per segment
        key = (
            self._map_key,
            self._map_file,
            tuple([(seg.id, seg.parts[1] if len(seg.parts) > 1 else "") for seg in segs]),
        )
        walked = _WALKS.get(key) if self._cache else None
        if walked is None:
            walked = []
            for seg in segs:
                issues: list[Issue] = []
                node = self._locate(seg.segment, seg.id, issues)
                walked.append((_rule_of(node), issues))
            if self._cache:
                _remember(_WALKS, key, walked, _WALK_LIMIT)
        else:
            self._unwalked = segs
        results: list[SegmentCheck] = []
        tracker = self._tracker
        inline = self._cache and self._validating
        component = seps.component
        scope = self._scope
        for seg, (_, index, _), (rule, issues) in zip(segs, items, walked, strict=True):
            if issues or rule is None or not inline or seg.id in _ENVELOPE_IDS:
                result = self._track(seg, index)
                if issues:
                    result.issues.extend(i.model_copy() for i in issues)
                results.append(self._finish(rule, seg, index, result))
                continue
            # A body segment the walk placed without a fault, as ``_track`` and ``_finish`` do it,
            # inline: this runs for nearly every segment of a file.
            tracker.seg_count += 1
            tracker.cur_line += 1
            # ``_element_issues_cached``'s first look, written out: a text seen before answers here
            found = _ELEMENTS.get((rule, scope, seg.text))
            if found is None:
                found = self._element_issues_cached(rule, seg)
            else:
                found = [i.model_copy() for i in found] if found else []
            parts = seg.parts
            if len(parts) < 2 or parts[1][:1] in ("", component):  # else not empty: see _empty_segment
                empty = _empty_segment(seg, seps)
                if empty is not None:
                    found.append(empty)
            result = SegmentCheck(found, rule.loop_id, tracker.seg_count, index, rule.element_refs)
            if found:
                _place(result)
            results.append(result)
        return results

    def finish(self) -> list[Issue]:
        """Issues for trailers still missing at the end of the interchange."""
        self._tracker.cleanup()
        return self._envelope_issues(None)

    def _track(self, seg: _Seg, segment_index: int) -> SegmentCheck:
        result = SegmentCheck()
        seg_id = seg.id
        tracker = self._tracker
        if seg_id in _TRAILERS and (orphan := self._orphan_trailer(seg_id)) is not None:
            # pyx12's bookkeeping pops a loop per trailer and fails (IndexError) when none is open.
            result.issues.append(_issue("x12.envelope", orphan, Level.INTERCHANGE, "024", seg_id))
        elif seg_id in _ENVELOPE_IDS:
            try:
                # ``cache=False`` hands pyx12 its own Segment: the runs the fast path is compared with
                tracker._parse_segment(seg.for_tracker if self._cache else seg.segment)
            except pyx12.errors.X12Error as exc:
                result.issues.append(_issue("x12.envelope", str(exc), Level.INTERCHANGE, "024", seg_id))
            result.issues.extend(self._envelope_issues(segment_index))
        else:
            # What X12Base._parse_segment does for a body segment of an 850 (no HL, no LX).
            tracker.seg_count += 1
            tracker.cur_line += 1
        result.position = tracker.seg_count
        return result

    def _orphan_trailer(self, seg_id: str) -> str | None:
        """Why a trailer cannot be tracked: no header of its kind is open; None when one is."""
        if seg_id not in _TRAILERS:
            return None
        header, name = _TRAILERS[seg_id]
        if any(loop[0] == header for loop in self._tracker.loops):
            return None
        return f"{seg_id} ends a {name} that was never started: there is no open {header} before it"

    def _finish(
        self, rule: _Rule | None, seg: _Seg, segment_index: int, result: SegmentCheck
    ) -> SegmentCheck:
        result.index = segment_index
        issues = result.issues
        if rule is not None:
            result.loop_id = rule.loop_id
            result.element_refs = rule.element_refs
            if self._validating or seg.id in _ENVELOPE_IDS:
                found = self._element_issues_cached(rule, seg)
                if found:
                    issues.extend(found)
        if self._validating:
            empty = _empty_segment(seg, self._separators)
            if empty is not None:
                issues.append(empty)
        _place(result)
        return result

    def _locate(self, segment: Any, seg_id: str, issues: list[Issue]) -> Any:
        if seg_id == "ISA":
            return _node(self._map_dir, _CONTROL_MAP, "/ISA_LOOP/ISA")
        if seg_id in _GROUP_ENVELOPE:
            return _node(self._map_dir, self._map_file or _CONTROL_MAP, _GROUP_ENVELOPE[seg_id])
        if seg_id == "IEA":
            return _node(self._map_dir, _CONTROL_MAP, "/ISA_LOOP/IEA")
        if not self._validating:
            return None
        try:
            node, _, _, errors = self._walk_tree().walk_errors(
                self._node, segment, self._tracker.get_seg_count(), self._tracker.get_cur_line(), None
            )
        except pyx12.errors.EngineError as exc:
            issues.append(_issue("x12.structure", str(exc), Level.SEGMENT, "2", seg_id))
            return None
        for error in errors:
            where = error.seg_data.get_seg_id() if error.seg_data is not None else seg_id
            loop = _loop_id(error.map_node) if error.map_node is not None else None
            code = error.err_cde
            if code == _UNRECOGNIZED and where == seg_id:
                code = _placement_code(self._map_dir, self._map_file, seg_id, self._node)
            issue = _issue("x12.segment", error.err_str, Level.SEGMENT, code, where)
            issue.loop_id = loop
            issue.bad_value = error.err_val
            issues.append(issue)
        if node is not None:
            self._node = node
        return node

    def _element_issues_cached(self, rule: _Rule, seg: _Seg) -> list[Issue]:
        """Element checks, reused for the same text, and (when clean) for the same value shapes."""
        if not self._cache:
            return self._element_issues(rule.node, seg.segment, seg.id)
        exact = (rule, self._scope, seg.text)
        found = _ELEMENTS.get(exact)
        if found is None:
            shape = (rule, self._scope, _shape(rule.plan, seg.parts, self._separators.element))
            if shape in _CLEAN:
                found = []
            else:
                found = self._element_issues(rule.node, seg.segment, seg.id)
                if not found:
                    _remember(_CLEAN, shape, True, _SHAPE_LIMIT)
            _remember(_ELEMENTS, exact, found, _TEXT_LIMIT)
        return [i.model_copy() for i in found] if found else []

    def _element_issues(self, node: Any, segment: Any, seg_id: str) -> list[Issue]:
        found: list[Issue] = []
        _, errors = node.is_valid_errors(segment)
        for error in errors:
            refdes = error.refdes or ""
            if refdes in _OWN_CHECKS or self._legacy_date(error):
                continue
            if error.map_node is None and error.err_cde == _TOO_MANY and refdes[-2:].isdigit():
                issue = _too_many_elements(error.err_str, segment, seg_id, int(refdes[-2:]))
            elif error.map_node is None:
                issue = _syntax_issue(error.err_str, node, segment, seg_id) or _issue(
                    "x12.segment", error.err_str, Level.SEGMENT, "8", seg_id
                )
            else:
                element, component = _element_position(refdes)
                issue = _issue("x12.element", error.err_str, Level.ELEMENT, error.err_cde, seg_id)
                issue.element = element
                issue.component = component
                issue.element_ref = _data_element(error.map_node)
                issue.bad_value = error.err_val
            found.append(issue)
        return found

    def _legacy_date(self, error: Any) -> bool:
        """A YYMMDD date in a pre-004010 group is right, though the 004010 map wants CCYYMMDD."""
        value = error.err_val or ""
        return (
            self._legacy_dates
            and error.err_cde == _TOO_SHORT
            and getattr(error.map_node, "data_ele", None) in _DATE_ELEMENTS
            and len(value) == 6
            and value.isdigit()
        )

    def _envelope_issues(self, segment_index: int | None) -> list[Issue]:
        issues: list[Issue] = []
        for kind, code, message, value, _line in self._tracker.pop_errors():
            if code in _NOT_ERRORS:
                continue
            if kind == "seg":
                issue = _issue("x12.segment", message, Level.SEGMENT, code if code.isdigit() else "8", None)
            else:
                issue = _issue(f"x12.{kind}", message, _ENVELOPE_LEVEL[kind], code, None)
            issue.bad_value = value
            issue.segment_index = segment_index
            issues.append(issue)
        return issues


def _place(result: SegmentCheck) -> None:
    """Say on each issue of ``result`` which segment it is about and where that segment stands."""
    for issue in result.issues:
        issue.segment_index = result.index
        if issue.level in (Level.SEGMENT, Level.ELEMENT):
            issue.position = result.position
            issue.loop_id = issue.loop_id or result.loop_id


def _too_many_elements(message: str, segment: Any, seg_id: str, first_extra: int) -> Issue:
    """More elements than the segment defines: an element error (AK403 3) at the first extra one with data."""
    position = next(
        (p for p in range(first_extra, len(segment) + 1) if segment.get_value(f"{p:02d}") not in (None, "")),
        first_extra,
    )
    issue = _issue("x12.element", message, Level.ELEMENT, _TOO_MANY, seg_id)
    issue.element = position
    issue.bad_value = segment.get_value(f"{position:02d}")
    return issue


def _empty_segment(seg: _Seg, separators: Separators) -> Issue | None:
    """A segment with no data element (``N4~``): X12 wants at least one; pyx12's own reader says the same.

    Empty as pyx12's ``Segment.is_empty`` has it: nothing but separators after the id (its
    elements and their components all ``""``), read off the text without building the Segment.
    """
    parts = seg.parts
    if len(parts) > 1 and parts[1][:1] not in ("", separators.component):
        return None  # the first element starts with data (nearly every segment): decided without the text
    if seg.id in _ENVELOPE_IDS or seg.text[len(seg.id) :].strip(separators.element + separators.component):
        return None
    return _issue(
        "x12.segment", f"segment {seg.id} is empty: it holds no data element", Level.SEGMENT, "8", seg.id
    )


_SEGMENT_XID = re.compile(r'<segment\s+xid="([A-Z0-9]{2,3})"')


@functools.cache
def _known_segment_ids(map_dir: Path) -> frozenset[str]:
    """The segment ids of the standard we can tell: those of every map, ours and pyx12's bundled ones."""
    bundled = Path(pyx12.__file__).parent / "map"
    found: set[str] = set()
    for directory in (map_dir, bundled):
        for path in sorted(directory.glob("*.xml")):
            found.update(_SEGMENT_XID.findall(path.read_text(encoding="utf-8", errors="replace")))
    return frozenset(found)


@dataclass(slots=True)
class _MapOrder:
    """A loaded map's segment nodes in map order: the first place of each segment id, and the place
    of each node by ``id()`` (the memo holding this holds the map, and so every node in it)."""

    first_place: dict[str, int]
    place: dict[int, int]


@_by_identity
def _segment_order(loaded_map: Any) -> _MapOrder:
    order = _MapOrder({}, {})
    for node in loaded_map.loop_segment_iterator():
        if isinstance(node, pyx12.map_if.segment_if):
            place = len(order.place)
            order.place[id(node)] = place
            order.first_place.setdefault(node.id, place)
    return order


def _placement_code(map_dir: Path, map_file: str | None, seg_id: str, current: Any) -> str:
    """AK304/IK304 for a segment the walk did not find where it stands.

    1: the id is not one of the standard's; 6: the standard has it but this transaction set does
    not; 7: the set has it earlier than where the walk stands (out of sequence); 2: only further on.
    """
    if seg_id not in _known_segment_ids(map_dir):
        return _UNRECOGNIZED
    if map_file is None:
        return _NOT_IN_SET
    order = _segment_order(load_map(map_dir, map_file))
    first = order.first_place.get(seg_id)
    if first is None:
        return _NOT_IN_SET
    here = order.place.get(id(current), -1)
    return _OUT_OF_SEQUENCE if first < here else _UNEXPECTED


_SYNTAX = re.compile(r"Syntax Error \(([PRCLE])((?:\d\d)+)\)")


def _syntax_issue(message: str, node: Any, segment: Any, seg_id: str) -> Issue | None:
    """A broken syntax note as the element it makes missing (AK403 2) or excess (AK403 10)."""
    match = _SYNTAX.search(message)
    if match is None:
        return None
    rule, digits = match.group(1), match.group(2)
    positions = [int(digits[i : i + 2]) for i in range(0, len(digits), 2)]
    present = [p for p in positions if segment.get_value(f"{p:02d}") not in (None, "")]
    if rule == "E":
        element, code = (present[1] if len(present) > 1 else positions[-1]), "10"
    else:
        missing = [p for p in positions if p not in present]
        element, code = (missing[0] if missing else positions[0]), "2"
    issue = _issue("x12.syntax", message, Level.ELEMENT, code, seg_id)
    issue.element = element
    issue.element_ref = _data_element(node.get_child_node_by_idx(element - 1))
    return issue


def _rule_of(node: Any) -> _Rule | None:
    """The rule of a segment node the walk found; None for no node or a loop's."""
    return _rule(node) if isinstance(node, pyx12.map_if.segment_if) else None


def _data_element(element_node: Any) -> str | None:
    reference = getattr(element_node, "data_ele", None) or ""
    return reference if reference.isdigit() else None


def _issue(code: str, message: str, level: Level, x12_code: str | None, segment: str | None) -> Issue:
    return Issue(
        code=code, message=message, severity=Severity.ERROR, level=level, x12_code=x12_code, segment=segment
    )


def _loop_id(node: Any) -> str | None:
    """The loop a map node stands in, as an AK3 names it."""
    parent = getattr(node, "parent", None)
    while parent is not None and not isinstance(parent, pyx12.map_if.loop_if):
        parent = getattr(parent, "parent", None)
    if parent is None:
        return None
    loop_id = parent.id or ""
    if loop_id in ("ST_LOOP", "HEADER", "DETAIL", "FOOTER", "GS_LOOP", "ISA_LOOP"):
        return None
    return loop_id.removesuffix("_LOOP")


def _element_position(refdes: str) -> tuple[int | None, int | None]:
    digits = refdes[-4:] if len(refdes) >= 4 and refdes[-4:].isdigit() else refdes[-2:]
    if not digits.isdigit():
        return None, None
    if len(digits) == 4:
        return int(digits[:2]), int(digits[2:])
    return int(digits), None


def _first_repetition(text: str, separators: Separators) -> str:
    """pyx12 does not split 5010 repetitions; validate the first occurrence of each element."""
    rep = separators.repetition
    if not rep or rep not in text:
        return text
    elements = text.split(separators.element)
    return separators.element.join(e.split(rep, 1)[0] for e in elements)


# x12n_document parses its XML maps again on every call (~90% of its time on a small document).
# The maps are never changed while validating (the walker keeps its own counts, as the inbound
# path relies on), so one parsed copy per file serves every call; the lock keeps the swap local.
_MAPS_LOADED_ONCE = threading.Lock()


@functools.cache
def _map_file_once(map_file: str, map_path: str | None) -> Any:
    if map_path is not None:  # one parsed copy per file for the reader and the checker alike
        return load_map(Path(map_path), map_file)
    return _PYX12_LOAD_MAP_FILE(map_file, _params(), map_path)


def preload_x12_maps(map_dir: Path, versions: Iterable[str]) -> list[str]:
    """Parse now every map in ``map_dir`` for ``versions`` (``004010``...), envelopes included.

    For long-running processes (pollers, workers): the first documents they take are then not
    slowed by parsing maps (about a second of CPU). Returns the files loaded.
    """
    codes = {version[2:6] for version in versions}  # 004010 -> 4010, as in 850.4010.xml
    envelopes = {f"x12.control.{version[:5]}.xml" for version in versions}  # ISA12 00401
    names = sorted(
        path.name
        for path in map_dir.glob("*.xml")
        if path.name in envelopes
        or any(f".{code}." in path.name or f".{code}X" in path.name for code in codes)
    )
    for name in names:
        load_map(map_dir, name)
    return names


def _loaded_map_file(map_file: str, param: Any, map_path: str | None = None) -> Any:
    return _map_file_once(map_file, map_path)


_PYX12_LOAD_MAP_FILE = pyx12.map_if.load_map_file


def check_interchange(content: bytes, map_dir: Path | None) -> list[str]:
    """pyx12's own validator over a whole interchange with the maps in ``map_dir``: its errors, or [].

    ``map_dir=None`` uses the maps bundled with pyx12.
    For documents the gateway writes, before they may leave: each error names the segment path.
    """
    out = io.StringIO()
    try:
        with _MAPS_LOADED_ONCE:
            original, pyx12.map_if.load_map_file = pyx12.map_if.load_map_file, _loaded_map_file
            try:
                valid = pyx12.x12n_document.x12n_document(
                    _params(),
                    io.StringIO(content.decode("ascii")),
                    None,
                    None,
                    fd_json=out,
                    map_path=str(map_dir) if map_dir else None,
                )
            finally:
                pyx12.map_if.load_map_file = original
    except (UnicodeDecodeError, pyx12.errors.X12Error, pyx12.errors.EngineError) as exc:
        return [f"pyx12 cannot read it: {exc}"]
    text = out.getvalue()
    errors = _json_errors(json.loads(text)) if text.strip() else ["pyx12 wrote no report"]
    if not valid and not errors:
        errors.append("pyx12 refused the interchange without naming an error")
    return errors


def _json_errors(node: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        where = path + "/" + str(node.get("seg_id") or node.get("trn_set_control_num") or "")
        for error in node.get("errors") or []:
            found.append(
                f"{where}: {error.get('err_str', error)}" if isinstance(error, dict) else f"{where}: {error}"
            )
        for key, value in node.items():
            if key != "errors":
                found += _json_errors(value, where)
    elif isinstance(node, list):
        for item in node:
            found += _json_errors(item, path)
    return found
