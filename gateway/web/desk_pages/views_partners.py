"""Partner profiles, read-only, with each partner's recent traffic and last errors.

``GET /partners`` and ``GET /partners/<name>``; profile files that were refused are listed
with their error above the partners. A profile holds no secret by design: passwords
and passphrases are named by the environment variable that holds them, and only that name
is shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import abort
from flask.typing import ResponseReturnValue

from gateway.desk import partner_activity
from gateway.desk import partner_traffic
from gateway.outbound import transport_status

from .context import db
from .context import desk
from .context import now
from .context import render
from .context import services

TRAFFIC_DAYS = 7


@desk.get("/partners")
def partners() -> ResponseReturnValue:
    session = db()
    traffic = partner_traffic(session, since=now() - timedelta(days=TRAFFIC_DAYS))
    status = transport_status.status_report(session, services().partners)
    errors: dict[str, int] = {}
    for row in status:
        if row["failures_in_a_row"]:
            errors[row["partner"]] = errors.get(row["partner"], 0) + 1
    db().commit()  # end the read before rendering
    return render(
        "partners.html",
        profiles=sorted(services().partners, key=lambda p: p.name),
        received=traffic.received,
        waiting=traffic.waiting,
        failing=errors,
        channels=transport_status.configured_channels,
        days=TRAFFIC_DAYS,
        refused=services().partners.refused,
    )


@desk.get("/partners/<name>")
def partner(name: str) -> ResponseReturnValue:
    profile = services().partners.get(name)
    if profile is None:
        abort(404)
    session = db()
    activity = partner_activity(session, name)
    transport = [
        row for row in transport_status.status_report(session, services().partners) if row["partner"] == name
    ]
    db().commit()  # end the read before rendering
    return render(
        "partner.html",
        profile=profile,
        settings=list(flatten(profile.model_dump(mode="json"))),
        documents=activity.documents,
        outbound=activity.outbound,
        alerts=activity.alerts,
        transport=transport,
    )


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """A profile as (dotted key, text) rows; empty tables and lists left out."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        if value and all(not isinstance(v, dict | list) for v in value):
            yield prefix, ", ".join(str(v) for v in value)
        else:
            for index, inner in enumerate(value):
                yield from flatten(inner, f"{prefix}[{index}]")
    elif value is not None:
        yield prefix, "yes" if value is True else "no" if value is False else str(value)
