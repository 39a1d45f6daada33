"""The committed pyx12 maps are exactly what the table generates, and pyx12 loads and uses them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import pyx12.map_if
import pyx12.params
import pyx12.x12n_document

from parsers.x12 import _mapgen
from parsers.x12._map_dir import MAP_DIR
from tests.conftest import INBOX
from tests.conftest import ROOT


def test_committed_maps_match_the_table(tmp_path: Path) -> None:
    written = _mapgen.generate(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in MAP_DIR.glob("*.xml"))
    for path in written:
        assert path.read_bytes() == (MAP_DIR / path.name).read_bytes(), (
            f"{path.name} differs: run python -m parsers.x12._mapgen"
        )


@pytest.mark.parametrize(
    "map_file", sorted(f for (set_id, _), f in _mapgen.MAP_FILES.items() if set_id == "850")
)
def test_pyx12_loads_the_850_maps(map_file: str) -> None:
    root = pyx12.map_if.load_map_file(map_file, pyx12.params.params(), str(MAP_DIR))
    assert root.getnodebypath("/ISA_LOOP/GS_LOOP/ST_LOOP/HEADER/BEG") is not None
    assert root.getnodebypath("/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/PO1_LOOP/PO1") is not None


def validate(text: str) -> tuple[bool, str]:
    errors = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(text), None, None, fd_json=errors, map_path=str(MAP_DIR)
    )
    return ok, errors.getvalue()


@pytest.mark.parametrize("name", ["acme-4500012345.edi", "initech-INI-2026-0042.edi"])
def test_pyx12s_own_validator_accepts_a_clean_850_with_these_maps(name: str) -> None:
    ok, errors = validate((INBOX / name).read_text())
    assert ok, json.loads(errors)


def test_pyx12s_own_validator_rejects_a_broken_850_with_these_maps() -> None:
    text = (INBOX / "acme-4500012345.edi").read_text().replace("BEG*00*SA*4500012345**20261118~\n", "")
    ok, errors = validate(text.replace("SE*22*0001", "SE*21*0001"))
    assert not ok
    assert "BEG" in errors


CORPUS_OUTBOUND = ROOT.parent / "shared" / "corpus"
REAL_SAMPLES = [
    "aaronhuggins__node-x12/test/test-data/855.edi",
    "Stedi-Demos__bootstrap-archived/src/resources/X12/5010/855/inbound.edi",
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/856.Crossdock.OK.edi",
    "xlate__staedi/src/test/resources/x12/simple810.edi",
]


@pytest.mark.parametrize("path", REAL_SAMPLES)
def test_real_855_856_810_samples_pass_the_projects_maps(path: str) -> None:
    ok, errors = validate((CORPUS_OUTBOUND / path).read_text())
    assert ok, json.loads(errors)


def test_the_810_map_enforces_it1_quantity_unit_and_price_together() -> None:
    text = (CORPUS_OUTBOUND / "kputnam__stupidedi/spec/fixtures/004010/IN810/pass/1.edi").read_text()
    ok, errors = validate(text)
    assert not ok and "P020304" in errors
