"""The Makefile's install step: a newcomer's first `make run` shows what it is doing."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import ROOT


def test_the_install_step_shows_its_progress(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    dry = subprocess.run(
        ["make", "--dry-run", "--always-make", f"VENV={venv}", f"{venv}/bin/.installed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    installs = [line for line in dry if " -m pip install" in line]
    assert len(installs) == 2, dry
    assert not any("--quiet" in line or " -q" in line for line in installs), "pip's own output is shown"
    steps = [line for line in dry if line.startswith("echo ")]
    assert len(steps) >= 3 and any("few minutes" in line for line in steps), dry


def test_the_test_target_type_checks_after_ruff_and_before_pytest(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    dry = (
        subprocess.run(
            ["make", "--dry-run", f"VENV={venv}", "test"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.replace("\\\n", "")
        .splitlines()
    )
    steps = [line for line in dry if line.startswith(f"{venv}/bin/") and " -m pip " not in line]
    assert steps == [
        f"{venv}/bin/ruff check .",
        f"{venv}/bin/ruff format --check .",
        f"{venv}/bin/python scripts/build_compiled.py & building=$!; "
        f"{venv}/bin/python -m pytest --collect-only -q -p no:cacheprovider >/dev/null & collecting=$!; "
        f"{venv}/bin/mypy; checked=$?; wait $building; built=$?; wait $collecting || true; "
        "[ $checked -eq 0 ] && [ $built -eq 0 ]",
        f"{venv}/bin/python -m pytest -n 3 --dist worksteal",
    ], dry
