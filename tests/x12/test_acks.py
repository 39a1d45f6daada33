"""997/999/TA1 emitters: exact segments, control numbers, and validation by pyx12's own maps.

The key check runs every acknowledgement through pyx12 with ``map_path=None``, i.e. the
997.4010, 999.5010X231.A1 and control maps bundled with pyx12. Those maps are HIPAA
implementation guides: AK101 and AK201 only accept HIPAA codes (HC, 837, ...), so the
receipts checked against them use that vocabulary. Acks for purchase orders (PO, 850) are
checked against the project's copies of the same maps, which differ only in dropping those
two code lists (and widening ISA qualifiers), see ``parsers/x12/_mapgen.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

import parsers
from emitters import EnvelopeError
from emitters import OutboundDocument
from emitters import x12_997
from emitters import x12_999
from emitters import x12_ta1
from emitters._envelope import FunctionalGroup
from emitters._envelope import TransactionSet
from emitters._envelope import build_interchange
from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.model.receipts import GroupReceipt
from gateway.model.receipts import InterchangeReceipt
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import SetLog
from gateway.model.receipts import Severity
from gateway.model.receipts import TransactionReceipt
from parsers.x12._map_dir import MAP_DIR
from partners import PartnerProfile
from partners import PartnerRegistry
from partners._profile import OutboundSeparators
from partners._profile import X12Identity
from tests.conftest import CORPUS
from tests.conftest import INBOX

WHEN = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
Emit = Callable[..., OutboundDocument]


class Counter:
    """An in-memory ControlNumberSource: one increasing sequence per kind."""

    def __init__(self, start: int = 0) -> None:
        self.last: dict[str, int] = {"ISA": start, "GS": start, "ST": start}

    def next(self, kind: str) -> int:
        self.last[kind] += 1
        return self.last[kind]


# --- partners and receipts ------------------------------------------------------------------


def profile(version: str = "004010", **separators: Any) -> PartnerProfile:
    return PartnerProfile(
        name="hospital",
        customer_account="C9",
        isa=X12Identity(qualifier="ZZ", id="PARTNERISA", gs_id="PARTNERGS"),
        us=X12Identity(qualifier="ZZ", id="NORTHWINDDIST", gs_id="NORTHWIND"),
        version=version,  # type: ignore[arg-type]
        separators=OutboundSeparators(**separators),
        acks=["999" if version == "005010" else "997"],
        usage="T",
    )


# Non-default separators, one set per version (005010: component and repetition must differ).
# pyx12 refuses "^" as a 004010 ISA16 (not in its 004010 character set), so "\\" stands in.
ODD_4010: dict[str, Any] = {
    "element": "|",
    "component": "\\",
    "repetition": "!",
    "segment": "~",
    "line_break": False,
}
ODD_5010: dict[str, Any] = {
    "element": "|",
    "component": "\\",
    "repetition": "{",
    "segment": "'",
    "line_break": True,
}


def err(level: Level, code: str | None, **where: Any) -> Issue:
    return Issue(code=f"test.{level}", message="test", level=level, x12_code=code, **where)


def clean_set(number: str, ref: str | None = None, set_id: str = "837") -> TransactionReceipt:
    return TransactionReceipt(set_id=set_id, control_number=number, implementation_ref=ref)


def broken_set(number: str, ref: str | None = None, set_id: str = "837") -> TransactionReceipt:
    """Segment error at 4, element errors at 6 (two) and 9 (given first), SE count wrong, a warning."""
    return TransactionReceipt(
        set_id=set_id,
        control_number=number,
        implementation_ref=ref,
        issues=[
            err(Level.ELEMENT, "4", segment="REF", position=9, loop_id="2300", element=2, element_ref="127",
                bad_value="1"),
            err(Level.SEGMENT, "2", segment="ZZZ", position=4),
            err(Level.ELEMENT, "7", segment="NM1", position=6, loop_id="2010AA", element=1, element_ref="98",
                bad_value="X*X~Y"),
            err(Level.ELEMENT, "5", segment="NM1", position=6, loop_id="2010AA", element=9, component=2,
                element_ref="67", bad_value="A" * 120),
            err(Level.TRANSACTION, "4"),
            Issue(code="test.warn", message="a warning", severity=Severity.WARNING, level=Level.SEGMENT,
                  x12_code="7", segment="DTP", position=12),
        ],
    )  # fmt: skip


def receipt(
    version: str = "004010", *, errors: bool = True, functional_id: str = "HC", set_id: str = "837"
) -> InterchangeReceipt:
    """Clean group 1001; with ``errors`` also a mixed group, a rejected group and an E group."""
    ref = "005010X222A1" if version == "005010" else None
    group_version = ref or "004010X098A1"

    def group(number: str, sets: list[TransactionReceipt], **more: Any) -> GroupReceipt:
        return GroupReceipt(
            functional_id=functional_id,
            sender="PARTNERGS",
            receiver="NORTHWIND",
            control_number=number,
            version=group_version,
            transactions=SetLog(sets),
            **more,
        )

    groups = [
        group("1001", [clean_set("0001", ref, set_id), clean_set("0002", ref, set_id)], declared_count=2)
    ]
    if errors:
        groups += [
            group(
                "1002",
                [clean_set("0003", ref, set_id), broken_set("0004", ref, set_id)],
                declared_count=3,
                issues=[err(Level.GROUP, "5")],
            ),
            group(
                "1003",
                [
                    TransactionReceipt(
                        set_id=set_id, control_number="0005", issues=[err(Level.TRANSACTION, "4")]
                    )
                ],
            ),
            group(
                "1004",
                [clean_set("0006", ref, set_id)],
                declared_count=2,
                issues=[
                    err(Level.GROUP, "5"),
                    Issue(code="w", message="w", severity=Severity.WARNING, level=Level.GROUP, x12_code="2"),
                ],
            ),
        ]
    return InterchangeReceipt(
        sender_qualifier="ZZ",
        sender_id="PARTNERISA",
        receiver_qualifier="ZZ",
        receiver_id="NORTHWINDDIST",
        control_number="000001001",
        version="00501" if version == "005010" else "00401",
        date="261120",
        time="0930",
        groups=groups,
    )


# --- reading what we wrote ------------------------------------------------------------------


def segments(document: OutboundDocument, partner: PartnerProfile) -> list[list[str]]:
    seps = partner.separators
    text = document.content.decode("ascii")
    if seps.line_break and seps.segment != "\n":
        text = text.replace(seps.segment + "\n", seps.segment)
    return [s.split(seps.element) for s in text.split(seps.segment) if s]


def sets_of(found: list[list[str]]) -> Iterator[list[list[str]]]:
    """The body of each ST ... SE (both excluded)."""
    body: list[list[str]] | None = None
    for seg in found:
        if seg[0] == "ST":
            body = []
        elif seg[0] == "SE":
            assert body is not None
            yield body
            body = None
        elif body is not None:
            body.append(seg)


def pyx12_check(content: bytes, map_path: Path | None = None) -> tuple[bool, list[str]]:
    """Run pyx12's validator (its bundled maps unless ``map_path``): (valid, the errors it reported)."""
    errors = parsers.check_interchange(content, map_path)
    return not errors, errors


