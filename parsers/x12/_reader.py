"""Reads X12 interchanges into 850 orders and receipts, streaming, one transaction set at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import BinaryIO

from gateway.model.receipts import GroupReceipt
from gateway.model.receipts import InterchangeReceipt
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import Severity
from gateway.model.receipts import TransactionReceipt
from gateway.model.truncation import capped
from partners import PartnerProfile
from partners import PartnerRegistry

from .._events import DocumentIssue
from .._events import ParsedOrder
from .._events import ReceivedAck
from .._pyx12 import InterchangeValidator
from .._pyx12 import SegmentCheck
from ._850 import X12Segment
from ._850 import build_850
from ._map_dir import MAP_DIR
from ._prepass import InterchangeHeader
from ._prepass import Oversize
from ._prepass import RawSegment
from ._prepass import ScanIssue
from ._prepass import scan

MAPS = {"003050": "850.3050.xml", "004010": "850.4010.xml", "005010": "850.5010.xml"}
_PO_GROUP = "PO"
_ENDS_A_SET = frozenset({"ST", "GE", "GS", "IEA"})
_PO_SET = "850"
_CHANGE_SET = "860"  # PO change request (buyer initiated), read into the same order path
_ORDER_SETS = frozenset({_PO_SET, _CHANGE_SET})
_CHANGE_MAPS = {"004010": "860.4010.xml", "005010": "860.5010.xml"}
_GROUP_OF = {_PO_SET: _PO_GROUP, _CHANGE_SET: "PC"}
_ACK_SETS = frozenset({"997", "999"})


@dataclass(slots=True)
class ParsedInterchange:
    """A whole interchange's receipt: what its 997/999/TA1 answers."""

    receipt: InterchangeReceipt
    partner: PartnerProfile | None
    sender: str


X12Event = ParsedOrder | ReceivedAck | ParsedInterchange | DocumentIssue


def map_for_version(version: str) -> tuple[str, Issue | None]:
    """The 850 map for a GS08 version; other versions are read with the nearest map and a warning."""
    family = version[:6]
    if family in ("004010", "005010"):
        return MAPS[family], None
    nearest = next(f for f in ("005010", "004010", "003050") if family >= f or f == "003050")
    return MAPS[nearest], Issue(
        code="x12.version",
        message=f"version {version!r} is read with the {nearest} 850 map; check the partner's version",
        severity=Severity.WARNING,
        level=Level.GROUP,
        segment="GS",
        element=8,
        bad_value=version,
    )


@dataclass(slots=True)
class _Interchange:
    header: InterchangeHeader
    receipt: InterchangeReceipt
    validator: InterchangeValidator
    partners: PartnerRegistry
    partner: PartnerProfile | None = None
    identified: bool = False
    group: GroupReceipt | None = None
    transaction: TransactionReceipt | None = None
    segments: list[X12Segment] = field(default_factory=list)
    texts: list[tuple[str, int, list[str] | None]] = field(default_factory=list)
    oversized: dict[int, Oversize] = field(default_factory=dict)
    validated: bool = False
    ta1_seen: bool = False
    map_file: str = MAPS["004010"]
    map_warning: Issue | None = None
    # The partner's ``[narrow]`` by segment id, worked out once the partner is known.
    narrow_rules: dict[str, list[tuple[str, int, list[str]]]] = field(default_factory=dict)

    def identify(self, gs_sender: str | None) -> None:
        if not self.identified:
            self.partner = self.partners.by_x12_sender(
                self.receipt.sender_qualifier, self.receipt.sender_id, gs_sender
            )
            self.identified = True
            if self.partner is not None and self.partner.narrow:
                self.narrow_rules = _narrow_rules(self.partner.narrow)

    def file_issue(self, issue: Issue) -> None:
        if issue.level is Level.INTERCHANGE or (issue.level is Level.DOCUMENT):
            self.receipt.issues.append(issue)
        elif issue.level is Level.GROUP and self.group is not None:
            self.group.issues.append(issue)
        elif self.transaction is not None:
            self.transaction.issues.append(issue)
        elif self.group is not None:
            self.group.issues.append(issue)
        else:
            self.receipt.issues.append(issue)


