"""Our 997/999 against a peer's: pyx12 acknowledges the same X12 files with the same maps.

For every X12 file of ../shared/corpus and fixtures/x12 that the gateway acknowledges, the
gateway's 997/999 (as the pipeline writes it) and pyx12's own 997/999 (x12n_document with a
997 writer, reading our map directory) are reduced to their acknowledgement segments
(AK1-AK5, AK9, IK3-IK5), and compared. Envelopes, control numbers, dates and times are left
out. Every difference must be listed in ``DIFFERENCES`` with the rule that makes us right;
a new one, or a listed one that no longer happens, fails the test.

pyx12 chooses a map by ISA12, GS01 and GS08; the gateway's reader chooses by GS08 alone (and
reads non-850 sets as unsupported). The peer gets the same choice: a copy of our maps.xml that
also lists each group's GS01/GS08, pointing at our map for its set (or the 850 map for GS08).
pyx12 reads only a fixed-width 00401/00501 ISA and no layout between segments, so it is given
the segments as our pre-pass splits them (see ``peer_input``).
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import defusedxml.ElementTree as safe_et
import pytest
import pyx12.errors
import pyx12.params
import pyx12.x12n_document
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from parsers.x12._map_dir import MAP_DIR
from parsers.x12._prepass import InterchangeHeader
from parsers.x12._prepass import RawSegment
from parsers.x12._prepass import scan
from parsers.x12._reader import map_for_version
from tests.conftest import CORPUS
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.x12.test_x12_corpus import EXPECTED

_ACK_SEGMENTS = frozenset({"AK1", "AK2", "AK3", "AK4", "AK5", "AK9", "IK3", "IK4", "IK5"})
_ACK_KINDS = ("997", "999")
_ISA_WIDTH = 105  # a fixed-width ISA without its terminator
_ISA12 = slice(84, 89)
_VERSION_4010, _VERSION_5010 = "00401", "00501"

# Why a difference is ours on purpose: the X12 rule (X12.5/X12.6, 997/999 semantics) behind it.
REASONS = {
    "unsupported": (
        "The gateway takes only 850s; any other set gets AK5*R*1 (AK502 1, 'transaction set not "
        "supported'), because nothing downstream would act on it. pyx12 validates the set "
        "against its map and accepts it, which would tell the sender the document was taken."
    ),
    "peer-legacy-dates": (
        "Before 004010 a date (DE 373, GS04, BEG05, DTM02) is YYMMDD, 6 digits; pyx12 checks these "
        "003xxx groups with its 004010 CCYYMMDD rule, counts a group envelope error and writes no "
        "997 at all. We read 6-digit dates before 004010 and answer every group."
    ),
    "peer-isa11": (
        "From ISA12 00402 on, ISA11 is the repetition separator (any character, here '-'); pyx12 "
        "takes only 'U' before 00501, rejects the interchange and writes no 997. We read ISA11 as "
        "the release defines it and answer every group."
    ),
    "peer-crash": (
        "pyx12's error handler fails (AttributeError: no current ST) on an SE whose control "
        "number does not match its ST and writes nothing; we answer AK5*R*1*3 (AK503 3, SE02 "
        "does not match ST02) and AK905 4 (GE02 does not match GS06)."
    ),
    "peer-999": (
        "pyx12's 999 writer stops after AK1 (its error_999 visitor raises 'Cannot create AK2: "
        "err_st.vriic was not set' for a plain 005010 850), so its 999 has no AK2/IK5/AK9; a 999 "
        "must answer every set (AK2 ... IK5) and close with AK9."
    ),
    "ak304-placement": (
        "AK304 1 is 'unrecognized segment ID', an ID the standard does not have (ZZZ). A known ID "
        "out of place is 7 'segment out of sequence' (the set has it earlier: PID after N1), 6 "
        "'segment not in defined transaction set' (BSN in an 850) or 2 'unexpected segment'; "
        "pyx12 sends 1 for all of them."
    ),
    "ak303-loop": (
        "AK303 is the loop identifier of the loop holding the segment in error (X12.6, 997 "
        "AK303, situational, 'when the segment is in a loop'); pyx12 leaves it empty, we name it."
    ),
    "ak4-elements": (
        "Each element in error gets an AK4 (element position, data element reference, AK403 "
        "code, copy of the bad value); pyx12 writes the AK3 but leaves out the AK4s, so the "
        "sender cannot tell which element to fix."
    ),
    "partner-codes": (
        "PO103 XX is a valid X12 unit code but not one agreed in the partner's profile "
        "([narrow] PO103); the partner's implementation convention narrows the code list, so "
        "AK403 7 (invalid code value). pyx12 knows only the standard's list."
    ),
    "ak9-partial": (
        "AK901 P: 'partially accepted, at least one transaction set was rejected' when some but "
        "not all sets are accepted (AK904 > 0); pyx12 answers R though it accepts one."
    ),
}

# file -> the differences it has, each (side, normalised segment, reason key): side "ours" is a
# segment only our ack has, "pyx12" one only pyx12's has. Segments under an AK2 carry its
# control number as a prefix ("0001/AK5*R*1").
DIFFERENCES: dict[str, list[tuple[str, str, str]]] = {
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_856/edi1Source.txt": [
        ("pyx12", "(no 997/999)", "peer-isa11"),
    ],
    "Stedi-Demos__bootstrap-archived/src/resources/X12/5010/850/input.edi": [
        ("ours", "000000057/IK5*A", "peer-999"),
        ("ours", "AK2*850*000000057", "peer-999"),
        ("ours", "AK9*A*1*1*1", "peer-999"),
    ],
    "aaronhuggins__node-x12/test/test-data/856.edi": [
        ("pyx12", "(no 997/999)", "peer-isa11"),
    ],
    "kputnam__stupidedi/spec/fixtures/003010/PO850/fail/1.edi": [
        ("pyx12", "(no 997/999)", "peer-legacy-dates"),
    ],
    "kputnam__stupidedi/spec/fixtures/003050/PO850/fail/1.edi": [
        ("pyx12", "(no 997/999)", "peer-legacy-dates"),
    ],
    "kputnam__stupidedi/spec/fixtures/004010/X348 SC810 Aerospace Industry Invoice/pass/basic-invoice.edi": [
        ("ours", "0001/AK5*R*1", "unsupported"),
        ("ours", "AK9*R*1*1*0", "unsupported"),
        ("pyx12", "0001/AK5*A", "unsupported"),
        ("pyx12", "AK9*A*1*1*1", "unsupported"),
    ],
    "kputnam__stupidedi/spec/fixtures/004010/X358 SC855 Aerospace Industry Purchase Order Acknowledgment/pass/po-ack-minor-changes.edi": [
        ("ours", "0001/AK5*R*1", "unsupported"),
        ("pyx12", "0001/AK3*ACK*8**8", "unsupported"),
        ("pyx12", "0001/AK5*R*5", "unsupported"),
    ],
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/850.SyntaxNotes.ERR.edi": [
        ("ours", "000000010/AK3*PO1*13*PO1*8", "ak303-loop"),
        ("ours", "000000010/AK3*PO4*30*PO1*8", "ak303-loop"),
        ("ours", "000000010/AK4*6*384*2", "ak4-elements"),
        ("ours", "000000010/AK4*7*234*2", "ak4-elements"),
        ("pyx12", "000000010/AK3*PO1*13**8", "ak303-loop"),
        ("pyx12", "000000010/AK3*PO4*30**8", "ak303-loop"),
    ],
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/856.Crossdock.OK.edi": [
        ("ours", "0001/AK5*R*1", "unsupported"),
        ("ours", "AK9*R*1*1*0", "unsupported"),
        ("pyx12", "0001/AK5*A", "unsupported"),
        ("pyx12", "AK9*A*1*1*1", "unsupported"),
    ],
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/ControlNumbersMismatch.edi": [
        ("pyx12", "(no 997/999)", "peer-crash"),
    ],
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/MultipleInterchangesAndGroups.edi": [
        ("ours", "0001/AK5*R*1", "unsupported"),
        ("ours", "0001/AK5*R*1", "unsupported"),
        ("ours", "0001/AK5*R*1", "unsupported"),
        ("ours", "0001/AK5*R*1", "unsupported"),
        ("ours", "0002/AK5*R*1", "unsupported"),
        ("ours", "0002/AK5*R*1", "unsupported"),
        ("ours", "AK2*940*0001", "unsupported"),
        ("ours", "AK2*940*0001", "unsupported"),
        ("ours", "AK2*940*0001", "unsupported"),
        ("ours", "AK2*940*0001", "unsupported"),
        ("ours", "AK2*940*0002", "unsupported"),
        ("ours", "AK2*940*0002", "unsupported"),
        ("ours", "AK9*R*1*1*0", "unsupported"),
        ("ours", "AK9*R*1*1*0", "unsupported"),
        ("ours", "AK9*R*2*2*0", "unsupported"),
        ("ours", "AK9*R*2*2*0", "unsupported"),
        ("pyx12", "AK9*A*1*1*1", "unsupported"),
        ("pyx12", "AK9*A*1*1*1", "unsupported"),
        ("pyx12", "AK9*A*2*2*2", "unsupported"),
        ("pyx12", "AK9*A*2*2*2", "unsupported"),
    ],
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/WrongGroupsAndTranCount.edi": [
        ("ours", "0001/AK5*R*1", "unsupported"),
        ("ours", "AK2*940*0001", "unsupported"),
        ("ours", "AK9*R*2*1*0*5", "unsupported"),
        ("pyx12", "AK9*R*2*1*1*5", "unsupported"),
    ],
    "xlate__staedi/src/test/resources/x12/invoice810_po850_dual.edi": [
        ("pyx12", "(no 997/999)", "peer-legacy-dates"),
    ],
    "xlate__staedi/src/test/resources/x12/simple810.edi": [
        ("ours", "000000001/AK5*R*1", "unsupported"),
        ("ours", "000000002/AK5*R*1", "unsupported"),
        ("ours", "AK9*R*2*2*0", "unsupported"),
        ("pyx12", "000000001/AK5*A", "unsupported"),
        ("pyx12", "000000002/AK5*A", "unsupported"),
        ("pyx12", "AK9*A*2*2*2", "unsupported"),
    ],
    "fixtures/x12/004010/850/fail/acme-errors.edi": [
        ("ours", "0001/AK3*PO1*3*PO1*8", "ak303-loop"),
        ("ours", "0001/AK3*PO1*4*PO1*8", "partner-codes"),
        ("ours", "0001/AK3*ZZZ*5*PO1*1", "ak303-loop"),
        ("ours", "0001/AK4*2*330*2", "ak4-elements"),
        ("ours", "0001/AK4*3*355*7*XX", "partner-codes"),
        ("ours", "AK9*P*2*2*1", "ak9-partial"),
        ("pyx12", "0001/AK3*PO1*3**8", "ak303-loop"),
        ("pyx12", "0001/AK3*ZZZ*5**1", "ak303-loop"),
        ("pyx12", "AK9*R*2*2*1", "ak9-partial"),
    ],
    "fixtures/x12/004010/850/fail/acme-ack-codes.edi": [
        ("ours", "0001/AK3*PID*13*N1*7", "ak304-placement"),
        ("ours", "0002/AK3*CTP*14*CTP*8", "ak303-loop"),
        ("ours", "0002/AK4*12**3*7", "ak4-elements"),  # AK403 3 too many; no AK402 past the last element
        ("ours", "0003/AK3*N4*11*N1*8", "ak303-loop"),
        ("ours", "0005/AK3*BSN*13*N1*6", "ak304-placement"),
        ("ours", "AK9*P*6*6*2", "ak9-partial"),
        ("pyx12", "0001/AK3*PID*13**1", "ak304-placement"),
        ("pyx12", "0002/AK3*CTP*14**8", "ak303-loop"),
        ("pyx12", "0003/AK3*N4*11**8", "ak303-loop"),
        ("pyx12", "0005/AK3*BSN*13**1", "ak304-placement"),
        ("pyx12", "AK9*R*6*6*2", "ak9-partial"),
    ],
    "fixtures/x12/005010/850/pass/initech-INI-2026-0042.edi": [
        ("ours", "0001/IK5*A", "peer-999"),
        ("ours", "AK2*850*0001", "peer-999"),
        ("ours", "AK9*A*1*1*1", "peer-999"),
    ],
}


def ack_files() -> list[str]:
    """Every X12 file the gateway answers with a 997/999: corpus paths, then fixture paths."""
    corpus = [path for path, expected in EXPECTED.items() if set(expected.acks) & set(_ACK_KINDS)]
    fixtures = [
        path
        for path in sorted((ROOT / "fixtures" / "x12").glob("*/*/*/*.edi"))
        if set(json.loads(path.with_suffix(".expected.json").read_text())["acks"]) & set(_ACK_KINDS)
    ]
    return sorted(corpus) + [p.relative_to(ROOT).as_posix() for p in fixtures]


def _source(name: str) -> Path:
    return ROOT / name if name.startswith("fixtures/") else CORPUS / name


def segments(text: str) -> list[list[str]]:
    """An ack's segments split with the separators its ISA declares."""
    start = text.find("ISA")
    element, terminator = text[start + 3], text[start + 105]
    return [s.strip().split(element) for s in text[start:].split(terminator) if s.strip()]


