"""Master data imports: the issue-4 column contract, CSV and xlsx, idempotent, bad rows by number."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli.commands import main
from gateway.inbound.master_data import import_file
from tests.conftest import ROOT


def count(sessions: sessionmaker[Session], table: object) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


def test_demo_files_load_and_reload_to_the_same_rows(sessions: sessionmaker[Session]) -> None:
    expected = {
        "products": 2359,
        "xref": 397,
        "prices": 2389,
        "customers": 3,
        "inventory": 4718,
        "shiptos": 103,
    }
    for _ in range(2):
        with sessions() as session, session.begin():
            for kind in expected:
                report = import_file(session, kind, ROOT / "fixtures" / "master" / f"{kind}.csv")
                assert report.errors == [] and report.loaded == expected[kind]
    assert count(sessions, storage.Product) == 2359
    assert count(sessions, storage.PriceAgreement) == 2389
    assert count(sessions, storage.ShipTo) == 103
    with sessions() as session:
        acme = session.get(storage.CreditAccount, "C1001")
        assert acme is not None and acme.partner == "acme" and str(acme.credit_limit) == "250000.0000"


def test_bad_rows_are_reported_by_number_and_good_rows_still_load(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "products.csv"
    path.write_text(
        "SKU,Description,UPC,UoM,Pack_Size,List_Price,Currency,Ignored Extra\n"
        "NW-1,Widget,,EA,1,4.50,USD,x\n"
        "NW-2,Bolt,,EA,1,not-a-price,USD,x\n"
        ",No sku,,EA,1,1.00,USD,x\n"
        "NW-3,Nut,,EA,10,0.10,USD,x\n"
    )
    with sessions() as session, session.begin():
        report = import_file(session, "products", path)
    assert report.loaded == 2
    assert [number for number, _ in report.errors] == [3, 4]
    assert "list_price" in report.errors[0][1] and "sku" in report.errors[1][1]
    assert count(sessions, storage.Product) == 2


def test_xlsx_exports_load_too(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.append(["Customer", "Code", "Name", "Address1", "City", "State", "Postal_Code", "Country"])
    sheet.append(["C1001", "DC12", "ACME DC 12", "4100 Commerce Way", "Columbus", "OH", 43219, "US"])
    sheet.append([None] * 8)
    sheet.append(["C1001", "DC14", "ACME DC 14", None, "Dayton", "OH", "45402", "US"])
    path = tmp_path / "shiptos.xlsx"
    workbook.save(path)
    with sessions() as session, session.begin():
        report = import_file(session, "shiptos", path)
    assert (report.loaded, report.errors) == (2, [])
    with sessions() as session:
        dc = session.get(storage.ShipTo, ("C1001", "DC12"))
        assert dc is not None and dc.postal_code == "43219"


def test_an_xlsx_whose_dimension_names_fewer_rows_still_loads_them_all(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.append(["Customer", "Code", "Name", "Address1", "City", "State", "Postal_Code", "Country"])
    for code in ("DC12", "DC14", "DC16"):
        sheet.append(["C1001", code, f"ACME {code}", "4100 Commerce Way", "Columbus", "OH", "43219", "US"])
    saved = io.BytesIO()
    workbook.save(saved)
    path = tmp_path / "shiptos.xlsx"
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:H2"', data)  # stale: 1 row
            target.writestr(item, data)
    with sessions() as session, session.begin():
        report = import_file(session, "shiptos", path)
    assert (report.loaded, report.errors) == (3, [])


def test_import_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    bad = tmp_path / "inventory.csv"
    bad.write_text("sku,warehouse,on_hand,allocated\nNW-1,COL,10,0\nNW-2,COL,lots,0\n")
    result = CliRunner().invoke(main, ["import", "inventory", str(bad)])
    assert result.exit_code == 0, result.output
    assert "inventory: 1 rows loaded, 1 rejected" in result.stdout
    assert "row 3: on_hand" in result.stderr
    assert CliRunner().invoke(main, ["import", "nonsense", str(bad)]).exit_code != 0
    assert json.loads("[]") == []
