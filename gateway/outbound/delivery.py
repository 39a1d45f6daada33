"""ERP delivery: send each queued payload with its idempotency key; retry with backoff; dead-letter loudly.

A create is a POST to the configured URL; an update or cancel goes as its ``erp_request`` says
(PATCH or DELETE on a path under that URL, after a look-up of the ERP's id where it needs one).

How each vendor is spoken to (credentials, where the key goes, what its answer means: Sage
Intacct answers failures with HTTP 200) is ``gateway.outbound.erp_http``'s. A 2xx (or a 409
that says the key was seen) is delivered. A 408, 425, 429, 5xx, timeout or
connection failure is retried at ``base * 2**(attempt-1)`` seconds (capped; a Retry-After
header is honoured when longer). Any other 4xx cannot succeed by repeating it and, like the
last failed retry, moves the payload to ``dead`` and raises an alert: logged at ERROR and
stored in the ``alert`` table (``gateway alerts``). Rows are claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several deliverers never send one payload twice
at once; the receiver's idempotency key covers a crash between its answer and our commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import quote

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.alerts import raise_alert
from gateway.alerts import resolve_alerts
from gateway.config import ErpSettings
from gateway.errors import ConfigError
from gateway.errors import ErpLookupFailed
from gateway.errors import TransportError
from gateway.model.status import AlertKind
from gateway.model.status import OutboxStatus
from gateway.outbound import erp_http
from gateway.outbound.outbox import ERP_KINDS
from gateway.outbound.outbox import erp_emitter
from gateway.outbound.retries import RetryTally
from gateway.outbound.retries import record_failed_attempt
from gateway.outbound.retries import redeliver as redeliver
from gateway.outbound.transport_status import ERP_STATUS as ERP_STATUS
from gateway.outbound.transport_status import erp_status_row
from gateway.outbound.transport_status import record_failure
from gateway.outbound.transport_status import record_success
from partners import DEFAULT_TARGET

if TYPE_CHECKING:
    import httpx

    from partners import PartnerRegistry

log = logging.getLogger(__name__)

_BATCH = 50


def routes_any(partners: PartnerRegistry) -> bool:
    """Whether any partner's profile names an ERP target of its own (an ``[erp]`` table)."""
    return any(profile.erp is not None for profile in partners)


@dataclass(slots=True)
class DeliveryReport(RetryTally):
    delivered: int = 0


def deliver_due(
    sessions: sessionmaker[Session],
    settings: ErpSettings | None,
    *,
    now: datetime,
    client: httpx.Client,
    partners: PartnerRegistry | None = None,
) -> DeliveryReport:
    """Try every ERP payload that is due now, once; returns what became of them.

    Each payload goes to its own target (``erp_target``): ``settings`` for the default (None: the
    default's payloads wait), else the target its partner's profile in ``partners`` names, with the
    credentials from the variables it names. A target whose payload could not be sent for a reason
    repeating may cure (down, 5xx, Retry-After, timeout, unresolvable) is left alone for the rest of
    this run, so one target down costs one attempt and never holds up another's payloads.

    A payload waits while an earlier payload of its order is still pending: the ERP hears of an
    order's update or cancel only after the order. (After a create that went dead, the order's next
    decision queues a create again; an update that still follows it fails loudly, into an alert.)
    """
    report = DeliveryReport()
    logins = erp_http.Sessions()  # SAP Business One sessions, kept for the run
    resting: set[str] = set() if settings is not None else {DEFAULT_TARGET}
    while True:
        delivered = report.delivered
        with sessions() as session, session.begin():
            rows = _claim(session, now, resting)
            for row in rows:
                target = row.erp_target or DEFAULT_TARGET
                if target in resting:
                    continue  # its target failed earlier in this run: the row waits, untouched
                if not _attempt(
                    session, row, _target_settings(row, settings, partners), now, client, report, logins
                ):
                    resting.add(target)
        if len(rows) < _BATCH and (report.delivered == delivered or not rows):
            return report  # (a delivery may have let a later payload of its order go: claim again)


