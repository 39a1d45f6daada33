"""The inbound pipeline: store the raw bytes, then parse, validate, persist orders and answer with acks.

Storing is its own committed transaction, so a document is durable before anything else
happens to it. Processing one document is one more transaction: a crash part-way leaves the
document stored with status ``received``, and processing it again starts clean.

Processing runs inline (the embedded SQLite default) or, given a job queue, as a job that a
``gateway worker`` runs. Either way it starts by locking the document's row and does nothing
to a document already processed, so a job run twice has no second effect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO
from typing import Any
from typing import Protocol

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

import emitters
import validators
from gateway import storage
from gateway.errors import ReprocessRefused
from gateway.inbound import amendments
from gateway.inbound import rows
from gateway.inbound._gc import few_collections
from gateway.inbound.validation import MasterDataCache
from gateway.inbound.validation import StoreValidator
from gateway.model.order import SHOP_CHANNELS
from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.order import OrderPurpose
from gateway.model.order import po_key
from gateway.model.receipts import InterchangeReceipt
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import Severity
from gateway.model.status import DocumentStatus
from gateway.model.status import OrderStatus
from gateway.model.status import OutboxStatus
from gateway.outbound.outbox import emit_and_store
from gateway.outbound.outbox import record_partner_ack
from gateway.outbound.outbox import send_decision
from parsers import X12
from parsers import DocumentIssue
from parsers import ParsedInterchange
from parsers import ParsedOrder
from parsers import ReceivedAck
from parsers import parse_stream
from parsers import preload_x12_maps
from parsers.x12 import MAP_DIR
from partners import WEBHOOK_TOPIC
from partners import HintKind
from partners import LayoutHint
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import learned_layout

log = logging.getLogger(__name__)

PROVISIONAL = "provisional"  # the document's meta key: an unknown X12 sender's interchange as read


# writes one outbound document, given the partner's control numbers (``emit_and_store``)
_Emit = Callable[[emitters.ControlNumberSource], emitters.OutboundDocument]
_BATCH = 500
_BATCH_LINES = 2_000  # ...or fewer orders when they are long: a batch's memory grows with its lines
_ACK_GROUP = "FA"  # acknowledgements are never acknowledged
_TA1 = "TA1"
_INTERCHANGE_ACKS = (_TA1, "997", "999")  # outbound kinds that answer an interchange
_ORDER_SETS = frozenset({"850", "860"})  # sets read as orders (an 860 changes one)
_LAYOUT_KINDS: dict[Channel, HintKind] = {Channel.PDF: "pdf", Channel.EXCEL: "sheet"}
_NO_CUSTOMER = (
    "no customer: assign one on the order desk's document page (or `gateway ingest --partner NAME`), "
    "or send it from a known address"
)


@dataclass(slots=True)
class IngestOutcome:
    """What became of one inbound document."""

    document_id: int
    sha256: str
    duplicate: bool
    status: str
    order_ids: list[int] = field(default_factory=list)
    outbound_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Pending:
    """An order read from the document, waiting to be validated and stored with the next batch."""

    parsed: ParsedOrder
    status: str
    findings: list[dict[str, Any]]
    order: Order
    customer_account: str | None
    total: Decimal | None = None
    layout_learned_from: int | None = None  # the support of the learned layout hints it was read with
    allocations: dict[str, Decimal] | None = None  # the stock it took, when accepted
    amends: storage.PurchaseOrder | None = None  # the stored PO a change or cancellation applies to
    resent: storage.PurchaseOrder | None = None  # the stored channel order this one repeats unchanged


@dataclass(slots=True)
class _Run:
    """State of one document's processing transaction."""

    session: Session
    document_id: int
    when: datetime
    validator: StoreValidator | None = None
    pending: list[_Pending] = field(default_factory=list)
    order_ids: list[int] = field(default_factory=list)
    outbound_ids: list[int] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    partners_seen: list[str] = field(default_factory=list)
    unknown_senders: list[str] = field(default_factory=list)
    envelopes: list[ParsedInterchange] = field(
        default_factory=list
    )  # unknown senders', to read provisionally
    pending_lines: int = 0  # the lines of the orders in ``pending``
    orders_stored: int = 0
    acks_received: int = 0
    orders_rejected: int = 0
    orders_resent: int = 0  # channel orders that repeat a stored one unchanged: no second order
    first_rejection: tuple[str, str] | None = None  # (stable code, why)
    answered: set[tuple[str, str]] = field(default_factory=set)  # (TA1 or FA, "ISA13 n") already sent
    learned: dict[str, list[LayoutHint]] = field(default_factory=dict)  # layout hints by partner
    reused_isa13: dict[tuple[str, str], Issue | None] = field(default_factory=dict)  # see _reused_interchange
    format: str | None = None  # the document's, as parse_stream tells it (stored at the end)


class DocumentQueue(Protocol):
    """Where stored documents wait to be processed by a worker (see gateway.jobs)."""

    def defer(self, document_id: int) -> None: ...


