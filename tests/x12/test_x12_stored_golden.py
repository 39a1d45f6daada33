"""What an X12 ingest stores does not change when the reading gets faster.

Every X12 file of the corpus and of the fixtures, and generated interchanges (004010 and 005010),
is ingested into one store; the rows each leaves (document, orders with their canonical JSON,
lines, findings, outbound documents such as the 997, tallies), each in a fresh store, are hashed per file and compared
with ``x12_stored.expected.json``, written from the code before the speed work of issue 18.

When a change is *meant* to alter what is stored, write the file again with
``python -m tests.x12.test_x12_stored_golden`` and say why in the commit.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.generate import write_interchange
from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.model.order import Provenance
from partners import PartnerRegistry
from partners import load_profile
from tests.conftest import CORPUS
from tests.conftest import FIXED_NOW
from tests.conftest import ROOT
from tests.conftest import TEST_PROFILES

EXPECTED_FILE = Path(__file__).with_name("x12_stored.expected.json")
# The tables an ingest writes to, with the columns that only number rows left out.
TABLES = {
    "document": ("received_at", "updated_at"),
    "purchase_order": (),
    "order_line": (),
    "finding": (),
    "outbound_document": (),
    "order_day_tally": (),
    "open_order_tally": (),
}


def _generated(version: str) -> bytes:
    text = io.StringIO()
    write_interchange(text, orders=12, lines=3, version=version)
    return text.getvalue().encode("ascii")


def sources() -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every X12 file read here, in the order they are ingested."""
    corpus = sorted(
        line.split("\t")[0]
        for line in (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]
        if line.split("\t")[3] != "license" and not line.split("\t")[0].endswith((".xlsx", ".xml"))
    )
    for name in corpus:
        yield f"corpus/{name}", (CORPUS / name).read_bytes()
    for path in sorted((ROOT / "fixtures" / "x12").rglob("*.edi")):
        yield f"fixtures/{path.relative_to(ROOT / 'fixtures')}", path.read_bytes()
    for version in ("00401", "00501"):
        yield f"generated/{version}", _generated(version)


def _rows(session: Session, table: Table) -> list[dict[str, Any]]:
    leave_out = set(TABLES[table.name])
    return [
        {key: value for key, value in row._mapping.items() if key not in leave_out}
        for row in session.execute(select(table).order_by(*table.primary_key.columns))
    ]


def _digest(rows: dict[str, list[dict[str, Any]]]) -> str:
    text = json.dumps(rows, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def stored_digests(
    template: Path, folder: Path, partners: PartnerRegistry, *, only: str = ""
) -> dict[str, str]:
    """Per source (those named ``only...``), the SHA-256 of the rows its ingest left in a fresh
    copy of the migrated store ``template``."""
    digests: dict[str, str] = {}
    for number, (name, raw) in enumerate(sources()):
        if not name.startswith(only):
            continue
        path = folder / f"store-{number}.db"
        shutil.copyfile(template, path)
        engine = storage.make_engine(f"sqlite:///{path}")
        sessions = storage.make_sessionmaker(engine)
        pipeline = Pipeline(sessions, partners, clock=lambda: FIXED_NOW, validate=False)
        pipeline.ingest_stream(io.BytesIO(raw), channel="test", filename=name.rsplit("/", 1)[-1])
        with sessions() as session:
            tables = storage.Base.metadata.tables
            digests[name] = _digest({table: _rows(session, tables[table]) for table in TABLES})
        engine.dispose()
    return digests


def test_an_x12_ingest_stores_what_it_stored_before(
    tmp_path: Path, migrated_template: Path, corpus_partners: PartnerRegistry
) -> None:
    expected = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    found = stored_digests(migrated_template, tmp_path, corpus_partners)
    assert sorted(found) == sorted(expected)
    differ = [name for name in expected if found[name] != expected[name]]
    assert not differ, f"stored rows changed for {differ}"


def test_the_digest_sees_a_changed_canonical_value(
    tmp_path: Path,
    migrated_template: Path,
    corpus_partners: PartnerRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check itself can fail: one character changed in every stored canonical JSON (its PO
    number, not the column's) is seen."""
    from gateway.inbound import rows as order_rows

    original = order_rows.order_row

    def touched(*args: Any, **kwargs: Any) -> dict[str, Any]:
        row = original(*args, **kwargs)
        row["canonical"] = storage.JsonText(
            str(row["canonical"]).replace('"po_number":"PO', '"po_number":"PQ')
        )
        return row

    monkeypatch.setattr(order_rows, "order_row", touched)
    expected = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    found = stored_digests(migrated_template, tmp_path, corpus_partners, only="generated/")
    assert found and all(found[name] != expected[name] for name in found)


def _corpus_partners() -> PartnerRegistry:
    """The ``corpus_partners`` fixture's registry, outside pytest."""
    registry = PartnerRegistry.from_directory()
    for path in sorted(TEST_PROFILES.glob("*.toml")):
        registry.add(load_profile(path))
    return registry


def main() -> None:
    """Write ``x12_stored.expected.json`` from the code as it is."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        engine = storage.make_engine(f"sqlite:///{template}")
        storage.upgrade(engine)
        engine.dispose()
        digests = stored_digests(template, Path(tmp), _corpus_partners())
    EXPECTED_FILE.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()


def test_a_value_read_from_an_850_has_a_whole_provenance() -> None:
    """The 850 builder writes a Provenance tuple field by field: it must stay equal to one made by
    name, whatever fields Provenance gains."""
    from parsers.x12._850 import X12Segment
    from parsers.x12._850 import build_850

    order, _ = build_850(
        [X12Segment(4, ["BEG", "00", "SA", "PO1"]), X12Segment(5, ["PO1", "1", "2", "EA"])],
        partner="acme",
        document_id=None,
        control_number=None,
    )
    assert order.provenance["po_number"] == Provenance(segment_index=4, segment_id="BEG", element="BEG03")
    assert order.lines[0].provenance["quantity"] == Provenance(
        segment_index=5, segment_id="PO1", element="PO102"
    )
