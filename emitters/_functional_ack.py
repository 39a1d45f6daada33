"""The body of a 997 or 999: one set per functional group received, reporting every error.

Rules: a transaction set with any error is rejected (AK5/IK5 ``R``) and lists its
segment and element errors; warnings are not reported. A group is ``A`` when every set was
accepted and the group envelope is sound, ``E`` when every set was accepted but the group
envelope had errors, ``P`` when some sets were accepted and ``R`` when none were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.receipts import GroupReceipt
from gateway.receipts import InterchangeReceipt
from gateway.receipts import Issue
from gateway.receipts import Level
from gateway.receipts import TransactionReceipt
from partners import PartnerProfile

from ._envelope import FunctionalGroup
from ._envelope import Segment
from ._envelope import TransactionSet
from ._envelope import build_interchange
from ._envelope import clean_value
from ._outbound import ControlNumberSource
from ._outbound import OutboundDocument

_MAX_CODES = 5


@dataclass(frozen=True, slots=True)
class Dialect:
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


def _codes(issues: list[Issue], level: Level) -> list[str]:
    codes: list[str] = []
    for issue in issues:
        if issue.is_error and issue.level is level and issue.x12_code and issue.x12_code not in codes:
            codes.append(issue.x12_code)
    return codes[:_MAX_CODES]


def _set_body(dialect: Dialect, transaction: TransactionReceipt, partner: PartnerProfile) -> list[Segment]:
    body: list[Segment] = []
    errors = [i for i in transaction.issues if i.is_error]
    placed = [i for i in errors if i.level in (Level.SEGMENT, Level.ELEMENT) and i.position is not None]
    last_key: tuple[int | None, str | None] | None = None
    for issue in placed:
        key = (issue.position, issue.segment)
        if key != last_key:
            code = issue.x12_code if issue.level is Level.SEGMENT else "8"
            body.append(
                [
                    dialect.segment_error,
                    issue.segment or "",
                    str(issue.position),
                    issue.loop_id or "",
                    code or "8",
                ]
            )
            last_key = key
        elif issue.level is Level.SEGMENT and issue.x12_code:
            body.append(
                [
                    dialect.segment_error,
                    issue.segment or "",
                    str(issue.position),
                    issue.loop_id or "",
                    issue.x12_code,
                ]
            )
        if issue.level is Level.ELEMENT and issue.element is not None:
            position = str(issue.element)
            if issue.component:
                position += partner.separators.component + str(issue.component)
            body.append(
                [
                    dialect.element_error,
                    position,
                    issue.element_ref or "",
                    issue.x12_code or "1",
                    clean_value(issue.bad_value, partner),
                ]
            )
    codes = _codes(errors, Level.TRANSACTION)
    if errors and placed and "5" not in codes:
        codes = [*codes, "5"][:_MAX_CODES]
    body.append([dialect.set_response, "R" if errors else "A", *codes])
    return body


def _group_set(dialect: Dialect, group: GroupReceipt, partner: PartnerProfile) -> TransactionSet:
    ak1 = ["AK1", group.functional_id, group.control_number]
    if dialect.ak1_has_version:
        ak1.append(group.version)
    body: list[Segment] = [ak1]
    accepted = 0
    for transaction in group.transactions:
        ak2 = ["AK2", transaction.set_id, transaction.control_number]
        if dialect.ak2_has_reference and transaction.implementation_ref:
            ak2.append(transaction.implementation_ref)
        body.append(ak2)
        body.extend(_set_body(dialect, transaction, partner))
        accepted += not transaction.has_errors
    received = len(group.transactions)
    group_codes = _codes(group.issues, Level.GROUP)
    if accepted == received and received > 0:
        status = "E" if group_codes else "A"
    elif accepted > 0:
        status = "P"
    else:
        status = "R"
    included = group.declared_count if group.declared_count is not None else received
    body.append(["AK9", status, str(included), str(received), str(accepted), *group_codes])
    return TransactionSet(dialect.kind, body, dialect.implementation_ref)


def emit_functional_ack(
    dialect: Dialect,
    receipt: InterchangeReceipt,
    partner: PartnerProfile,
    *,
    numbers: ControlNumberSource,
    when: datetime,
) -> OutboundDocument:
    sets = [_group_set(dialect, group, partner) for group in receipt.groups]
    group = FunctionalGroup("FA", dialect.group_version, sets)
    interchange = build_interchange(partner, [group], numbers=numbers, when=when)
    return OutboundDocument(
        kind=dialect.kind,
        partner=partner.name,
        content=interchange.content,
        interchange_control_number=interchange.interchange_control_number,
        group_control_number=interchange.group_control_numbers[0],
        transaction_control_numbers=interchange.transaction_control_numbers,
        refers_to=f"ISA13 {receipt.control_number}",
    )
