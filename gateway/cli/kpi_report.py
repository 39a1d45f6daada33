"""``gateway report``: the desk's KPIs over the last N UTC days, as a plain dict (JSON) or a text table.

The figures and their definitions are ``gateway.desk.kpis``'s, the ones the dashboard shows; the window
is the dashboard's too: the last ``days`` whole UTC days, today included. The command reads them on a
read-only connection (``storage.reading``), so it loads neither SQLAlchemy's ORM nor the mapped classes.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING
from typing import Any

from gateway.desk.kpis import Timing
from gateway.desk.kpis import format_duration
from gateway.desk.kpis import format_share
from gateway.desk.kpis import kpis

if TYPE_CHECKING:
    from gateway.desk.kpis import Reader

MAX_DAYS = 366


def kpi_report(
    session: Reader, *, now: datetime, days: int = 30, partner: str | None = None
) -> dict[str, Any]:
    """The KPIs of the last ``days`` UTC days up to ``now`` (aware: the gateway's clock; 1 to 366 days),
    of ``partner`` or of all."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}, not {days}")
    until = now.astimezone(UTC).date() + timedelta(days=1)
    figures = kpis(session, since=until - timedelta(days=days), until=until, partner=partner)
    return {
        "since": figures.since.isoformat(),
        "until": figures.until.isoformat(),
        "days": days,
        "partner": partner,
        "order_accuracy": {
            "accurate": figures.accurate,
            "decided": figures.settled,
            "rate": figures.accuracy,
        },
        "receipt_to_erp": _timing(figures.to_erp),
        "time_to_ship": _timing(figures.to_ship),
        "ack_turnaround": _timing(figures.ack_turnaround),
        "ack_turnaround_by_partner": [
            {"partner": who, **_timing(timing)} for who, timing in figures.ack_by_partner
        ],
        "daily_accuracy": [{"day": day.isoformat(), "rate": rate} for day, rate in figures.daily_accuracy],
    }


def render_kpis(report: dict[str, Any]) -> str:
    """The report as a text table: one row per KPI, then the 997 turnaround per partner."""
    who = report["partner"] or "all partners"
    last = (datetime.fromisoformat(report["until"]) - timedelta(days=1)).date().isoformat()
    accuracy = report["order_accuracy"]
    rows = [
        ("KPI", "median", "90%", "over"),
        (
            "order accuracy",
            format_share(accuracy["rate"]),
            "",
            f"{accuracy['accurate']} of {accuracy['decided']} decided orders unchanged",
        ),
        _row("receipt to ERP", report["receipt_to_erp"], "ERP deliveries"),
        _row("time to ship (856)", report["time_to_ship"], "orders shipped"),
        _row("997 turnaround", report["ack_turnaround"], "997/999s received"),
        *(_row(f"  {entry['partner']}", entry, "997/999s") for entry in report["ack_turnaround_by_partner"]),
    ]
    widths = [max(len(row[n]) for row in rows) for n in range(3)]
    lines = [f"KPIs {report['since']} to {last} ({report['days']} days), {who}"]
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def _timing(timing: Timing) -> dict[str, Any]:
    return {"count": timing.count, "median_seconds": timing.median, "p90_seconds": timing.p90}


def _row(name: str, timing: dict[str, Any], what: str) -> tuple[str, str, str, str]:
    return (
        name,
        format_duration(timing["median_seconds"]),
        format_duration(timing["p90_seconds"]),
        f"{timing['count']} {what}",
    )