def _receipt(header: InterchangeHeader) -> InterchangeReceipt:
    return InterchangeReceipt(
        sender_qualifier=header.value(5),
        sender_id=header.value(6),
        receiver_qualifier=header.value(7),
        receiver_id=header.value(8),
        date=header.value(9),
        time=header.value(10),
        version=header.value(12),
        control_number=header.value(13),
        ack_requested=header.value(14) == "1",
        usage=header.value(15) or "P",
        separators=header.separators,
        issues=list(header.issues),
    )


def read_x12(
    stream: BinaryIO, *, partners: PartnerRegistry, document_id: str | None, cache: bool = True
) -> Iterator[X12Event]:
    """Stream ``stream`` as orders (one per 850) and interchange receipts, in document order.

    ``cache=False`` re-runs pyx12 for every segment instead of reusing identical results.
    """
    current: _Interchange | None = None
    ordinal = 0
    seen_isa13: set[str] = set()

    def segment_limit(header: InterchangeHeader) -> int:
        return partners.max_segment_bytes(header.value(5), header.value(6))

    for event in scan(stream, segment_limit=segment_limit):
        if isinstance(event, InterchangeHeader):
            if current is not None:
                yield _close(current)
            _check_repeated_isa13(event, seen_isa13)
            current = _Interchange(
                header=event,
                receipt=_receipt(event),
                validator=InterchangeValidator(MAP_DIR, event.separators, cache=cache),
                partners=partners,
            )
        elif isinstance(event, ScanIssue):
            if current is None or event.issue.level is Level.DOCUMENT:
                yield DocumentIssue(event.issue)
            else:
                current.file_issue(event.issue)
        elif current is not None:
            for parsed in _segment(current, event, document_id, ordinal):
                ordinal += 1
                yield parsed
            if event.text.startswith("IEA"):
                yield _close(current)
                current = None
    if current is not None:
        if current.transaction is not None:
            end = RawSegment(current.segments[-1].index, "IEA")
            current.transaction.issues.append(
                _unterminated(current.transaction, X12Segment(end.index, ["end of file"]))
            )
            for parsed in _close_transaction(current, document_id, ordinal):
                ordinal += 1
                yield parsed
        yield _close(current)


def _check_repeated_isa13(header: InterchangeHeader, seen: set[str]) -> None:
    """pyx12 checks ISA13 only within one interchange; a file can repeat a whole interchange."""
    control = header.value(13)
    if control in seen:
        header.issues.append(
            Issue(
                code="x12.duplicate_interchange",
                message=f"interchange control number {control} appears twice in this document",
                level=Level.INTERCHANGE,
                x12_code="025",
                segment="ISA",
                element=13,
                bad_value=control,
                segment_index=header.index,
            )
        )
    seen.add(control)


def _close(ix: _Interchange) -> ParsedInterchange:
    for issue in ix.validator.finish():
        ix.file_issue(issue)
    ix.identify(None)
    receipt = ix.receipt
    if not receipt.groups and not ix.ta1_seen:
        receipt.issues.append(_no_group(ix.header))
    sender = f"{receipt.sender_qualifier}/{receipt.sender_id}"
    if receipt.groups:
        sender += f" (GS02 {receipt.groups[0].sender})"
    return ParsedInterchange(receipt=receipt, partner=ix.partner, sender=sender)


