"""Writes outbound X12 interchanges: ISA/GS/ST ... SE/GE/IEA around segments, per partner profile.

``build_interchange`` is the one way an emitter writes an envelope. Control numbers come from
the caller's ``ControlNumberSource`` and the timestamp is passed in, so emitters stay pure.
A value that would corrupt the interchange (a separator, a control or non-ASCII character)
raises ``EnvelopeError``; values echoed from what a partner sent go through ``echo`` first.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Decimal

from gateway.errors import EnvelopeError
from partners import PartnerProfile
from partners import X12Identity

from ._outbound import ControlNumberSource
from ._outbound import OutboundDocument

# An element is a string, or a tuple of components for a composite (joined with ISA16).
Element = str | tuple[str, ...]
Segment = Sequence[Element]
ISA_VERSIONS = {"004010": "00401", "005010": "00501"}
_MAX_CONTROL = 999_999_999
_ISA_REPETITION = 11


@dataclass(slots=True)
class TransactionSet:
    """One set to write: ST and SE are added around ``body``, which may be made as it is written."""

    set_id: str
    body: Iterable[Segment]
    implementation_ref: str | None = None


@dataclass(slots=True)
class FunctionalGroup:
    """One group to write: GS and GE are added around ``sets``; ``version`` is GS08."""

    functional_id: str
    version: str
    sets: list[TransactionSet] = field(default_factory=list)


@dataclass(slots=True)
class Interchange:
    """A written interchange and the control numbers it used."""

    content: bytes
    interchange_control_number: int
    group_control_numbers: list[int]
    transaction_control_numbers: list[int]

    def outbound(self, *, kind: str, partner: PartnerProfile, refers_to: str) -> OutboundDocument:
        """The outbox document of an interchange that holds one functional group."""
        return OutboundDocument(
            kind=kind,
            partner=partner.name,
            content=self.content,
            interchange_control_number=self.interchange_control_number,
            group_control_number=self.group_control_numbers[0],
            transaction_control_numbers=self.transaction_control_numbers,
            refers_to=refers_to,
        )


def delimiters(partner: PartnerProfile) -> str:
    """The characters that delimit data in an interchange to ``partner`` (repetition only in 005010)."""
    seps = partner.separators
    chars = seps.element + seps.component + seps.segment
    return chars + seps.repetition if partner.version >= "005010" else chars


def echo(value: str | None, partner: PartnerProfile, limit: int = 99) -> str:
    """``value``, as received from a partner, made safe to send back (AK404 bad data, AK3 ids).

    Separator, control and non-ASCII characters are dropped, then it is trimmed and cut to
    ``limit`` characters.
    """
    if not value:
        return ""
    drop = set(delimiters(partner))
    kept = "".join(c for c in value if c not in drop and c.isascii() and c.isprintable())
    return kept.strip()[:limit].strip()


def number(value: Decimal) -> str:
    """An X12 decimal (R): the shortest exact text, ``24``, ``52.8``, ``0.125``; never an exponent."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def date8(value: date) -> str:
    """An X12 date (DT, 8): CCYYMMDD."""
    return value.strftime("%Y%m%d")


def _control(numbers: ControlNumberSource, kind: str) -> int:
    value = numbers.next(kind)
    if not 0 < value <= _MAX_CONTROL:
        raise EnvelopeError(f"control number source gave {kind} number {value}; it must be 1..{_MAX_CONTROL}")
    return value


