"""The 999 implementation acknowledgement (005010X231A1) for 005010 partners."""

from __future__ import annotations

from datetime import datetime

from gateway.model.receipts import InterchangeReceipt
from partners import PartnerProfile

from ._functional_ack import ACK_999
from ._functional_ack import emit_functional_ack
from ._outbound import ControlNumberSource
from ._outbound import OutboundDocument


def emit(
    receipt: InterchangeReceipt, partner: PartnerProfile, *, numbers: ControlNumberSource, when: datetime
) -> OutboundDocument:
    """One 999 interchange answering every functional group of ``receipt``."""
    return emit_functional_ack(ACK_999, receipt, partner, numbers=numbers, when=when)
