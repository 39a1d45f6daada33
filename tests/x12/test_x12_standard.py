"""The pyx12 maps against an independent table of the X12 standard (tests/x12/x12_standard/).

Regressions first: real purchase orders the old maps rejected (CTP with 11 elements, the
005010 N9 loop with MTX). Then a walk of every generated map, segment by segment and element
by element, against the reference table written once from the Bots grammars, and each element's
data element number where pyx12's own maps and dictionary give it unambiguously.
"""

from __future__ import annotations

import difflib
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as safe_et
import pytest
import pyx12.params
import pyx12.x12n_document

from parsers import parse
from parsers.x12 import _mapgen
from parsers.x12._map_dir import MAP_DIR
from partners import PartnerRegistry
from tests.conftest import INBOX


def validate(text: str) -> tuple[bool, str]:
    errors = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(text), None, None, fd_json=errors, map_path=str(MAP_DIR)
    )
    return ok, errors.getvalue()


def _with_segments(name: str, after: str, added: list[str]) -> str:
    """The inbox file ``name`` with ``added`` segments inserted after the segment starting ``after``."""
    lines = (INBOX / name).read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(after)) + 1
    lines[at:at] = [f"{segment}~" for segment in added]
    st = next(i for i, line in enumerate(lines) if line.startswith("ST*"))
    se = next(i for i, line in enumerate(lines) if line.startswith("SE*"))
    control = lines[se].rstrip("~").split("*")[2]
    lines[se] = f"SE*{se - st + 1}*{control}~"
    return "\n".join(lines) + "\n"


def test_ctp_with_its_eleventh_element_is_valid_in_004010() -> None:
    # CTP11 (289, multiple price quantity) is the 11th element in the standard.
    text = _with_segments("acme-4500012345.edi", "PO1*1*", ["CTP*RS*RES*144********1"])
    ok, errors = validate(text)
    assert ok, json.loads(errors)


def test_ctp_with_its_eleventh_element_is_valid_in_005010() -> None:
    text = _with_segments("initech-INI-2026-0042.edi", "PO1*1*", ["CTP*RS*RES*144********1"])
    ok, errors = validate(text)
    assert ok, json.loads(errors)


def test_ctp_with_a_twelfth_element_is_still_refused() -> None:
    text = _with_segments("acme-4500012345.edi", "PO1*1*", ["CTP*RS*RES*144********1*9"])
    ok, _ = validate(text)
    assert not ok


def test_the_005010_header_n9_loop_carries_mtx() -> None:
    text = _with_segments(
        "initech-INI-2026-0042.edi", "PER*BD*", ["N9*L1*NOTES", "MTX**DELIVER TO DOCK 4 BEFORE NOON"]
    )
    ok, errors = validate(text)
    assert ok, json.loads(errors)


def test_the_005010_detail_n9_loop_carries_mtx() -> None:
    text = _with_segments("initech-INI-2026-0042.edi", "PID*F****TPS", ["N9*L1*LINE NOTE", "MTX**GIFT WRAP"])
    ok, errors = validate(text)
    assert ok, json.loads(errors)


# --- the walk of every map against the reference table ------------------------------------

STANDARD = json.loads((Path(__file__).parent / "x12_standard" / "standard.json").read_text())
UNBOUNDED = 99999
# pyx12 reads one data element dictionary per map directory, so the 004010 and 005010 maps share
# it: lengths are 005010's, and a 004010 element must fit inside them (004010 never widened one).
# The exception, with the X12 reason: LS01/LE01 (447) are 1/6 in 004010 and 1/4 in 005010.
NARROWER_THAN_004010 = {"447"}
# The 850's NTE is a floating segment (X12 requirement "F"): the Bots grammar lists it nowhere,
# the maps keep a place for it after BEG and in the PO1 loop, where partners send it.
FLOATING = {"850": "NTE"}
# Bots writes AN for AN and ID, and R for R and N0 (tests/x12/x12_standard/standard.json "formats").
_FAMILY = {"ID": "AN", "AN": "AN", "N0": "R", "N": "R", "R": "R"}
WALKED = sorted((s, v) for (s, v) in _mapgen.MAP_FILES if v in STANDARD)


def _dictionary() -> dict[str, tuple[str, int, int]]:
    root = _parsed(MAP_DIR / "dataele.xml")
    return {
        node.get("ele_num", ""): (
            node.get("data_type", ""),
            int(node.get("min_len", 0)),
            int(node.get("max_len", 0)),
        )
        for node in root.iter("data_ele")
    }


def _count(value: str | None) -> int:
    return UNBOUNDED if value == ">1" else int(value or 0)


