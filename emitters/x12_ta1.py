"""The TA1 interchange acknowledgement: sent alone, in its own interchange (IEA01 = 0).

TA104 is ``A`` when the envelope had no errors, ``E`` when it had errors but some
transaction set could still be accepted, and ``R`` otherwise; TA105 is the note code of
the first interchange-level error, or ``000``.
"""

from __future__ import annotations

from datetime import datetime

from gateway.receipts import InterchangeReceipt
from gateway.receipts import Level
from partners import PartnerProfile

from ._envelope import build_interchange
from ._outbound import ControlNumberSource
from ._outbound import OutboundDocument


def _note_code(receipt: InterchangeReceipt) -> str:
    for issue in receipt.issues:
        code = issue.x12_code or ""
        if issue.is_error and issue.level is Level.INTERCHANGE and len(code) == 3 and code.isdigit():
            return code
    return "000"


def emit(
    receipt: InterchangeReceipt, partner: PartnerProfile, *, numbers: ControlNumberSource, when: datetime
) -> OutboundDocument:
    note = _note_code(receipt)
    if note == "000" and not receipt.has_errors:
        status = "A"
    elif any(not t.has_errors for g in receipt.groups for t in g.transactions):
        status = "E"
    else:
        status = "R"
    ta1 = [
        "TA1",
        receipt.control_number.strip()[:9].rjust(9, "0"),
        receipt.date.strip()[:6],
        receipt.time.strip()[:4],
        status,
        note,
    ]
    interchange = build_interchange(partner, [], numbers=numbers, when=when, loose_segments=[ta1])
    return OutboundDocument(
        kind="TA1",
        partner=partner.name,
        content=interchange.content,
        interchange_control_number=interchange.interchange_control_number,
        refers_to=f"ISA13 {receipt.control_number}",
    )