def _segment(
    ix: _Interchange, raw: RawSegment, document_id: str | None, ordinal: int
) -> list[ParsedOrder | ReceivedAck]:
    seps = ix.receipt.separators
    parts = raw.text.split(seps.element)  # split once: the validator checks these same elements
    seg = X12Segment(raw.index, parts, seps.repetition)
    if raw.oversize is not None:
        # Mapped values say they were cut; pyx12 checks the head as it is (see ``_file``).
        ix.oversized[raw.index] = raw.oversize
        element = raw.oversize.element
        if element < len(parts):
            seg.elements = parts[:]
            seg.elements[element] = capped(parts[element], total=raw.oversize.element_length)
    seg_id = seg.elements[0]
    parsed: list[ParsedOrder | ReceivedAck] = []
    if ix.transaction is not None and seg_id in _ENDS_A_SET:
        ix.transaction.issues.append(_unterminated(ix.transaction, seg))
        parsed.extend(_close_transaction(ix, document_id, ordinal))
    if seg_id == "GS":
        _open_group(ix, seg)
    elif seg_id == "TA1":
        ix.ta1_seen = True
    elif seg_id == "ST":
        ix.transaction = TransactionReceipt(
            set_id=seg.get(1), control_number=seg.get(2), implementation_ref=seg.get(3) or None
        )
        ix.segments, ix.texts = [], []
        ix.validated = _open_transaction(ix, seg)
    if ix.transaction is not None:
        ix.segments.append(seg)
        ix.texts.append((raw.text, raw.index, parts))
        if not ix.validated:
            _file(ix, [ix.validator.check(raw.text, raw.index)])
        if seg_id == "SE":
            parsed.extend(_close_transaction(ix, document_id, ordinal + len(parsed)))
        return parsed
    _file(ix, [ix.validator.check(raw.text, raw.index)])
    if seg_id == "GE":
        if ix.group is not None and seg.get(1).isdigit():
            ix.group.declared_count = int(seg.get(1))
        ix.group = None
    return parsed


def _file(ix: _Interchange, checks: list[SegmentCheck]) -> None:
    oversized = ix.oversized
    for check in checks:
        issues = check.issues
        if oversized:  # (nearly always empty: no lookup per segment then)
            oversize = oversized.pop(check.index, None)
            if oversize is not None:
                issues = _with_oversize(oversize, check)
        for issue in issues:
            ix.file_issue(issue)


def _with_oversize(oversize: Oversize, check: SegmentCheck) -> list[Issue]:
    """A segment past the limit: its issue, placed where pyx12 found the segment.

    pyx12 saw only the cut head, so what it says of the cut element (and of any later one, which
    were not read) would misstate them; what it says of the earlier elements stands.
    """
    issue = oversize.issue
    issue.position, issue.loop_id = check.position, check.loop_id
    issue.element_ref = next((i.element_ref for i in check.issues if i.element == oversize.element), None)
    kept = [i for i in check.issues if i.level is not Level.ELEMENT or (i.element or 0) < oversize.element]
    return [issue, *kept]


def _close_transaction(
    ix: _Interchange, document_id: str | None, ordinal: int
) -> list[ParsedOrder | ReceivedAck]:
    """Validate a buffered 850 as a whole, then map it; a 997/999 is read as an ack; others are closed."""
    transaction = ix.transaction
    assert transaction is not None
    if ix.validated:
        checks = ix.validator.check_transaction(ix.texts)
        _file(ix, checks)
        if ix.partner is not None and ix.narrow_rules:
            rules = ix.narrow_rules
            for seg, check in zip(ix.segments, checks, strict=True):
                if seg.elements[0] in rules:
                    _narrow(ix.partner, rules[seg.elements[0]], seg, check, transaction)
    transaction.segment_count = len(ix.segments)
    if ix.group is not None:
        ix.group.transactions.append(transaction)
    parsed: list[ParsedOrder | ReceivedAck] = []
    if transaction.set_id in _ORDER_SETS:
        order = _order(ix, transaction, document_id, ordinal)
        count_issue = _ctt_count(ix.segments) if transaction.set_id == _PO_SET else None
        if count_issue is not None:  # the order's, not the set's: no 997 code names it
            order.issues.append(count_issue)
        parsed.append(order)
    elif transaction.set_id in _ACK_SETS:
        parsed.extend(_ack(ix))
    ix.transaction = None
    ix.segments, ix.texts = [], []
    return parsed


