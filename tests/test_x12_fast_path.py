"""The X12 reader's fast path finds what pyx12 finds: control numbers, and faults in generated files."""

from __future__ import annotations

import io
import re

from bench.generate import write_interchange
from gateway.receipts import Separators
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
