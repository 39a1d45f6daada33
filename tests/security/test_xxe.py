"""XXE and entity expansion: every XML the gateway parses goes through defusedxml.

Where XML is parsed:

- xlsx parts (untrusted): openpyxl parses with defusedxml whenever it is installed (it is a
  pinned dependency); so does our own check of ``[Content_Types].xml`` and the workbook's
  relationships (``parsers/_excel.py``). Proven below with workbooks carrying an external
  entity or a billion laughs in each part openpyxl reads.
- pyx12 maps (trusted: generated into ``parsers/x12/maps/`` and shipped with the code, never
  taken from a partner); pyx12 4 parses them with defusedxml anyway, and ``_mapgen`` reads
  pyx12's ``dataele.xml`` with defusedxml and uses the stdlib only to build XML.
- AS2 and email are MIME and CMS (pyas2lib: the ``email`` package, asn1crypto); no XML.

``test_no_project_module_parses_xml_with_the_stdlib`` keeps it so for code written later.
"""

from __future__ import annotations

import ast
import io
from pathlib import Path

import defusedxml.ElementTree
import openpyxl
import pytest
from defusedxml import DefusedXmlException

from gateway.inbound.pipeline import Pipeline
from tests.conftest import ROOT
from tests.security import _hostile as hostile
from tests.security._stored import assert_refused
from tests.security._stored import ingest

PACKAGES = ("gateway", "parsers", "emitters", "partners", "validators")
UNSAFE_MODULES = ("xml.etree", "xml.dom", "xml.sax", "xml.parsers.expat", "lxml", "xmltodict")
PARSING_CALLS = {
    "parse",
    "fromstring",
    "iterparse",
    "XML",
    "XMLParser",
    "parseString",
    "XMLPullParser",
    "make_parser",
}
SECRET = "the-canary-an-xxe-would-leak"


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xxe") / "secret.txt"
    path.write_text(SECRET)
    return path


def test_openpyxl_parses_with_defusedxml() -> None:
    from openpyxl.xml import functions

    assert openpyxl.DEFUSEDXML is True  # OPENPYXL_DEFUSEDXML=False would turn it off: we never set it
    assert functions.fromstring is defusedxml.ElementTree.fromstring
    assert functions.iterparse is defusedxml.ElementTree.iterparse


def _external(canary: Path, root: bytes) -> bytes:
    doctype = f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{canary}">]>'.encode()
    return b'<?xml version="1.0"?>' + doctype + root.replace(b"</", b"&xxe;</", 1)


def _laughs(root: bytes) -> bytes:
    entities = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    doctype = f'<!DOCTYPE r [<!ENTITY l0 "lol">{entities}]>'.encode()
    return b'<?xml version="1.0"?>' + doctype + root.replace(b"</", b"&l9;</", 1)


def _parts(which: str, payload: bytes) -> bytes:
    parts = hostile.xlsx_parts(shared_strings=hostile.shared_strings_xml())
    parts[which] = payload
    return hostile.zipped(parts)


@pytest.mark.parametrize(
    "which",
    [
        "xl/sharedStrings.xml",
        "xl/workbook.xml",
        "xl/worksheets/sheet1.xml",
        "[Content_Types].xml",
        "xl/_rels/workbook.xml.rels",
    ],
)
@pytest.mark.parametrize("attack", ["external-entity", "billion-laughs"])
def test_entities_in_any_part_of_a_workbook_are_refused(
    store_pipeline: Pipeline, canary: Path, which: str, attack: str
) -> None:
    original = hostile.xlsx_parts(shared_strings=hostile.shared_strings_xml())[which]
    payload = _external(canary, original) if attack == "external-entity" else _laughs(original)
    data = _parts(which, payload)
    document = ingest(store_pipeline, data, filename=f"{attack}.xlsx", channel="drop", partner="acme")
    assert_refused(document, "excel.corrupt")
    with pytest.raises(ValueError) as raised:  # and openpyxl alone refuses it for defusedxml's reason
        openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0].calculate_dimension()
    causes: list[BaseException] = []
    error: BaseException | None = raised.value
    while error is not None:
        causes.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(e, DefusedXmlException) for e in causes), causes
    with store_pipeline.sessions() as session:  # nothing anywhere holds the file's content
        for table in ("document", "purchase_order", "order_line", "finding"):
            rows = session.connection().exec_driver_sql(f"SELECT * FROM {table}").fetchall()
            assert SECRET not in repr(rows), table


def test_the_same_workbook_without_entities_reads(store_pipeline: Pipeline) -> None:
    """The control: each attacked part is otherwise valid."""
    data = hostile.xlsx(shared_strings=hostile.shared_strings_xml())
    document = ingest(store_pipeline, data, filename="clean.xlsx", channel="drop", partner="acme")
    assert (document.status, document.error_code) == ("processed", None)


def test_pyx12_reads_its_maps_with_defusedxml_from_the_shipped_folder() -> None:
    import pyx12.codes
    import pyx12.dataele
    import pyx12.map_if._loader
    import pyx12.map_index
    import pyx12.params

    from parsers.x12 import MAP_DIR

    for module in (pyx12.map_if._loader, pyx12.codes, pyx12.dataele, pyx12.map_index, pyx12.params):
        assert module.et is defusedxml.ElementTree, module.__name__
    assert MAP_DIR == ROOT / "parsers" / "x12" / "maps" and any(MAP_DIR.glob("850.*.xml"))


def _stdlib_parsers(path: Path) -> list[str]:
    """Calls like ``ET.fromstring(...)`` where ``ET`` is a stdlib (or lxml) XML module or one of its names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    unsafe: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            unsafe |= {a.asname or a.name for a in node.names if a.name.startswith(UNSAFE_MODULES)}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(UNSAFE_MODULES):
            unsafe |= {a.asname or a.name for a in node.names if a.name in PARSING_CALLS}
            unsafe |= {
                a.asname or a.name for a in node.names if a.name in ("ElementTree", "minidom", "etree")
            }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in unsafe:
            found.append(f"{path.name}:{node.lineno} {func.id}()")
        elif isinstance(func, ast.Attribute) and func.attr in PARSING_CALLS:
            base = func.value
            name = base.id if isinstance(base, ast.Name) else ast.unparse(base)
            if name in unsafe or name.startswith(UNSAFE_MODULES):
                found.append(f"{path.name}:{node.lineno} {name}.{func.attr}()")
    return found


def test_no_project_module_parses_xml_with_the_stdlib(tmp_path: Path) -> None:
    modules = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(modules) > 50
    found = [hit for path in modules for hit in _stdlib_parsers(path)]
    assert found == [], "parse untrusted XML with defusedxml, not the stdlib: " + ", ".join(found)
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import xml.etree.ElementTree as ET\nfrom xml.dom import minidom\nET.fromstring(b'')\nminidom.parseString('')\n"
    )
    assert len(_stdlib_parsers(planted)) == 2  # the scan does find them
