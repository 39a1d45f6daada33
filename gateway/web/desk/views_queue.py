"""The exception queue: ``GET /queue`` (and ``/``), every order and document waiting for a person, oldest first.

Filters and paging are query-string values (``QueueFilter.from_args``), so every view of the
queue is a link a clerk can bookmark or send; a value it cannot use is ignored and said so.
"""

from __future__ import annotations

from flask import redirect
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from gateway.desk.queue import ALL_REASONS
from gateway.desk.queue import CHANNELS
from gateway.desk.queue import QueueFilter
from gateway.desk.queue import exception_queue

from .context import db
from .context import desk
from .context import now
from .context import render
from .context import sla_hours

AGE_CHOICES = (1.0, 24.0, 72.0)


@desk.get("/")
def home() -> ResponseReturnValue:
    return redirect(url_for("desk.queue"))


@desk.get("/queue")
def queue() -> ResponseReturnValue:
    filters = QueueFilter.from_args(request.args)
    sla = sla_hours()
    page = exception_queue(db(), filters, now=now(), sla_hours=sla)
    ages = sorted({sla, *AGE_CHOICES})
    return render(
        "queue.html",
        page=page,
        filters=page.filters,
        reasons=ALL_REASONS,
        channels=CHANNELS,
        ages=ages,
        sla=sla,
    )
