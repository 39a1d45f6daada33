"""Adds data element numbers to ``standard.json`` from pyx12's own maps and dictionary (run once).

The Bots grammars the table was written from carry no data element numbers. pyx12 ships its own
maps (the HIPAA 27x/8xx and 997/999 implementation guides, 004010 and 005010) and its data element
dictionary (``pyx12/map/dataele.xml``), both independent of this project's maps. An element of the
table gets a number only where that is unambiguous: every pyx12 map of the same version that has the
segment gives the element at that position (or component) one and the same number, and the
dictionary's type and length for that number agree with the table's (the 004010 exception:
LS01/LE01, 447, are 1/6 there and 1/4 in the dictionary, as ``test_x12_standard`` names). Usage::

    python tests/x12/x12_standard/extract_pyx12_numbers.py
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as safe_et
import pyx12

HERE = Path(__file__).parent
PYX12_MAPS = Path(pyx12.__file__).parent / "map"
_VERSIONS = {".4010.": "004010", ".5010.": "005010"}
_FAMILY = {"ID": "AN", "AN": "AN", "N0": "R", "N": "R", "R": "R"}
_LENGTH_EXCEPTIONS = {("004010", "447")}


def _root(path: Path) -> Any:
    return safe_et.parse(path).getroot()


def dictionary() -> dict[str, tuple[str, int, int]]:
    return {
        node.get("ele_num"): (node.get("data_type"), int(node.get("min_len")), int(node.get("max_len")))
        for node in _root(PYX12_MAPS / "dataele.xml").iter("data_ele")
    }


def numbers_in_pyx12_maps() -> dict[str, dict[tuple[str, str], set[str]]]:
    """Per version, (segment, element or component id as ``N101`` / ``CTP05-01``) -> the numbers used."""
    seen: dict[str, dict[tuple[str, str], set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(PYX12_MAPS.glob("*.xml")):
        version = next((v for k, v in _VERSIONS.items() if k in path.name), None)
        root = _root(path)
        if version is None or root.tag != "transaction":
            continue
        for segment in root.iter("segment"):
            for child in segment:
                elements = [child] if child.tag == "element" else child.findall("element")
                for element in elements:
                    number = element.findtext("data_ele")
                    if number:
                        seen[version][(segment.get("xid"), element.get("xid"))].add(number)
    return seen


def numbered(standard: dict[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    found: dict[str, dict[str, dict[str, str]]] = {}
    types = dictionary()
    seen = numbers_in_pyx12_maps()
    for version in ("004010", "005010"):
        for seg_id, elements in standard[version]["segments"].items():
            specs = [c for e in elements for c in (e[2] if len(e) == 3 else [e])]
            for name, _, low, high, family in specs:
                candidates = seen[version].get((seg_id, name.replace(".", "-")), set())
                if len(candidates) != 1:
                    continue
                [number] = candidates
                if number not in types:
                    continue
                data_type, d_low, d_high = types[number]
                length_ok = (d_low, d_high) == (low, high) or (version, number) in _LENGTH_EXCEPTIONS
                if _FAMILY.get(data_type, data_type) == family and length_ok:
                    found.setdefault(version, {}).setdefault(seg_id, {})[name] = number
    return found


def main() -> None:
    """Writes the numbers as the last key of ``standard.json``, one line per segment, the rest untouched."""
    path = HERE / "standard.json"
    text = path.read_text()
    marker = ',\n  "data_elements": {'
    text = text[: text.index(marker)] + "\n}\n" if marker in text else text
    found = numbered(json.loads(text))
    provenance = (
        f"pyx12 {pyx12.__version__}: its own maps and pyx12/map/dataele.xml; see extract_pyx12_numbers.py"
    )
    lines = [text.rstrip().removesuffix("}").rstrip() + ",", '  "data_elements": {']
    lines.append(f'    "provenance": {json.dumps(provenance)},')
    for v_index, (version, segments) in enumerate(found.items()):
        lines.append(f"    {json.dumps(version)}: {{")
        for s_index, (seg_id, numbers) in enumerate(segments.items()):
            comma = "," if s_index < len(segments) - 1 else ""
            lines.append(f"      {json.dumps(seg_id)}: {json.dumps(numbers)}{comma}")
        lines.append("    }" + ("," if v_index < len(found) - 1 else ""))
    lines += ["  }", "}"]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
