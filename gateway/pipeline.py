"""The inbound pipeline: store the raw bytes, then parse, persist orders and answer with acks.

Storing is its own committed transaction, so a document is durable before anything else
happens to it. Processing one document is one more transaction: a crash part-way leaves the
document stored with status ``received``, and processing it again starts clean.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any
from typing import BinaryIO

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

import emitters
from gateway import storage
from gateway.receipts import InterchangeReceipt
from gateway.receipts import Issue
from gateway.receipts import Level
from parsers import DocumentIssue
from parsers import ParsedInterchange
from parsers import ParsedOrder
from parsers import parse_stream
from partners import PartnerProfile
from partners import PartnerRegistry

log = logging.getLogger(__name__)

RECEIVED = "received"
PROCESSED = "processed"
REJECTED = "rejected"
UNKNOWN_PARTNER = "unknown_partner"
FAILED = "failed"

ORDER_ACCEPTED = "accepted"
ORDER_REJECTED = "rejected"
ORDER_EXCEPTION = "exception"

_BATCH = 500
_ACK_GROUP = "FA"  # acknowledgements are never acknowledged
_ORDER_SET = "850"
_NO_CUSTOMER = "no customer: name one with `gateway ingest --partner NAME`, or send it from a known address"


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
class _Run:
    """State of one document's processing transaction."""

    session: Session
    document_id: int
    when: datetime
    order_rows: list[dict[str, Any]] = field(default_factory=list)
    pending: list[tuple[ParsedOrder, str, list[dict[str, Any]]]] = field(default_factory=list)
    order_ids: list[int] = field(default_factory=list)
    outbound_ids: list[int] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    partners_seen: list[str] = field(default_factory=list)
    unknown_senders: list[str] = field(default_factory=list)
    orders_stored: int = 0
    orders_rejected: int = 0
    first_rejection: Issue | None = None


