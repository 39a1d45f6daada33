"""``gateway report``: the desk's KPIs as a text table and as JSON, per partner, over N days."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from click.testing import CliRunner

from gateway import storage
from gateway.cli.commands import main
from gateway.config import engine_from_environment
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX


def report(cli: CliRunner, *args: str) -> dict[str, Any]:
    result = cli.invoke(main, ["report", "--json", *args])
    assert result.exit_code == 0, result.output
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


def test_an_empty_store_reports_dashes_not_a_division_by_zero(cli: CliRunner) -> None:
    figures = report(cli)
    assert figures["order_accuracy"] == {"accurate": 0, "decided": 0, "rate": None}
    assert figures["receipt_to_erp"] == {"count": 0, "median_seconds": None, "p90_seconds": None}
    assert (figures["since"], figures["until"], figures["days"]) == ("2026-10-25", "2026-11-24", 30)
    text = cli.invoke(main, ["report"]).stdout
    assert text.splitlines()[0] == "KPIs 2026-10-25 to 2026-11-23 (30 days), all partners"
    assert "order accuracy      —" in text and "0 of 0 decided orders unchanged" in text


def test_the_report_gives_the_kpis_per_partner_and_window(cli: CliRunner) -> None:
    result = cli.invoke(main, ["ingest", str(INBOX / "acme-4500012345.edi"), str(INBOX / "acme-errors.edi")])
    assert result.exit_code == 0, result.output
    engine = engine_from_environment()
    with storage.make_sessionmaker(engine)() as session, session.begin():  # a 997 to us, 25 min after we sent
        start = FIXED_NOW - timedelta(minutes=25)
        storage.tally_kpi(session, storage.KPI_ACK, partner="acme", start=start, end=FIXED_NOW)
    engine.dispose()
    figures = report(cli, "--days", "7")
    assert figures["order_accuracy"] == {"accurate": 2, "decided": 3, "rate": 0.6667}, (
        "acme's clean order and acme-errors' accepted one, of three decided (one rejected)"
    )
    assert figures["ack_turnaround_by_partner"] == [
        {"partner": "acme", "count": 1, "median_seconds": 1500.0, "p90_seconds": 1500.0}
    ]
    assert figures["daily_accuracy"][-1] == {"day": "2026-11-23", "rate": 0.6667}
    assert report(cli, "--partner", "globex")["order_accuracy"]["decided"] == 0
    text = cli.invoke(main, ["report", "--partner", "acme"]).stdout
    assert "order accuracy      67%" in text and "\n  acme              25 min  25 min  1 997/999s\n" in text
    assert cli.invoke(main, ["report", "--days", "0"]).exit_code == 2, "outside 1..366"
