"""Writes large, realistic X12 850 interchanges for benchmarks and bounded-memory tests."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

SENDER = ("ZZ", "ACMERETAIL", "ACMERETAIL")
RECEIVER = ("ZZ", "NORTHWINDDIST", "NORTHWIND")


def _isa(control: int, version: str) -> str:
    return "*".join(
        [
            "ISA", "00", " " * 10, "00", " " * 10, SENDER[0], SENDER[1].ljust(15), RECEIVER[0],
            RECEIVER[1].ljust(15), "261120", "0930", "^" if version >= "00501" else "U", version,
            f"{control:09d}", "0", "P", ">",
        ]
    )  # fmt: skip


def _purchase_order(number: int, lines: int) -> list[str]:
    body = [
        f"BEG*00*SA*PO{number:08d}**20261120",
        "CUR*BY*USD",
        f"REF*DP*{number % 97:03d}",
        "PER*BD*Jane Buyer*TE*5551234567",
        "ITD*01*3*2**30**60",
        "DTM*002*20261215",
        "TD5**2*UPSN*M*UPS GROUND",
        f"N1*ST*ACME STORE {number % 500}*92*{number % 500:04d}",
        "N3*4100 Commerce Way",
        "N4*Columbus*OH*43219*US",
    ]
    for line in range(1, lines + 1):
        sku = 60001 + (number * 7 + line) % 900
        body.append(
            f"PO1*{line}*{(number + line) % 40 + 1}*EA*{(sku % 5000) / 100 + 1:.2f}*PE*VN*NW-{sku}*BP*AC-{sku}"
        )
        body.append(f"PID*F****WIDGET {sku} ASSORTED")
    body.append(f"CTT*{lines}")
    return body


def write_interchange(
    out: TextIO, *, orders: int, lines: int = 5, version: str = "00401", control: int = 1
) -> None:
    """One interchange, one PO group, ``orders`` 850s of ``lines`` lines each."""
    gs_version = "005010" if version >= "00501" else "004010"
    out.write(_isa(control, version) + "~\n")
    out.write(f"GS*PO*{SENDER[2]}*{RECEIVER[2]}*20261120*0930*{control}*X*{gs_version}~\n")
    for number in range(1, orders + 1):
        segments = [f"ST*850*{number:04d}", *_purchase_order(number, lines)]
        segments.append(f"SE*{len(segments) + 1}*{number:04d}")
        out.write("~\n".join(segments) + "~\n")
    out.write(f"GE*{orders}*{control}~\nIEA*1*{control:09d}~\n")


def write_file(path: Path, *, orders: int, lines: int = 5, version: str = "00401") -> Path:
    with path.open("w", encoding="ascii", newline="") as out:
        write_interchange(out, orders=orders, lines=lines, version=version)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=5)
    args = parser.parse_args()
    write_file(args.path, orders=args.orders, lines=args.lines)


if __name__ == "__main__":
    main()
