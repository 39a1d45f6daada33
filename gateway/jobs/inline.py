"""The worker: what happens after a document is stored, and everything that leaves.

Each pass it processes documents a crash left stored but unprocessed, sends due X12 documents
over each partner's route (SFTP or AS2), posts due ERP payloads, and mails due replies to
customers (SMTP, ``gateway.outbound.mailer``) and the alert notifications that are due (email
and webhook, ``gateway.alerts.sending``). A stop request is
honoured between passes. This is the embedded (SQLite) worker; on PostgreSQL the job queue
(gateway.jobs) runs the same steps as jobs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

import httpx
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.alerts.sending import send_due_notifications
from gateway.config import AlertSettings
from gateway.config import ErpSettings
from gateway.config import SmtpSettings
from gateway.inbound.pipeline import Pipeline
from gateway.model.status import DocumentStatus
from gateway.model.status import OutboxStatus
from gateway.outbound.delivery import deliver_due
from gateway.outbound.delivery import routes_any
from gateway.outbound.dispatch import Sender
from gateway.outbound.dispatch import has_route
from gateway.outbound.dispatch import send_due
from gateway.outbound.mailer import send_due_replies
from gateway.outbound.outbox import ERP_KINDS
from gateway.outbound.replies import KIND as REPLY_KIND

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WorkReport:
    recovered: int = 0
    sent: int = 0
    awaiting_mdn: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    mailed: int = 0  # replies to customers sent by SMTP
    notified: int = 0  # alert notifications sent (email, webhook)

    @property
    def busy(self) -> bool:
        return any(
            (
                self.recovered,
                self.sent,
                self.awaiting_mdn,
                self.delivered,
                self.retrying,
                self.dead,
                self.mailed,
                self.notified,
            )
        )


@dataclass(slots=True)
class Worker:
    pipeline: Pipeline
    senders: Mapping[str, Sender]
    erp: ErpSettings | None
    clock: Callable[[], datetime]
    stale_after: timedelta = timedelta(minutes=5)
    smtp: SmtpSettings | None = None  # None: replies to customers wait in the outbox
    alerts: AlertSettings | None = None  # None (or no channel in it): alert notifications wait

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.pipeline.sessions

    def work_once(self, client: httpx.Client) -> WorkReport:
        recovered = 0
        for document_id in self.stranded(self.clock()):
            self.pipeline.process(document_id, again=False)
            recovered += 1
        report = self.send_out(client)
        report.recovered = recovered
        return report

    def send_out(self, client: httpx.Client) -> WorkReport:
        """Send the X12 documents, post the ERP payloads, mail the replies and send the alert
        notifications that are due now."""
        report = WorkReport()
        now = self.clock()
        dispatched = send_due(self.sessions, self.pipeline.partners, self.senders, now=now)
        report.sent, report.awaiting_mdn = dispatched.sent, dispatched.awaiting_mdn
        report.retrying, report.dead = dispatched.retrying, dispatched.dead
        if self.erp is not None or routes_any(self.pipeline.partners):
            delivered = deliver_due(
                self.sessions, self.erp, now=now, client=client, partners=self.pipeline.partners
            )
            report.delivered = delivered.delivered
            report.retrying += delivered.retrying
            report.dead += delivered.dead
        if self.smtp is not None:
            mailed = send_due_replies(self.sessions, self.smtp, now=now)
            report.mailed = mailed.sent
            report.retrying += mailed.retrying
            report.dead += mailed.dead
        if self.alerts is not None and self.alerts.channels:
            notified = send_due_notifications(self.sessions, self.alerts, self.smtp, now=now, client=client)
            report.notified = notified.sent
        return report

    def can_send_any(self, document_id: int) -> bool:
        """Whether a send pass now could send any outbox row of this document (its acks, its
        orders' ERP payloads): a pending one with a way out from this worker (its partner's
        ``[delivery]`` route, the ERP, SMTP). Without one a row waits in the outbox until a route
        is set up, and a pass would find nothing to do."""
        if not self._has_any_way_out():
            return False  # nothing it wrote can leave: no need to ask the store what it wrote
        outbound, order = storage.OutboundRecord, storage.PurchaseOrder
        its_orders = select(order.id).where(order.document_id == document_id).scalar_subquery()
        with self.sessions() as session:
            rows = session.execute(
                select(outbound.partner, outbound.kind)
                .where(
                    or_(outbound.document_id == document_id, outbound.order_id.in_(its_orders)),
                    outbound.status == OutboxStatus.PENDING,
                )
                .distinct()
            ).all()
        return any(self._has_way_out(partner, kind) for partner, kind in rows)

    def _has_any_way_out(self) -> bool:
        """An ERP, SMTP or any partner's route: without one no outbox row can leave this worker."""
        if self.erp is not None or self.smtp is not None or routes_any(self.pipeline.partners):
            return True
        return any(has_route(profile, self.senders) for profile in self.pipeline.partners)

    def _has_way_out(self, partner: str, kind: str) -> bool:
        if kind in ERP_KINDS:  # the default ERP, or a target of the partner's own
            profile = self.pipeline.partners.get(partner)
            return self.erp is not None or (profile is not None and profile.erp is not None)
        if kind == REPLY_KIND:
            return self.smtp is not None
        return has_route(self.pipeline.partners.get(partner), self.senders)

    def run(self, stop: threading.Event, *, every: float = 5.0) -> None:
        with httpx.Client() as client:
            while not stop.is_set():
                try:
                    report = self.work_once(client)
                except Exception:  # a failing pass (the store restarting) is logged and retried
                    log.exception("worker pass failed")
                else:
                    if report.busy:
                        log.info("worker: %s", report)
                stop.wait(every)

    def stranded(self, now: datetime) -> list[int]:
        """Documents stored but left unprocessed by a crash (not ones being processed right now)."""
        return received_documents(self.sessions, received_before=now - self.stale_after)


def received_documents(
    sessions: sessionmaker[Session], *, received_before: datetime | None = None, limit: int = 100
) -> list[int]:
    """Documents still waiting to be processed, oldest first."""
    document = storage.Document
    query = select(document.id).where(document.status == DocumentStatus.RECEIVED)
    if received_before is not None:
        query = query.where(document.received_at <= received_before)
    with sessions() as session:
        return list(session.scalars(query.order_by(document.id).limit(limit)))