def _ack(ix: _Interchange) -> list[ReceivedAck]:
    """The group a 997/999 answers (AK1), its verdict (AK9) and each set's (AK2 + AK5/IK5)."""
    found: list[ReceivedAck] = []
    current_set: str | None = None
    for seg in ix.segments:
        if seg.id == "AK1":
            found.append(
                ReceivedAck(
                    partner=ix.partner.name if ix.partner else None,
                    functional_id=seg.get(1),
                    group_control_number=seg.get(2),
                    code="",
                )
            )
        elif seg.id == "AK2":
            current_set = seg.get(2)
        elif seg.id in ("AK5", "IK5") and found and current_set is not None:
            found[-1].sets[current_set] = seg.get(1)
        elif seg.id == "AK9" and found:
            found[-1].code = seg.get(1)
    return found


def _ctt_count(segments: list[X12Segment]) -> Issue | None:
    """CTT01 is the number of PO1 segments; a set where they differ may have lost or gained a line.

    An error of the order, held for the desk, and not of the set's syntax: AK502/IK502 4 ("number of
    included segments does not match actual count", element 718) is SE01's count, and no AK5, AK3 or
    AK4 code names CTT01, so the 997/999 accepts the set, as pyx12's own 997 does.
    """
    ctt: X12Segment | None = None
    lines = 0
    for seg in segments:  # one pass, reading ids as split (this runs for every 850)
        seg_id = seg.elements[0]
        if seg_id == "PO1":
            lines += 1
        elif seg_id == "CTT" and ctt is None:
            ctt = seg
    declared = ctt.get(1).strip() if ctt is not None else ""
    if ctt is None or not declared.isdigit():
        return None  # no CTT, or a CTT01 pyx12 already finds wrong
    if int(declared) == lines:
        return None
    return Issue(
        code="x12.ctt_count",
        message=f"CTT01 says {int(declared)} line items but the transaction set holds {lines} PO1 segments; "
        "a line may have been lost or added on the way",
        level=Level.TRANSACTION,
        segment="CTT",
        element=1,
        bad_value=declared,
        segment_index=ctt.index,
    )


def _no_group(header: InterchangeHeader) -> Issue:
    return Issue(
        code="x12.no_group",
        message=f"interchange {header.value(13)} holds no functional group: no GS segment follows the ISA",
        level=Level.INTERCHANGE,
        x12_code="024",
        segment="ISA",
        segment_index=header.index,
    )


def _unterminated(transaction: TransactionReceipt, seg: X12Segment) -> Issue:
    return Issue(
        code="x12.se_missing",
        message=f"transaction set {transaction.control_number} has no SE: {seg.id} came first",
        level=Level.TRANSACTION,
        x12_code="2",
        segment=seg.id,
        segment_index=seg.index,
    )


def _open_group(ix: _Interchange, seg: X12Segment) -> None:
    ix.identify(seg.get(2))
    group = GroupReceipt(
        functional_id=seg.get(1),
        sender=seg.get(2),
        receiver=seg.get(3),
        control_number=seg.get(6),
        version=seg.get(8),
    )
    ix.receipt.groups.append(group)
    ix.group = group
    ix.map_file, ix.map_warning = map_for_version(seg.get(8))
    if ix.map_warning is not None:
        ix.map_warning.segment_index = seg.index


