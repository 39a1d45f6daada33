"""Run a probe script in a child Python (``python -c SCRIPT REPORT ARGS``) and read the JSON it writes.

The probe writes its findings to ``REPORT`` itself, so what the child prints stays its own; a
child that dies before writing fails with its stderr. Used by the start-up import checks and the
X12 map cache test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.conftest import ROOT


def run_probe(
    script: str, report: Path, *args: str, env: Mapping[str, str]
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """The report ``script`` wrote (then removed, so a next probe cannot read a stale one) and the run."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(report), *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert report.exists(), done.stderr
    found: dict[str, Any] = json.loads(report.read_text())
    report.unlink()
    return found, done