def assert_pyx12_valid(document: OutboundDocument, map_path: Path | None = None) -> None:
    valid, errors = pyx12_check(document.content, map_path)
    assert valid and not errors, "pyx12 rejects:\n" + "\n".join(errors) + "\n" + document.content.decode()


# --- the key test: pyx12's own maps accept what we write --------------------------------------

ACKS: list[tuple[Emit, str]] = [(x12_997.emit, "004010"), (x12_999.emit, "005010")]


@pytest.mark.parametrize(("emit", "version"), ACKS, ids=["997", "999"])
@pytest.mark.parametrize("errors", [False, True], ids=["clean", "errors"])
@pytest.mark.parametrize("odd", [False, True], ids=["default-separators", "odd-separators"])
def test_acks_pass_pyx12_bundled_maps(emit: Emit, version: str, errors: bool, odd: bool) -> None:
    separators = (ODD_5010 if version == "005010" else ODD_4010) if odd else {}
    partner = profile(version, **separators)
    document = emit(receipt(version, errors=errors), partner, numbers=Counter(), when=WHEN)
    assert_pyx12_valid(document)


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("odd", [False, True], ids=["default-separators", "odd-separators"])
@pytest.mark.parametrize("broken", [False, True], ids=["clean", "broken"])
def test_ta1_passes_pyx12_control_map(version: str, odd: bool, broken: bool) -> None:
    separators = (ODD_5010 if version == "005010" else ODD_4010) if odd else {}
    partner = profile(version, **separators)
    issues = [err(Level.INTERCHANGE, "022")] if broken else []
    ack = receipt(version, errors=False).model_copy(update={"issues": issues, "groups": []})
    assert_pyx12_valid(x12_ta1.emit(ack, partner, numbers=Counter(), when=WHEN))


