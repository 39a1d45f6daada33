"""The exception queue: ``GET /queue`` (and ``/``), every order and document waiting for a person, oldest first.

Filters and paging are query-string values (``QueueFilter.from_args``), so every view of the
queue is a link a clerk can bookmark or send; a value it cannot use is ignored and said so.
``GET /queue.csv`` takes the same filters and downloads every item they match (up to
``MAX_EXPORT_ROWS``, paging ignored) as CSV whose cells no spreadsheet evaluates.
"""

from __future__ import annotations

from flask import Response
from flask import redirect
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from gateway.desk.exception_queue import ALL_REASONS
from gateway.desk.exception_queue import CHANNELS
from gateway.desk.exception_queue import MAX_EXPORT_ROWS
from gateway.desk.exception_queue import QueueFilter
from gateway.desk.exception_queue import all_queue_rows
from gateway.desk.exception_queue import exception_queue
from gateway.desk.exception_queue_csv import queue_csv

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
    db().commit()  # end the read before rendering
    return render(
        "queue.html",
        page=page,
        filters=page.filters,
        reasons=ALL_REASONS,
        channels=CHANNELS,
        ages=ages,
        sla=sla,
        max_export=MAX_EXPORT_ROWS,
    )


@desk.get("/queue.csv")
def queue_csv_download() -> ResponseReturnValue:
    filters = QueueFilter.from_args(request.args)
    rows = all_queue_rows(db(), filters, now=now(), sla_hours=sla_hours(), limit=MAX_EXPORT_ROWS)
    response = Response(queue_csv(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="exception-queue-{now():%Y%m%d-%H%M}.csv"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
