"""``gateway init --demo`` tells the same clean story on any day: its documents are dated from the load day."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC
from datetime import date
from datetime import datetime
from email import message_from_bytes
from email import policy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gateway.cli.commands import main
from gateway.cli.demo import DEMO_DAY
from gateway.cli.demo import shift_email
from gateway.cli.demo import shift_record
from gateway.cli.demo import shift_x12
from parsers import ParsedInterchange
from parsers.x12 import read_x12
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT

YEARS_AHEAD = datetime(2031, 6, 17, 8, 0, tzinfo=UTC)
DATE_CODES = {"date_past", "date_horizon"}


def demo_story(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, master_template: Path, now: datetime) -> Any:
    home = tmp_path / now.strftime("%Y%m%d")
    home.mkdir()
    shutil.copyfile(master_template, home / "gateway.db")
    monkeypatch.setenv("GATEWAY_HOME", str(home))
    monkeypatch.setenv("GATEWAY_NOW", now.isoformat())
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    cli = CliRunner()
    loaded = cli.invoke(main, ["init", "--demo"])
    assert loaded.exit_code == 0, loaded.output
    orders = []
    for row in json.loads(cli.invoke(main, ["orders", "--json"]).stdout):
        detail = json.loads(cli.invoke(main, ["show", str(row["order_id"]), "--json"]).stdout)
        codes = sorted({f["code"] for f in detail["findings"]})
        orders.append((row["partner"], row["po_number"], row["status"], codes))
    lines = [line for line in loaded.stdout.splitlines() if not line.startswith("order desk demo user")]
    return lines, sorted(orders)


def test_the_demo_loaded_years_ahead_ships_and_invoices_as_on_its_own_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, master_template: Path
) -> None:
    later_lines, later_orders = demo_story(tmp_path, monkeypatch, master_template, YEARS_AHEAD)
    assert any(line.startswith("acme-SH-26001.json: outbound") for line in later_lines), later_lines
    assert any(line.startswith("acme-INV-90001.json: outbound") for line in later_lines), later_lines
    assert not any("refused" in line for line in later_lines), later_lines
    assert not any(DATE_CODES & set(codes) for *_, codes in later_orders), later_orders
    own_lines, own_orders = demo_story(tmp_path, monkeypatch, master_template, FIXED_NOW)
    assert later_orders == own_orders, "the same orders, statuses and findings on any day"
    assert [line.split(": ", 1)[0] for line in later_lines] == [line.split(": ", 1)[0] for line in own_lines]


def test_x12_dates_move_by_whole_days_and_the_rest_stays() -> None:
    original = (INBOX / "acme-4500012345.edi").read_bytes()
    shifted = shift_x12(original, 400)
    assert len(shifted) == len(original)
    assert b"*271225*0930*" in shifted and b"GS*PO*ACMERETAIL*NORTHWIND*20271225*" in shifted
    assert b"BEG*00*SA*4500012345**20271223~" in shifted and b"DTM*002*20280105~" in shifted
    assert shift_x12(shifted, -400) == original
    [*_, interchange] = read_x12(
        io.BytesIO(shifted), partners=PartnerRegistry.from_directory(), document_id="1"
    )
    assert isinstance(interchange, ParsedInterchange)
    assert not [i for i in interchange.receipt.issues if i.is_error]


def test_an_email_and_its_x12_attachment_are_dated_together() -> None:
    original = (ROOT / "fixtures" / "emails" / "x12-attachment.eml").read_bytes()
    message = message_from_bytes(shift_email(original, 10), policy=policy.default)
    assert message["Date"].datetime.date() == date(2026, 11, 30)
    [attachment] = [part for part in message.walk() if part.get_content_type() == "application/edi-x12"]
    assert b"DTM*002*20261211~" in attachment.get_payload(decode=True)


def test_records_move_their_iso_dates_only() -> None:
    record = json.loads(
        shift_record((ROOT / "fixtures" / "shipments" / "acme-SH-26001.json").read_bytes(), -24)
    )
    assert (record["ship_date"], record["estimated_delivery"]) == ("2026-10-31", "2026-11-03")
    assert record["ship_time"] == "14:30:00" and record["tracking_number"] == "1Z999AA10123456784"


def test_the_demo_day_is_the_day_the_fixtures_are_written_for() -> None:
    shipment = json.loads((ROOT / "fixtures" / "shipments" / "acme-SH-26001.json").read_text())
    assert date.fromisoformat(shipment["ship_date"]) == DEMO_DAY