def _open_transaction(ix: _Interchange, seg: X12Segment) -> bool:
    """850s are read in any group (with a warning outside PO); other sets are not supported.

    Returns whether the set is validated against an 850 map.
    """
    group = ix.group
    if seg.get(1) in _ACK_SETS:
        ix.validator.start_transaction(None)
        return False
    set_id = seg.get(1)
    if set_id not in _ORDER_SETS:
        ix.validator.start_transaction(None)
        assert ix.transaction is not None
        ix.transaction.issues.append(_unsupported(seg, f"transaction set {set_id!r}"))
        return False
    ix.validator.start_transaction(_change_map(ix.map_file) if set_id == _CHANGE_SET else ix.map_file)
    if group is None:
        return True
    if ix.map_warning is not None and ix.map_warning not in group.issues:
        group.issues.append(ix.map_warning)
    expected = _GROUP_OF[set_id]
    if group.functional_id != expected and not any(i.code == "x12.functional_id" for i in group.issues):
        group.issues.append(
            Issue(
                code="x12.functional_id",
                message=f"{set_id}s belong in a {expected} functional group; GS01 is {group.functional_id!r}",
                severity=Severity.WARNING,
                level=Level.GROUP,
                segment="GS",
                element=1,
                bad_value=group.functional_id,
                segment_index=seg.index,
            )
        )
    return True


def _change_map(po_map: str) -> str:
    """The 860 map of the version whose 850 map is ``po_map`` (003050 is read with 004010's)."""
    family = next((f for f, name in MAPS.items() if name == po_map), "004010")
    return _CHANGE_MAPS.get(family, _CHANGE_MAPS["004010"])


def _unsupported(seg: X12Segment, what: str) -> Issue:
    return Issue(
        code="x12.unsupported",
        message=f"{what} is not accepted here: this gateway takes 850 purchase orders and 860 PO changes",
        level=Level.TRANSACTION,
        x12_code="1",
        segment=seg.id,
        segment_index=seg.index,
    )


def _narrow_rules(narrow: dict[str, list[str]]) -> dict[str, list[tuple[str, int, list[str]]]]:
    """A profile's ``[narrow]`` by segment id: ``PO103 = [...]`` is ("PO103", 3, [...]) under PO1."""
    rules: dict[str, list[tuple[str, int, list[str]]]] = {}
    for key, allowed in narrow.items():
        if len(key) > 2 and key[-2:].isdigit():
            rules.setdefault(key[:-2], []).append((key, int(key[-2:]), allowed))
    return rules


def _narrow(
    partner: PartnerProfile,
    rules: list[tuple[str, int, list[str]]],
    seg: X12Segment,
    check: SegmentCheck,
    transaction: TransactionReceipt,
) -> None:
    """Codes outside the partner's agreed list, placed as pyx12 placed the segment (loop, AK402)."""
    for key, element, allowed in rules:
        value = seg.get(element)
        if value and value not in allowed:
            transaction.issues.append(
                Issue(
                    code="x12.partner_code",
                    message=f"{key} {value!r} is not one of the codes agreed with {partner.label}: "
                    + ", ".join(allowed),
                    level=Level.ELEMENT,
                    x12_code="7",
                    segment=seg.id,
                    position=check.position,
                    loop_id=check.loop_id,
                    element=element,
                    element_ref=check.element_refs[element - 1]
                    if element <= len(check.element_refs)
                    else None,
                    bad_value=value,
                    segment_index=seg.index,
                )
            )


def _order(
    ix: _Interchange, transaction: TransactionReceipt, document_id: str | None, ordinal: int
) -> ParsedOrder:
    order, issues = build_850(
        ix.segments,
        partner=ix.partner.name if ix.partner else None,
        document_id=document_id,
        control_number=transaction.control_number,
    )
    # Warnings about the envelope (old version, odd ISA, GS01 not PO) concern every order in it.
    envelope = [*ix.receipt.issues, *(ix.group.issues if ix.group else [])]
    issues = [*(i for i in envelope if not i.is_error), *issues]
    return ParsedOrder(
        order=order,
        issues=issues,
        interchange_control_number=ix.receipt.control_number,
        group_control_number=ix.group.control_number if ix.group else "",
        transaction=transaction,
        ordinal=ordinal,
    )
