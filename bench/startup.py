"""Start-up: CPU seconds and peak RSS of ``gateway`` commands from start to exit, against the interpreter's own.

Each command runs as a user runs it, in a fresh process (``python -c "from gateway.cli.commands import
main; main()" ARGS``, from this checkout). A tiny launcher process forks it and reads its
``wait4`` rusage: user + system CPU and ``ru_maxrss``. The launcher holds only the bare
interpreter, so Linux's habit of counting the forking process's RSS in a child's ``ru_maxrss``
adds nothing a Python process would not have anyway (this benchmark's own process would add
a hundred MB or more). Every command runs once untimed first, then ``runs`` times; the median is
reported. Bytecode is cached under bench/out/ (as for an installed package), so what is
measured is the import, never the compile.

Baselines in the same run: the interpreter alone (``python -c pass``) and an import of
SQLAlchemy (``python -c "import sqlalchemy"``), the one library every command that opens the
store needs. Commands: ``gateway --help``, ``gateway ingest --help``, two small commands start
to exit (``gateway partners check``: loads the profiles; ``gateway orders``: opens an existing
store and lists its one order), and ``gateway ingest`` of a 100-PO X12 file into a store holding the demo master data
(validated, 997 written), on a fresh copy of that store each run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from bench._markdown import Headline
from bench._markdown import table
from bench.generate import write_file

ROOT = Path(__file__).resolve().parent.parent
PYCACHE = ROOT / "bench" / "out" / "pycache"
GATEWAY = "from gateway.cli.commands import main; main()"
INGEST_ORDERS = 100

# Forks the command with only the interpreter loaded, waits, and adds a last line to its output:
# exit code, CPU seconds, ru_maxrss in KB.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss, flush=True)
"""

# Runs several gateway commands (a Python list literal of argument lists) in one process, in order;
# the first that fails ends it with its exit code.
_COMMANDS = """
import ast, sys
from gateway.cli.commands import main
for args in ast.literal_eval(sys.argv[1]):
    try:
        code = main(args, standalone_mode=False)  # click's Exit comes back as its code
    except SystemExit as stop:
        code = stop.code
    if code:
        sys.exit(code)
"""


@dataclass(slots=True)
class Measure:
    """One command's runs: CPU seconds and peak RSS (MB) of each."""

    label: str
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def rss_median(self) -> float:
        return statistics.median(self.rss_mb)


@dataclass(slots=True)
class Result:
    runs: int
    interpreter: Measure
    sqlalchemy: Measure
    commands: list[Measure]

    def lines(self) -> list[str]:
        out = [
            f"start-up: median of {self.runs} runs each, child's user+system CPU and ru_maxrss; "
            'ratios against `python -c pass` and `python -c "import sqlalchemy"` in the same run'
        ]
        for m in [self.interpreter, self.sqlalchemy, *self.commands]:
            out.append(
                f"  {m.label:<34} {m.cpu_median:6.2f} s CPU {m.rss_median:6.0f} MB"
                f"   {m.cpu_median / self.interpreter.cpu_median:6.1f}x / {m.rss_median / self.interpreter.rss_median:4.1f}x interpreter"
                f"   {m.cpu_median / self.sqlalchemy.cpu_median:5.2f}x / {m.rss_median / self.sqlalchemy.rss_median:4.2f}x sqlalchemy"
            )
        return out

    def markdown(self) -> str:
        rows = [
            [
                m.label,
                f"{m.cpu_median:.2f}",
                f"{m.rss_median:.0f}",
                f"{m.cpu_median / self.interpreter.cpu_median:.1f}x",
                f"{m.cpu_median / self.sqlalchemy.cpu_median:.2f}x",
                f"{m.rss_median / self.sqlalchemy.rss_median:.2f}x",
            ]
            for m in [self.interpreter, self.sqlalchemy, *self.commands]
        ]
        header = [
            "command",
            "CPU s",
            "peak RSS MB",
            "CPU / interpreter",
            "CPU / import sqlalchemy",
            "RSS / import sqlalchemy",
        ]
        return f"Median of {self.runs} runs each; bytecode cached.\n\n" + table(header, rows)

    def headlines(self) -> list[Headline]:
        return [
            Headline(
                f"{m.label}: CPU, peak RSS",
                f"{m.cpu_median:.2f} s, {m.rss_median:.0f} MB",
                f"{m.cpu_median / self.sqlalchemy.cpu_median:.2f}x",
                '`python -c "import sqlalchemy"`',
            )
            for m in self.commands
        ]