def _tree(node: ET.Element) -> list[Any]:
    """A map's loop body as [segment id, min, max, children?] nodes, table wrappers flattened."""
    out: list[Any] = []
    for child in node:
        if child.tag == "segment":
            usage = child.findtext("usage")
            out.append([child.get("xid"), 1 if usage == "R" else 0, _count(child.findtext("max_use"))])
        elif child.tag == "loop" and child.get("type") == "wrapper":
            out.extend(_tree(child))
        elif child.tag == "loop":
            body = _tree(child)
            head, rest = body[0], body[1:]
            assert head[1:] == [1, 1], (
                f"loop {child.get('xid')} must open with its required segment, used once"
            )
            usage = child.findtext("usage")
            out.append([head[0], 1 if usage == "R" else 0, _count(child.findtext("repeat")), rest])
    return out


def _lines(nodes: list[Any], depth: int = 0) -> list[str]:
    lines: list[str] = []
    for node in nodes:
        kind = "loop " if len(node) > 3 else ""
        lines.append(f"{'  ' * depth}{kind}{node[0]} min {node[1]} max {node[2]}")
        if len(node) > 3:
            lines.extend(_lines(node[3], depth + 1))
    return lines


def _parsed(path: Path) -> ET.Element:
    root = safe_et.parse(path).getroot()
    assert root is not None, path
    return root


def _map_root(set_id: str, version: str) -> ET.Element:
    return _parsed(MAP_DIR / _mapgen.MAP_FILES[(set_id, version)])


def _st_loop(root: ET.Element) -> list[Any]:
    st_loop = next(node for node in root.iter("loop") if node.get("xid") == "ST_LOOP")
    body = _tree(st_loop)
    return [[body[0][0], 1, 1, body[1:]]]


@pytest.mark.parametrize(("set_id", "version"), WALKED)
def test_map_structure_is_the_standards(set_id: str, version: str) -> None:
    ours = [
        line
        for line in _lines(_st_loop(_map_root(set_id, version)))
        if line.split()[0] != FLOATING.get(set_id)
    ]
    standard = _lines(STANDARD[version]["sets"][set_id])
    diff = list(difflib.unified_diff(standard, ours, "standard", "map", lineterm="", n=2))
    assert not diff, "\n".join(diff)


def _element_problems(
    where: str,
    ours: ET.Element,
    standard: list[Any],
    dictionary: dict[str, tuple[str, int, int]],
    version: str,
    numbers: dict[str, str],
) -> list[str]:
    """``numbers``: the segment's data element numbers the table has (``data_elements``), by element name."""
    name, requirement = standard[0], standard[1]
    problems: list[str] = []
    usage = ours.findtext("usage")
    if (usage == "R") != (requirement == "M"):
        problems.append(f"{where} {name}: usage {usage}, standard {requirement}")
    if len(standard) == 3:  # a composite
        if ours.tag != "composite":
            return [*problems, f"{where} {name}: the standard has a composite here"]
        components = ours.findall("element")
        if len(components) != len(standard[2]):
            problems.append(f"{where} {name}: {len(components)} components, standard {len(standard[2])}")
        for component, spec in zip(components, standard[2], strict=False):
            problems.extend(_element_problems(where, component, spec, dictionary, version, numbers))
        return problems
    if ours.tag != "element":
        return [*problems, f"{where} {name}: a composite where the standard has a simple element"]
    number = ours.findtext("data_ele") or ""
    if name in numbers and number != numbers[name]:
        problems.append(f"{where} {name}: data element {number}, standard {numbers[name]}")
    data_type, low, high = dictionary[number]
    ref_low, ref_high, ref_format = standard[2], standard[3], standard[4]
    family = _FAMILY.get(data_type, data_type)
    if family != ref_format:
        problems.append(f"{where} {name} (element {number}): type {data_type}, standard {ref_format}")
    fits = low <= ref_low and high >= ref_high if version == "004010" else (low, high) == (ref_low, ref_high)
    if not fits and number not in NARROWER_THAN_004010:
        problems.append(
            f"{where} {name} (element {number}): length {low}/{high}, standard {ref_low}/{ref_high}"
        )
    return problems


@pytest.mark.parametrize(("set_id", "version"), WALKED)
def test_map_segments_are_the_standards_element_by_element(set_id: str, version: str) -> None:
    dictionary = _dictionary()
    reference = STANDARD[version]["segments"]
    numbers = STANDARD["data_elements"][version]
    problems: list[str] = []
    seen: set[str] = set()
    for segment in _map_root(set_id, version).iter("segment"):
        seg_id = segment.get("xid") or ""
        if seg_id in seen or seg_id in ("ISA", "GS", "GE", "IEA"):
            continue
        seen.add(seg_id)
        elements = [child for child in segment if child.tag in ("element", "composite")]
        standard = reference[seg_id]
        if len(elements) != len(standard):
            problems.append(f"{seg_id}: {len(elements)} elements, standard {len(standard)}")
        for ours, spec in zip(elements, standard, strict=False):
            problems.extend(
                _element_problems(seg_id, ours, spec, dictionary, version, numbers.get(seg_id, {}))
            )
    assert not problems, "\n".join(problems)


