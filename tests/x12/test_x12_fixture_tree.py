"""Every interchange of fixtures/x12/<version>/<set>/pass|fail/ ends as its sibling .expected.json says.

The gateway reads each file as in production: the partners' own profiles, the demo master data,
validation on. What it must produce is written beside the file (fixtures/x12/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli import reports
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import ROOT
from tests.x12.test_x12_peer_acks import normalise
from tests.x12.test_x12_peer_acks import segments

TREE = ROOT / "fixtures" / "x12"
FILES = sorted(TREE.glob("*/*/*/*.edi"))
FIELDS = ("status", "orders", "document_errors", "order_errors", "acks", "responses")


def expected_path(path: Path) -> Path:
    return path.with_suffix(".expected.json")


def expected(path: Path) -> dict[str, Any]:
    """The sibling .expected.json: exactly FIELDS, plus an optional "note" saying why."""
    entry: dict[str, Any] = json.loads(expected_path(path).read_text(encoding="utf-8"))
    assert sorted(set(entry) - {"note"}) == sorted(FIELDS), f"{expected_path(path)}: fields {sorted(entry)}"
    return entry


def outcome(path: Path, sessions: sessionmaker[Session], partners: PartnerRegistry) -> dict[str, Any]:
    """What the gateway made of ``path`` on a fresh store, in the terms of an .expected.json."""
    done = Pipeline(sessions, partners, clock=lambda: FIXED_NOW).ingest_path(path)
    with sessions() as session:
        report = reports.document_report(session, done)
        acks = session.scalars(
            select(storage.OutboundRecord.content)
            .where(storage.OutboundRecord.kind.in_(("997", "999")))
            .order_by(storage.OutboundRecord.id)
        )
        texts = [content.decode("ascii") for content in acks]
    # an error finding's reason (parse issues) or its rule's code (validation)
    errors = {
        f["reason"] or f["code"] for o in report["orders"] for f in o["findings"] if f["severity"] == "error"
    }
    return {
        "status": report["status"],
        "orders": [o["status"] for o in report["orders"]],
        "document_errors": sorted({e["reason"] for e in report["errors"]}),
        "order_errors": sorted(errors),
        "acks": [o["kind"] for o in report["outbound"]],
        # each set's AK5 (IK5 in a 999) after its ST02, then the group's AK9
        "responses": [line for line in normalise(texts) if line.split("/")[-1][:3] in ("AK5", "IK5", "AK9")],
    }


def _header(path: Path) -> tuple[str, set[str]]:
    """GS08 and the ST01s of an interchange."""
    found = segments(path.read_text(encoding="ascii"))
    [version] = {s[8] for s in found if s[0] == "GS"}
    return version, {s[1] for s in found if s[0] == "ST"}


def test_the_tree_is_laid_out_by_version_set_and_verdict() -> None:
    """fixtures/x12/<GS08 release>/<ST01>/pass|fail/NAME.edi beside NAME.expected.json, nothing else;
    pass means every set accepted and the document processed, fail anything else."""
    assert len(FILES) >= 6
    stray = {p for p in TREE.rglob("*") if p.is_file() and p.name != "README.md"}
    stray -= {*FILES, *map(expected_path, FILES)}
    assert not stray, f"files outside the <version>/<set>/pass|fail layout: {sorted(stray)}"
    for path in FILES:
        version, set_dir, verdict = path.relative_to(TREE).parts[:3]
        gs08, sets = _header(path)
        assert gs08.startswith(version) and sets == {set_dir}, path
        entry = expected(path)
        accepted = entry["status"] == "processed" and all(
            r.endswith(("AK5*A", "IK5*A")) or r.startswith("AK9*A") for r in entry["responses"]
        )
        assert verdict == ("pass" if accepted and entry["responses"] else "fail"), path


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(TREE).as_posix())
def test_fixture_outcome(
    path: Path, master_sessions: sessionmaker[Session], partners: PartnerRegistry
) -> None:
    want = expected(path)
    got = outcome(path, master_sessions, partners)
    assert {field: got[field] for field in FIELDS} == {field: want[field] for field in FIELDS}
