"""The X12 reader's fast path finds what pyx12 finds: control numbers, and faults in generated files."""

from __future__ import annotations

import io
import random
import re

import pytest

from bench.generate import write_interchange
from gateway.model.receipts import Separators
from parsers import ParsedInterchange
from parsers._pyx12 import InterchangeValidator
from parsers.x12 import read_x12
from parsers.x12._map_dir import MAP_DIR
from partners import PartnerRegistry


def _interchange(orders: int, *, repeat_st02: str | None = None) -> bytes:
    out = io.StringIO()
    write_interchange(out, orders=orders, lines=1)
    text = out.getvalue()
    if repeat_st02 is not None:  # the last set takes the first set's control number
        last = f"{orders:04d}"
        text = text.replace(f"ST*850*{last}~", f"ST*850*{repeat_st02}~")
        text = re.sub(rf"SE\*(\d+)\*{last}~", rf"SE*\1*{repeat_st02}~", text)
    return text.encode()


def test_st02_seen_before_in_the_group_is_found_by_a_hashed_lookup() -> None:
    """pyx12 keeps a group's ST02s in a list and searches it for every set (quadratic in the group);
    the gateway's tracker gives it a set to search, and the repeat is still reported (AK5 23)."""
    validator = InterchangeValidator(MAP_DIR, Separators(segment="~", element="*", component=">"))
    seen = validator._tracker.st_ids  # the pyx12 boundary's own bookkeeping
    assert isinstance(seen, set), type(seen)
    data = _interchange(300, repeat_st02="0001")
    [receipt] = [
        e.receipt
        for e in read_x12(io.BytesIO(data), partners=PartnerRegistry.from_directory(), document_id="1")
        if isinstance(e, ParsedInterchange)
    ]
    [group] = receipt.groups
    flagged = [t.control_number for t in group.transactions if any(i.x12_code == "23" for i in t.issues)]
    assert flagged == ["0001"]


# Faults put into a generated interchange, one kind per set: (segment id, element, new value);
# element 0 replaces the whole segment, None as value removes it.
FAULTS: list[tuple[str, int | None, str | None]] = [
    ("BEG", 5, "20261399"),  # not a date
    ("BEG", 1, "ZZ"),  # not a code BEG01 has
    ("CUR", 2, "DOLLARS"),  # too long
    ("REF", 1, ""),  # a required element missing
    ("PER", 4, "5551234567"),  # PER04 without its qualifier PER03 (a syntax note)
    ("ITD", 0, "ITD"),  # empty segment
    ("DTM", 0, "XYZ*1*2"),  # a segment id no standard has
    ("TD5", None, None),  # an optional segment dropped: still clean
    ("N1", 0, "N1*ST"),  # the N1 loop's name and id both missing
    ("N3", 1, "4100 Commerce Way 4100 Commerce Way 4100 Commerce Way 4100 Commerce Way"),
    ("N4", 0, "N4"),  # the bare N4
    ("PO1", 2, "1.2.3"),  # not a number
    ("PO1", 3, "QQ"),  # not a unit code
    ("PID", 1, "Q"),  # not PID01's code
    ("CTT", 1, "9"),  # line count off
    ("PO1", 0, "PO1*1*1*EA*1.00*PE*VN*NW-1*BP*AC-1*UP*1*IN*2*CB*3*ZZ*4*XX*5*YY*6*QQ*7*EXTRA"),  # too many
    ("BEG", None, None),  # a mandatory segment missing
    ("SE", 1, "99"),  # wrong segment count
    # dates and times (DT, TM)
    ("DTM", 0, "DTM*002*20260229"),  # no 29 February in 2026
    ("DTM", 0, "DTM*002*20261215*2599"),  # not a time
    ("DTM", 0, "DTM*002*20261215*12"),  # a time too short
    ("DTM", 0, "DTM*002*20261215*1230"),  # a good time: clean
    # numbers (R, N0, N2) and lengths
    ("ITD", 0, "ITD*01*3*2.5.1**30"),  # ITD03 (R) not a number
    ("ITD", 0, "ITD*01*3*2**3X"),  # ITD05 (N0) not a number
    ("ITD", 0, "ITD*01*3*2**30**60*1.5"),  # ITD08 (N2) with a decimal point
    ("PO1", 4, "-1.00"),  # a negative price (R)
    ("PO1", 4, "1E5"),  # an exponent (R)
    ("PO1", 2, "1234567890123456"),  # PO102 (R) past its 15 digits
    ("CTT", 1, "X"),  # CTT01 (N0) not a number
    ("CTT", 1, "1234567"),  # CTT01 too long
    ("REF", 1, "D"),  # REF01 too short
    ("N1", 2, "X" * 61),  # N102 too long
    ("N4", 3, "43"),  # N403 too short
    # syntax notes: P (paired), R (at least one), C (conditional), L (list conditional)
    ("DTM", 0, "DTM*002"),  # R020305: none of DTM02, 03, 05
    ("DTM", 0, "DTM*002*20261215**ET"),  # C0403: DTM04 without DTM03
    ("DTM", 0, "DTM*002*20261215****X"),  # P0506: DTM06 without DTM05
    ("CUR", 0, "CUR*BY*USD*1.5*****20261215"),  # C0807: CUR08 without CUR07
    ("CUR", 0, "CUR*BY*USD********ABC"),  # L101112: CUR10 with neither CUR11 nor CUR12
    ("PO1", 0, "PO1*1*3*EA*1.09*PE*VN"),  # P0607: a qualifier without its id
    ("PO1", 0, "PO1*1**EA*1.09*PE*VN*NW-1"),  # C0302: a unit without a quantity
    ("REF", 0, "REF*DP"),  # R0203: neither REF02 nor REF03
    ("PID", 0, "PID*F"),  # R0405: neither PID04 nor PID05
    # repeats, loops and places
    ("CUR", 0, "CUR*BY*USD~\nCUR*BY*USD"),  # CUR twice (max use 1)
    ("PER", 0, "~\n".join(["PER*BD*Jane Buyer*TE*5551234567", *["SAC*A*C310"] * 26])),  # 26 SAC loops of 25
    ("CTT", 0, "BEG*00*SA*PO9**20261120~\nCTT*1"),  # BEG out of sequence
    ("CUR", 0, "N3*4100 Commerce Way"),  # N3 outside its N1 loop
    ("PO1", None, None),  # the mandatory PO1 loop missing
    ("N3", 0, "N3"),  # a bare N3
    ("N3", 0, "N3*4100 Commerce Way*"),  # a trailing separator
    ("REF", 0, "REF*DP*001***"),  # trailing separators
    # characters
    ("PO1", 3, "EA>X"),  # a component separator in a simple element
    ("N1", 2, "ACME\x01STORE"),  # a control character
    ("N3", 1, " 4100 Commerce Way"),  # a leading space
    ("N3", 1, "4100 commerce way"),  # lower case
]