def normalise(texts: list[str]) -> list[str]:
    """The acknowledgement segments of ``texts``, in order, trailing empty elements dropped."""
    found: list[str] = []
    control = ""
    for text in texts:
        for segment in segments(text):
            if segment[0] not in _ACK_SEGMENTS:
                continue
            while len(segment) > 1 and segment[-1] == "":
                segment.pop()
            if segment[0] == "AK2":
                control = segment[2]
            elif segment[0] in ("AK1", "AK9"):
                control = ""
            line = "*".join(segment)
            found.append(f"{control}/{line}" if control and segment[0] != "AK2" else line)
    return found


def peer_input(path: Path) -> tuple[str, set[tuple[str, str, str]]]:
    """The file as pyx12 can read it, and its groups as (GS01, GS08, ST01 of the first set).

    pyx12 reads only a fixed-width ISA of version 00401 or 00501, with nothing between a
    terminator and the next segment. The gateway's pre-pass reads the rest too (padding,
    wrapped ISAs, other ISA12 versions, line breaks and indentation), so the peer is given the
    segments as the pre-pass splits them, each ISA fixed-width, ISA12 as 00401 unless 00501
    (the gateway reads every envelope with the 00401 control map).
    """
    parts: list[str] = []
    groups: set[tuple[str, str, str]] = set()
    terminator, element, group = "~", "*", ("", "")
    with path.open("rb") as stream:
        for event in scan(stream):
            if isinstance(event, InterchangeHeader):
                terminator, element = event.separators.segment, event.separators.element
            if not isinstance(event, RawSegment):
                continue
            text = event.text
            fields = text.split(element)
            if fields[0] == "ISA" and len(text) == _ISA_WIDTH and text[_ISA12] != _VERSION_5010:
                text = text[: _ISA12.start] + _VERSION_4010 + text[_ISA12.stop :]
            elif fields[0] == "GS" and len(fields) > 8:
                group = (fields[1].strip(), fields[8].strip())
            elif fields[0] == "ST" and group[0]:
                groups.add((*group, fields[1].strip() if len(fields) > 1 else ""))
                group = ("", "")
            parts.append(text + terminator)
    return "".join(parts), groups