def test_the_pyx12_check_can_fail() -> None:
    partner = profile()
    content = x12_997.emit(receipt(), partner, numbers=Counter(), when=WHEN).content
    assert pyx12_check(content)[0]
    assert not pyx12_check(content.replace(b"AK9*P*3*2*1", b"AK9*Q*3*2*1"))[0]
    assert not pyx12_check(content.replace(b"AK5*A~", b"AK5~"))[0]
    assert not pyx12_check(content.replace(b"SE*14*0002", b"SE*15*0002"))[0]
    ta1 = x12_ta1.emit(receipt(), partner, numbers=Counter(), when=WHEN).content
    assert pyx12_check(ta1)[0]
    try:
        ta1_rejected = not pyx12_check(ta1.replace(b"*A*000~", b"*Q*000~"))[0]
    except AttributeError:  # pyx12 4.0.0 crashes while reporting an error in a segment outside any ST
        ta1_rejected = True
    assert ta1_rejected


@pytest.mark.parametrize(("emit", "name"), [(x12_997.emit, "acme"), (x12_999.emit, "initech")])
def test_purchase_order_acks_pass_project_maps(emit: Emit, name: str, partners: PartnerRegistry) -> None:
    partner = partners.get(name)
    assert partner is not None
    ack = receipt(partner.version, functional_id="PO", set_id="850")
    assert_pyx12_valid(emit(ack, partner, numbers=Counter(), when=WHEN), MAP_DIR)


# --- exact contents -------------------------------------------------------------------------


def test_997_envelope_and_every_error_segment() -> None:
    partner = profile()
    document = x12_997.emit(receipt(), partner, numbers=Counter(), when=WHEN)
    found = segments(document, partner)
    assert found[0] == [
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "NORTHWINDDIST  ", "ZZ", "PARTNERISA     ",
        "261123", "1405", "U", "00401", "000000001", "0", "T", ">",
    ]  # fmt: skip
    assert found[1] == ["GS", "FA", "NORTHWIND", "PARTNERGS", "20261123", "1405", "1", "X", "004010"]
    assert found[-2:] == [["GE", "4", "1"], ["IEA", "1", "000000001"]]
    sets = list(sets_of(found))
    assert sets[0] == [
        ["AK1", "HC", "1001"],
        ["AK2", "837", "0001"],
        ["AK5", "A"],
        ["AK2", "837", "0002"],
        ["AK5", "A"],
        ["AK9", "A", "2", "2", "2"],
    ]
    assert sets[1] == [
        ["AK1", "HC", "1002"],
        ["AK2", "837", "0003"],
        ["AK5", "A"],
        ["AK2", "837", "0004"],
        ["AK3", "ZZZ", "4", "", "2"],
        ["AK3", "NM1", "6", "", "8"],  # 2010AA is too long for AK303 (AN 1-4)
        ["AK4", "1", "98", "7", "XXY"],
        ["AK4", "9>2", "67", "5", "A" * 99],
        ["AK3", "REF", "9", "2300", "8"],
        ["AK4", "2", "127", "4", "1"],
        ["AK5", "R", "4", "5"],
        ["AK9", "P", "3", "2", "1", "5"],
    ]
    assert sets[2] == [
        ["AK1", "HC", "1003"],
        ["AK2", "837", "0005"],
        ["AK5", "R", "4"],
        ["AK9", "R", "1", "1", "0"],
    ]
    assert sets[3] == [
        ["AK1", "HC", "1004"],
        ["AK2", "837", "0006"],
        ["AK5", "A"],
        ["AK9", "E", "2", "1", "1", "5"],
    ]
    assert b"DTP" not in document.content  # warnings are not reported


