"""Runs every benchmark and prints its figures and ratios."""

from __future__ import annotations

import argparse

from bench import extraction
from bench import x12_ingest


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=20_000, help="850s in the generated interchange")
    parser.add_argument("--only", choices=["x12", "extraction"], help="run one benchmark")
    args = parser.parse_args()
    if args.only != "x12":
        for line in extraction.run():
            print(line, flush=True)
    if args.only != "extraction":
        for line in x12_ingest.run(args.orders).lines():
            print(line, flush=True)


if __name__ == "__main__":
    main()
