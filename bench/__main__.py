"""Runs every benchmark and prints its figures and ratios."""

from __future__ import annotations

import argparse

from bench import as2_receive
from bench import desk_queue
from bench import extraction
from bench import outbound
from bench import sftp_pull
from bench import validation
from bench import x12_ingest


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=20_000, help="850s in the generated interchange")
    parser.add_argument(
        "--validation-orders", type=int, default=20_000, help="orders the validation bench checks"
    )
    parser.add_argument(
        "--shipments", type=int, default=10_000, help="shipments the outbound bench writes an 856 and 810 for"
    )
    parser.add_argument(
        "--sftp-files",
        type=int,
        default=1_000,
        help="small files the SFTP bench pulls (needs root: it runs sshd)",
    )
    parser.add_argument(
        "--desk-orders", type=int, default=100_000, help="orders in the order-desk queue bench"
    )
    parser.add_argument(
        "--as2-messages", type=int, default=200, help="1 KB AS2 messages the AS2 bench receives"
    )
    parser.add_argument(
        "--only",
        choices=["x12", "extraction", "validation", "outbound", "sftp", "as2", "desk"],
        help="run one benchmark",
    )
    args = parser.parse_args()
    if args.only in (None, "extraction"):
        for line in extraction.run():
            print(line, flush=True)
    if args.only in (None, "x12"):
        for line in x12_ingest.run(args.orders).lines():
            print(line, flush=True)
    if args.only in (None, "validation"):
        for line in validation.run(args.validation_orders).lines():
            print(line, flush=True)
    if args.only in (None, "outbound"):
        for line in outbound.run(args.shipments).lines():
            print(line, flush=True)
    if args.only in (None, "as2"):
        for line in as2_receive.run(args.as2_messages).lines():
            print(line, flush=True)
    if args.only in (None, "desk"):
        for line in desk_queue.run(args.desk_orders).lines():
            print(line, flush=True)
    if args.only in (None, "sftp"):
        for line in sftp_pull.run(args.sftp_files).lines():
            print(line, flush=True)


if __name__ == "__main__":
    main()
