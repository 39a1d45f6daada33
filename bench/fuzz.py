"""Long fuzz runs of the readers: atheris (coverage-guided) and hypothesis over X12, email and sheets.

``run(seconds)`` fuzzes for about ``seconds`` of wall time. Meanwhile one atheris subprocess per
target (atheris.Fuzz never returns) runs the reader under coverage guidance, seeded with the real
documents and examples of the strategies in ``tests/fuzz/fuzz_inputs.py``; xlsx inputs are mutated
inside their zip, part by part. This process runs those strategies with hypothesis through the
whole pipeline (SQLite), one target after another. An input that breaks a reader is kept once
per distinct failure in ``var/fuzz/crashes/`` beside its traceback; so is an input that hangs a
reader for 20 s (libFuzzer's ``timeout-*``). libFuzzer's corpus grows in ``var/fuzz/corpus/``.

    python -m bench.fuzz --seconds 60
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from bench._markdown import Headline
from bench._markdown import table

if TYPE_CHECKING:
    from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "fuzz"
TARGETS = ("x12", "email", "sheets")
PER_INPUT_TIMEOUT = 20  # seconds; an input that takes longer is a hang worth keeping
_CORPUS_SAMPLES = 40  # strategy examples added to each atheris seed corpus
_HYPOTHESIS_CHUNK = 25  # examples per hypothesis run; the deadline is checked between runs
_MAX_LEN = {"x12": 32_768, "email": 32_768, "sheets": 65_536}
# What each atheris child instruments: the readers and the libraries they hand bytes to.
_INSTRUMENTED = {
    "x12": ["parsers", "pyx12"],
    "email": ["parsers", "email"],
    "sheets": ["parsers", "openpyxl.reader", "openpyxl.worksheet", "openpyxl.cell", "openpyxl.packaging"],
}
_DONE = re.compile(rb"Done (\d+) (?:runs )?in (\d+) second")


@dataclass(slots=True)
class TargetRun:
    """One engine's run over one target; ``crashes`` are the inputs it kept."""

    target: str
    engine: str
    executions: int
    seconds: float
    crashes: list[Path] = field(default_factory=list)
    note: str = ""

    @property
    def rate(self) -> float:
        return self.executions / self.seconds if self.seconds else 0.0


@dataclass(slots=True)
class Result:
    seconds: float
    folder: Path
    runs: list[TargetRun]

    @property
    def crashes(self) -> list[Path]:
        return [path for run in self.runs for path in run.crashes]

    def lines(self) -> list[str]:
        out = [f"fuzz: {self.seconds:.0f} s over {', '.join(TARGETS)}; crashes kept in {self.folder}"]
        for run in self.runs:
            note = f" ({run.note})" if run.note else ""
            out.append(
                f"  {run.engine:10} {run.target:6} {run.executions:>9,} executions in {run.seconds:6.1f} s "
                f"{run.rate:>7,.0f}/s  {len(run.crashes)} new crashes{note}"
            )
        out.extend(f"  crash: {path}" for path in self.crashes)
        if not self.crashes:
            out.append(
                "  no crashes: every input ended as events, or a stored document with a specific error"
            )
        return out

    def markdown(self) -> str:
        rows = [
            [
                run.engine,
                run.target,
                f"{run.executions:,}",
                f"{run.seconds:.1f}",
                f"{run.rate:,.0f}",
                len(run.crashes),
            ]
            for run in self.runs
        ]
        found = "\n".join(f"- `{path}`" for path in self.crashes) or "No crashes."
        return "\n\n".join(
            [
                f"{self.seconds:.0f} s of fuzzing (atheris and hypothesis side by side); inputs that break "
                f"a reader are kept in `{self.folder}`.",
                table(
                    ["engine", "target", "executions", "seconds", "per second", "new crashes"],
                    rows,
                    right=range(2, 6),
                ),
                found,
            ]
        )

    def headlines(self) -> list[Headline]:
        executions = sum(run.executions for run in self.runs)
        return [
            Headline(
                "fuzzing the readers: executions",
                f"{executions:,}",
                against=f"new crashes: {len(self.crashes)}",
            )
        ]


def run(seconds: float = 60.0) -> Result:
    """Fuzz the three readers for about ``seconds``; report executions and the crashes kept."""
    crashes = OUT / "crashes"
    crashes.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    deadline = time.time() + seconds
    try:
        import atheris  # noqa: F401 - only to learn whether it installed here
    except ImportError:
        corpora: dict[str, Path] = {}
    else:  # seeded first: hypothesis runs in one thread at a time
        corpora = {target: _seed_corpus(target) for target in TARGETS}
    with ThreadPoolExecutor(max_workers=len(TARGETS)) as pool:
        children = [pool.submit(_atheris, t, corpus, deadline, crashes) for t, corpus in corpora.items()]
        runs = []
        for index, target in enumerate(TARGETS):  # the time left, shared by the targets still to run
            share = max(deadline - time.time(), 0.0) / (len(TARGETS) - index)
            runs.append(_hypothesis(target, time.time() + share, crashes))
        runs = [child.result() for child in children] + runs
    if not corpora:
        runs[0].note += "; atheris is not installed here, so hypothesis only"
    return Result(time.monotonic() - started, crashes, runs)


