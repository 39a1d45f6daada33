"""Decompression bombs in bounded memory: each inflates to 2 GiB (or nests 5,000 deep), and
the process ingesting all of them must stay under ``PEAK_MB`` of its own RSS.

A child process (``tests/security/_bomb_child.py``) ingests them through the real pipeline, so
its VmHWM is its own, not the pytest parent's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.security._bomb_child import BOMBS

PEAK_MB = 300  # the child needs some 130 MB with nothing inflated; any bomb read whole is 2,000 or more
# Work, not seconds (``tests.work``): each refusal takes under 90,000 calls; a bomb read whole
# takes millions (a million padded rows 1.07 million, 5,000 nested parts 4.4 million).
CALLS = 500_000
EXPECTED = {
    "xlsx-bomb": ("excel.too_large", "ratio 1010"),
    "xlsx-lying-bomb": ("excel.corrupt", "ParseError"),
    "xlsx-a-million-rows": ("excel.too_large", "more than 50000 rows"),
    "pdf-bomb": ("pdf.too_large", "inflates beyond 64 MB"),
    "deep-mime": ("email.too_complex", "5000 multipart or attached-message parts"),
}


def test_every_bomb_is_refused_cheaply_in_bounded_memory(tmp_path: Path) -> None:
    assert set(EXPECTED) == set(BOMBS)
    done = subprocess.run(
        [sys.executable, "-m", "tests.security._bomb_child", str(tmp_path / "bombs.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    *reports, peak = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["name"] for r in reports] == list(EXPECTED)
    for report in reports:
        reason, says = EXPECTED[report["name"]]
        assert report["status"] == "rejected" and report["error_code"] != "internal_error", report
        assert report["reasons"][:1] == [reason] and says in report["error"], report
        assert report["calls"] < CALLS, report
    assert peak["peak_mb"] < PEAK_MB, peak