def peer_map_dir(groups: set[tuple[str, str, str]], tmp_path: Path) -> Path:
    """Our maps, with a maps.xml that sends each group to the map the gateway would read it with.

    A group is read with our map for its first set's id and GS08 release when we have one,
    else with the 850 map for GS08 (as the gateway's reader does).
    """
    directory = tmp_path / "peer-maps"
    directory.mkdir()
    for path in MAP_DIR.iterdir():
        if path.name != "maps.xml":
            (directory / path.name).symlink_to(path)
    tree = safe_et.parse(MAP_DIR / "maps.xml")
    root = tree.getroot()
    assert root is not None
    for version in root.findall("version"):
        entries = version.findall("map")
        known = {(m.get("fic"), m.get("vriic")) for m in entries}
        for fic, vriic, set_id in sorted(groups):
            if (fic, vriic) in known:
                continue
            same = [
                m.text for m in entries if m.get("abbr") == set_id and (m.get("vriic") or "")[:6] == vriic[:6]
            ]
            entry = ET.Element("map", vriic=vriic, fic=fic, abbr=set_id)
            entry.text = same[0] if same else map_for_version(vriic)[0]
            version.insert(0, entry)
    tree.write(directory / "maps.xml", encoding="utf-8", xml_declaration=True)
    return directory


