"""Parsed X12 maps are kept under the data home, so a second `gateway ingest` parses no map XML.

Checked in real child processes (a command is one process): pyx12's map loader is counted, and the
997 and findings made with kept maps are compared with those made from freshly parsed XML.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from gateway.inbound.map_cache import PickledMaps
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.workers.probe import run_probe

# Runs `gateway ARGS...` with pyx12's map loader counted; writes the count and the store's outbound
# documents and findings.
_PROBE = """
import json, sqlite3, sys
import pyx12.map_if
real, parsed = pyx12.map_if.load_map_file, []
def counting(map_file, *args, **kwargs):
    parsed.append(map_file)
    return real(map_file, *args, **kwargs)
pyx12.map_if.load_map_file = counting
from gateway.cli.commands import main
try:
    main(sys.argv[3:], prog_name="gateway")
except SystemExit as exc:
    code = exc.code
db = sqlite3.connect(sys.argv[2])
outbound = [[k, c.decode() if isinstance(c, bytes) else c] for k, c in db.execute(
    "select kind, content from outbound_document order by id")]
findings = [list(r) for r in db.execute("select code, severity, message from finding order by id")]
errors = [r[0] for r in db.execute("select errors from document order by id")]
with open(sys.argv[1], "w") as out:
    json.dump({"exit": code, "parsed": parsed, "outbound": outbound, "findings": findings, "errors": errors}, out)
"""


def _ingest(home: Path, document: Path) -> dict[str, Any]:
    report = home.parent / f"{home.name}.json"
    env = {**os.environ, "GATEWAY_HOME": str(home), "GATEWAY_NOW": "2026-11-20T10:00:00+00:00"}
    found, done = run_probe(_PROBE, report, str(home / "gateway.db"), "ingest", str(document), env=env)
    assert found["exit"] in (0, None), done.stdout + done.stderr
    return found


def test_a_second_ingest_reads_the_maps_the_first_kept(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    first = _ingest(kept, INBOX / "acme-4500012345.edi")
    assert "x12.control.00401.xml" in first["parsed"] and "850.4010.xml" in first["parsed"]
    maps = sorted(path.name.rsplit(".", 2)[0] for path in (kept / "cache" / "x12-maps").iterdir())
    assert maps == ["850.4010.xml", "x12.control.00401.xml"]
    second = _ingest(kept, INBOX / "acme-errors.edi")
    assert second["parsed"] == []  # no map parsed from its XML

    # the control: the same two documents into a store whose maps are parsed afresh each time
    fresh = tmp_path / "fresh"
    _ingest(fresh, INBOX / "acme-4500012345.edi")
    shutil.rmtree(fresh / "cache")
    control = _ingest(fresh, INBOX / "acme-errors.edi")
    assert "850.4010.xml" in control["parsed"]
    assert second["outbound"] == control["outbound"] and len(control["outbound"]) >= 2
    assert "AK5*R" in control["outbound"][-1][1]  # the broken set is rejected by the 997
    assert second["findings"] == control["findings"] and second["errors"] == control["errors"]


def test_a_changed_map_or_pyx12_is_parsed_again_and_a_torn_file_rewritten(tmp_path: Path) -> None:
    sources = [tmp_path / "850.4010.xml", tmp_path / "codes.xml"]
    sources[0].write_text("<map/>")
    store, calls = PickledMaps(tmp_path / "cache"), []

    def parse() -> dict[str, int]:
        calls.append(1)
        return {"map": len(calls)}

    assert store.load(sources, "4.0.0", parse) == {"map": 1}
    assert PickledMaps(tmp_path / "cache").load(sources, "4.0.0", parse) == {"map": 1}  # kept
    assert store.load(sources, "4.0.1", parse) == {"map": 2}  # another pyx12
    sources[1].write_text("<codes/>")  # a file pyx12 reads beside the map
    assert store.load(sources, "4.0.1", parse) == {"map": 3}
    [kept] = (tmp_path / "cache").iterdir()  # older copies are removed
    kept.write_bytes(b"torn")
    assert store.load(sources, "4.0.1", parse) == {"map": 4}
    assert store.load(sources, "4.0.1", parse) == {"map": 4}
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [kept.name]


def test_no_cache_without_a_data_home(tmp_path: Path) -> None:
    """A store on PostgreSQL may have no data home: maps are then parsed, and no folder is made."""
    probe = "from gateway.inbound.map_cache import map_store_from_environment as m; print(m())"
    env = {**os.environ, "GATEWAY_HOME": str(tmp_path / "none")}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "None", done.stderr
    assert not (tmp_path / "none").exists()


def test_maps_in_a_folder_others_may_write_are_neither_read_nor_written(tmp_path: Path) -> None:
    """Loading a pickle runs code: a kept map is trusted only in a folder private to this user."""
    sources = [tmp_path / "850.4010.xml"]
    sources[0].write_text("<map/>")
    folder, calls = tmp_path / "cache", []

    def parse() -> dict[str, int]:
        calls.append(1)
        return {"map": len(calls)}

    assert PickledMaps(folder).load(sources, "4.0.0", parse) == {"map": 1}
    assert folder.stat().st_mode & 0o777 == 0o700 and len(list(folder.iterdir())) == 1
    folder.chmod(0o777)  # anyone could have put a file there now
    assert PickledMaps(folder).load(sources, "4.0.0", parse) == {"map": 2}  # parsed, not read
    folder.chmod(0o700)
    assert PickledMaps(folder).load(sources, "4.0.0", parse) == {"map": 1}  # the control: the kept one, read


def test_a_folder_that_cannot_be_written_still_gives_the_parsed_map(tmp_path: Path) -> None:
    sources = [tmp_path / "850.4010.xml"]
    sources[0].write_text("<map/>")
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("in the way")
    assert PickledMaps(blocked / "cache").load(sources, "4.0.0", lambda: {"map": 1}) == {"map": 1}