# ---------------------------------------------------------------------------------------------
# atheris: one subprocess per target, restarted after a hang until the deadline.


def _atheris(target: str, corpus: Path, deadline: float, crashes: Path) -> TargetRun:
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log, count = logs / f"{target}.log", logs / f"{target}.count"
    before = set(crashes.iterdir())
    started = time.time()
    executions, starts = 0, 0
    while (left := deadline - time.time()) >= 1:
        count.unlink(missing_ok=True)
        command = [
            sys.executable, "-m", "bench.fuzz", "--child", target, str(crashes), str(deadline), str(count),
            f"-max_total_time={int(left)}", f"-timeout={PER_INPUT_TIMEOUT}", f"-max_len={_MAX_LEN[target]}",
            f"-artifact_prefix={crashes}/{target}-atheris-", str(corpus),
        ]  # fmt: skip
        # A child past its time is killed; what it found is on disk already.
        with log.open("wb") as sink, contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(command, cwd=ROOT, stdout=sink, stderr=sink, timeout=left + 60, check=False)
        counted = count.read_text() if count.exists() else ""
        done = int(counted) if counted.isdigit() else _executions(log.read_bytes())
        executions += done
        starts += 1
        if not done and deadline - time.time() >= 1:  # it could not start: say why, do not spin
            tail = log.read_bytes().decode(errors="replace").strip().splitlines()[-1:]
            return TargetRun(target, "atheris", executions, time.time() - started, [], f"failed: {tail}")
    note = f"restarted {starts - 1} times after a hang" if starts > 1 else ""
    found = _new_inputs(crashes, before, f"{target}-atheris-")
    return TargetRun(target, "atheris", executions, time.time() - started, found, note)


def _executions(log: bytes) -> int:
    """What libFuzzer reported when it stopped on its own (a hang, or its -max_total_time)."""
    done = _DONE.findall(log)
    if done:
        return int(done[-1][0])
    pulses = re.findall(rb"^#(\d+)\s", log, re.MULTILINE)
    return int(pulses[-1]) if pulses else 0


def _seed_corpus(target: str) -> Path:
    """Real documents plus examples of the target's strategy; libFuzzer adds what it finds here."""
    from tests.fuzz import fuzz_inputs

    corpus = OUT / "corpus" / target
    corpus.mkdir(parents=True, exist_ok=True)
    by_target: dict[str, Callable[[], tuple[bytes, ...]]] = {
        "x12": fuzz_inputs.x12_seeds,
        "email": fuzz_inputs.email_seeds,
        "sheets": lambda: (*fuzz_inputs.xlsx_seeds(), *fuzz_inputs.csv_seeds()),
    }
    seeds = by_target[target]()
    for data in (*seeds, *fuzz_inputs.sample(_strategy(target), _CORPUS_SAMPLES)):
        path = corpus / hashlib.sha1(data).hexdigest()
        if not path.exists():
            path.write_bytes(data)
    return corpus


def _child(target: str, crashes: Path, deadline: float, count: Path, libfuzzer_args: list[str]) -> None:
    """The atheris process: instrument the reader, then fuzz it until ``deadline`` (wall clock).

    libFuzzer's own clock starts only after the imports and the seed corpus, so the deadline is
    what keeps the process within its time; the executions are then written to ``count``.
    """
    import atheris

    with atheris.instrument_imports(include=_INSTRUMENTED[target]):
        import parsers  # noqa: F401 - imported here to be instrumented
    from partners import PartnerRegistry
    from tests.fuzz import fuzz_inputs

    logging.disable(logging.CRITICAL)
    partners = PartnerRegistry.from_directory()
    checks: dict[str, Callable[[bytes], object]] = {
        "x12": lambda data: (fuzz_inputs.check_prepass(data), fuzz_inputs.check_parse_stream(data, partners)),
        "email": lambda data: fuzz_inputs.check_email(data, partners),
        "sheets": fuzz_inputs.check_sheet,
    }
    check = checks[target]
    seen = _known_signatures(crashes)
    executions = 0

    def one_input(data: bytes) -> None:
        nonlocal executions
        if time.time() > deadline:
            count.write_text(str(executions))
            os._exit(0)  # atheris.Fuzz never returns
        executions += 1
        try:
            check(data)
        except Exception as exc:  # every failure is a finding: kept once per place it was raised
            _keep(crashes, f"{target}-atheris", data, exc, seen)

    mutator = _zip_aware_mutator if target == "sheets" else None
    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input, custom_mutator=mutator)
    atheris.Fuzz()


def _zip_aware_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    """Mutate one part inside an xlsx zip (its XML), so inputs get past the CRC; else the raw bytes."""
    import atheris

    rng = random.Random(seed)
    if data.startswith(b"PK") and rng.random() < 0.8:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
        except Exception:  # a damaged zip is mutated as bytes
            entries = []
        if entries:
            at = rng.randrange(len(entries))
            name, content = entries[at]
            entries[at] = (name, atheris.Mutate(content, len(content) + 256))
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
                for entry_name, entry in entries:
                    archive.writestr(entry_name, entry)
            if out.tell() <= max_size:
                return out.getvalue()
    return atheris.Mutate(data, max_size)


