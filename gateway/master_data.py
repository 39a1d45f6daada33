"""Imports master data exports (CSV or xlsx) row by row: idempotent, bad rows reported by number.

The column headers are the contract in issue 4: matched case-insensitively, extra columns
ignored. Importing the same file twice leaves the same rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import ValidationError
from pydantic import field_validator
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy.orm import Session

from gateway import storage


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, coerce_numbers_to_str=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


class ProductRow(_Row):
    sku: str
    description: str
    upc: str | None = None
    uom: str
    pack_size: Decimal = Decimal(1)
    list_price: Decimal
    currency: str = "USD"


class XrefRow(_Row):
    customer: str
    customer_part: str
    sku: str


class PriceRow(_Row):
    customer: str | None = None
    sku: str
    min_qty: Decimal = Decimal(1)
    price: Decimal
    currency: str = "USD"
    valid_from: date | None = None
    valid_to: date | None = None


class CustomerRow(_Row):
    customer: str
    name: str
    partner: str | None = None
    credit_limit: Decimal
    open_ar: Decimal = Decimal(0)
    on_hold: bool = False
    currency: str = "USD"


class InventoryRow(_Row):
    sku: str
    warehouse: str
    on_hand: Decimal
    allocated: Decimal = Decimal(0)


class ShipToRow(_Row):
    customer: str
    code: str
    name: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class _Kind:
    row: type[_Row]
    table: Any
    columns: dict[str, str]  # contract column -> table column, where they differ
    key: tuple[str, ...]  # table columns that identify a row


KINDS: dict[str, _Kind] = {
    "products": _Kind(ProductRow, storage.Product, {}, ("sku",)),
    "xref": _Kind(XrefRow, storage.CustomerPartXref, {"customer": "customer_account"},
                  ("customer_account", "customer_part")),
    "prices": _Kind(PriceRow, storage.PriceAgreement,
                    {"customer": "customer_account", "min_qty": "min_quantity", "price": "unit_price"},
                    ("customer_account", "sku", "min_quantity", "valid_from")),
    "customers": _Kind(CustomerRow, storage.CreditAccount, {"customer": "account"}, ("account",)),
    "inventory": _Kind(InventoryRow, storage.InventoryLevel, {}, ("sku", "warehouse")),
    "shiptos": _Kind(ShipToRow, storage.ShipTo, {"customer": "customer_account"}, ("customer_account", "code")),
}  # fmt: skip


@dataclass(slots=True)
class ImportReport:
    kind: str
    loaded: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, {lower-case header: value}) for a CSV or xlsx export; the header is row 1."""
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            header = [str(v or "").strip().lower() for v in next(rows, ())]
            for number, values in enumerate(rows, start=2):
                if any(v not in (None, "") for v in values):
                    yield (
                        number,
                        {h: ("" if v is None else v) for h, v in zip(header, values, strict=False) if h},
                    )
        finally:
            workbook.close()
        return
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    for number, raw in enumerate(reader, start=2):
        yield number, {str(k).strip().lower(): v for k, v in raw.items() if k is not None}


def import_file(session: Session, kind: str, path: Path) -> ImportReport:
    """Replace-or-insert every valid row of ``path``; bad rows are reported, good ones still load."""
    spec = KINDS[kind]
    report = ImportReport(kind)
    for number, raw in read_rows(path):
        try:
            row = spec.row.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            report.errors.append((number, problems))
            continue
        values = {spec.columns.get(name, name): value for name, value in row.model_dump().items()}
        match = [getattr(spec.table, k) == values[k] for k in spec.key]
        session.execute(delete(spec.table).where(*match))
        session.execute(insert(spec.table).values(**values))
        report.loaded += 1
    return report


def load_demo_master_data(session: Session, folder: Path) -> dict[str, int]:
    """Load every ``<kind>.csv`` found in ``folder``; returns rows loaded per kind."""
    counts: dict[str, int] = {}
    for kind in KINDS:
        path = folder / f"{kind}.csv"
        if path.exists():
            report = import_file(session, kind, path)
            if report.errors:
                first = report.errors[0]
                raise ValueError(
                    f"{path}: {len(report.errors)} bad rows, first at row {first[0]}: {first[1]}"
                )
            counts[kind] = report.loaded
    return counts