def run(runs: int = 5, *, checkout: Path = ROOT) -> Result:
    """Measure every command ``runs`` times (after one untimed run each), on the code of ``checkout``."""
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        store = _demo_store(work / "store", checkout)
        interchange = write_file(work / "orders-100.edi", orders=INGEST_ORDERS)
        interpreter = _measure("python -c pass", ["-c", "pass"], runs, checkout)
        sqlalchemy = _measure('python -c "import sqlalchemy"', ["-c", "import sqlalchemy"], runs, checkout)
        commands = [
            _measure("gateway --help", ["-c", GATEWAY, "--help"], runs, checkout, expect="Commands:"),
            _measure(
                "gateway ingest --help",
                ["-c", GATEWAY, "ingest", "--help"],
                runs,
                checkout,
                expect="--partner",
            ),
            _measure(
                "gateway partners check",
                ["-c", GATEWAY, "partners", "check"],
                runs,
                checkout,
                expect="profiles ok",
            ),
            _measure(
                "gateway orders (existing store)",
                ["-c", GATEWAY, "orders"],
                runs,
                checkout,
                home=store,
                expect="4500012345",
            ),
            _measure(
                f"gateway ingest ({INGEST_ORDERS} POs, X12)",
                ["-c", GATEWAY, "ingest", str(interchange)],
                runs,
                checkout,
                home=store,
                fresh=work / "ingest",
                expect=f"processed; {INGEST_ORDERS} orders; 997",
            ),
        ]
    return Result(runs, interpreter, sqlalchemy, commands)


def _measure(
    label: str,
    args: Sequence[str],
    runs: int,
    checkout: Path,
    *,
    home: Path | None = None,
    fresh: Path | None = None,
    expect: str = "",
) -> Measure:
    """``runs`` timed runs of ``python ARGS`` after one untimed; ``fresh`` copies ``home`` there before
    each. Every run must exit 0 and print ``expect``: a failed command is no figure."""
    measure = Measure(label)
    for attempt in range(runs + 1):
        where = home
        if home is not None and fresh is not None:
            shutil.rmtree(fresh, ignore_errors=True)
            where = Path(shutil.copytree(home, fresh))
        cpu, rss_kb, output = _launch(args, checkout, where)
        if expect not in output:
            raise RuntimeError(f"`python {' '.join(args)}` did not print {expect!r}: {output[-2000:]}")
        if attempt:  # the first run is untimed: it writes the bytecode cache
            measure.cpu.append(cpu)
            measure.rss_mb.append(rss_kb / 1024)
    return measure


def _launch(args: Sequence[str], checkout: Path, home: Path | None) -> tuple[float, int, str]:
    """CPU seconds, ru_maxrss (KB) and output of ``python ARGS``, run in ``checkout``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    if home is not None:
        env["GATEWAY_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, sys.executable, *args],
        cwd=checkout,  # `python -c` puts the working directory first on sys.path
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    *output, figures = done.stdout.splitlines()
    code, cpu, rss_kb = figures.split()
    if code != "0":
        raise RuntimeError(f"`python {' '.join(args)}` exited {code}: {done.stderr.strip()[-2000:]}")
    return float(cpu), int(rss_kb), "\n".join(output)


def _demo_store(home: Path, checkout: Path) -> Path:
    """A store made by ``gateway init``, holding the demo master data and acme's PO 4500012345 (untimed).

    The commands run one after the other in one child process (the store is setup, not a figure):
    eight interpreters and imports would cost more than all the runs the test suite measures."""
    home.mkdir(parents=True)
    commands = [["init"]]
    commands += [
        ["import", path.stem, str(path)] for path in sorted((ROOT / "fixtures" / "master").glob("*.csv"))
    ]
    commands.append(["ingest", str(ROOT / "fixtures" / "inbox" / "acme-4500012345.edi")])
    _launch(["-c", _COMMANDS, repr(commands)], checkout, home)
    return home


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.startup [RUNS] [CHECKOUT]``: this benchmark alone, optionally on another
    checkout's code (to compare with a branch before a change)."""
    args = sys.argv[1:] if argv is None else argv
    checkout = Path(args[1]).resolve() if len(args) > 1 else ROOT
    for line in run(int(args[0]) if args else 5, checkout=checkout).lines():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