# ---------------------------------------------------------------------------------------------
# hypothesis: the strategies of tests/fuzz/fuzz_inputs.py through the pipeline, with fresh seeds.


def _strategy(target: str) -> st.SearchStrategy[bytes]:
    from tests.fuzz import fuzz_inputs

    return {
        "x12": fuzz_inputs.x12_inputs,
        "email": fuzz_inputs.email_documents,
        "sheets": fuzz_inputs.sheet_documents,
    }[target]()


def _hypothesis(target: str, deadline: float, crashes: Path) -> TargetRun:
    from hypothesis import HealthCheck
    from hypothesis import Phase
    from hypothesis import given
    from hypothesis import seed as hypothesis_seed
    from hypothesis import settings

    from partners import PartnerRegistry
    from tests.fuzz import fuzz_inputs

    partners = PartnerRegistry.from_directory()
    lower: dict[str, Callable[[bytes], object]] = {
        "x12": lambda data: fuzz_inputs.check_parse_stream(data, partners),
        "email": lambda data: fuzz_inputs.check_email(data, partners),
        "sheets": fuzz_inputs.check_sheet,
    }
    channel = {"x12": "sftp", "email": "imap", "sheets": "file"}[target]
    partner = "acme" if target == "sheets" else None  # sheets name no customer; X12 and mail do
    before = set(crashes.iterdir())
    seen = _known_signatures(crashes)
    executions, last = 0, b""
    started = time.time()
    # The pipeline logs what escaped a parser (here a finding, kept below); pdfminer and openpyxl
    # warn about every damaged file.
    logging.disable(logging.CRITICAL)
    try:
        with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipeline = fuzz_inputs.sqlite_pipeline(Path(folder))
            while time.time() < deadline:

                @hypothesis_seed(random.SystemRandom().randrange(2**32))
                @settings(
                    max_examples=_HYPOTHESIS_CHUNK,
                    database=None,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.generate],  # no shrinking: it has no time limit; the tests can shrink
                )
                @given(_strategy(target))
                def prop(data: bytes) -> None:
                    nonlocal executions, last
                    executions, last = executions + 1, data
                    lower[target](data)
                    fuzz_inputs.check_ingest(
                        pipeline,
                        data,
                        channel=channel,
                        filename=f"fuzz.{target}",
                        partner=partner,
                        postgres_widths=True,
                    )

                try:
                    prop()
                except Exception as exc:  # hypothesis runs the failing example again, last
                    _keep(crashes, f"{target}-hypothesis", last, exc, seen)
    finally:
        logging.disable(logging.NOTSET)
    found = _new_inputs(crashes, before, f"{target}-hypothesis-")
    return TargetRun(target, "hypothesis", executions, time.time() - started, found, "through the pipeline")


# ---------------------------------------------------------------------------------------------
# Findings on disk: one input and one traceback per distinct failure.


def _new_inputs(crashes: Path, before: set[Path], prefix: str) -> list[Path]:
    """Inputs kept since ``before`` by one engine and target (tracebacks sit beside them as .txt)."""
    return sorted(
        path
        for path in set(crashes.iterdir()) - before
        if path.name.startswith(prefix) and path.suffix != ".txt"
    )


def _signature(prefix: str, exc: BaseException) -> str:
    """What tells one failure from another: target and engine, exception type, innermost frame.

    A broken property (an assertion of tests/fuzz/fuzz_inputs.py) adds what it says, without numbers.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    said = (
        re.sub(r"[\d'\"].*", "", str(exc).partition("\n")[0])[:80] if isinstance(exc, AssertionError) else ""
    )
    return f"{prefix} {type(exc).__name__}@{where} {said}".rstrip()


def _known_signatures(crashes: Path) -> set[str]:
    found: set[str] = set()
    for path in crashes.glob("*.txt"):
        first = path.read_text(errors="replace").partition("\n")[0]
        if first.startswith("signature: "):
            found.add(first.removeprefix("signature: "))
    return found


def _keep(crashes: Path, prefix: str, data: bytes, exc: BaseException, seen: set[str]) -> None:
    signature = _signature(prefix, exc)
    if signature in seen:
        return
    seen.add(signature)
    stem = crashes / f"{prefix}-{type(exc).__name__}-{hashlib.sha256(data).hexdigest()[:12]}"
    stem.with_suffix(".bin").write_bytes(data)
    trace = "".join(traceback.format_exception(exc))
    stem.with_suffix(".txt").write_text(f"signature: {signature}\ninput: {stem.name}.bin\n\n{trace}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:  # an atheris subprocess: the rest are libFuzzer's flags
        _child(args[1], Path(args[2]), float(args[3]), Path(args[4]), args[5:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="fuzzing time (default: 60)")
    options = parser.parse_args(args)
    result = run(options.seconds)
    for line in result.lines():
        print(line, flush=True)
    return 1 if result.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
