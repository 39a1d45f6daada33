"""The dashboard: ``GET /dashboard?days=30``. Figures from ``gateway.desk.dashboard``, charts as inline SVG
from ``gateway.desk.charts`` geometry (the ``_chart.html`` partial draws them)."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue

from gateway.desk import charts
from gateway.desk.dashboard import dashboard as dashboard_figures
from gateway.desk.exception_queue import reason_label

from .context import db
from .context import desk
from .context import now
from .context import render
from .filters import label

WINDOWS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_PARTNERS = 12


@desk.get("/dashboard")
def dashboard() -> ResponseReturnValue:
    raw = request.args.get("days", "")
    days = int(raw) if raw.isdigit() and int(raw) in WINDOWS else DEFAULT_DAYS
    figures = dashboard_figures(db(), now=now(), days=days)
    kpis = figures.kpis
    reasons = [(reason_label(key), count) for key, count in figures.exceptions_by_reason]
    db().commit()  # end the read before rendering
    return render(
        "dashboard.html",
        figures=figures,
        days=days,
        windows=WINDOWS,
        # Titles go in the figure's caption, in the page's own font size, not into the scaled SVG.
        reason_chart=charts.bar_chart(reasons),
        daily_chart=charts.line_chart([(f"{day:%d %b}", count) for day, count in figures.daily_volume]),
        channel_chart=charts.bar_chart(
            [(label(channel), count) for channel, count in figures.volume_by_channel], height=160
        ),
        partner_chart=charts.bar_chart(figures.volume_by_partner[:MAX_PARTNERS], height=200),
        # The KPIs per day (a day with nothing to measure draws at 0) and the 997 turnaround by partner.
        accuracy_chart=charts.line_chart(
            [(f"{day:%d %b}", (share or 0) * 100) for day, share in kpis.daily_accuracy], fmt=_percent
        ),
        ack_chart=charts.bar_chart(
            [
                (partner, (timing.median or 0) / 3600)
                for partner, timing in kpis.ack_by_partner[:MAX_PARTNERS]
            ],
            height=200,
        ),
    )


def _percent(value: float) -> str:
    return f"{charts.format_value(value)}%"