class Pipeline:
    """Takes documents in and carries each through parse, store and acknowledgement."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        partners: PartnerRegistry,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self._partners = partners
        self._clock = clock

    @property
    def partners(self) -> PartnerRegistry:
        return self._partners

    def ingest_path(self, path: Path, *, channel: str = "file", partner: str | None = None) -> IngestOutcome:
        with path.open("rb") as source:
            return self.ingest_stream(source, channel=channel, filename=path.name, partner=partner)

    def ingest_stream(
        self, source: BinaryIO, *, channel: str, filename: str | None, partner: str | None = None
    ) -> IngestOutcome:
        """Store ``source`` durably, then process it unless the same bytes were already processed.

        ``partner`` names the customer of a document that does not name it itself (a sheet or
        PDF); a document stored earlier without one is processed again once it is given.
        """
        with self._sessions() as session, session.begin():
            document, created = storage.store_document(
                session,
                source,
                channel=channel,
                filename=filename,
                received_at=self._clock(),
                partner=partner,
            )
            document_id, sha256, status = document.id, document.sha256, document.status
            newly_named = (
                not created and status == UNKNOWN_PARTNER and partner and document.partner != partner
            )
            if newly_named:
                document.partner = partner
        if not created and status != RECEIVED and not newly_named:
            return self._existing(document_id, sha256, status)
        outcome = self.process(document_id)
        outcome.duplicate = not created
        return outcome

    def process(self, document_id: int) -> IngestOutcome:
        """Parse a stored document and persist its orders and acks in one transaction.

        Processing again replaces the document's orders and findings; acks already written
        stay, and new ones get new control numbers.
        """
        try:
            with self._sessions() as session, session.begin():
                return self._process(session, document_id)
        except Exception as exc:
            log.exception("processing document %s failed", document_id)
            with self._sessions() as session, session.begin():
                _set_document(
                    session,
                    document_id,
                    status=FAILED,
                    error_code="internal_error",
                    error=f"internal error while processing: {type(exc).__name__}: {exc}",
                    errors=[{"code": "internal_error", "message": str(exc), "location": None}],
                )
                sha256 = session.get(storage.Document, document_id).sha256  # type: ignore[union-attr]
            return IngestOutcome(document_id, sha256, False, FAILED)

    def _existing(self, document_id: int, sha256: str, status: str) -> IngestOutcome:
        with self._sessions() as session:
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

    def _process(self, session: Session, document_id: int) -> IngestOutcome:
        document = session.get(storage.Document, document_id)
        if document is None:
            raise LookupError(f"no document {document_id}")
        run = _Run(session=session, document_id=document_id, when=self._clock())
        _clear_previous_attempt(session, document_id)
        stream = storage.open_document(session, document_id)
        named = self._partners.get(document.partner) if document.partner else None
        fmt, events = parse_stream(
            stream, partners=self._partners, document_id=str(document_id), partner=named
        )
        for event in events:
            if isinstance(event, ParsedOrder):
                self._take_order(run, event)
            elif isinstance(event, ParsedInterchange):
                self._flush(run)
                self._answer(run, event)
            elif isinstance(event, DocumentIssue):
                run.issues.append(event.issue)
        self._flush(run)
        status, error_code, error = _verdict(run)
        _set_document(
            session,
            document_id,
            status=status,
            format=fmt,
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
            status = ORDER_REJECTED
            if run.first_rejection is None:
                run.first_rejection = next(i for i in transaction_issues if i.is_error)
        else:
            status = ORDER_EXCEPTION if parsed.needs_review else ORDER_ACCEPTED
        findings = [_finding_row(i) for i in (*transaction_issues, *parsed.issues)]
        run.pending.append((parsed, status, findings))
        if len(run.pending) >= _BATCH:
            self._flush(run)

    def _flush(self, run: _Run) -> None:
        if not run.pending:
            return
        _flag_duplicate_pos(run)
        session = run.session
        rows = [_order_row(run, parsed, status) for parsed, status, _ in run.pending]
        ids = list(session.scalars(insert(storage.PurchaseOrder).returning(storage.PurchaseOrder.id), rows))
        line_rows: list[dict[str, Any]] = []
        finding_rows: list[dict[str, Any]] = []
        for order_id, (parsed, status, findings) in zip(ids, run.pending, strict=True):
            line_rows.extend(_line_rows(order_id, parsed))
            finding_rows.extend({**f, "order_id": order_id, "document_id": run.document_id} for f in findings)
            run.orders_stored += 1
            run.orders_rejected += status == ORDER_REJECTED
        if line_rows:
            session.execute(insert(storage.OrderLineRecord), line_rows)
        if finding_rows:
            session.execute(insert(storage.Finding), [{**f, "created_at": run.when} for f in finding_rows])
        run.order_ids.extend(ids)
        run.pending.clear()

    def _answer(self, run: _Run, parsed: ParsedInterchange) -> None:
        partner = parsed.partner
        receipt = parsed.receipt
        if partner is None:
            run.unknown_senders.append(parsed.sender)
            run.issues.append(
                Issue(
                    code="partner.unknown",
                    message=f"unknown partner: no profile matches ISA sender {parsed.sender}; "
                    "the document is stored and can be reprocessed once a profile exists",
                    level=Level.INTERCHANGE,
                )
            )
            return
        if partner.name not in run.partners_seen:
            run.partners_seen.append(partner.name)
        run.issues.extend(receipt.issues)
        for group in receipt.groups:
            run.issues.extend(group.issues)
            for transaction in group.transactions:
                if transaction.set_id != _ORDER_SET:
                    run.issues.extend(transaction.issues)
        for document in _acks_for(receipt, partner, run):
            run.outbound_ids.append(_store_outbound(run, document))


def _acks_for(
    receipt: InterchangeReceipt, partner: PartnerProfile, run: _Run
) -> list[emitters.OutboundDocument]:
    """TA1 as the profile asks, and a 997/999 for every group that is not itself an acknowledgement."""
    numbers = storage.ControlNumbers(run.session, partner.name)
    answers: list[emitters.OutboundDocument] = []
    wants_ta1 = partner.ta1 == "always" or (
        partner.ta1 == "on_request" and (receipt.ack_requested or receipt.has_errors)
    )
    if wants_ta1:
        answers.append(emitters.x12_ta1.emit(receipt, partner, numbers=numbers, when=run.when))
    kind = partner.functional_ack
    groups = [g for g in receipt.groups if g.functional_id != _ACK_GROUP]
    if groups and kind is not None:
        emitter = emitters.x12_999 if kind == "999" else emitters.x12_997
        answered = receipt.model_copy(update={"groups": groups})
        answers.append(emitter.emit(answered, partner, numbers=numbers, when=run.when))
    return answers


def _store_outbound(run: _Run, document: emitters.OutboundDocument) -> int:
    row = {
        "partner": document.partner,
        "kind": document.kind,
        "content": document.content,
        "interchange_control_number": document.interchange_control_number,
        "group_control_number": document.group_control_number,
        "transaction_control_numbers": document.transaction_control_numbers,
        "document_id": run.document_id,
        "status": "pending",
        "created_at": run.when,
        "refers_to": document.refers_to,
    }
    return int(run.session.scalar(insert(storage.OutboundRecord).returning(storage.OutboundRecord.id), row))


def _clear_previous_attempt(session: Session, document_id: int) -> None:
    """Processing is one transaction, so leftovers only exist if a reprocess was asked for."""
    order_ids = select(storage.PurchaseOrder.id).where(storage.PurchaseOrder.document_id == document_id)
    session.execute(
        storage.OrderLineRecord.__table__.delete().where(storage.OrderLineRecord.order_id.in_(order_ids))
    )
    session.execute(storage.Finding.__table__.delete().where(storage.Finding.document_id == document_id))
    session.execute(
        storage.PurchaseOrder.__table__.delete().where(storage.PurchaseOrder.document_id == document_id)
    )


def _flag_duplicate_pos(run: _Run) -> None:
    """Accepted orders whose customer already sent the PO number (and it was not rejected)."""
    wanted = {
        (p.order.partner, p.order.po_number)
        for p, status, _ in run.pending
        if status == ORDER_ACCEPTED and p.order.po_number
    }
    seen: set[tuple[str | None, str | None]] = set()
    for partner in {partner for partner, _ in wanted}:
        numbers = [number for who, number in wanted if who == partner]
        for start in range(0, len(numbers), 500):
            seen.update(
                (row[0], row[1])
                for row in run.session.execute(
                    select(storage.PurchaseOrder.partner, storage.PurchaseOrder.po_number).where(
                        storage.PurchaseOrder.partner == partner,
                        storage.PurchaseOrder.po_number.in_(numbers[start : start + 500]),
                        storage.PurchaseOrder.status != ORDER_REJECTED,
                    )
                )
            )
    for index, (parsed, status, findings) in enumerate(run.pending):
        key = (parsed.order.partner, parsed.order.po_number)
        if status != ORDER_ACCEPTED or not key[1]:
            continue
        if key in seen:
            findings.append(
                {
                    "code": "order.duplicate_po",
                    "severity": "error",
                    "message": f"PO {key[1]} from {key[0]} was already received",
                    "field": "po_number",
                    "line_no": None,
                    "details": {},
                }
            )
            run.pending[index] = (parsed, ORDER_EXCEPTION, findings)
        seen.add(key)


def _order_row(run: _Run, parsed: ParsedOrder, status: str) -> dict[str, Any]:
    order = parsed.order
    return {
        "document_id": run.document_id,
        "ordinal": parsed.ordinal,
        "partner": order.partner,
        "channel": order.channel.value,
        "po_number": order.po_number,
        "po_date": order.po_date,
        "purpose": order.purpose.value,
        "status": status,
        "currency": order.currency,
        "control_number": parsed.transaction.control_number if parsed.transaction else None,
        "group_control_number": parsed.group_control_number,
        "interchange_control_number": parsed.interchange_control_number,
        "line_count": len(order.lines),
        "canonical": order.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
        "created_at": run.when,
    }


def _line_rows(order_id: int, parsed: ParsedOrder) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id,
            "ordinal": ordinal,
            "line_no": line.line_no,
            "buyer_part": line.buyer_part,
            "vendor_sku": line.vendor_sku,
            "upc": line.upc,
            "description": line.description,
            "quantity": line.quantity.value if line.quantity else None,
            "uom": line.quantity.uom if line.quantity else None,
            "unit_price": line.unit_price,
        }
        for ordinal, line in enumerate(parsed.order.lines)
    ]


def _finding_row(issue: Issue) -> dict[str, Any]:
    return {
        "code": issue.code,
        "severity": issue.severity.value,
        "message": issue.message,
        "field": f"{issue.segment}{issue.element:02d}" if issue.segment and issue.element else issue.segment,
        "line_no": None,
        "details": issue.model_dump(mode="json", exclude_none=True),
    }


def _error_json(issue: Issue) -> dict[str, Any]:
    return {"code": issue.code, "message": issue.message, "location": issue.location}


def _verdict(run: _Run) -> tuple[str, str | None, str | None]:
    """The document's status and headline error; a headline not yet among the issues is added."""
    if run.unknown_senders and not run.partners_seen:
        named = next((i for i in run.issues if i.code == "partner.unknown"), None)
        message = named.message if named else f"unknown partner: {', '.join(run.unknown_senders)}"
        return UNKNOWN_PARTNER, "partner.unknown", message
    if run.orders_stored > run.orders_rejected:
        return PROCESSED, None, None
    errors = [i for i in run.issues if i.is_error]
    if errors:
        return REJECTED, errors[0].code, errors[0].message
    if run.first_rejection is not None:
        first = run.first_rejection
        where = f" at {first.location}" if first.location else ""
        headline = Issue(
            code="x12.all_rejected",
            message=f"every purchase order in the document was rejected; the first because {first.message}{where}",
        )
    else:
        headline = Issue(code="x12.no_orders", message="the document holds no 850 purchase order")
    run.issues.append(headline)
    return REJECTED, headline.code, headline.message


def _set_document(session: Session, document_id: int, **values: Any) -> None:
    session.execute(update(storage.Document).where(storage.Document.id == document_id).values(**values))
