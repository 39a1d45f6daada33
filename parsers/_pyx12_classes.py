"""pyx12's own classes, subclassed at the pyx12 boundary: its envelope bookkeeping and its Segment.

Kept apart from ``parsers._pyx12`` so that mypyc compiles that module (``scripts/build_compiled.py``):
a class built on ``set`` or on one of pyx12's (which ships no types) cannot be a native class,
and a non-native one takes no property setters. This module stays interpreted.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable

import pyx12.errors
import pyx12.path
import pyx12.segment
import pyx12.x12file

from gateway.model.receipts import control_number_value


class _Seen(set[str | None]):
    """Control numbers seen, for pyx12's bookkeeping: it appends to a list and searches it for each
    new one, which grows quadratic with the sets in a group; a set answers in constant time.

    A group can hold a hundred thousand sets, so numbers that each follow the last (``0001``,
    ``0002``, ...) are kept as runs, ``first`` to ``last`` written ``width`` digits wide; the set
    itself holds the rest, and the numbers of runs too short to be worth one.
    """

    __slots__ = ("_first", "_last", "_runs", "_width")

    def __init__(self, seen: Iterable[str | None] = ()) -> None:
        super().__init__()
        self._first = self._last = self._width = -1  # the open run, which the next number may extend
        self._runs: dict[int, list[tuple[int, int]]] = {}  # ended runs by width: disjoint, in order
        for control_number in seen:
            self.append(control_number)

    def append(self, control_number: str | None) -> None:
        if control_number in self:  # pyx12 appends a repeat too (after reporting it)
            return
        number = control_number_value(control_number)
        if number is None or control_number is None:
            self.add(control_number)
        elif number == self._last + 1 and control_number == str(number).zfill(self._width):
            self._last = number
        else:
            self._end_run()
            self._first = self._last = number
            self._width = len(control_number)

    def _end_run(self) -> None:
        first, last, width = self._first, self._last, self._width
        if last < 0:
            return
        if last - first < _SHORT_RUN:
            self.update(str(number).zfill(width) for number in range(first, last + 1))
        else:
            bisect.insort(self._runs.setdefault(width, []), (first, last))

    def __contains__(self, control_number: object) -> bool:
        if super().__contains__(control_number):
            return True
        number = control_number_value(control_number)
        if number is None:
            return False
        assert isinstance(control_number, str)
        if self._first <= number <= self._last and control_number == str(number).zfill(self._width):
            return True
        # "0042" is written only 4 wide; "42" by any width up to 2 (zero padding adds nothing).
        padded = control_number[0] == "0" and len(control_number) > 1
        for width, runs in self._runs.items():
            if width == len(control_number) if padded else width <= len(control_number):
                at = bisect.bisect_right(runs, (number, _AFTER_ANY)) - 1
                if at >= 0 and runs[at][1] >= number:
                    return True
        return False


_SHORT_RUN = 16  # a run of fewer numbers is kept as its strings
_AFTER_ANY = float("inf")  # sorts after any run that starts at the same number


class _EnvelopeTracker(pyx12.x12file.X12Reader):  # type: ignore[misc]  # pyx12 ships no types
    """pyx12's reader bookkeeping (control numbers, counts, trailers) without its file handling.

    pyx12 assigns a fresh list to ``isa_ids``/``gs_ids``/``st_ids`` at each ISA, GS and ST; the
    properties keep each one a ``_Seen`` set instead.
    """

    def __init__(self) -> None:
        pyx12.x12file.X12Base.__init__(self)

    @property
    def isa_ids(self) -> _Seen:
        return self._isa_ids

    @isa_ids.setter
    def isa_ids(self, seen: list[str | None]) -> None:
        self._isa_ids = _Seen(seen)

    @property
    def gs_ids(self) -> _Seen:
        return self._gs_ids

    @gs_ids.setter
    def gs_ids(self, seen: list[str | None]) -> None:
        self._gs_ids = _Seen(seen)

    @property
    def st_ids(self) -> _Seen:
        return self._st_ids

    @st_ids.setter
    def st_ids(self, seen: list[str | None]) -> None:
        self._st_ids = _Seen(seen)


@functools.lru_cache(maxsize=4096)
def _parsed_refdes(ref_des: str) -> tuple[str | None, int | None, int | None]:
    path = pyx12.path.X12Path(ref_des)
    return path.seg_id, path.ele_idx, path.subele_idx


class _Segment(pyx12.segment.Segment):  # type: ignore[misc]  # pyx12 ships no types
    """pyx12's Segment, with its reference designators ("ST02", "03-1") parsed once per process.

    pyx12 parses one with ``X12Path`` on every ``get``/``get_value``, which its walker and element
    checks call for each element; the parse depends on the designator alone, and what is done
    with it here is what ``Segment._parse_refdes`` does.
    """

    def _parse_refdes(self, ref_des: str) -> tuple[int | None, int | None]:
        seg_id, ele_idx, subele_idx = _parsed_refdes(ref_des)
        if seg_id is not None and seg_id != self.seg_id:
            raise pyx12.errors.EngineError(f"Invalid Reference Designator: {ref_des}, seg_id: {self.seg_id}")
        return (
            ele_idx - 1 if ele_idx is not None else None,
            subele_idx - 1 if subele_idx is not None else None,
        )
