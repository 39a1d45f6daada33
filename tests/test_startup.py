"""Start-up loads only what a command uses: checked through ``sys.modules`` of a real child process.

No timing: a module that is not imported costs nothing, whatever the machine's load. Each
check has a control that the same probe does see the library when the command needs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway._lazy import lazy_exports
from tests.conftest import INBOX
from tests.conftest import ROOT

# Runs `gateway ARGS...` as a user does, then writes the exit code and every module it imported.
_PROBE = """
import json, sys
from gateway.cli import main
try:
    main(sys.argv[2:], prog_name="gateway")
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w") as out:
    json.dump({"exit": code, "modules": sorted(sys.modules)}, out)
"""

# Document readers and the libraries they read with.
READERS = (
    "openpyxl",
    "pdfplumber",
    "pdfminer",
    "pypdfium2",
    "PIL",
    "pytesseract",
    "parsers._excel",
    "parsers._pdf",
    "parsers._image",
    "parsers._ocr",
    "parsers._email",
)
# Libraries of other commands and roles: the web desk, the job queue, IMAP, HTTP delivery.
OTHER_ROLES = ("flask", "werkzeug", "jinja2", "procrastinate", "psycopg", "imapclient", "httpx", "zxcvbn")
# What a command that opens the store needs, and `--help` does not.
STORE = ("sqlalchemy", "alembic", "pydantic", "pyx12", "rapidfuzz", "gateway.storage", "gateway.pipeline")
LAZY_PACKAGES = ("parsers", "gateway.desk", "gateway.jobs")


def _gateway(tmp_path: Path, *args: str) -> tuple[Any, set[str], str]:
    """Exit code, imported modules and output of `gateway ARGS` in a child, on a store under tmp_path."""
    report = tmp_path / "modules.json"
    env = {**os.environ, "GATEWAY_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(report), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert report.exists(), done.stderr
    found = json.loads(report.read_text())
    return found["exit"], set(found["modules"]), done.stdout + done.stderr


@pytest.mark.parametrize("args", [("--help",), ("ingest", "--help"), ("user", "add", "--help")])
def test_help_loads_no_store_no_reader_and_no_web_framework(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, modules, output = _gateway(tmp_path, *args)
    assert code == 0 and "Usage: gateway" in output, output
    assert "gateway.cli" in modules and "click" in modules  # the probe did run the command
    assert sorted(modules & {*READERS, *OTHER_ROLES, *STORE}) == []
    assert not (tmp_path / "home").exists()  # nor does it make a store


def test_x12_ingest_loads_no_pdf_or_sheet_reader(tmp_path: Path) -> None:
    code, modules, output = _gateway(tmp_path, "ingest", str(INBOX / "acme-4500012345.edi"))
    assert code == 0 and "processed; 1 orders; 997" in output, output
    assert {"pyx12", "parsers.x12", "sqlalchemy.orm", "gateway.pipeline"} <= modules  # it did read and store
    assert sorted(modules & {*READERS, *OTHER_ROLES}) == []


@pytest.mark.parametrize(
    ("document", "reader"),
    [
        (ROOT / "fixtures" / "pdfs" / "ruled-simple.pdf", "pdfplumber"),
        (ROOT / "fixtures" / "sheets" / "plain-export.xlsx", "openpyxl"),
    ],
)
def test_a_reader_is_imported_when_its_format_arrives(tmp_path: Path, document: Path, reader: str) -> None:
    """The control: the same probe sees the reader a PDF or a sheet needs, so its absence above means something."""
    code, modules, output = _gateway(tmp_path, "ingest", "--partner", "acme", str(document))
    assert code == 0 and "processed" in output, output
    assert reader in modules


def test_no_password_is_hashed_at_import(tmp_path: Path) -> None:
    """Importing the desk and every one of its exports runs no scrypt; the first login without a user does."""
    probe = """
import hashlib, json, sys
calls = []
real = hashlib.scrypt
def counting(*args, **kwargs):
    calls.append(1)
    return real(*args, **kwargs)
hashlib.scrypt = counting
import gateway.cli
import gateway.desk as desk
for name in dir(desk):
    getattr(desk, name)
at_import = len(calls)
desk._users._dummy_hash()
print(json.dumps([at_import, len(calls)]))
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [0, 1]


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_lazy_export_resolves(package: str) -> None:
    """A front door's list names real things: each export imports, and is what its module holds."""
    module = __import__(package, fromlist=["_"])
    exports = lazy_exports(Path(module.__file__ or "").read_text(encoding="utf-8"))
    assert exports and set(exports) <= set(dir(module))
    for name, source in exports.items():
        value = getattr(module, name)
        holder = __import__(package + source if source.startswith(".") else source, fromlist=["_"])
        assert value is getattr(holder, name), name
    with pytest.raises(AttributeError, match="no attribute 'not_an_export'"):
        getattr(module, "not_an_export")  # noqa: B009


def test_a_front_door_takes_only_relative_re_exports() -> None:
    assert lazy_exports("if TYPE_CHECKING:\n    from ._x import a as a\n") == {"a": "._x"}
    with pytest.raises(ValueError, match="re-export"):
        lazy_exports("if TYPE_CHECKING:\n    from ._x import a\n")
    with pytest.raises(ValueError, match=r"from \.module import"):
        lazy_exports("if TYPE_CHECKING:\n    from gateway.x import a as a\n")
