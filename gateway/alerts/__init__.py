"""Alerts that reach a person: raised and resolved in one place, sent by email and webhook.

- ``raise_alert`` / ``resolve_alerts`` / ``resolve_alert`` (a person's, by id) (``_raise``): the only writers of ``alert`` rows, in the
  caller's transaction; a new alert or a resolved one queues an ``alert_notification``.
- ``gateway.alerts.sending``: the send pass (fan out to the channels configured, send with
  retries and backoff), run by the worker, never inside the transaction that raised the alert.
- ``gateway.alerts.checks``: the time-based alerts (997/999 overdue, a document stuck in
  ``received``, a refused profile) and the daily digest, run by ``gateway run``'s pollers.

The kinds are ``gateway.model.status.AlertKind``; settings are ``gateway.config.AlertSettings``.
The two submodules are imported by their own names: this front door stays light, for the
outbound and transport modules that raise alerts.
"""

from __future__ import annotations

from ._raise import raise_alert as raise_alert
from ._raise import resolve_alert as resolve_alert
from ._raise import resolve_alerts as resolve_alerts
from ._text import desk_path as desk_path
from ._text import title as title
