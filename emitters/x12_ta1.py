"""The TA1 interchange acknowledgement: always alone, in its own interchange (ISA, TA1, IEA01 = 0).

The TA1 never shares an interchange with a 997/999; when both are due the caller emits
both, so a broken interchange (no readable group) still gets its TA1.

Only ERROR-severity issues at INTERCHANGE (or DOCUMENT) level count. TA104 is ``A`` when
there are none; otherwise ``E`` when at least one functional group could still be read
(its sets are answered by the 997/999) and ``R`` when none could. TA105 is the x12_code
of the first such error that is a TA1 note code (``001``..``031``), or ``000``.
"""

from __future__ import annotations

from datetime import datetime

from gateway.model.receipts import InterchangeReceipt
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from partners import PartnerProfile

from ._envelope import build_interchange
from ._envelope import echo
from ._outbound import ControlNumberSource
from ._outbound import OutboundDocument

NOTE_CODES = frozenset(f"{n:03d}" for n in range(32))
_LEVELS = (Level.INTERCHANGE, Level.DOCUMENT)


def _errors(receipt: InterchangeReceipt) -> list[Issue]:
    return [i for i in receipt.issues if i.is_error and i.level in _LEVELS]


def _note_code(errors: list[Issue]) -> str:
    return next((i.x12_code for i in errors if i.x12_code in NOTE_CODES and i.x12_code != "000"), "000")


def _digits(value: str, width: int) -> str:
    """A received ISA09/ISA10/ISA13 echoed back: digits only, fixed width (zeros when unreadable)."""
    digits = "".join(c for c in value.strip() if c.isascii() and c.isdigit())
    return digits[-width:].rjust(width, "0")


def emit(
    receipt: InterchangeReceipt, partner: PartnerProfile, *, numbers: ControlNumberSource, when: datetime
) -> OutboundDocument:
    """A TA1 answering the envelope of ``receipt``, in an interchange of its own."""
    errors = _errors(receipt)
    if not errors:
        status = "A"
    elif receipt.groups:
        status = "E"
    else:
        status = "R"
    ta1 = [
        "TA1",
        _digits(receipt.control_number, 9),
        _digits(echo(receipt.date, partner), 6),
        _digits(echo(receipt.time, partner)[:4], 4),
        status,
        _note_code(errors),
    ]
    interchange = build_interchange(partner, [], numbers=numbers, when=when, leading=[ta1])
    return OutboundDocument(
        kind="TA1",
        partner=partner.name,
        content=interchange.content,
        interchange_control_number=interchange.interchange_control_number,
        refers_to=f"ISA13 {receipt.control_number}",
    )