class _Writer:
    def __init__(self, partner: PartnerProfile) -> None:
        seps = partner.separators
        self.element = seps.element
        self.component = seps.component
        newline = seps.line_break and seps.segment != "\n"
        self.terminator = seps.segment + ("\n" if newline else "")
        self.forbidden = frozenset(delimiters(partner))
        # ASCII, as ``check`` ensures: a 997 of 100,000 sets holds no list of lines
        self.written = bytearray()

    def check(self, segment_id: str, index: int, value: str) -> None:
        bad = self.forbidden.intersection(value)
        if bad:
            raise EnvelopeError(
                f"{segment_id}{index:02d} value {value!r} contains the separator {sorted(bad)[0]!r}"
            )
        if not (value.isascii() and value.isprintable()):
            raise EnvelopeError(
                f"{segment_id}{index:02d} value {value!r} has a control or non-ASCII character"
            )

    def add(self, elements: Segment) -> None:
        if not elements or not isinstance(elements[0], str) or not elements[0]:
            raise EnvelopeError(f"a segment needs an id, got {list(elements)!r}")
        segment_id = elements[0]
        values: list[str] = []
        for index, element in enumerate(elements):
            parts = (element,) if isinstance(element, str) else element
            for part in parts:
                self.check(segment_id, index, part)
            values.append(self.component.join(_trimmed(list(parts))))
        self._line(self.element.join(_trimmed(values)))

    def add_isa(self, elements: list[str], component: str) -> None:
        """ISA is fixed width: every element is written, padded; ISA11 (005010) and ISA16 are separators."""
        for index, value in enumerate(elements):
            if index != _ISA_REPETITION:
                self.check("ISA", index, value)
        self._line(self.element.join(elements) + self.element + component)

    def _line(self, segment: str) -> None:
        self.written += (segment + self.terminator).encode("ascii")


def _trimmed(values: list[str]) -> list[str]:
    """Trailing empty elements (or components) are not written."""
    while len(values) > 1 and values[-1] == "":
        values.pop()
    return values


def _fixed(value: str, width: int, what: str) -> str:
    if len(value) > width:
        raise EnvelopeError(f"{what} {value!r} is longer than {width} characters")
    return value.ljust(width)


def _identities(partner: PartnerProfile) -> tuple[X12Identity, X12Identity]:
    """(them, us) in X12; a [channel] profile has none, and nothing X12 is written to it."""
    if partner.isa is None or partner.us is None:
        raise EnvelopeError(
            f"partner {partner.name!r} has no ISA identities (isa, us): no X12 can be sent to it"
        )
    return partner.isa, partner.us


def _isa(partner: PartnerProfile, when: datetime, control: int) -> list[str]:
    version = ISA_VERSIONS[partner.version]
    them, us = _identities(partner)
    return [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        _fixed(us.qualifier, 2, "ISA05"),
        _fixed(us.id, 15, "ISA06"),
        _fixed(them.qualifier, 2, "ISA07"),
        _fixed(them.id, 15, "ISA08"),
        when.strftime("%y%m%d"),
        when.strftime("%H%M"),
        partner.separators.repetition if partner.version >= "005010" else "U",
        version,
        f"{control:09d}",
        "0",
        partner.usage,
    ]


def build_interchange(
    partner: PartnerProfile,
    groups: Sequence[FunctionalGroup],
    *,
    numbers: ControlNumberSource,
    when: datetime,
    leading: Sequence[Segment] = (),
) -> Interchange:
    """One interchange to ``partner`` holding ``groups``; ``leading`` segments (a TA1) go before them.

    ISA13, GS06 and ST02 are drawn from ``numbers`` in writing order; SE01, GE01 and IEA01
    are counted here.
    """
    if not groups and not leading:
        raise EnvelopeError("an interchange needs at least one functional group or a TA1")
    them, us = _identities(partner)
    writer = _Writer(partner)
    isa13 = _control(numbers, "ISA")
    writer.add_isa(_isa(partner, when, isa13), partner.separators.component)
    for segment in leading:
        writer.add(segment)
    group_numbers: list[int] = []
    set_numbers: list[int] = []
    for group in groups:
        if not group.sets:
            raise EnvelopeError(f"functional group {group.functional_id!r} has no transaction set")
        gs06 = _control(numbers, "GS")
        group_numbers.append(gs06)
        writer.add(
            [
                "GS",
                group.functional_id,
                us.application_id,
                them.application_id,
                when.strftime("%Y%m%d"),
                when.strftime("%H%M"),
                str(gs06),
                "X",
                group.version,
            ]
        )
        for transaction in group.sets:
            st = _control(numbers, "ST")
            set_numbers.append(st)
            st02 = f"{st:04d}"
            writer.add(["ST", transaction.set_id, st02, transaction.implementation_ref or ""])
            count = 0  # counted as written: a body may be made as it goes
            for segment in transaction.body:
                writer.add(segment)
                count += 1
            writer.add(["SE", str(count + 2), st02])
        writer.add(["GE", str(len(group.sets)), str(gs06)])
    writer.add(["IEA", str(len(groups)), f"{isa13:09d}"])
    return Interchange(bytes(writer.written), isa13, group_numbers, set_numbers)
