"""The dashboard's figures on the queue's known dataset plus desk decisions, and the chart geometry."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy import select

from gateway import storage
from gateway.cli import reports
from gateway.desk import charts
from gateway.desk.dashboard import Dashboard
from gateway.desk.dashboard import dashboard
from gateway.desk.exception_queue import ALL_REASONS
from gateway.desk.exception_queue import QueueFilter
from gateway.desk.exception_queue import reason_label
from gateway.outbound.outbox import start_ack_clock
from gateway.outbound.retries import RetryPolicy
from gateway.outbound.retries import record_failed_attempt
from gateway.outbound.retries import redeliver
from partners import PartnerRegistry
from tests.desk.test_desk_queue import NOW
from tests.desk.test_desk_queue import Desk
from tests.desk.test_desk_queue import Template
from tests.desk.test_desk_queue import build_desk
from tests.desk.test_desk_queue import desk_on
from tests.desk.test_desk_queue import desk_template  # noqa: F401 - a fixture this module uses
from tests.desk.test_desk_queue import open_desk
from tests.servers.postgres import Postgres


@pytest.fixture
def board_desk(desk_template: Template, tmp_path: Path) -> Iterator[Desk]:  # noqa: F811 - imported fixture
    yield from open_desk(desk_template, tmp_path)


def figures(desk: Desk, *, days: int = 30, hours_later: float = 0) -> Dashboard:
    with desk.sessions() as session:
        return dashboard(session, now=NOW + timedelta(hours=hours_later), days=days)


def decide(desk: Desk) -> None:
    """A credit user releases the initech hold and a clerk approves it; a clerk rejects the typed order."""
    with desk.sessions() as session, session.begin():
        credit = desk.orders["credit"]
        released = desk.order_desk.release_credit(
            session, credit, 1, desk.staff["carol"], reason="paid by wire"
        )
        assert (
            desk.order_desk.approve(session, credit, released.version, desk.staff["alice"]).status
            == "accepted"
        )
        desk.order_desk.reject(
            session, desk.orders["typed"], 1, desk.staff["alice"], reason="cancelled by phone"
        )


def test_the_gateway_alone_decided_every_order_so_far(board_desk: Desk) -> None:
    board = figures(board_desk)
    assert (board.decided, board.touchless, board.touchless_rate) == (4, 3, 0.75), (
        "3 accepted and 1 rejected at intake, none by a person"
    )
    assert board.median_resolve_hours is None and board.resolved_by_people == 0
    assert (board.open_exceptions, board.waiting_documents) == (5, 4)
    assert board.exceptions_by_reason == [
        ("unknown_sku", 1),
        ("price", 2),
        ("credit", 1),
        ("stock", 0),
        ("duplicate", 1),
        ("parse_confidence", 2),
        ("unknown_partner", 2),
        ("other", 3),
    ]


def test_decisions_by_people_lower_the_touchless_rate_and_give_a_time_to_resolve(board_desk: Desk) -> None:
    decide(board_desk)
    board = figures(board_desk)
    assert (board.decided, board.touchless, board.touchless_rate) == (6, 3, 0.5)
    assert board.resolved_by_people == 2
    assert board.median_resolve_hours == 15.0, "the median of 28 h (credit) and 2 h (typed)"
    assert board.open_exceptions == 3
    assert dict(board.exceptions_by_reason) == {
        "unknown_sku": 1,
        "price": 2,
        "credit": 0,
        "stock": 0,
        "duplicate": 1,
        "parse_confidence": 2,
        "unknown_partner": 2,
        "other": 2,
    }
    today = figures(board_desk, days=1)
    assert (today.since.date(), today.until.date()) == (date(2026, 11, 23), date(2026, 11, 24))
    assert (today.decided, today.touchless, today.touchless_rate) == (2, 0, 0.0), (
        "both people's decisions were made today; the gateway decided nothing today"
    )
    assert today.median_resolve_hours == 15.0, "both were decided today"
    later = figures(board_desk, days=1, hours_later=48)
    assert later.median_resolve_hours is None and later.touchless_rate is None and later.orders == 0


def test_volume_by_channel_partner_and_day(board_desk: Desk) -> None:
    board = figures(board_desk)
    assert board.orders == 9
    assert board.volume_by_channel == [("x12", 6), ("email", 1), ("excel", 1), ("pdf", 1)]
    assert board.volume_by_partner == [("acme", 7), ("globex", 1), ("initech", 1)]
    assert len(board.daily_volume) == 30
    assert board.daily_volume[0] == (date(2026, 10, 25), 0)
    assert board.daily_volume[-3:] == [
        (date(2026, 11, 21), 1),
        (date(2026, 11, 22), 5),
        (date(2026, 11, 23), 3),
    ]
    assert sum(count for _, count in board.daily_volume) == board.orders
    week = figures(board_desk, days=2)
    assert week.daily_volume == [(date(2026, 11, 22), 5), (date(2026, 11, 23), 3)]
    assert week.volume_by_partner == [("acme", 6), ("globex", 1), ("initech", 1)]
    with pytest.raises(ValueError, match="days must be between 1 and 366"):
        figures(board_desk, days=0)


def test_overdue_997s_follow_the_outbox_rule(board_desk: Desk) -> None:
    assert figures(board_desk, hours_later=24 * 365).overdue_acks == 0, "no 855 was sent yet"
    with board_desk.sessions() as session, session.begin():
        for row in session.scalars(select(storage.OutboundRecord)):
            start_ack_clock(row, at=row.created_at)  # each left the moment it was made
    for hours, expected in ((0, 2), (4.5, 3), (-30, 0)):
        with board_desk.sessions() as session:
            listed = reports.outbox_list(session, now=NOW + timedelta(hours=hours), overdue_only=True)
        assert figures(board_desk, hours_later=hours).overdue_acks == len(listed) == expected
    assert {row["kind"] for row in listed} <= {"855"}


def test_failed_deliveries_count_dead_documents_and_open_delivery_alerts_once(board_desk: Desk) -> None:
    assert (figures(board_desk).failed_deliveries, figures(board_desk).open_alerts) == (0, 0)
    with board_desk.sessions() as session, session.begin():
        row = session.scalars(
            select(storage.OutboundRecord)
            .where(storage.OutboundRecord.kind == "855")
            .order_by(storage.OutboundRecord.id)
        ).first()
        assert row is not None
        row.attempts = 1
        assert (
            record_failed_attempt(session, row, "550 refused", policy=RetryPolicy(), retryable=False, now=NOW)
            == "dead"
        )
        dead_id = row.id
    board = figures(board_desk)
    assert (board.failed_deliveries, board.open_alerts) == (1, 1), (
        "the dead 855 and its alert are one failure"
    )
    with board_desk.sessions() as session, session.begin():
        session.execute(
            insert(storage.Alert),
            [
                {
                    "at": NOW,
                    "kind": "delivery_dead",
                    "partner": "acme",
                    "message": "the ERP endpoint refused it",
                },
                {"at": NOW, "kind": "ack_rejected", "partner": "acme", "message": "acme rejected our 856"},
            ],
        )
    board = figures(board_desk)
    assert (board.failed_deliveries, board.open_alerts) == (2, 3)
    with board_desk.sessions() as session, session.begin():
        assert redeliver(session, dead_id, now=NOW)
    board = figures(board_desk)
    assert (board.failed_deliveries, board.open_alerts) == (1, 2)


def test_postgresql_gives_the_same_queue_and_dashboard(
    postgres: Postgres, board_desk: Desk, tmp_path: Path
) -> None:
    engine = storage.make_engine(postgres.seeded_database("desk_queue"))
    sessions = storage.make_sessionmaker(engine)
    on_postgres = desk_on(sessions, *build_desk(sessions, PartnerRegistry.from_directory(), tmp_path))
    for dataset in (board_desk, on_postgres):
        decide(dataset)
    for filters in (
        QueueFilter(),
        QueueFilter(reason="other"),
        QueueFilter(reason="price"),
        QueueFilter(search="acme ret"),
        QueueFilter(search="ini-2026"),
        QueueFilter(search="strangerco"),
        QueueFilter(channel="pdf", per_page=1, page=2),
        QueueFilter(older_than_hours=2.5, newer_than_hours=9),
    ):
        expected, found = board_desk.page(filters), on_postgres.page(filters)
        assert on_postgres.names(found) == board_desk.names(expected), filters
        assert (found.total, found.overdue, found.pages, found.facets) == (
            expected.total,
            expected.overdue,
            expected.pages,
            expected.facets,
        )
        for mine, theirs in zip(found.rows, expected.rows, strict=True):
            assert (mine.reasons, mine.summary, mine.received_at, mine.age_hours, mine.channel) == (
                theirs.reasons,
                theirs.summary,
                theirs.received_at,
                theirs.age_hours,
                theirs.channel,
            )
    for days in (1, 30):
        assert figures(on_postgres, days=days) == figures(board_desk, days=days)
    engine.dispose()


def test_the_dashboard_feeds_the_charts(board_desk: Desk) -> None:
    board = figures(board_desk)
    reasons = charts.bar_chart(
        [(reason_label(key), count) for key, count in board.exceptions_by_reason], title="Open exceptions"
    )
    assert [bar.label for bar in reasons.bars] == [spec.label for spec in ALL_REASONS.values()]
    assert reasons.max_value == 3 and [tick.label for tick in reasons.ticks] == ["0", "1", "2", "3"]
    daily = charts.line_chart(
        [(day.strftime("%m-%d"), count) for day, count in board.daily_volume], title="Orders"
    )
    assert len(daily.markers) == 30 and daily.markers[-2].value == 5
    assert 1 < len(daily.labels) < 30, "thirty dates do not fit under the axis; every few are shown"


# -- chart geometry ---------------------------------------------------------------------------


def inside(chart: charts.Chart, x: float, y: float) -> bool:
    return 0 <= x <= chart.width and 0 <= y <= chart.height


def one_decimal(value: float) -> bool:
    return math.isclose(value, round(value, 1))


def test_horizontal_bars_are_proportional_and_fit_the_view_box() -> None:
    chart = charts.bar_chart(
        [("Unknown SKU", 4), ("Price", 10), ("Credit", 0)], width=400, height=200, title="x"
    )
    assert (chart.kind, chart.view_box, chart.empty, chart.note) == ("bar", "0 0 400 200", False, None)
    unknown, price, credit = chart.bars
    assert (unknown.label, unknown.value, unknown.value_label) == ("Unknown SKU", 4.0, "4")
    assert chart.max_value == 10 and price.w == chart.plot.w and credit.w == 0
    assert math.isclose(unknown.w / price.w, 0.4, abs_tol=0.01)
    assert unknown.y < price.y < credit.y, "in the order given, top down"
    assert all(bar.x == chart.plot.x and bar.h > 0 for bar in chart.bars)
    assert all(bar.label_at.anchor == "end" and bar.label_at.x < bar.x for bar in chart.bars)
    assert all(bar.value_at.x >= bar.x + bar.w for bar in chart.bars)
    assert [tick.value for tick in chart.ticks] == [0, 5, 10]
    assert all(tick.x1 == tick.x2 and tick.y1 == chart.plot.y for tick in chart.ticks)
    for bar in chart.bars:
        assert inside(chart, bar.x, bar.y) and inside(chart, bar.x + bar.w, bar.y + bar.h)
        assert all(one_decimal(v) for v in (bar.x, bar.y, bar.w, bar.h, bar.label_at.x, bar.value_at.y))
    assert chart.title_at is not None and chart.title_at.text == "x"


def test_vertical_bars_grow_up_from_the_axis() -> None:
    chart = charts.bar_chart([("x12", 60), ("pdf", 15)], horizontal=False, width=300, height=200)
    x12, pdf = chart.bars
    base = chart.plot.y + chart.plot.h
    assert math.isclose(x12.y + x12.h, base, abs_tol=0.1) and math.isclose(pdf.y + pdf.h, base, abs_tol=0.1)
    assert x12.h == chart.plot.h and math.isclose(pdf.h / x12.h, 0.25, abs_tol=0.01)
    assert x12.x < pdf.x and x12.label_at.anchor == "middle" and x12.value_at.y < x12.y
    assert all(tick.y1 == tick.y2 and tick.text.anchor == "end" for tick in chart.ticks)
    assert chart.title_at is None


def test_a_line_chart_runs_left_to_right_with_higher_values_higher() -> None:
    chart = charts.line_chart([("mon", 2), ("tue", 8), ("wed", 0), ("thu", 8)], width=300, height=150)
    xs = [point.x for point in chart.markers]
    assert xs == sorted(xs) and len(set(xs)) == 4
    mon, tue, wed, _ = chart.markers
    assert tue.y < mon.y < wed.y and wed.y == chart.plot.y + chart.plot.h
    assert chart.points == " ".join(f"{p.x:g},{p.y:g}" for p in chart.markers)
    first, *_, last = chart.area.split(" ")
    assert first == f"{mon.x:g},{wed.y:g}" and last == f"{chart.markers[-1].x:g},{wed.y:g}"
    assert [label.text for label in chart.labels] == ["mon", "tue", "wed", "thu"]
    assert all(inside(chart, p.x, p.y) for p in chart.markers)
    assert all(one_decimal(p.x) and one_decimal(p.y) for p in chart.markers)


def test_labels_thin_out_rather_than_overlap() -> None:
    chart = charts.line_chart([(f"2026-11-{n:02d}", n) for n in range(1, 31)], width=480)
    centres = [label.x for label in chart.labels]
    assert len(centres) < 30 and chart.labels[0].text == "2026-11-01"
    wide = len("2026-11-01") * charts.CHAR_WIDTH
    assert all(b - a >= wide for a, b in pairwise(centres))


def test_empty_zero_and_odd_data_draw_without_failing() -> None:
    for chart in (charts.bar_chart([], title="Nothing"), charts.line_chart([], title="Nothing")):
        assert chart.empty and chart.bars == () and chart.points == "" and chart.ticks == ()
        assert chart.note is not None and chart.note.text == "No data" and chart.note.anchor == "middle"
        assert inside(chart, chart.note.x, chart.note.y)
    zeros = charts.bar_chart([("a", 0), ("b", 0)])
    assert not zeros.empty and zeros.max_value == 1 and all(bar.w == 0 for bar in zeros.bars)
    odd = charts.bar_chart([("nan", float("nan")), ("neg", -5), ("inf", float("inf")), ("ok", 2.5)])
    assert [bar.value for bar in odd.bars] == [0, 0, 0, 2.5] and odd.bars[-1].value_label == "2.5"
    single = charts.line_chart([("only", 7)])
    assert single.markers[0].x == round(single.plot.x + single.plot.w / 2, 1) and single.max_value >= 7
    tiny = charts.bar_chart([("a", 1)], width=1, height=1)
    assert (tiny.width, tiny.height) == (charts.MIN_WIDTH, charts.MIN_HEIGHT)


def test_labels_are_data_for_the_template_to_escape_and_long_ones_are_shortened() -> None:
    hostile = '<script>alert("x")</script> & a very long partner name indeed'
    chart = charts.bar_chart([(hostile, 3)])
    [bar] = chart.bars
    assert bar.label == hostile, "kept verbatim: Jinja escapes it"
    assert bar.label_at.text.startswith("<script>") and bar.label_at.text.endswith("…")
    assert len(bar.label_at.text) <= 24


@pytest.mark.parametrize(
    ("maximum", "top", "ticks"),
    [
        (0, 1, [0, 1]),
        (3, 3, [0, 1, 2, 3]),
        (7, 8, [0, 2, 4, 6, 8]),
        (97, 100, [0, 25, 50, 75, 100]),
        (1234, 1500, [0, 500, 1000, 1500]),
        (0.37, 0.4, [0, 0.1, 0.2, 0.3, 0.4]),
    ],
)
def test_the_value_axis_ends_on_a_round_number(maximum: float, top: float, ticks: list[float]) -> None:
    assert charts.nice_scale(maximum) == (top, ticks)
    assert charts.format_value(1234) == "1,234" and charts.format_value(0.125) == "0.12"