def test_the_table_numbers_the_elements_pyx12_numbers_unambiguously() -> None:
    """``data_elements`` is what extract_pyx12_numbers.py derives from pyx12 as installed, and numbers
    elements of every walked version, composites' components too."""
    from tests.x12.x12_standard.extract_pyx12_numbers import numbered

    table = STANDARD["data_elements"]
    assert {v: table[v] for v in ("004010", "005010")} == numbered(STANDARD)
    for version in ("004010", "005010"):
        named = {name for segment in table[version].values() for name in segment}
        assert len(named) > 200 and any("." in name for name in named), version
    assert table["004010"]["N1"] == {
        "N101": "98",
        "N102": "93",
        "N103": "66",
        "N104": "67",
        "N105": "706",
        "N106": "98",
    }


# --- the 860 and 865 maps ------------------------------------------------------------------

_ENVELOPE = {
    "004010": ("00401", "U", ">", "004010"),
    "005010": ("00501", "^", ":", "005010"),
}


def _interchange(version: str, functional_id: str, body: list[str]) -> str:
    icvn, repetition, component, gs_version = _ENVELOPE[version]
    segments = [
        f"ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*NORTHWINDDIST  *261121*1015*{repetition}"
        f"*{icvn}*000001002*0*P*{component}",
        f"GS*{functional_id}*ACMERETAIL*NORTHWIND*20261121*1015*1002*X*{gs_version}",
        *body,
        f"SE*{len(body) + 1}*0001",
        "GE*1*1002",
        "IEA*1*000001002",
    ]
    return "".join(f"{segment}~\n" for segment in segments)


CHANGE_860 = [
    "ST*860*0001",
    "BCH*04*SA*4500012345**1*20261118",
    "DTM*002*20261205",
    "N1*ST*ACME DC 12*92*DC12",
    "POC*1*QI*30*6*EA*4.50*PE*VN*NW-10042",
    "POC*2*DI*0*0*CA*52.80*PE*VN*NW-20017",
    "POC*4*AI*5**EA*9.99*PE*VN*NW-40001",
    "PID*F****SOCKET SET 12PC",
    "CTT*3",
]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_small_860_validates_clean_through_our_map_directory(version: str) -> None:
    ok, errors = validate(_interchange(version, "PC", CHANGE_860))
    assert ok, json.loads(errors)


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_860_line_change_without_its_change_type_is_refused(version: str) -> None:
    body = [segment.replace("POC*1*QI*", "POC*1**") for segment in CHANGE_860]
    ok, errors = validate(_interchange(version, "PC", body))
    assert not ok
    assert "POC02" in errors


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_small_865_validates_clean_through_our_map_directory(version: str) -> None:
    body = [
        "ST*865*0001",
        "BCA*04*AC*4500012345**1*20261118",
        "POC*1*QI*30*6*EA*4.50*PE*VN*NW-10042",
        "ACK*IA*30*EA*068*20261205",
        "CTT*1",
    ]
    ok, errors = validate(_interchange(version, "CA", body))
    assert ok, json.loads(errors)


def test_the_860_and_865_maps_are_registered_for_both_versions() -> None:
    index = _parsed(MAP_DIR / "maps.xml")
    registered = {
        (node.get("abbr"), node.get("vriic"), node.get("fic"), node.text) for node in index.iter("map")
    }
    assert {
        ("860", "004010", "PC", "860.4010.xml"),
        ("860", "005010", "PC", "860.5010.xml"),
        ("865", "004010", "CA", "865.4010.xml"),
        ("865", "005010", "CA", "865.5010.xml"),
    } <= registered


def test_a_005010_850_with_n9_mtx_is_accepted_and_its_text_kept_as_a_note(partners: PartnerRegistry) -> None:
    text = _with_segments(
        "initech-INI-2026-0042.edi", "PER*BD*", ["N9*L1*NOTES", "MTX**DELIVER TO DOCK 4 BEFORE NOON"]
    )
    result = parse(text.encode(), partners=partners)
    [parsed] = result.orders
    assert not parsed.rejected, [i.message for i in result.all_issues]
    assert "DELIVER TO DOCK 4 BEFORE NOON" in parsed.order.notes
