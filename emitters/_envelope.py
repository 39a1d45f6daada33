"""Writes outbound X12 interchanges: ISA/GS/ST ... SE/GE/IEA around segments, per partner profile.

Every emitter goes through ``build_interchange``; control numbers come from the caller's
``ControlNumberSource`` and the timestamp is passed in, so emitters stay pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from partners import PartnerProfile

from ._outbound import ControlNumberSource

Segment = Sequence[str]
ISA_VERSIONS = {"004010": "00401", "005010": "00501"}


class EnvelopeError(ValueError):
    """A value cannot be written without corrupting the interchange."""


@dataclass(slots=True)
class TransactionSet:
    set_id: str
    body: list[Segment]
    implementation_ref: str | None = None


@dataclass(slots=True)
class FunctionalGroup:
    functional_id: str
    version: str
    sets: list[TransactionSet] = field(default_factory=list)


@dataclass(slots=True)
class Interchange:
    content: bytes
    interchange_control_number: int
    group_control_numbers: list[int]
    transaction_control_numbers: list[int]


class _Writer:
    def __init__(self, partner: PartnerProfile) -> None:
        seps = partner.separators
        self.element = seps.element
        self.terminator = seps.segment + ("\n" if seps.line_break else "")
        self.forbidden = {seps.element, seps.component, seps.segment, seps.repetition}
        self.lines: list[str] = []

    def add(self, elements: Segment) -> None:
        for value in elements:
            bad = self.forbidden.intersection(value)
            if bad:
                raise EnvelopeError(
                    f"value {value!r} in {elements[0]} contains the separator {sorted(bad)[0]!r}"
                )
        while len(elements) > 1 and elements[-1] == "":
            elements = elements[:-1]
        self.lines.append(self.element.join(elements))

    def text(self) -> str:
        return self.terminator.join(self.lines) + self.terminator


def isa_segment(
    partner: PartnerProfile, when: datetime, control: int, ack_requested: bool = False
) -> list[str]:
    version = ISA_VERSIONS[partner.version]
    return [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        partner.us.qualifier,
        partner.us.id.ljust(15),
        partner.isa.qualifier,
        partner.isa.id.ljust(15),
        when.strftime("%y%m%d"),
        when.strftime("%H%M"),
        partner.separators.repetition if version >= "00501" else "U",
        version,
        f"{control:09d}",
        "1" if ack_requested else "0",
        partner.usage,
    ]


def build_interchange(
    partner: PartnerProfile,
    groups: Sequence[FunctionalGroup],
    *,
    numbers: ControlNumberSource,
    when: datetime,
    loose_segments: Sequence[Segment] = (),
) -> Interchange:
    """One interchange to ``partner`` holding ``groups`` (and ``loose_segments`` such as TA1 first)."""
    writer = _Writer(partner)
    isa13 = numbers.next("ISA")
    isa = isa_segment(partner, when, isa13)
    writer.lines.append(writer.element.join(isa) + writer.element + partner.separators.component)
    for segment in loose_segments:
        writer.add(segment)
    group_numbers: list[int] = []
    set_numbers: list[int] = []
    for group in groups:
        gs06 = numbers.next("GS")
        group_numbers.append(gs06)
        writer.add(
            [
                "GS",
                group.functional_id,
                partner.us.application_id,
                partner.isa.application_id,
                when.strftime("%Y%m%d"),
                when.strftime("%H%M"),
                str(gs06),
                "X",
                group.version,
            ]
        )
        for transaction in group.sets:
            st02 = f"{numbers.next('ST'):04d}"
            set_numbers.append(int(st02))
            header = ["ST", transaction.set_id, st02]
            if transaction.implementation_ref:
                header.append(transaction.implementation_ref)
            writer.add(header)
            for segment in transaction.body:
                writer.add(segment)
            writer.add(["SE", str(len(transaction.body) + 2), st02])
        writer.add(["GE", str(len(group.sets)), str(gs06)])
    writer.add(["IEA", str(len(groups)), f"{isa13:09d}"])
    return Interchange(writer.text().encode("ascii", "replace"), isa13, group_numbers, set_numbers)


def clean_value(value: str | None, partner: PartnerProfile, limit: int = 99) -> str:
    """``value`` made safe to echo back (AK404 copies of bad data): separators become spaces."""
    if not value:
        return ""
    seps = partner.separators
    table = str.maketrans(dict.fromkeys(seps.element + seps.component + seps.segment + seps.repetition, " "))
    return "".join(c if c.isprintable() and c.isascii() else " " for c in value.translate(table)).strip()[
        :limit
    ]
