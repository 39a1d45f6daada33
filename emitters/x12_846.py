"""The 846 inventory inquiry/advice: the quantity available to promise per SKU, as of one moment.

One LIN loop per SKU (LIN02/03 ``VN`` our SKU, then the buyer's part ``BP`` and the ``UP`` code
when known) with one ``QTY*33`` (quantity available for sale) in the catalog unit; CTT01 counts
the LINs and CTT02 is the sum of the QTY02s. BIA01 ``00`` (original), BIA02 ``DD`` (distributor
inventory report), BIA03 the advice's reference, BIA04/05 the as-of date and time. The standard
allows 10,000 LIN loops in a set, so a larger advice is several sets in one group. Which BIA02
report type a partner expects varies by guide (``DD``, ``MM``, ``SI`` are all seen); ``DD`` is
ours and not confirmed against any one retailer's guide.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from gateway.model.outbound import InventoryAdvice
from gateway.model.outbound import StockLine
from partners import PartnerProfile

from ._envelope import FunctionalGroup
from ._envelope import Segment
from ._envelope import TransactionSet
from ._envelope import build_interchange
from ._envelope import date8
from ._envelope import echo
from ._envelope import number
from ._outbound import ControlNumberSource
from ._outbound import OutboundDocument

KIND = "846"
_REPORT_TYPE = "DD"  # BIA02: distributor inventory report
_AVAILABLE_FOR_SALE = "33"  # QTY01: quantity available for sale (stock quantity)
MAX_LINES_PER_SET = 10000  # the LIN loop's repeat in 004010 and 005010


def emit(
    advice: InventoryAdvice, partner: PartnerProfile, *, numbers: ControlNumberSource, when: datetime
) -> OutboundDocument:
    """One interchange with one 846 per 10,000 SKUs of ``advice`` (at least one)."""
    chunks = [
        advice.lines[start : start + MAX_LINES_PER_SET]
        for start in range(0, max(len(advice.lines), 1), MAX_LINES_PER_SET)
    ]
    sets = [TransactionSet(KIND, body_segments(advice, chunk, partner)) for chunk in chunks]
    interchange = build_interchange(
        partner, [FunctionalGroup("IB", partner.version, sets)], numbers=numbers, when=when
    )
    return interchange.outbound(kind=KIND, partner=partner, refers_to=advice.reference)


def body_segments(advice: InventoryAdvice, lines: list[StockLine], partner: PartnerProfile) -> list[Segment]:
    """One 846 between ST and SE for ``lines``."""
    body: list[Segment] = [
        [
            "BIA",
            "00",
            _REPORT_TYPE,
            echo(advice.reference, partner, 30),
            date8(advice.as_of.date()),
            advice.as_of.strftime("%H%M"),
        ]
    ]
    total = Decimal(0)
    for index, line in enumerate(lines, start=1):
        lin: list[str] = ["LIN", str(index), "VN", echo(line.sku, partner, 48)]
        for qualifier, value in (("BP", line.buyer_part), ("UP", line.upc)):
            if value:
                lin += [qualifier, echo(value, partner, 48)]
        body.append(lin)
        body.append(["QTY", _AVAILABLE_FOR_SALE, number(line.available), line.uom])
        total += line.available
    body.append(["CTT", str(len(lines)), number(total)])
    return body
