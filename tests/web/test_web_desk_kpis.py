"""The dashboard page shows the KPIs: order accuracy, receipt to ERP, time to ship, 997 turnaround by partner."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from gateway import storage
from gateway.desk.dashboard import dashboard
from gateway.desk.kpis import format_share
from tests.web.test_web_desk_support import NOW
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import desk_store
from tests.web.test_web_desk_support import open_app


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return desk_store(master_template, tmp_path_factory)


@pytest.fixture
def desk(store: Path, tmp_path: Path) -> Iterator[DeskApp]:
    opened, engine = open_app(store, tmp_path)
    yield opened
    engine.dispose()  # type: ignore[attr-defined]


def card(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">(.*?)</div></div>', page, re.S)
    assert found, testid
    return found.group(1)


def test_the_dashboard_shows_the_kpis_and_their_charts(desk: DeskApp) -> None:
    with desk.sessions() as session, session.begin():  # an ERP delivery of 90 s, an 856 and two 997s today
        for figure, partner, seconds in (
            (storage.KPI_ERP, "acme", 90),
            (storage.KPI_SHIP, "acme", 3 * 3600),
            (storage.KPI_ACK, "acme", 1500),
            (storage.KPI_ACK, "globex", 7200),
        ):
            storage.tally_kpi(
                session, figure, partner=partner, start=NOW - timedelta(seconds=seconds), end=NOW
            )
    with desk.sessions() as session:
        accuracy = dashboard(session, now=NOW).kpis
    assert accuracy.settled > 0, "the store has decided orders"
    page = desk.client("carol").get("/dashboard").text
    assert f'<div class="big">{format_share(accuracy.accuracy)}</div>' in card(page, "kpi-accuracy")
    assert f"{accuracy.accurate} of {accuracy.settled} decided orders accepted without any change" in page
    assert '<div class="big">1.5 min</div>' in card(page, "kpi-erp") and "over 1 ERP deliveries" in page
    assert '<div class="big">3 h</div>' in card(page, "kpi-ship")
    assert '<div class="big">72 min</div>' in card(page, "kpi-ack"), "the median of 25 min and 2 h: 72.5 min"
    partners = re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td><td>([^<]+)</td>", page)
    assert partners == [("globex", "1", "2 h"), ("acme", "1", "25 min")], "slowest first"
    for testid in ("chart-accuracy", "chart-ack"):
        assert f'data-testid="{testid}"' in page


def test_an_empty_window_shows_a_dash_not_a_zero(desk: DeskApp) -> None:
    page = desk.client("carol").get("/dashboard?days=7").text
    for testid in ("kpi-erp", "kpi-ship", "kpi-ack"):
        assert '<div class="big">—</div>' in card(page, testid), testid