class Pipeline:
    """Takes documents in and carries each through parse, store and acknowledgement."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        partners: PartnerRegistry,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        validate: bool = True,
        erp_kind: str | None = None,
        queue: DocumentQueue | None = None,
    ) -> None:
        """``validate=False`` stores orders as parsed: for tests and benchmarks of the readers alone.

        ``erp_kind`` (one of ``gateway.outbound.outbox.ERP_KINDS``: ``erp.canonical``, ``erp.netsuite``,
        ``erp.sap_business_one``, ...) queues that payload for every accepted order; None queues none. With a ``queue``, ingesting stores
        the document and defers its processing to a worker; without one it processes inline.
        """
        self._sessions = sessions
        self._partners = partners
        self._clock = clock
        self._validate = validate
        self._erp_kind = erp_kind
        self._queue = queue
        self._master = MasterDataCache()

    @property
    def partners(self) -> PartnerRegistry:
        return self._partners

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self._sessions

    def warm_up(self) -> list[str]:
        """Load now what the first document would load: the X12 maps of the partners' versions and
        the master data snapshot. For long-running processes (pollers, workers), so their first
        documents are as fast as the rest; returns the maps loaded. Every format's reader, every
        emitter, the store's modules and the models' schemas are loaded too (``gateway.inbound._warm``)."""
        from gateway.inbound import _warm  # the readers' libraries: not for `gateway ingest` of an X12 file

        maps = preload_x12_maps(MAP_DIR, {profile.version for profile in self._partners})
        _warm.load_exports()
        _warm.load_rare()
        _warm.complete_models()
        if self._validate:
            with self._sessions() as session:
                self._master.get(session)
        return maps

    def ingest_path(self, path: Path, *, channel: str = "file", partner: str | None = None) -> IngestOutcome:
        with path.open("rb") as source:
            return self.ingest_stream(source, channel=channel, filename=path.name, partner=partner)

    def ingest_stream(
        self,
        source: IO[bytes],
        *,
        channel: str,
        filename: str | None,
        partner: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> IngestOutcome:
        """Store ``source`` durably, then process it unless the same bytes were already processed.

        ``partner`` names the customer of a document that does not name it itself (a sheet or
        PDF); a document stored earlier without one is processed again once it is given. ``meta``
        is kept on a new document (a shop webhook's topic, read again whenever it is processed).
        """
        with self._sessions() as session, session.begin():
            document, created = self._store(session, source, channel, filename, partner, meta)
            document_id, sha256, status = document.id, document.sha256, document.status
            newly_named = (
                not created
                and status == DocumentStatus.UNKNOWN_PARTNER
                and partner
                and document.partner != partner
            )
            if newly_named:
                document.partner = partner
                document.status = DocumentStatus.RECEIVED
                storage.tally_documents(session, [document.id])  # out of the desk's queue
        if not created and status != DocumentStatus.RECEIVED and not newly_named:
            return self._existing(document_id, sha256, status)
        if self._queue is not None:
            self._defer(document_id)
            return IngestOutcome(document_id, sha256, not created, DocumentStatus.RECEIVED)
        outcome = self.process(document_id, again=False)
        outcome.duplicate = not created
        return outcome

    def hold_stream(
        self,
        source: IO[bytes],
        *,
        channel: str,
        filename: str | None,
        partner: str | None,
        error_code: str,
        error: str,
        meta: dict[str, Any] | None = None,
    ) -> IngestOutcome:
        """Store ``source`` durably but do not process it: held for a person, marked ``error_code``.

        Bytes stored already stay one document, as they are (``duplicate`` says so).
        """
        with self._sessions() as session, session.begin():
            document, created = self._store(session, source, channel, filename, partner, meta)
            if created:
                document.status, document.error_code, document.error = DocumentStatus.HELD, error_code, error
                document.errors = [{"code": error_code, "message": error, "location": None}]
                storage.tally_documents(session, [document.id])  # into the desk's queue
            return IngestOutcome(document.id, document.sha256, not created, document.status)

    def _store(
        self,
        session: Session,
        source: IO[bytes],
        channel: str,
        filename: str | None,
        partner: str | None,
        meta: dict[str, Any] | None = None,
    ) -> tuple[storage.Document, bool]:
        """Store ``source`` as received now by this pipeline's clock (``storage.store_document``)."""
        return storage.store_document(
            session,
            source,
            channel=channel,
            filename=filename,
            received_at=self._clock(),
            partner=partner,
            meta=meta,
        )

    def _defer(self, document_id: int) -> None:
        """Queue a stored document; if the queue is down, the worker's recovery pass queues it later."""
        assert self._queue is not None
        try:
            self._queue.defer(document_id)
        except Exception:
            log.exception(
                "document %s is stored but could not be queued; recovery will queue it", document_id
            )

    def process(
        self,
        document_id: int,
        *,
        again: bool,
        resend_acks: bool = False,
        refuse: Callable[[Session, int], str | None] | None = None,
    ) -> IngestOutcome:
        """Parse a stored document and persist its orders and acks in one transaction.

        The document's row is locked first. ``again=False`` (ingest, jobs, crash recovery,
        ``reprocess --pending``) processes it only if it is still ``received`` under that lock,
        so a document a worker finished meanwhile is left as it is. ``again=True`` is for a
        document someone named (``gateway reprocess ID``, the desk's button): it replaces the
        document's orders and findings. Acks already written stay, and an interchange already
        answered (TA1, 997/999) is not answered again unless ``resend_acks``; new acks get new
        control numbers. ``refuse`` (the desk's ``reprocess_refusal``) is asked under the row
        lock, so a worker's decision made a moment earlier is seen: a reason raises
        ``ReprocessRefused``. A lost or restarting store raises, leaving the document
        ``received`` for a retry; any other failure is stored on the document.
        """
        try:
            with few_collections(), self._sessions() as session, session.begin():
                return self._process(
                    session, document_id, again=again, resend_acks=resend_acks, refuse=refuse
                )
        except (OperationalError, InterfaceError, ReprocessRefused):
            raise
        except Exception as exc:
            log.exception("processing document %s failed", document_id)
            with self._sessions() as session, session.begin():
                _set_document(
                    session,
                    document_id,
                    status=DocumentStatus.FAILED,
                    error_code="internal_error",
                    error=f"internal error while processing: {type(exc).__name__}: {exc}",
                    errors=[{"code": "internal_error", "message": str(exc), "location": None}],
                )
                sha256 = session.get(storage.Document, document_id).sha256  # type: ignore[union-attr]
            return IngestOutcome(document_id, sha256, False, DocumentStatus.FAILED)

    def store_keyed(
        self,
        document_id: int,
        order: Order,
        *,
        refuse: Callable[[Session, int], str | None] | None = None,
    ) -> IngestOutcome:
        """Store an order a person keyed in from stored document ``document_id``, as if read from it.

        It is validated, stored and decided as every order is (``_take_order``, ``_flush``): clean,
        it is accepted and sends what an accepted order sends; with findings, it waits in the
        queue. The document's row is locked first and ``refuse`` asked under the lock; a reason
        raises ``ReprocessRefused``. The document keeps its format; its errors are replaced.
        """
        if order.partner is None or self._partners.get(order.partner) is None:
            raise LookupError(f"a keyed order needs a known customer, not {order.partner!r}")
        with self._sessions() as session, session.begin():
            document = session.get(storage.Document, document_id, with_for_update=True)
            if document is None:
                raise LookupError(f"no document {document_id}")
            refusal = refuse(session, document_id) if refuse is not None else None
            if refusal is not None:
                raise ReprocessRefused(refusal)
            run = _Run(session=session, document_id=document_id, when=self._clock())
            if self._validate:
                run.validator = StoreValidator(session, self._master, run.when.date())
            _clear_previous_attempt(session, document_id)
            self._take_order(run, ParsedOrder(order=order, issues=[], ordinal=0))
            self._flush(run)
            status, error_code, error = _verdict(run)
            _set_document(
                session,
                document_id,
                status=status,
                partner=order.partner,
                error_code=error_code,
                error=error,
                errors=[_error_json(i) for i in run.issues if i.is_error],
            )
            return IngestOutcome(document_id, document.sha256, False, status, run.order_ids, run.outbound_ids)

    def _existing(self, document_id: int, sha256: str, status: str) -> IngestOutcome:
        with self._sessions() as session:
            return _existing_outcome(session, document_id, sha256, status)

    def _process(
        self,
        session: Session,
        document_id: int,
        *,
        again: bool,
        resend_acks: bool,
        refuse: Callable[[Session, int], str | None] | None,
    ) -> IngestOutcome:
        document = session.get(storage.Document, document_id, with_for_update=True)
        if document is None:
            raise LookupError(f"no document {document_id}")
        if not again and document.status != DocumentStatus.RECEIVED:
            return _existing_outcome(session, document_id, document.sha256, document.status)
        refusal = refuse(session, document_id) if refuse is not None else None
        if refusal is not None:
            raise ReprocessRefused(refusal)
        run = _Run(session=session, document_id=document_id, when=self._clock())
        if not resend_acks:
            run.answered = _answered_interchanges(session, document_id)
        if self._validate:
            run.validator = StoreValidator(session, self._master, run.when.date())
        _clear_previous_attempt(session, document_id)
        stream = storage.open_document(session, document_id)
        named = self._partners.get(document.partner) if document.partner else None
        run.learned = storage.learned_hints(session)
        fmt, events = parse_stream(
            stream,
            partners=self._partners,
            document_id=str(document_id),
            partner=named,
            learned=run.learned,
            topic=(document.meta or {}).get(WEBHOOK_TOPIC),
        )
        run.format = fmt
        for event in events:
            if isinstance(event, ParsedOrder):
                self._take_order(run, event)
            elif isinstance(event, ParsedInterchange):
                self._flush(run)
                if event.partner is None:
                    run.envelopes.append(event)
                self._answer(run, event)
            elif isinstance(event, ReceivedAck):
                self._take_ack(run, event)
            elif isinstance(event, DocumentIssue):
                run.issues.append(event.issue)
        self._flush(run)
        status, error_code, error = _verdict(run)
        meta = {k: v for k, v in (document.meta or {}).items() if k != PROVISIONAL}
        if status == DocumentStatus.UNKNOWN_PARTNER and fmt == X12:  # read for people; nothing sent, no order
            from gateway.inbound.provisional import provisional_json  # (lazy: see ``_warm.load_rare``)
            from gateway.inbound.provisional import read_unknown_x12

            reading = read_unknown_x12(
                lambda: storage.open_document(session, document_id),
                document.size,
                self._partners,
                document_id=document_id,
                envelopes=run.envelopes,
            )
            meta[PROVISIONAL] = provisional_json(reading)
        _set_document(
            session,
            document_id,
            status=status,
            format=fmt,
            meta=meta,
            partner=run.partners_seen[0] if run.partners_seen else document.partner,
            error_code=error_code,
            error=error,
            errors=[_error_json(i) for i in run.issues if i.is_error],
        )
        return IngestOutcome(document_id, document.sha256, False, status, run.order_ids, run.outbound_ids)

    def _take_order(self, run: _Run, parsed: ParsedOrder) -> None:
        order = parsed.order
        if order.partner is None:
            if parsed.transaction is None and _NO_CUSTOMER not in run.unknown_senders:
                run.unknown_senders.append(_NO_CUSTOMER)
                if not any(i.code == "partner.unknown" for i in run.issues):
                    run.issues.append(
                        Issue(code="partner.unknown", message=f"unknown partner: {_NO_CUSTOMER}")
                    )
            return
        if order.partner not in run.partners_seen:
            run.partners_seen.append(order.partner)
        transaction_issues = parsed.transaction.issues if parsed.transaction else []
        if parsed.rejected:
            status = OrderStatus.REJECTED
            if run.first_rejection is None:
                first = next(i for i in transaction_issues if i.is_error)
                where = f" at {first.location}" if first.location else ""
                run.first_rejection = (validators.FindingCode.SYNTAX.value, f"{first.message}{where}")
        else:
            status = OrderStatus.EXCEPTION if parsed.needs_review else OrderStatus.ACCEPTED
        findings = [
            rows.issue_finding(i, rejected=parsed.rejected) for i in (*transaction_issues, *parsed.issues)
        ]
        if parsed.interchange_control_number:
            reused = _reused_interchange(run, order.partner, parsed.interchange_control_number)
            if reused is not None:  # for the desk: a warning on each of its orders
                findings.append(
                    rows.issue_finding(
                        reused.model_copy(update={"severity": Severity.WARNING}), rejected=False
                    )
                )
        profile = self._partners.get(order.partner)
        account = profile.customer_account if profile else None
        pending = _Pending(parsed, status, findings, order, account)
        kind = _LAYOUT_KINDS.get(order.channel)
        if kind is not None and order.partner in run.learned:
            learned = learned_layout(profile, run.learned[order.partner], kind).learned_from
            pending.layout_learned_from = learned or None
        if _changes_a_pending_order(run, order):
            self._flush(run)  # its original came earlier in this document: stored first, then changed
        run.pending.append(pending)
        run.pending_lines += len(order.lines)
        if len(run.pending) >= _BATCH or run.pending_lines >= _BATCH_LINES:
            self._flush(run)

    def _flush(self, run: _Run) -> None:
        if not run.pending:
            return
        self._validate_pending(run)
        for item in [i for i in run.pending if i.amends is not None]:
            self._amend(run, item)
        for item in [i for i in run.pending if i.resent is not None]:
            _resent(run, item)
        run.pending = [i for i in run.pending if i.amends is None and i.resent is None]
        if not run.pending:
            run.pending_lines = 0
            return
        session = run.session
        lines = [rows.order_line_rows(0, item.order) for item in run.pending]
        order_rows = [
            _fitted_order_row(run, item, item_lines)
            for item, item_lines in zip(run.pending, lines, strict=True)
        ]
        for row, item in zip(order_rows, run.pending, strict=True):  # counted as stored: no read-back
            row["tallied_as"] = storage.new_order_facts(row, item.findings)
        ids = storage.insert_rows(
            session, storage.PurchaseOrder.__table__, order_rows, returning="id", key="ordinal"
        )
        line_rows: list[dict[str, Any]] = []
        finding_rows: list[dict[str, Any]] = []
        for order_id, item, item_lines in zip(ids, run.pending, lines, strict=True):
            profile = self._partners.get(item.order.partner or "")
            if profile is not None:
                sent = send_decision(
                    session,
                    item.order,
                    profile,
                    order_id=order_id,
                    status=item.status,
                    findings=item.findings,
                    when=run.when,
                    erp_kind=self._erp_kind,
                    document_id=run.document_id,
                    acknowledge=run.validator is not None and not item.parsed.rejected,
                )
                if sent.acknowledgment_id is not None:
                    run.outbound_ids.append(sent.acknowledgment_id)
                if _confirms_touchless(item, profile):
                    from gateway.outbound import replies  # not for EDI (lazy: see ``_warm.load_rare``)

                    run.outbound_ids.append(
                        replies.confirm_order(
                            session,
                            item.order,
                            profile,
                            order_id=order_id,
                            document_id=run.document_id,
                            received=item.parsed.order,
                            findings=item.findings,
                            status=OutboxStatus.PENDING,
                            when=run.when,
                            document_format=run.format,
                        )
                    )
            line_rows.extend({**line, "order_id": order_id} for line in item_lines)
            finding_rows.extend(rows.of_order(item.findings, order_id=order_id, document_id=run.document_id))
            run.orders_stored += 1
            run.orders_rejected += item.status == OrderStatus.REJECTED
        storage.insert_rows(session, storage.OrderLineRecord.__table__, line_rows)
        rows.insert_findings(session, finding_rows, run.when)
        storage.tally_new_orders(session, (row["tallied_as"] for row in order_rows), [run.document_id])
        run.order_ids.extend(ids)
        run.pending.clear()
        run.pending_lines = 0

    def _validate_pending(self, run: _Run) -> None:
        """Business validation of the batch; a parse rejection is final, a parse hold stays held."""
        validator = run.validator
        if validator is None:
            return
        todo = [
            (item, profile)
            for item in run.pending
            if item.status != OrderStatus.REJECTED
            and (profile := self._partners.get(item.order.partner or ""))
        ]
        validator.prepare((item.order, profile) for item, profile in todo)
        with validator.stock.batched():  # the batch's allocations: one UPDATE per SKU and warehouse
            self._validate_each(run, validator, todo)

    def _validate_each(
        self, run: _Run, validator: StoreValidator, todo: list[tuple[_Pending, PartnerProfile]]
    ) -> None:
        for item, profile in todo:
            original = _original(run, item, profile)
            if original is not None and _is_channel_snapshot(item.order):
                if _repeats(original, item.order):  # a webhook retried, or an update that changes no line
                    item.resent = original
                    continue
                item.order = item.order.model_copy(update={"purpose": OrderPurpose.CHANGE})
            if original is not None and not amendments.shipped(run.session, original):
                item.amends = original  # applied to the stored order (``_amend``), not stored as one
                continue
            held = item.status == OrderStatus.EXCEPTION
            result = validator.validate(item.order, profile, held=held)
            item.order = result.order
            item.total = result.total
            item.findings.extend(rows.finding_row(f) for f in result.findings)
            if result.outcome == OrderStatus.ACCEPTED and not held:
                item.allocations = result.allocations
            if result.outcome == OrderStatus.REJECTED or item.status == OrderStatus.ACCEPTED:
                item.status = result.outcome
            if original is not None:  # shipped or invoiced: the change waits on the desk as its own order
                before, after = _amendment_difference(original, item.parsed.order)
                item.findings.append(
                    rows.change_finding(
                        validators.FindingCode.CHANGE_AFTER_SHIPMENT.value,
                        "hold",
                        f"PO {original.po_number} (order {original.id}) was already shipped or invoiced, so this "
                        f"{item.order.purpose.value} is not applied; it waits for the desk: "
                        + amendments.described(before, after),
                        before,
                        after,
                    )
                )
                if item.status == OrderStatus.ACCEPTED:
                    item.status = OrderStatus.EXCEPTION
            if item.status == OrderStatus.REJECTED and run.first_rejection is None:
                first = next(f for f in result.findings if f.action == "reject")
                run.first_rejection = (first.code.value, first.message)

    def _amend(self, run: _Run, item: _Pending) -> None:
        """Apply a partner's change or cancellation to the stored order, as a new version.

        The stock the order took goes back and its value stops counting towards credit; a change is
        then validated as a new order would be (taking stock and counting again when accepted). A
        change of the version in force (an accepted order) that validation holds waits on the desk
        while that version keeps its stock (``superseded`` keeps it, for the desk to put back); one
        it rejects is refused at once: the version in force stands, stock, credit and the ERP as
        they were. The answer is an 855 as the profile asks (or an 865): BAK01 01 for a
        cancellation, the change's own BEG01 (04 or 05) for a change, AC/AD/RD as for any order.
        """
        stored, validator = item.amends, run.validator
        profile = self._partners.get(item.order.partner or "")
        assert stored is not None and validator is not None and profile is not None
        session, partner = run.session, profile.name
        if amendments.applied_from(session, stored, run.document_id):  # the document processed again
            run.order_ids.append(stored.id)
            return
        old = Order.model_validate(stored.canonical)
        old_status = stored.status
        purpose = item.order.purpose_code or "04"  # the latest change is the one answered
        changes = _answered_by_865(item, profile)
        in_force = stored.superseded or (
            amendments.superseded(
                stored,
                rows.finding_rows(session, stored.id),
                purpose=purpose,
                changes=changes,
                document_id=run.document_id,
            )
            if old_status == OrderStatus.ACCEPTED
            else None
        )  # the version the ERP and the partner hold, while a change of it waits on the desk
        held_stock = amendments.held_allocations(stored)
        amendments.release_stock(session, stored, validator.stock)  # free for the change's validation
        if old_status == OrderStatus.ACCEPTED:
            validator.release(profile.customer_account, stored.order_total or Decimal(0))
        run.order_ids.append(stored.id)
        run.orders_stored += 1
        wants_ack = (profile.wants_855 or changes is not None) and item.order.channel == Channel.X12
        wants_ack = wants_ack and not item.parsed.rejected
        if item.order.purpose == OrderPurpose.CANCEL:
            ack_id = amendments.cancel_order(
                session,
                stored,
                item.order,
                profile,
                erp_kind=self._erp_kind,
                when=run.when,
                document_id=run.document_id,
                answer=wants_ack,
                changes=changes,
            )
            amendments.record(
                session,
                stored,
                partner=partner,
                action="partner_cancel",
                before={"status": old_status},
                after={"status": stored.status},
                document_id=run.document_id,
                when=run.when,
            )
            storage.tally_orders(session, [stored.id])
            if ack_id is not None:
                run.outbound_ids.append(ack_id)
            return

        def answer(order: Order, status: str, findings: list[dict[str, Any]], erp_kind: str | None) -> None:
            sent = send_decision(
                session,
                order,
                profile,
                order_id=stored.id,
                status=status,
                findings=findings,
                when=run.when,
                erp_kind=erp_kind,
                document_id=run.document_id,
                acknowledge=not item.parsed.rejected,
                purpose=purpose,
                changes=changes,
            )
            if sent.acknowledgment_id is not None:
                run.outbound_ids.append(sent.acknowledgment_id)

        held = item.status == OrderStatus.EXCEPTION
        changed = amendments.applied(old, item.order)
        result = validator.validate(changed, profile, held=held, amends=True)
        status = result.outcome if result.outcome == OrderStatus.REJECTED or not held else item.status
        findings = [*item.findings, *(rows.finding_row(f) for f in result.findings)]
        before, after = amendments.differences(old, result.order)
        if status == OrderStatus.REJECTED and in_force is not None:  # refused: the version in force stands
            stored.superseded = in_force
            amendments.restore_in_force(session, stored, run.when)
            amendments.retake_stock(validator.stock, stored, held_stock)
            validator.restore(profile.customer_account, stored.order_total or Decimal(0))
            refused = sorted({f["code"] for f in findings if f["action"] == "reject"})
            amendments.record(
                session,
                stored,
                partner=partner,
                action="partner_change_refused",
                before={"status": old_status, **before},
                after={"status": stored.status, **after, "findings": refused},
                document_id=run.document_id,
                when=run.when,
            )
            storage.tally_orders(session, [stored.id])
            # the ERP has the version in force
            answer(result.order, OrderStatus.REJECTED, findings, erp_kind=None)
            return
        if status == OrderStatus.EXCEPTION:  # the desk sees what the partner changed beside why it is held
            findings.append(
                rows.change_finding(
                    validators.FindingCode.ORDER_CHANGED.value,
                    "warn",
                    f"the partner changed this order (document {run.document_id}): "
                    + amendments.described(before, after),
                    before,
                    after,
                )
            )
        stored.canonical = result.order.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        stored.received_canonical = None  # what the partner sent last is now the order
        stored.line_count = len(result.order.lines)
        stored.order_total = result.total
        stored.po_date = result.order.po_date
        stored.currency = result.order.currency
        stored.status = status
        stored.allocations = (
            amendments.allocations_json(result.allocations)
            if result.outcome == OrderStatus.ACCEPTED and not held
            else None
        )
        stored.superseded = None
        if (
            status == OrderStatus.EXCEPTION and in_force is not None
        ):  # it keeps its stock until the desk decides
            amendments.retake_stock(validator.stock, stored, held_stock)
            stored.superseded = {
                **in_force,
                "purpose": purpose,
                "changes": changes,
                "document_id": run.document_id,
            }
        if old_status != status:
            before, after = {"status": old_status, **before}, {"status": status, **after}
        amendments.record(
            session,
            stored,
            partner=partner,
            action="partner_change",
            before=before,
            after=after,
            document_id=run.document_id,
            when=run.when,
        )
        rows.replace_lines(session, stored.id, result.order)
        rows.replace_findings(session, stored.id, findings, document_id=run.document_id, when=run.when)
        storage.tally_orders(session, [stored.id])
        run.orders_rejected += status == OrderStatus.REJECTED
        answer(result.order, status, findings, erp_kind=self._erp_kind)

    def _take_ack(self, run: _Run, ack: ReceivedAck) -> None:
        """A partner's 997/999 about what we sent: the document it answers is acknowledged."""
        run.acks_received += 1
        if ack.partner is None:  # the unknown sender is already the document's error
            return
        unmatched = record_partner_ack(run.session, ack, when=run.when)
        if unmatched:
            run.issues.append(Issue(code="x12.ack_unmatched", message=unmatched))

    def _answer(self, run: _Run, parsed: ParsedInterchange) -> None:
        partner = parsed.partner
        receipt = parsed.receipt
        if partner is None:
            run.unknown_senders.append(parsed.sender)
            refusal = self._partners.refusal_for_x12_sender(receipt.sender_qualifier, receipt.sender_id)
            why = (
                f"ISA sender {parsed.sender} has no profile: {refusal}"
                if refusal
                else (f"no profile matches ISA sender {parsed.sender}")
            )
            run.issues.append(
                Issue(
                    code="partner.unknown",
                    message=f"unknown partner: {why}; "
                    "the document is stored and can be reprocessed once a profile exists",
                    level=Level.INTERCHANGE,
                )
            )
            return
        if partner.name not in run.partners_seen:
            run.partners_seen.append(partner.name)
        reused = _reused_interchange(run, partner.name, receipt.control_number)
        if reused is not None:  # for the partner: a TA1 with note 025 (the interchange is still processed)
            receipt.issues.append(reused)
        run.issues.extend(receipt.issues)
        for group in receipt.groups:
            run.issues.extend(group.issues)
            for transaction in group.transactions:
                if transaction.set_id not in _ORDER_SETS:
                    run.issues.extend(transaction.issues)
        for emit in _acks_for(receipt, partner, run):
            run.outbound_ids.append(
                emit_and_store(run.session, partner, emit, when=run.when, document_id=run.document_id)
            )


def _answered_by_865(item: _Pending, profile: PartnerProfile) -> dict[str, str] | None:
    """An 860's POC02 by line when the profile answers 860s with an 865; else None (an 855 if it wants one)."""
    transaction = item.parsed.transaction
    if "865" not in profile.acks or transaction is None or transaction.set_id != "860":
        return None
    return {line.line_no: line.change for line in item.order.lines if line.change}


def _amended_po(order: Order) -> str | None:
    """The PO key a change or cancellation names, or any web-shop or marketplace order (whose every
    copy is the order as it stands now); None for any other order."""
    key = po_key(order.po_number)
    amends = order.purpose in (OrderPurpose.CHANGE, OrderPurpose.CANCEL) or _is_channel_snapshot(order)
    return key if key and amends else None


def _is_channel_snapshot(order: Order) -> bool:
    """A web-shop or marketplace order as it stands (a new one, a retried webhook or an ``orders/updated``)."""
    return order.channel in SHOP_CHANNELS and order.purpose == OrderPurpose.ORIGINAL


def _repeats(stored: storage.PurchaseOrder, order: Order) -> bool:
    """The channel order says what the channel last sent of the stored order: date, ship-to and lines."""
    sent = Order.model_validate(stored.received_canonical or stored.canonical)
    before, after = amendments.differences(sent, order)
    return not before and not after


def _resent(run: _Run, item: _Pending) -> None:
    """A channel order already stored and unchanged: no second order, an audit entry on the first."""
    stored = item.resent
    assert stored is not None
    run.order_ids.append(stored.id)
    run.orders_resent += 1
    storage.record_audit(
        run.session,
        actor=f"partner:{item.order.partner}",
        action="channel_resent",
        subject_type=amendments.SUBJECT,
        subject_id=str(stored.id),
        after={"document_id": run.document_id, "po_number": item.order.po_number},
        at=run.when,
    )


def _changes_a_pending_order(run: _Run, order: Order) -> bool:
    """A change or cancellation of a PO read earlier in this document and not yet stored."""
    key = _amended_po(order)
    return key is not None and any(po_key(item.order.po_number) == key for item in run.pending)


def _original(run: _Run, item: _Pending, profile: PartnerProfile) -> storage.PurchaseOrder | None:
    """The open order a change or cancellation names (same customer, same PO), or None."""
    key = _amended_po(item.order)
    return None if key is None else amendments.original_of(run.session, profile.customer_account, key)


def _amendment_difference(
    stored: storage.PurchaseOrder, order: Order
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a change or cancellation would do to the stored order, before and after."""
    if order.purpose == OrderPurpose.CANCEL:
        return {"status": stored.status}, {"status": OrderStatus.CANCELLED}
    old = Order.model_validate(stored.canonical)
    return amendments.differences(old, amendments.applied(old, order))


def _reused_interchange(run: _Run, partner: str, control_number: str) -> Issue | None:
    """A possible duplicate interchange: the partner's ISA13 already came in another document.

    The same bytes again are the same document (found by content hash) and never get here; so an
    earlier document with this ISA13 carried other content: a resend with changes, or a control
    number the partner used twice. Either way it is processed, and flagged for both sides.
    """
    key = (partner, control_number.strip())
    if key not in run.reused_isa13:
        earlier = storage.earlier_interchange(run.session, partner, key[1], run.document_id)
        run.reused_isa13[key] = None
        if earlier is not None:
            name = f" ({earlier.filename})" if earlier.filename else ""
            run.reused_isa13[key] = Issue(
                code="x12.duplicate_interchange",
                message=f"possible duplicate interchange: {partner}'s interchange control number {key[1]} "
                f"was already received in document {earlier.id}{name} on {earlier.received_at:%Y-%m-%d %H:%M}, "
                "with other content; this one is processed too: ask the partner whether it is a changed "
                "resend or a control number used twice",
                level=Level.INTERCHANGE,
                x12_code="025",
                segment="ISA",
                element=13,
                bad_value=key[1],
            )
    return run.reused_isa13[key]


def _existing_outcome(session: Session, document_id: int, sha256: str, status: str) -> IngestOutcome:
    """What an earlier processing of the document left: its orders and outbound documents."""
    order_ids = list(
        session.scalars(
            select(storage.PurchaseOrder.id)
            .where(storage.PurchaseOrder.document_id == document_id)
            .order_by(storage.PurchaseOrder.ordinal)
        )
    )
    outbound_ids = list(
        session.scalars(
            select(storage.OutboundRecord.id)
            .where(storage.OutboundRecord.document_id == document_id)
            .order_by(storage.OutboundRecord.id)
        )
    )
    return IngestOutcome(document_id, sha256, True, status, order_ids, outbound_ids)


def _acks_for(receipt: InterchangeReceipt, partner: PartnerProfile, run: _Run) -> list[_Emit]:
    """TA1 as the profile asks, and a 997/999 for every group that is not itself an acknowledgement,
    each to be emitted with the partner's control numbers (``emit_and_store``), in that order.

    An interchange this document already answered (``run.answered``) is not answered again.
    """
    answers: list[_Emit] = []
    interchange = _interchange_reference(receipt.control_number)
    wants_ta1 = partner.ta1 == "always" or (
        partner.ta1 == "on_request" and (receipt.ack_requested or receipt.has_errors)
    )
    if wants_ta1 and (_TA1, interchange) not in run.answered:
        answers.append(
            lambda numbers: emitters.x12_ta1.emit(receipt, partner, numbers=numbers, when=run.when)
        )
    kind = partner.functional_ack
    groups = [g for g in receipt.groups if g.functional_id != _ACK_GROUP]
    if groups and kind is not None and (_ACK_GROUP, interchange) not in run.answered:
        emitter = emitters.x12_999 if kind == "999" else emitters.x12_997
        answered = receipt.model_copy(update={"groups": groups})
        answers.append(lambda numbers: emitter.emit(answered, partner, numbers=numbers, when=run.when))
    return answers


def _interchange_reference(control_number: str) -> str:
    """How a TA1 or 997/999 names the interchange it answers (its ``refers_to``)."""
    return f"ISA13 {control_number}"


def _answered_interchanges(session: Session, document_id: int) -> set[tuple[str, str]]:
    """The document's interchanges already answered: (``TA1`` or ``FA`` for a 997/999, reference)."""
    record = storage.OutboundRecord
    sent = session.execute(
        select(record.kind, record.refers_to).where(
            record.document_id == document_id,
            record.kind.in_(_INTERCHANGE_ACKS),
            record.refers_to.is_not(None),
        )
    )
    return {(_TA1 if kind == _TA1 else _ACK_GROUP, str(refers_to)) for kind, refers_to in sent}


def _clear_previous_attempt(session: Session, document_id: int) -> None:
    """Processing is one transaction, so leftovers only exist if a reprocess was asked for.

    Outbound documents are kept (they may have left, and their control numbers are spent); they
    just stop pointing at the orders being replaced.
    """
    order_ids = select(storage.PurchaseOrder.id).where(storage.PurchaseOrder.document_id == document_id)
    storage.tally_orders(session, session.scalars(order_ids), removing=True)
    session.execute(
        update(storage.OutboundRecord)
        .where(storage.OutboundRecord.order_id.in_(order_ids))
        .values(order_id=None)
    )
    session.execute(
        storage.OrderLineRecord.__table__.delete().where(storage.OrderLineRecord.order_id.in_(order_ids))
    )
    session.execute(storage.Finding.__table__.delete().where(storage.Finding.document_id == document_id))
    session.execute(
        storage.PurchaseOrder.__table__.delete().where(storage.PurchaseOrder.document_id == document_id)
    )


def _as_received(item: _Pending) -> dict[str, Any] | None:
    """The order as parsed, kept when validation changed what the customer sees (a price, a pack, an item)."""
    if item.order.channel == Channel.X12:
        return None
    from gateway.outbound import replies  # not for EDI (lazy: see ``_warm.load_rare``)

    if not replies.order_changes(item.parsed.order, item.order, item.findings):
        return None
    return item.parsed.order.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


def _confirms_touchless(item: _Pending, profile: PartnerProfile) -> bool:
    """An order accepted with no clerk, not by EDI, for a partner whose profile asks for confirmations."""
    return (
        profile.confirm_touchless
        and item.status == OrderStatus.ACCEPTED
        and item.order.channel != Channel.X12
    )


def _fitted_order_row(run: _Run, item: _Pending, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The order's row, its line rows fitted to their columns; a value that did not fit holds the order."""
    row = rows.order_row(
        item.order,
        item.parsed,
        document_id=run.document_id,
        status=item.status,
        customer_account=item.customer_account,
        total=item.total,
        created_at=run.when,
        layout_learned_from=item.layout_learned_from,
        received_canonical=_as_received(item),
        allocations=amendments.allocations_json(
            {} if item.allocations is None and item.status == OrderStatus.ACCEPTED else item.allocations
        ),
    )
    too_wide = rows.fit_order(row, lines)
    if too_wide is not None:
        item.findings.append(too_wide)
        if item.status == OrderStatus.ACCEPTED:
            item.status = row["status"] = OrderStatus.EXCEPTION
    return row


def _error_json(issue: Issue) -> dict[str, Any]:
    code = validators.code_for_parse_issue(issue.code).value
    return {"code": code, "reason": issue.code, "message": issue.message, "location": issue.location}


def _verdict(run: _Run) -> tuple[str, str | None, str | None]:
    """The document's status, headline code and message; a headline not yet among the issues is added."""
    if run.unknown_senders and not run.partners_seen:
        named = next((i for i in run.issues if i.code == "partner.unknown"), None)
        message = named.message if named else f"unknown partner: {', '.join(run.unknown_senders)}"
        return DocumentStatus.UNKNOWN_PARTNER, validators.FindingCode.UNKNOWN_PARTNER.value, message
    if (
        run.orders_stored > run.orders_rejected
        or run.orders_resent
        or (run.acks_received and not run.orders_stored)
    ):
        return DocumentStatus.PROCESSED, None, None
    errors = [i for i in run.issues if i.is_error]
    if errors:
        return (
            DocumentStatus.REJECTED,
            validators.code_for_parse_issue(errors[0].code).value,
            errors[0].message,
        )
    if run.first_rejection is not None:
        code, why = run.first_rejection
        headline = Issue(
            code="x12.all_rejected" if code == validators.FindingCode.SYNTAX else "orders.all_rejected",
            message=f"every purchase order in the document was rejected; the first because {why}",
        )
        run.issues.append(headline)
        return DocumentStatus.REJECTED, code, headline.message
    headline = Issue(code="x12.no_orders", message="the document holds no 850 purchase order")
    run.issues.append(headline)
    return DocumentStatus.REJECTED, validators.FindingCode.SYNTAX.value, headline.message


def _set_document(session: Session, document_id: int, **values: Any) -> None:
    storage.fit_to_columns(storage.Document.__table__, values)  # an error may quote a long value
    session.execute(update(storage.Document).where(storage.Document.id == document_id).values(**values))
    storage.tally_documents(session, [document_id])  # into or out of the desk's queue