def _faulty_interchange(seed: int) -> bytes:
    """A generated interchange whose sets each carry one of FAULTS (in turn), every third a second one."""
    rng = random.Random(seed)
    text = _interchange(len(FAULTS) * 2).decode()
    head, _, rest = text.partition("ST*850*")
    sets = rest.split("ST*850*")
    out: list[str] = []
    for number, body in enumerate(sets):
        segments = ("ST*850*" + body).split("~\n")
        chosen = [FAULTS[number % len(FAULTS)]]
        if number % 3 == 0:
            chosen.append(rng.choice(FAULTS))
        for seg_id, element, value in chosen:
            for i, segment in enumerate(segments):
                parts = segment.split("*")
                if parts[0] != seg_id:
                    continue
                if value is None:
                    segments[i] = ""
                elif element == 0:
                    segments[i] = value
                else:
                    assert element is not None and element < len(parts), (seg_id, element, segment)
                    parts[element] = value
                    segments[i] = "*".join(parts)
                break
        # every seventh set loses its last terminator: its SE runs into the next ST, whose
        # segments are then read outside any set
        end = "" if number % 7 == 6 and number < len(sets) - 1 else "~\n"
        out.append("~\n".join(s for s in segments if s) + end)
    return (head + "".join(out)).encode()


def _events(data: bytes, *, cache: bool) -> list[str]:
    events = read_x12(
        io.BytesIO(data), partners=PartnerRegistry.from_directory(), document_id="1", cache=cache
    )
    return [repr(event) for event in events]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_path_finds_what_pyx12_finds_in_generated_faulty_files(seed: int) -> None:
    """The memos (set walks by shape, element checks by text and by value shape) against pyx12 run
    on every segment: the same faults, at the same places, in every event; and the faults are found."""
    data = _faulty_interchange(seed)
    doubled = data + b"\n" + data.replace(b"000000001", b"000000002")  # the second copy from the memos
    fast = _events(doubled, cache=True)
    assert fast == _events(doubled, cache=False)
    [receipt, _] = [
        e.receipt
        for e in read_x12(io.BytesIO(doubled), partners=PartnerRegistry.from_directory(), document_id="1")
        if isinstance(e, ParsedInterchange)
    ]
    rejected = [t for t in receipt.groups[0].transactions if t.has_errors]
    assert len(rejected) >= len(FAULTS) * 4 // 3, [
        t.control_number for t in rejected
    ]  # 5 sets glued, TD5 clean


def _st03_interchange(version: str) -> bytes:
    """One 850 whose ST carries an ST03: an element 005010's ST has and 004010's does not."""
    isa11, isa12 = ("^", "00501") if version == "005010" else ("U", "00401")
    segments = [
        f"ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*NORTHWINDDIST  *261120*0930*{isa11}*{isa12}"
        "*000000001*0*P*>",
        f"GS*PO*ACMERETAIL*NORTHWIND*20261120*0930*1*X*{version}",
        "ST*850*0001*X",
        "BEG*00*SA*PO1**20261120",
        "PO1*1*3*EA*1.09*PE*VN*NW-60009",
        "CTT*1",
        "SE*5*0001",
        "GE*1*1",
        "IEA*1*000000001",
    ]
    return ("~\n".join(segments) + "~\n").encode()


def _st_errors(version: str) -> list[tuple[str | None, int | None, str | None]]:
    [receipt] = [
        e.receipt
        for e in read_x12(
            io.BytesIO(_st03_interchange(version)), partners=PartnerRegistry.from_directory(), document_id="1"
        )
        if isinstance(e, ParsedInterchange)
    ]
    return [(i.segment, i.element, i.x12_code) for t in receipt.groups[0].transactions for i in t.issues]


def test_equal_looking_nodes_of_two_maps_do_not_share_results() -> None:
    """pyx12's map nodes compare equal by their id and their parent's id, so 004010's ST and
    005010's ST are equal keys: the memos must tell the two maps apart by identity, whichever
    version a process reads first."""
    too_many = [("ST", 3, "3")]
    assert _st_errors("005010") == []
    assert _st_errors("004010") == too_many
    assert _st_errors("005010") == []
    assert _st_errors("004010") == too_many
