"""Runs every benchmark, prints its figures and ratios, and writes a markdown report of them."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from bench import as2_receive
from bench import desk_queue
from bench import extraction
from bench import fuzz
from bench import latency
from bench import memory
from bench import outbound
from bench import scaling
from bench import sftp_pull
from bench import startup
from bench import validation
from bench import x12_ingest
from bench.report import LATEST
from bench.report import Bench
from bench.report import Run
from bench.report import Size
from bench.report import default_path
from bench.report import run_bench
from bench.report import write

# Every benchmark, in the order they run: name (for --only) -> title, runner, size option.
# A runner returns an object with lines(), and optionally markdown(), headlines(), environment().
BENCHES: dict[str, Bench] = {
    "extraction": Bench("Extraction quality", extraction.score),
    "x12": Bench("X12 850 ingest", x12_ingest.run, Size("--orders", 20_000, "850s in the generated interchange")),
    "validation": Bench("Validation", validation.run, Size("--validation-orders", 20_000, "orders validated")),
    "outbound": Bench("Outbound 856 and 810", outbound.run, Size("--shipments", 10_000, "shipments to write an 856 and 810 for")),
    "as2": Bench("AS2 receive", as2_receive.run, Size("--as2-messages", 200, "1 KB AS2 messages received")),
    "desk": Bench("Order desk queue", desk_queue.run, Size("--desk-orders", 100_000, "orders in the desk's store")),
    "sftp": Bench("SFTP pull", sftp_pull.run, Size("--sftp-files", 1_000, "files pulled (needs root: it runs sshd)")),
    "memory": Bench("Peak memory of a big ingest", memory.run, Size("--memory-mb", 200, "MB of the interchange ingested")),
    "latency": Bench("997 latency from the drop inbox", latency.run, Size("--latency-files", 50, "100-PO files dropped into a running gateway")),
    "scaling": Bench("Scale-out on PostgreSQL", scaling.run, Size("--scaling-documents", 400, "mixed documents per worker count")),
    "startup": Bench("Start-up of gateway commands", startup.run, Size("--startup-runs", 5, "runs of each command (median reported)")),
    "fuzz": Bench("Fuzzing", fuzz.run, Size("--fuzz-seconds", 300.0, "seconds of fuzzing, every target at once")),
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    for name, bench in BENCHES.items():
        if bench.size is not None:
            parser.add_argument(
                bench.size.flag,
                dest=f"size_{name}",
                metavar="N",
                type=type(bench.size.default),
                default=bench.size.default,
                help=f"{bench.size.help} (default: %(default)s)",
            )
    parser.add_argument(
        "--only", action="append", choices=list(BENCHES), help="run this benchmark only (may be repeated)"
    )
    reports = parser.add_mutually_exclusive_group()
    reports.add_argument(
        "--report",
        type=Path,
        help="write the report here (default: bench/reports/<date>-<sha>.md and a copy at latest.md)",
    )
    reports.add_argument("--no-report", action="store_true", help="print the figures only")
    args = parser.parse_args(args_in)

    only = args.only or []
    run = Run(command=shlex.join(["python", "-m", "bench", *args_in]))
    for name, bench in BENCHES.items():
        if not only or name in only:
            run.outcomes.append(run_bench(name, bench, getattr(args, f"size_{name}", None)))
    if not args.no_report:
        # latest.md is the last full run: a run of some benchmarks only does not replace it
        path = args.report or default_path(run, only)
        write(run, path, latest=None if args.report or only else LATEST)
        print(f"bench: report written to {path}", file=sys.stderr)
    for outcome in run.failed:
        print(f"bench: {outcome.name} failed: {outcome.error}", file=sys.stderr)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