def test_997_segment_counts() -> None:
    partner = profile()
    found = segments(x12_997.emit(receipt(), partner, numbers=Counter(), when=WHEN), partner)
    starts = [i for i, s in enumerate(found) if s[0] == "ST"]
    for start in starts:
        end = next(i for i in range(start, len(found)) if found[i][0] == "SE")
        assert found[end] == ["SE", str(end - start + 1), found[start][2]]


def test_999_specifics() -> None:
    partner = profile("005010")
    document = x12_999.emit(receipt("005010"), partner, numbers=Counter(), when=WHEN)
    found = segments(document, partner)
    assert found[0][11:13] == ["^", "00501"]
    assert found[0][16] == ">"
    assert found[1][8] == "005010X231A1"
    assert found[2] == ["ST", "999", "0001", "005010X231A1"]
    mixed = list(sets_of(found))[1]
    assert mixed[0] == ["AK1", "HC", "1002", "005010X222A1"]
    assert mixed[3] == ["AK2", "837", "0004", "005010X222A1"]
    assert ["IK3", "NM1", "6", "", "8"] in mixed
    assert ["IK3", "REF", "9", "2300", "8"] in mixed
    assert ["IK4", "9>2", "67", "5", "A" * 99] in mixed
    assert ["IK5", "R", "4", "5"] in mixed
    assert mixed[-1] == ["AK9", "P", "3", "2", "1", "5"]
    assert not any(s[0] in ("AK3", "AK4", "AK5") for s in found)


def test_codes_are_capped_at_five_and_unplaced_errors_still_reject() -> None:
    partner = profile()
    many = [err(Level.TRANSACTION, str(code)) for code in (1, 2, 3, 4, 6, 7, 23)]
    unplaced = [err(Level.ELEMENT, "7", segment="NM1")]  # no position: R, but no AK3
    groups = [
        GroupReceipt(
            functional_id="HC",
            sender="S",
            receiver="R",
            control_number="7",
            version="004010X098A1",
            transactions=SetLog(
                [
                    TransactionReceipt(set_id="837", control_number="0001", issues=many),
                    TransactionReceipt(set_id="837", control_number="0002", issues=unplaced),
                ]
            ),
            issues=[err(Level.GROUP, str(code)) for code in (1, 2, 3, 4, 5, 6)],
        )
    ]
    document = x12_997.emit(
        receipt().model_copy(update={"groups": groups}), partner, numbers=Counter(), when=WHEN
    )
    body = next(sets_of(segments(document, partner)))
    assert body == [
        ["AK1", "HC", "7"],
        ["AK2", "837", "0001"],
        ["AK5", "R", "1", "2", "3", "4", "6"],
        ["AK2", "837", "0002"],
        ["AK5", "R", "5"],
        ["AK9", "R", "2", "2", "0", "1", "2", "3", "4", "5"],
    ]
    assert_pyx12_valid(document)