def _target_settings(
    row: storage.OutboundRecord, default: ErpSettings | None, partners: PartnerRegistry | None
) -> ErpSettings | ConfigError:
    """The settings of the row's target, or why it cannot be resolved."""
    name = row.erp_target or DEFAULT_TARGET
    if name == DEFAULT_TARGET:
        return default if default is not None else ConfigError("no default ERP: GATEWAY_ERP_URL is unset")
    profile = partners.get(row.partner) if partners is not None else None
    target = profile.erp.named(name) if profile is not None and profile.erp is not None else None
    if target is None:
        return ConfigError(f"ERP target {name!r} is not named in the [erp] table of {row.partner}'s profile")
    try:
        return ErpSettings.for_target(target)
    except ConfigError as exc:
        return exc


def _claim(session: Session, now: datetime, resting: set[str]) -> list[storage.OutboundRecord]:
    outbound = storage.OutboundRecord
    earlier = aliased(storage.OutboundRecord)
    waiting = (
        select(earlier.id)
        .where(
            earlier.order_id == outbound.order_id,
            earlier.kind == outbound.kind,
            earlier.id < outbound.id,
            earlier.status == OutboxStatus.PENDING,
        )
        .exists()
    )
    return list(
        session.scalars(
            select(outbound)
            .where(
                outbound.kind.in_(ERP_KINDS),
                outbound.status == OutboxStatus.PENDING,
                or_(outbound.next_attempt_at.is_(None), outbound.next_attempt_at <= now),
                or_(outbound.order_id.is_(None), ~waiting),
                func.coalesce(outbound.erp_target, DEFAULT_TARGET).not_in(resting),
            )
            .order_by(outbound.id)
            .limit(_BATCH)
            .with_for_update(skip_locked=True)
        )
    )


def _attempt(
    session: Session,
    row: storage.OutboundRecord,
    settings: ErpSettings | ConfigError,
    now: datetime,
    client: httpx.Client,
    report: DeliveryReport,
    logins: erp_http.Sessions,
) -> bool:
    """Send ``row`` once; False when its target failed in a way that a retry may cure."""
    import httpx  # here, not at the top: only a delivery sends

    row.attempts += 1
    status = erp_status_row(row.erp_target or DEFAULT_TARGET)
    retry_after: float | None = None
    if isinstance(settings, ConfigError):
        error, retryable = f"the ERP target cannot be resolved: {settings}", True
        raise_alert(
            session,
            kind=AlertKind.ERP_PAYLOAD,
            partner=row.partner,
            order_id=row.order_id,
            message=f"ERP payload {row.id} ({row.kind}) cannot go to the ERP: {settings}",
            action="set the environment variable or fix the [erp] table of the partner's profile, "
            "then restart the deliverer; the payload is retried until then",
            at=now,
            dedupe_key=_unresolved_key(row),
        )
        return _failed(session, row, error, retryable, None, status, now, report, policy=None)
    key = row.idempotency_key or str(row.id)
    header = erp_emitter(row.kind).IDEMPOTENCY_HEADER  # the ERP's own where it documents one
    headers = {"Content-Type": erp_http.content_type(row.kind), header: key}
    if settings.token and row.kind not in (erp_http.SAP, erp_http.INTACCT):  # those log in their own way
        headers["Authorization"] = f"Bearer {settings.token}"
    request = row.erp_request or {}
    try:
        url = settings.url + request.get("path", "")
        params = {**erp_http.query(row.kind, key), **erp_http.operation(row.kind, request, settings.url)}

        def send(*, fresh_login: bool = False) -> httpx.Response | None:
            """One attempt: the look-up (if any), then the request; None when the look-up found the
            change already made (a cancelled order: an earlier attempt's answer was lost)."""
            if row.kind == erp_http.SAP:
                headers["Cookie"] = logins.cookie(client, settings, fresh=fresh_login)
            target, content, found_headers = url, row.content, {}
            if find := request.get("find"):
                found = _look_up(client, settings, row.kind, find, headers, key)
                if found.done:
                    return None
                target = url.replace("{id}", quote(found.key, safe=""))
                content = erp_http.complete(row.kind, request, content, found)
                found_headers = erp_http.found_headers(find, found)
            return client.request(
                request.get("method", "POST"),
                target,
                params=params or None,  # (an empty mapping would drop the query of `target`)
                content=erp_http.body(row.kind, content, settings, key) or None,
                headers={**headers, **request.get("headers", {}), **found_headers},
                timeout=settings.timeout_seconds,
            )

        try:
            response = send()
            ended = response is not None and response.status_code == 401 and row.kind == erp_http.SAP
        except _SessionEnded:  # during the look-up
            ended = True
        if ended:  # the SAP session ended: log in once more, and only once
            response = send(fresh_login=True)
    except httpx.HTTPError as exc:
        error, retryable = f"{type(exc).__name__}: {exc or 'no detail'}", True
    except TransportError as exc:  # (ErpLookupFailed too: a look-up that found not one order)
        error, retryable = str(exc), exc.retryable
    else:
        verdict = erp_http.Verdict(delivered=True) if response is None else erp_http.judge(row.kind, response)
        if verdict.delivered:
            row.status = OutboxStatus.SENT
            row.delivered_at, row.next_attempt_at, row.last_error = now, None, None
            storage.tally_erp_delivery(session, row, at=now)  # the dashboard's receipt-to-ERP KPI
            record_success(session, partner=status, channel="erp", at=now, detail=f"{row.kind} {row.id}")
            if row.attempts > 1:  # it may have failed as unresolvable: that target's alert is over
                resolve_alerts(session, at=now, dedupe_key=_unresolved_key(row), kind=AlertKind.ERP_PAYLOAD)
            report.delivered += 1
            return True
        error, retryable = verdict.error or "refused", verdict.retryable
        retry_after = _retry_after(response, now) if response is not None else None
    return _failed(session, row, error, retryable, retry_after, status, now, report, policy=settings)


