"""What we answered an X12 document with: its 997/999/TA1 and the order's 855, with what each says.

Each answer is one of our own outbound records; the segments shown are those about the order's
transaction set (its AK2 loop in a 997 or 999, the BAK and ACK lines of an 855), at most
``MAX_SEGMENTS`` of them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage

from ._panes import Answer

ACKS = ("TA1", "997", "999")
MAX_ANSWERS = 10
MAX_SEGMENTS = 60
_SET_CODES = {  # AK501 / IK501 / AK901
    "A": "accepted",
    "E": "accepted with errors noted",
    "P": "partly accepted",
    "R": "rejected",
    "M": "rejected: the message authentication code failed",
    "W": "rejected: the assurance failed",
    "X": "rejected: the content after decryption could not be analysed",
}
_INTERCHANGE_CODES = {
    "A": "interchange accepted",
    "E": "interchange accepted with errors",
    "R": "interchange rejected",
}
_BAK_CODES = {
    "AC": "acknowledged, with changes",
    "AD": "acknowledged, without changes",
    "AE": "acknowledged, with exceptions",
    "AK": "acknowledged, no detail",
    "AP": "acknowledged, product replenishment",
    "AT": "accepted",
    "RD": "rejected, with detail",
    "RF": "rejected, with reasons",
    "RJ": "rejected, no detail",
    "RO": "rejected, with counter-offer",
}


def answers(
    session: Session, document_id: int, *, order_id: int | None = None, control_number: str | None = None
) -> tuple[Answer, ...]:
    """The acknowledgements sent for stored document ``document_id`` and the 855s of its order
    ``order_id`` (or of all its orders), oldest first; ``control_number`` is the order's ST02."""
    outbound = storage.OutboundRecord
    orders = (
        [order_id]
        if order_id is not None
        else select(storage.PurchaseOrder.id).where(storage.PurchaseOrder.document_id == document_id)
    )
    rows = session.scalars(
        select(outbound)
        .where(
            ((outbound.document_id == document_id) & outbound.kind.in_(ACKS))
            | ((outbound.kind == "855") & outbound.order_id.in_(orders))
        )
        .order_by(outbound.id)
        .limit(MAX_ANSWERS)
    )
    return tuple(_answer(row, control_number) for row in rows)


def _answer(row: storage.OutboundRecord, control_number: str | None) -> Answer:
    segments = _segments(row.content)
    code, meaning, shown = None, "", segments[:MAX_SEGMENTS]
    if row.kind in ("997", "999"):
        own = _set_loop(segments, control_number)
        trailer = "AK5" if row.kind == "997" else "IK5"
        if own:
            code = _element(own, trailer, 1)
            meaning = _SET_CODES.get(code or "", "")
            meaning = f"transaction set {control_number} {meaning}" if meaning else meaning
            shown = own[:MAX_SEGMENTS]
        else:
            code = _element(segments, "AK9", 1)
            meaning = f"group {_SET_CODES.get(code or '', 'answered')}"
            shown = [s for s in segments if s[0] in ("AK1", "AK9")]
    elif row.kind == "TA1":
        code = _element(segments, "TA1", 4)
        meaning = _INTERCHANGE_CODES.get(code or "", "")
        shown = [s for s in segments if s[0] == "TA1"]
    elif row.kind == "855":
        code = _element(segments, "BAK", 2)
        meaning = _BAK_CODES.get(code or "", "")
        shown = [s for s in segments if s[0] in ("BAK", "PO1", "ACK", "MSG")][:MAX_SEGMENTS]
    separator = _separator(row.content)
    return Answer(
        outbound_id=row.id,
        kind=row.kind,
        status=row.status,
        code=code,
        meaning=meaning,
        segments=tuple(separator.join(s) for s in shown),
    )


def _separator(content: bytes) -> str:
    return chr(content[3]) if len(content) > 3 and content[:3] == b"ISA" else "*"


def _segments(content: bytes) -> list[list[str]]:
    """Our own X12: the element separator at ISA's fourth byte, the terminator after ISA16."""
    text = content.decode("ascii", errors="replace")
    if not text.startswith("ISA") or len(text) < 106:
        return []
    element, terminator = text[3], text[105]
    return [part.strip().split(element) for part in text.split(terminator) if part.strip()]


def _set_loop(segments: list[list[str]], control_number: str | None) -> list[list[str]]:
    """The AK2 loop about transaction set ``control_number``, AK2 to AK5 (or IK5)."""
    if not control_number:
        return []
    found: list[list[str]] = []
    for segment in segments:
        if segment[0] == "AK2":
            found = [segment] if len(segment) > 2 and segment[2] == control_number else []
        elif found:
            found.append(segment)
            if segment[0] in ("AK5", "IK5"):
                return found
    return []


def _element(segments: list[list[str]], segment_id: str, position: int) -> str | None:
    for segment in segments:
        if segment[0] == segment_id and len(segment) > position:
            return segment[position].strip() or None
    return None