@pytest.mark.parametrize(
    ("issues", "groups", "expected"),
    [
        ([], True, ["TA1", "000001001", "261120", "0930", "A", "000"]),
        ([err(Level.INTERCHANGE, "021")], True, ["TA1", "000001001", "261120", "0930", "E", "021"]),
        ([err(Level.INTERCHANGE, "023"), err(Level.INTERCHANGE, "001")], False,
         ["TA1", "000001001", "261120", "0930", "R", "023"]),
        ([err(Level.INTERCHANGE, None)], False, ["TA1", "000001001", "261120", "0930", "R", "000"]),
    ],
)  # fmt: skip
def test_ta1_is_a_lone_interchange(issues: list[Issue], groups: bool, expected: list[str]) -> None:
    partner = profile()
    ack = receipt().model_copy(update={"issues": issues, "groups": receipt().groups if groups else []})
    counter = Counter()
    document = x12_ta1.emit(ack, partner, numbers=counter, when=WHEN)
    found = segments(document, partner)
    assert [s[0] for s in found] == ["ISA", "TA1", "IEA"]
    assert found[1] == expected
    assert found[2] == ["IEA", "0", "000000001"]
    assert len(partner.separators.element.join(found[0])) == 105  # 106 with the terminator
    assert document.group_control_number is None and document.transaction_control_numbers == []
    assert counter.last == {"ISA": 1, "GS": 0, "ST": 0}  # a TA1 draws no GS or ST number


def test_ta1_echoes_an_unreadable_isa13_as_digits() -> None:
    ack = receipt().model_copy(update={"control_number": "12AB*", "time": "09:3"})
    found = segments(x12_ta1.emit(ack, profile(), numbers=Counter(), when=WHEN), profile())
    assert found[1][1:4] == ["000000012", "261120", "0093"]


# --- control numbers ------------------------------------------------------------------------


def test_control_numbers_come_from_the_source_and_are_never_reused() -> None:
    partner = profile()
    counter = Counter(start=41)
    first = x12_997.emit(receipt(), partner, numbers=counter, when=WHEN)
    ta1 = x12_ta1.emit(receipt(), partner, numbers=counter, when=WHEN)
    second = x12_997.emit(receipt(), partner, numbers=counter, when=WHEN)
    assert (first.interchange_control_number, ta1.interchange_control_number) == (42, 43)
    assert second.interchange_control_number == 44
    assert (first.group_control_number, second.group_control_number) == (42, 43)
    assert first.transaction_control_numbers == [42, 43, 44, 45]
    assert second.transaction_control_numbers == [46, 47, 48, 49]
    found = segments(second, partner)
    assert found[0][13] == "000000044" and found[-1] == ["IEA", "1", "000000044"]
    assert found[1][6] == "43" and found[-2] == ["GE", "4", "43"]
    assert [s[2] for s in found if s[0] == "ST"] == ["0046", "0047", "0048", "0049"]


def test_st02_is_at_least_four_digits_and_numbers_must_fit() -> None:
    partner = profile()
    found = segments(x12_997.emit(receipt(), partner, numbers=Counter(start=12344), when=WHEN), partner)
    assert next(s[2] for s in found if s[0] == "ST") == "12345"
    with pytest.raises(EnvelopeError, match=r"1\.\.999999999"):
        x12_997.emit(receipt(), partner, numbers=Counter(start=999_999_999), when=WHEN)


# --- the envelope writer --------------------------------------------------------------------


def one_set(*body: list[str]) -> list[FunctionalGroup]:
    return [FunctionalGroup("PR", "004010", [TransactionSet("855", list(body))])]


@pytest.mark.parametrize("value", ["A*B", "A>B", "A~B", "caf\u00e9", "A\nB"])
def test_envelope_refuses_values_that_would_corrupt_it(value: str) -> None:
    with pytest.raises(EnvelopeError, match="BAK02"):
        build_interchange(profile(), one_set(["BAK", "00", value]), numbers=Counter(), when=WHEN)