def _unresolved_key(row: storage.OutboundRecord) -> str:
    """One open alert per partner and target that cannot be resolved, however many payloads wait."""
    return f"{AlertKind.ERP_PAYLOAD}:target:{row.erp_target or DEFAULT_TARGET}:{row.partner}"


def _failed(
    session: Session,
    row: storage.OutboundRecord,
    error: str,
    retryable: bool,
    retry_after: float | None,
    status: str,
    now: datetime,
    report: DeliveryReport,
    *,
    policy: ErpSettings | None,
) -> bool:
    """Record a failed attempt on the row and its target's status row; False when a retry may cure it."""
    record_failure(session, partner=status, channel="erp", at=now, error=f"{row.kind} {row.id}: {error}")
    report.count_failure(
        record_failed_attempt(
            session,
            row,
            error,
            policy=(policy or ErpSettings(url="")).policy,  # unresolved: the default policy's backoff
            retryable=retryable,
            now=now,
            retry_after=retry_after,
            refused_by="the ERP",
        )
    )
    return not retryable


class _SessionEnded(ErpLookupFailed):
    """SAP answered the look-up 401: the Service Layer session ended."""


def _look_up(
    client: httpx.Client,
    settings: ErpSettings,
    kind: str,
    find: dict[str, Any],
    headers: dict[str, str],
    key: str,
) -> erp_http.Found:
    """The one open record the ERP holds for ``find`` (``emitters._erp.find_one``), or ``ErpLookupFailed``."""
    method, url, params, what = erp_http.look_up_request(kind, settings.url, find)
    body = find.get("body")
    response = client.request(
        method,
        url,
        params=params or None,
        content=erp_http.body(kind, body.encode("utf-8"), settings, key) if body else None,
        headers=headers if body else {k: v for k, v in headers.items() if k != "Content-Type"},
        timeout=settings.timeout_seconds,
    )
    if response.status_code == 401 and kind == erp_http.SAP:
        raise _SessionEnded(f"looking up {what}: HTTP 401: {erp_http.error_text(response)}", retryable=False)
    return erp_http.read_found(kind, settings.url, find, what, response)


def _retry_after(response: httpx.Response, now: datetime) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max((parsedate_to_datetime(value) - now).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None
