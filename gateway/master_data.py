"""Loads master data exports (CSV) into the store, row by row, reporting bad rows by number."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import ValidationError
from pydantic import field_validator
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy.orm import Session

from gateway import storage


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

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
    active: bool = True


class XrefRow(_Row):
    customer_account: str
    customer_part: str
    sku: str


class PriceRow(_Row):
    customer_account: str | None = None
    customer_group: str | None = None
    sku: str
    uom: str
    min_quantity: Decimal = Decimal(1)
    unit_price: Decimal
    currency: str = "USD"
    valid_from: date | None = None
    valid_to: date | None = None


class CustomerRow(_Row):
    account: str
    name: str
    customer_group: str | None = None
    credit_limit: Decimal
    open_ar: Decimal = Decimal(0)
    currency: str = "USD"
    on_hold: bool = False


class InventoryRow(_Row):
    sku: str
    warehouse: str
    on_hand: Decimal
    allocated: Decimal = Decimal(0)


@dataclass(slots=True)
class ImportReport:
    kind: str
    loaded: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Kind:
    row: type[_Row]
    table: Any
    key: tuple[str, ...]


KINDS: dict[str, Callable[[], _Kind]] = {
    "products": lambda: _Kind(ProductRow, storage.Product, ("sku",)),
    "xref": lambda: _Kind(XrefRow, storage.CustomerPartXref, ("customer_account", "customer_part")),
    "prices": lambda: _Kind(
        PriceRow,
        storage.PriceAgreement,
        ("customer_account", "customer_group", "sku", "uom", "min_quantity", "valid_from"),
    ),
    "customers": lambda: _Kind(CustomerRow, storage.CreditAccount, ("account",)),
    "inventory": lambda: _Kind(InventoryRow, storage.InventoryLevel, ("sku", "warehouse")),
}


def import_csv(session: Session, kind: str, path: Path) -> ImportReport:
    """Replace-or-insert every valid row of ``path``; bad rows are reported, good ones still load."""
    spec = KINDS[kind]()
    report = ImportReport(kind)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for number, raw in enumerate(csv.DictReader(handle), start=2):
            try:
                row = spec.row.model_validate(raw)
            except ValidationError as exc:
                problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                report.errors.append((number, problems))
                continue
            values = row.model_dump()
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
            report = import_csv(session, kind, path)
            if report.errors:
                first = report.errors[0]
                raise ValueError(
                    f"{path}: {len(report.errors)} bad rows, first at row {first[0]}: {first[1]}"
                )
            counts[kind] = report.loaded
    return counts
