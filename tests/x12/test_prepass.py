"""The X12 pre-pass: each gap in pyx12's reader is covered with a precise issue."""

from __future__ import annotations

import io

import pytest

from parsers.x12._prepass import InterchangeHeader
from parsers.x12._prepass import RawSegment
from parsers.x12._prepass import ScanEvent
from parsers.x12._prepass import ScanIssue
from parsers.x12._prepass import scan

ISA = "ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*NORTHWINDDIST  *261120*0930*U*00401*000000001*0*P*>"
BODY = ["GS*PO*ACMERETAIL*NORTHWIND*20261120*0930*1*X*004010", "ST*850*0001", "BEG*00*SA*PO1**20261120",
        "SE*3*0001", "GE*1*1", "IEA*1*000000001"]  # fmt: skip


def events(data: bytes) -> list[ScanEvent]:
    return list(scan(io.BytesIO(data)))


def segments(found: list[ScanEvent]) -> list[str]:
    return [e.text for e in found if isinstance(e, RawSegment)]


def codes(found: list[ScanEvent]) -> list[str]:
    issues = [e.issue for e in found if isinstance(e, ScanIssue)]
    issues += [i for e in found if isinstance(e, InterchangeHeader) for i in e.issues]
    return [i.code for i in issues]


def document(isa: str = ISA, body: list[str] = BODY, terminator: str = "~") -> bytes:
    return (terminator.join([isa, *body]) + terminator).encode()


def test_clean_interchange_splits_into_segments() -> None:
    found = events(document())
    assert segments(found) == [ISA, *BODY]
    assert codes(found) == []
    header = found[0]
    assert isinstance(header, InterchangeHeader)
    assert header.separators.element == "*" and header.separators.component == ">"
    assert header.separators.segment == "~" and header.separators.repetition is None


def test_bom_and_leading_whitespace_are_skipped() -> None:
    found = events(b"\xef\xbb\xbf \r\n\t" + document())
    assert segments(found)[0] == ISA
    assert codes(found) == []


def test_newline_only_terminator() -> None:
    found = events(document(terminator="\r\n"))
    assert segments(found) == [ISA, *BODY]
    header = found[0]
    assert isinstance(header, InterchangeHeader) and header.separators.segment == "\n"


def test_empty_segment_is_reported_not_a_silent_stop() -> None:
    body = [*BODY[:3], "", *BODY[3:]]
    found = events(document(body=body))
    assert segments(found) == [ISA, *BODY]
    assert "x12.empty_segment" in codes(found)


def test_two_interchanges_with_different_separators() -> None:
    second_isa = ISA.replace("*", "|").replace("|>", "|^").replace("000000001", "000000002")
    second = [s.replace("*", "|") for s in BODY]
    data = document() + b"\n" + ("!".join([second_isa, *second]) + "!").encode()
    found = events(data)
    headers = [e for e in found if isinstance(e, InterchangeHeader)]
    assert [h.separators.element for h in headers] == ["*", "|"]
    assert [h.separators.segment for h in headers] == ["~", "!"]
    assert len(segments(found)) == 2 * (len(BODY) + 1)


def test_isa_without_iea_then_new_isa_is_resniffed() -> None:
    second_isa = ISA.replace("*", "|").replace("000000001", "000000002")
    data = ("~".join([ISA, *BODY[:-1]]) + "~\n").encode() + (
        "!".join([second_isa, "IEA|0|000000002"]) + "!"
    ).encode()
    found = events(data)
    headers = [e for e in found if isinstance(e, InterchangeHeader)]
    assert [h.separators.segment for h in headers] == ["~", "!"]
    assert segments(found)[-1] == "IEA|0|000000002"


def test_repetition_separator_in_5010() -> None:
    isa = ISA.replace("*U*00401*", "*^*00501*")
    header = events(document(isa=isa))[0]
    assert isinstance(header, InterchangeHeader)
    assert header.separators.repetition == "^"


def test_non_ascii_space_padding_is_normalized_with_a_warning() -> None:
    isa = ISA.replace("ACMERETAIL     ", "ACMERETAIL\u00a0\u00a0\u00a0\u00a0\u00a0")
    found = events(document(isa=isa))
    header = found[0]
    assert isinstance(header, InterchangeHeader)
    assert header.value(6) == "ACMERETAIL"
    assert segments(found)[0] == ISA
    assert "x12.isa_odd_spaces" in codes(found)


def test_short_isa_field_is_named_precisely() -> None:
    isa = ISA.replace("ACMERETAIL     ", "ACMERETAIL    ")
    found = events(document(isa=isa))
    header = found[0]
    assert isinstance(header, InterchangeHeader)
    messages = [i.message for i in header.issues]
    assert any("ISA06 is 14 characters" in m for m in messages), messages
    assert segments(found)[0] == ISA


def test_truncated_isa_is_an_error_not_a_crash() -> None:
    found = events(ISA[:60].encode())
    assert codes(found) == ["x12.isa_short"]


def test_wrapped_isa_and_wrapped_segments() -> None:
    wrapped = ISA[:50] + "\n" + ISA[50:]
    body = [s if not s.startswith("BEG") else "BEG*00*SA*P\r\nO1**20261120" for s in BODY]
    found = events(document(isa=wrapped, body=body))
    assert segments(found) == [ISA, *BODY]
    assert "x12.isa_wrapped" in codes(found)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "x12.empty"),
        (b"   \n ", "x12.empty"),
        (b"\x00\xff\xfe garbage \x89PNG", "x12.not_x12"),
        (b"Tk9OIEVESSBGSUxFISAasadsdfs", "x12.not_x12"),
    ],
)
def test_not_x12(data: bytes, code: str) -> None:
    found = events(data)
    assert code in codes(found)
    assert segments(found) == []


def test_garbage_between_interchanges_is_reported() -> None:
    found = events(document() + b"\nhello there\n" + document())
    assert "x12.garbage" in codes(found)
    assert len([e for e in found if isinstance(e, InterchangeHeader)]) == 2


def test_large_input_streams_across_chunks() -> None:
    body = BODY[:2] + [f"REF*ZZ*{i:06d}" for i in range(120_000)] + BODY[3:]
    found = events(document(body=body))
    assert len(segments(found)) == len(body) + 1


@pytest.mark.parametrize("terminator", ["~\n", "\n"], ids=["tilde", "newline"])
def test_a_segment_past_the_limit_keeps_its_head_and_the_segments_after_it_are_read(terminator: str) -> None:
    long = "BEG*00*SA*" + "P" * 5000 + "**20261120"
    text = terminator.join([ISA, *BODY[:2], long, *BODY[3:]]) + terminator
    found = list(scan(io.BytesIO(text.encode()), segment_limit=lambda header: 1024))
    raws = [e for e in found if isinstance(e, RawSegment)]
    assert [r.text.split("*")[0] for r in raws] == ["ISA", "GS", "ST", "BEG", "SE", "GE", "IEA"]
    beg = raws[3]
    assert beg.oversize is not None and beg.oversize.issue.code == "x12.segment_too_long"
    assert beg.text == long[:1024] and len(beg.text) == 1024  # the head only, its elements as read
    assert (beg.oversize.element, beg.oversize.element_length) == (3, 5000)
    assert f"{len(long):,} characters long, longer than the limit of 1,024" in beg.oversize.issue.message
    assert beg.oversize.issue.segment_index == 4 and raws[4].index == 5
