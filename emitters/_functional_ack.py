"""The body of a 997 or 999: one set per functional group received, reporting every error.

Only ERROR-severity issues count; warnings never appear in an acknowledgement.

Transaction set (AK5/IK5): ``R`` when the set has any error, else ``A``. ``E`` is never
written: a set we take is taken clean. AK502..AK506 are the distinct TRANSACTION-level
codes, plus ``5`` (one or more segments in error) when a segment or element error was
reported, or as the only code when the set was rejected for an error that has no code.

Segment and element errors: issues are taken in segment position order; each segment in
error gets one AK3/IK3 (AK303 = its loop id when that fits the 4 characters allowed;
AK304 = the SEGMENT-level code, or ``8`` when it only has element errors), followed by one AK4/IK4 per ELEMENT-level issue that has an element number and a code
(AK403 has no "unknown" code). Issues with no position still reject the set but cannot
be placed.

Group (AK9): ``A`` when every set was accepted and the group has no error, ``E`` when
every set was accepted but the group envelope had errors (AK905 codes), ``P`` when some
sets were accepted, ``R`` when none were (or none was received). AK904 always counts the
sets we actually accept, so AK9 never contradicts the AK5s above it.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from gateway.model.receipts import GroupReceipt
from gateway.model.receipts import InterchangeReceipt
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import TransactionReceipt
from partners import PartnerProfile

from ._envelope import FunctionalGroup
from ._envelope import Segment
from ._envelope import TransactionSet
from ._envelope import build_interchange
from ._envelope import echo
from ._outbound import ControlNumberSource
from ._outbound import OutboundDocument

_MAX_CODES = 5
_SEGMENTS_IN_ERROR = "5"
_HAS_ELEMENT_ERRORS = "8"
_LOOP_ID_MAX = 4


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between the 997 and the 999."""

    kind: str
    group_version: str
    implementation_ref: str | None
    segment_error: str
    element_error: str
    set_response: str
    ak1_has_version: bool
    ak2_has_reference: bool


ACK_997 = Dialect("997", "004010", None, "AK3", "AK4", "AK5", False, False)
ACK_999 = Dialect("999", "005010X231A1", "005010X231A1", "IK3", "IK4", "IK5", True, True)


def _codes(issues: Iterable[Issue], level: Level) -> list[str]:
    codes: list[str] = []
    for issue in issues:
        if issue.is_error and issue.level is level and issue.x12_code and issue.x12_code not in codes:
            codes.append(issue.x12_code)
    return codes


def _loop_id(loop_id: str | None, partner: PartnerProfile) -> str:
    """AK303/IK303 is AN 1-4: a longer loop id (HIPAA's ``2010AA``) is left out, not cut."""
    cleaned = echo(loop_id, partner)
    return cleaned if len(cleaned) <= _LOOP_ID_MAX else ""


def _element_error(dialect: Dialect, issue: Issue, partner: PartnerProfile) -> Segment:
    position = (str(issue.element), str(issue.component) if issue.component else "")
    return [
        dialect.element_error,
        position,
        echo(issue.element_ref, partner, 4),
        issue.x12_code or "",  # callers pass only issues with a code
        echo(issue.bad_value, partner),
    ]


def _placed(dialect: Dialect, errors: list[Issue], partner: PartnerProfile) -> list[Segment]:
    """AK3/AK4 (IK3/IK4) for the segment and element errors that have a position."""
    placed = [i for i in errors if i.level in (Level.SEGMENT, Level.ELEMENT) and i.position is not None]
    placed.sort(key=lambda i: i.position or 0)
    by_segment: dict[tuple[int, str], list[Issue]] = {}
    for issue in placed:
        by_segment.setdefault((issue.position or 0, issue.segment or ""), []).append(issue)
    body: list[Segment] = []
    for (position, segment_id), issues in by_segment.items():
        segment_codes = _codes(issues, Level.SEGMENT)
        loop_id = next((i.loop_id for i in issues if i.loop_id), None)
        code = segment_codes[0] if segment_codes else _HAS_ELEMENT_ERRORS
        body.append(
            [
                dialect.segment_error,
                echo(segment_id, partner, 3),
                str(position),
                _loop_id(loop_id, partner),
                code,
            ]
        )
        element_errors: list[Segment] = []
        for issue in issues:
            if issue.level is Level.ELEMENT and issue.element is not None and issue.x12_code:
                # One AK4 per element and error: two syntax notes can find the same element missing.
                segment = _element_error(dialect, issue, partner)
                if segment not in element_errors:
                    element_errors.append(segment)
        body.extend(element_errors)
    return body


def _set_body(dialect: Dialect, transaction: TransactionReceipt, partner: PartnerProfile) -> list[Segment]:
    errors = [i for i in transaction.issues if i.is_error]
    body = _placed(dialect, errors, partner)
    codes = _codes(errors, Level.TRANSACTION)
    if errors and (body or not codes) and _SEGMENTS_IN_ERROR not in codes:
        codes.append(_SEGMENTS_IN_ERROR)
    body.append([dialect.set_response, "R" if errors else "A", *codes[:_MAX_CODES]])
    return body


def _group_set(dialect: Dialect, group: GroupReceipt, partner: PartnerProfile) -> TransactionSet:
    return TransactionSet(dialect.kind, _group_body(dialect, group, partner), dialect.implementation_ref)


def _group_body(dialect: Dialect, group: GroupReceipt, partner: PartnerProfile) -> Iterator[Segment]:
    """AK1, each set's AK2 and AK5 (AK3/AK4 for its errors), then AK9: written as they are made, since a
    group may hold a hundred thousand sets."""
    ak1 = ["AK1", echo(group.functional_id, partner, 2), echo(group.control_number, partner, 9)]
    if dialect.ak1_has_version:
        ak1.append(echo(group.version, partner, 12))
    yield ak1
    accepted = received = 0
    for transaction in group.transactions:
        ak2 = ["AK2", echo(transaction.set_id, partner, 3), echo(transaction.control_number, partner, 9)]
        if dialect.ak2_has_reference:
            ak2.append(echo(transaction.implementation_ref, partner, 35))
        yield ak2
        yield from _set_body(dialect, transaction, partner)
        accepted += not transaction.has_errors
        received += 1
    group_codes = _codes(group.issues, Level.GROUP)
    if received and accepted == received:
        status = "E" if group_codes else "A"
    elif accepted:
        status = "P"
    else:
        status = "R"
    included = group.declared_count if group.declared_count is not None else received
    yield ["AK9", status, str(included), str(received), str(accepted), *group_codes[:_MAX_CODES]]


def emit_functional_ack(
    dialect: Dialect,
    receipt: InterchangeReceipt,
    partner: PartnerProfile,
    *,
    numbers: ControlNumberSource,
    when: datetime,
) -> OutboundDocument:
    """One interchange with one FA group holding one 997/999 per functional group of ``receipt``."""
    if not receipt.groups:
        raise ValueError(
            f"interchange {receipt.control_number} has no functional group to acknowledge; send a TA1"
        )
    sets = [_group_set(dialect, group, partner) for group in receipt.groups]
    interchange = build_interchange(
        partner, [FunctionalGroup("FA", dialect.group_version, sets)], numbers=numbers, when=when
    )
    return interchange.outbound(
        kind=dialect.kind, partner=partner, refers_to=f"ISA13 {receipt.control_number}"
    )
