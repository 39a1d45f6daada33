"""The command-line tests' shared fixture: ``gateway`` run in-process over a private demo store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import FIXED_NOW


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, master_template: Path) -> CliRunner:
    """A runner whose ``GATEWAY_HOME`` holds a copy of the migrated demo store, at the fixed clock."""
    (tmp_path / "home").mkdir()
    shutil.copyfile(master_template, tmp_path / "home" / "gateway.db")
    monkeypatch.setenv("GATEWAY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GATEWAY_NOW", FIXED_NOW.isoformat())
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    return CliRunner()