def peer_ack(path: Path, tmp_path: Path) -> str | None:
    """pyx12's 997/999 for the file at ``path``, or None when it writes none."""
    text, groups = peer_input(path)
    out = io.StringIO()
    try:
        pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), out, None, map_path=str(peer_map_dir(groups, tmp_path))
        )
    except (pyx12.errors.X12Error, pyx12.errors.EngineError, AttributeError):
        return None  # AttributeError: pyx12's error handler fails on an SE with no open ST
    return out.getvalue() or None


def our_acks(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        rows = session.scalars(
            select(storage.OutboundRecord.content)
            .where(storage.OutboundRecord.kind.in_(_ACK_KINDS))
            .order_by(storage.OutboundRecord.id)
        ).all()
    return [row.decode() for row in rows]


def differences(ours: list[str], peer: list[str] | None) -> Counter[tuple[str, str]]:
    """Segments only one side has, as (side, segment); a missing peer ack is one entry."""
    if peer is None:
        return Counter({("pyx12", "(no 997/999)"): 1})
    mine, theirs = Counter(ours), Counter(peer)
    found: Counter[tuple[str, str]] = Counter()
    for segment, count in (mine - theirs).items():
        found[("ours", segment)] = count
    for segment, count in (theirs - mine).items():
        found[("pyx12", segment)] = count
    return found


def test_every_listed_difference_names_a_known_file_and_reason() -> None:
    files = set(ack_files())
    for name, listed in DIFFERENCES.items():
        assert name in files, name
        for side, _, reason in listed:
            assert side in ("ours", "pyx12") and reason in REASONS, (name, side, reason)


def test_normalise_keeps_ack_segments_only() -> None:
    ack = (
        "ISA*00*          *00*          *ZZ*A              *ZZ*B              *261123*0930*U*00401*"
        "000000001*0*P*>~GS*FA*A*B*20261123*0930*1*X*004010~ST*997*0001~AK1*PO*7~AK2*850*0002~"
        "AK3*PO1*4**8~AK4*3**7*XX~AK5*R*5~AK9*R*1*1*0~SE*8*0001~GE*1*1~IEA*1*000000001~"
    )
    assert normalise([ack]) == [
        "AK1*PO*7",
        "AK2*850*0002",
        "0002/AK3*PO1*4**8",
        "0002/AK4*3**7*XX",
        "0002/AK5*R*5",
        "AK9*R*1*1*0",
    ]
    # A difference in one element of one segment shows, on both sides.
    assert differences(["AK5*R*5"], ["AK5*R*1"]) == Counter({("ours", "AK5*R*5"): 1, ("pyx12", "AK5*R*1"): 1})


@pytest.mark.parametrize("name", ack_files())
def test_our_ack_agrees_with_pyx12(
    name: str, corpus_pipeline: Pipeline, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = _source(name)
    corpus_pipeline.ingest_path(path)
    ours = normalise(our_acks(sessions))
    assert ours, "the gateway answered with a 997/999"
    peer_text = peer_ack(path, tmp_path)
    peer = normalise([peer_text]) if peer_text is not None else None
    found = differences(ours, peer)
    listed = Counter((side, segment) for side, segment, _ in DIFFERENCES.get(name, []))
    new = sorted((found - listed).elements())
    gone = sorted((listed - found).elements())
    assert not new and not gone, (
        f"unlisted differences {new}; listed but no longer found {gone}\nours: {ours}\npyx12: {peer}"
    )


def _ack_lines(sessions: sessionmaker[Session]) -> list[str]:
    return normalise(our_acks(sessions))


def test_one_ak4_per_element_in_error(corpus_pipeline: Pipeline, sessions: sessionmaker[Session]) -> None:
    # PO406 is missing by two syntax notes (C0506 and P0607): one element error, one AK4.
    corpus_pipeline.ingest_path(
        CORPUS / "olmelabs__EdiEngine/EdiEngine.Tests/TestData/850.SyntaxNotes.ERR.edi"
    )
    assert _ack_lines(sessions).count("000000010/AK4*6*384*2") == 1


def test_a_partner_code_error_names_its_loop_and_element(
    corpus_pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    # PO103 XX is not one of the units agreed with ACME: AK303 the PO1 loop, AK402 355.
    corpus_pipeline.ingest_path(INBOX / "acme-errors.edi")
    found = _ack_lines(sessions)
    assert "0001/AK3*PO1*4*PO1*8" in found
    assert "0001/AK4*3*355*7*XX" in found
