"""The long fuzz run's own parts: counting libFuzzer's executions, keeping one input per failure."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from bench import fuzz
from tests.fuzz.fuzz_inputs import xlsx_seeds


def test_executions_are_read_from_libfuzzer_output() -> None:
    assert fuzz._executions(b"#64\tpulse  cov: 1\n#98\tNEW cov: 2\nDone 98 runs in 7 second(s)\n") == 98
    assert fuzz._executions(b"Done 1000 in 0 second(s)\n") == 1000  # with -atheris_runs
    assert fuzz._executions(b"#32\tpulse  cov: 1\n#64\tpulse  cov: 2\n") == 64  # killed before its summary
    assert fuzz._executions(b"INFO: Seed: 1\n") == 0


def _raise(kind: type[Exception]) -> Exception:
    try:
        raise kind("broken")
    except Exception as exc:
        return exc


def test_one_input_is_kept_per_distinct_failure(tmp_path: Path) -> None:
    seen: set[str] = set()
    first, again = _raise(IndexError), _raise(IndexError)  # raised on the same line
    fuzz._keep(tmp_path, "sheets-atheris", b"one", first, seen)
    fuzz._keep(tmp_path, "sheets-atheris", b"two", again, seen)
    fuzz._keep(tmp_path, "sheets-atheris", b"three", _raise(TypeError), seen)
    kept = sorted(p.name for p in tmp_path.glob("*.bin"))
    assert len(kept) == 2 and all(name.startswith("sheets-atheris-") for name in kept)
    assert fuzz._known_signatures(tmp_path) == seen
    assert fuzz._new_inputs(tmp_path, set(), "sheets-atheris-") == sorted(tmp_path.glob("*.bin"))


def test_xlsx_mutations_stay_zips_so_they_reach_the_xml(monkeypatch: pytest.MonkeyPatch) -> None:
    atheris = pytest.importorskip("atheris")
    # atheris.Mutate only works inside atheris.Fuzz (it exits the process otherwise): a stand-in.
    monkeypatch.setattr(atheris, "Mutate", lambda data, max_size: (data[::-1] + b"<x")[:max_size])
    seed = xlsx_seeds()[0]
    mutated = [fuzz._zip_aware_mutator(seed, 65_536, n) for n in range(40)]
    readable = sum(zipfile.is_zipfile(io.BytesIO(m)) for m in mutated)
    assert 20 <= readable < 40 and all(len(m) <= 65_536 for m in mutated)


def test_result_lines_name_every_run_and_crash(tmp_path: Path) -> None:
    crash = tmp_path / "x12-atheris-IndexError-0123456789ab.bin"
    runs = [
        fuzz.TargetRun("x12", "atheris", 1200, 10.0, [crash]),
        fuzz.TargetRun("email", "hypothesis", 30, 10.0),
    ]
    lines = fuzz.Result(20.0, tmp_path, runs).lines()
    assert "1,200 executions" in lines[1] and "120/s" in lines[1] and "1 new crashes" in lines[1]
    assert lines[-1] == f"  crash: {crash}"