def test_repetition_separator_is_data_in_004010_and_a_delimiter_in_005010() -> None:
    content = build_interchange(
        profile(), one_set(["BAK", "00", "A^B"]), numbers=Counter(), when=WHEN
    ).content
    assert b"BAK*00*A^B~" in content
    with pytest.raises(EnvelopeError, match="separator '\\^'"):
        build_interchange(profile("005010"), one_set(["BAK", "00", "A^B"]), numbers=Counter(), when=WHEN)


def test_envelope_layout_and_trailing_empty_elements() -> None:
    partner = profile(**ODD_4010)
    content = build_interchange(
        partner, one_set(["BAK", "00", "AD", "", "PO1", "", ""]), numbers=Counter(), when=WHEN
    ).content.decode()
    assert "\n" not in content
    assert content.count("~") == 7
    assert "|BAK|00|AD||PO1~" in content.replace("~", "~|")
    assert content.endswith("~IEA|1|000000001~")
    assert "ST|855|0001~BAK|00|AD||PO1~SE|3|0001~GE|1|1~" in content


def test_envelope_refuses_an_empty_group_and_an_isa_value_with_a_separator() -> None:
    with pytest.raises(EnvelopeError, match="no transaction set"):
        build_interchange(profile(), [FunctionalGroup("PR", "004010")], numbers=Counter(), when=WHEN)
    bad = profile().model_copy(update={"us": X12Identity(qualifier="ZZ", id="NORTH*WIND")})
    with pytest.raises(EnvelopeError, match="ISA06"):
        build_interchange(bad, one_set(["BAK", "00"]), numbers=Counter(), when=WHEN)
    with pytest.raises(ValueError, match="no functional group"):
        x12_997.emit(receipt().model_copy(update={"groups": []}), profile(), numbers=Counter(), when=WHEN)


# --- the acks the pipeline writes for real inbound documents -----------------------------------

CORPUS_850S = sorted(
    line.split("\t")[0]
    for line in (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]
    if line.split("\t")[3].startswith(("850", "810+850", "940"))
)


def test_every_ack_written_for_inbox_and_corpus_passes_pyx12(
    corpus_pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    paths = sorted(INBOX.iterdir()) + [CORPUS / p for p in CORPUS_850S]
    for path in paths:
        corpus_pipeline.ingest_path(Path(path))
    with sessions() as session:
        acks = session.execute(
            select(
                storage.OutboundRecord.kind, storage.OutboundRecord.content, storage.Document.filename
            ).join(storage.Document, storage.Document.id == storage.OutboundRecord.document_id)
        ).all()
    kinds = {kind for kind, _, _ in acks}
    assert {"997", "999", "TA1"} <= kinds
    for kind, content, filename in acks:
        valid, errors = pyx12_check(content, MAP_DIR)
        assert valid and not errors, f"{kind} for {filename} fails pyx12:\n{content.decode()}\n" + "\n".join(
            errors
        )


@pytest.mark.parametrize("kind", ["ISA", "GS", "ST"])
def test_outbound_numbers_are_unique_per_partner(
    kind: str, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    for path in sorted(INBOX.iterdir()):
        pipeline.ingest_path(path)
    with sessions() as session:
        rows = session.execute(
            select(
                storage.OutboundRecord.partner,
                storage.OutboundRecord.interchange_control_number,
                storage.OutboundRecord.group_control_number,
                storage.OutboundRecord.transaction_control_numbers,
            )
        ).all()
    seen: set[tuple[str, int]] = set()
    for partner, isa, gs, sts in rows:
        values = {"ISA": [isa], "GS": [gs] if gs else [], "ST": sts}[kind]
        for value in values:
            assert (partner, value) not in seen
            seen.add((partner, value))
