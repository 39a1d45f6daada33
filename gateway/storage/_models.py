"""The tables: documents and their raw bytes, orders, findings, outbound, counters, audit, master data."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any
from typing import ClassVar

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import LargeBinary
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import text
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.sql.base import _DialectArgDict
from sqlalchemy.util import PopulateDict

from gateway.model.status import OrderStatus


class PartialIndex(Index):
    """An index over the rows where ``where`` holds, on PostgreSQL and SQLite alike.

    ``Index(..., postgresql_where=...)`` imports PostgreSQL's dialect to check its keyword, and with
    it every PostgreSQL driver's module (asyncpg's asyncio too): about 0.12 s of CPU at every start
    on SQLite. Here a database's ``where`` option is filled in when that database first asks for
    its options (compiling the index's DDL), so declaring the index loads no dialect.
    """

    def __init__(self, name: str, *columns: str, where: str) -> None:
        super().__init__(name, *columns)
        self.where = where
        self.__dict__["dialect_options"] = PopulateDict(self._options_of)  # Index's own is memoized there

    def _options_of(self, dialect_name: str) -> _DialectArgDict:
        options = self._kw_reg_for_dialect_cls(dialect_name)
        if dialect_name in ("postgresql", "sqlite"):
            options["where"] = text(self.where)
        return options


class Base(DeclarativeBase):
    __table__: ClassVar[Table]  # every model here is declared on a Table, not another FromClause
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads it as a class attribute
        Decimal: Numeric(18, 4),
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Document(Base):
    """One inbound document, keyed by the SHA-256 of its bytes."""

    __tablename__ = "document"
    # The queue's documents (gateway.desk.exception_queue) by status, oldest first, counted per partner and
    # format from the index alone; migration 0022 (0009 had status and received_at only).
    __table_args__ = (
        Index("ix_document_waiting", "status", "received_at", "partner", "format"),
        # The documents waiting for a person, oldest first (migration 0025): a queue page reads them
        # in order and stops at its end, without asking per document whether it made an order.
        PartialIndex(
            "ix_document_queue",
            "received_at",
            "id",
            "status",
            "partner",
            "format",
            where="tallied_as IS NOT NULL",
        ),
        # SQLite only: the same with what a search reads, so that it reads no table row (their pages lie
        # among every other document's). PostgreSQL reads them from its buffers, and an error's text may
        # be longer than one of its index entries can be.
        Index(
            "ix_document_queue_search",
            "received_at",
            "id",
            "tallied_as",
            "partner",
            "filename",
            "error",
            sqlite_where=text("tallied_as IS NOT NULL"),
        ).ddl_if(dialect="sqlite"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str | None] = mapped_column(String(255))
    partner: Mapped[str | None] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(32), index=True)
    format: Mapped[str | None] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # While the document waits for a person (the queue's ``document`` rows): the key the desk's tally
    # (``open_order_tally``, figure ``documents``) counts it under; NULL otherwise. Kept by
    # ``gateway.storage.tally_documents`` (migration 0025).
    tallied_as: Mapped[str | None] = mapped_column(String(200))


class DocumentChunk(Base):
    """The raw bytes of a document, in order, 1 MiB at a time."""

    __tablename__ = "document_chunk"
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class PurchaseOrder(Base):
    """A canonical order; (document_id, ordinal) makes storing it idempotent."""

    __tablename__ = "purchase_order"
    __table_args__ = (
        UniqueConstraint("document_id", "ordinal"),
        Index("ix_purchase_order_partner_po", "partner", "po_number"),
        # a partner's earlier interchange by ISA13 (gateway.storage.earlier_interchange); migration 0019
        Index("ix_purchase_order_partner_isa13", "partner", "interchange_control_number"),
        Index("ix_purchase_order_customer_po", "customer_account", "po_number"),
        Index("ix_purchase_order_customer_po_key", "customer_account", "po_key"),
        Index("ix_purchase_order_customer_status", "customer_account", "status"),
        # The order desk (gateway.desk.exception_queue, gateway.desk.dashboard); migration 0009.
        Index(
            "ix_purchase_order_queue",
            "status",
            "created_at",
            "partner",
            "channel",
            "customer_account",
            "po_number",
            "decided_by",
        ),
        Index("ix_purchase_order_partner_created", "partner", "created_at"),
        Index("ix_purchase_order_channel_created", "channel", "created_at"),
        Index("ix_purchase_order_decided", "decided_at", "decided_by", "created_at"),
        # The queue's open orders in its order (gateway.desk.exception_queue._page_keys); migration 0024.
        PartialIndex(
            "ix_purchase_order_open_age", "created_at", "id", where=f"status = '{OrderStatus.EXCEPTION}'"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    ordinal: Mapped[int]
    partner: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    po_number: Mapped[str | None] = mapped_column(String(64))
    # gateway.model.order.po_key(po_number): what the duplicate check compares (migration 0012)
    po_key: Mapped[str | None] = mapped_column(String(64))
    po_date: Mapped[date | None]
    purpose: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    currency: Mapped[str | None] = mapped_column(String(3))
    control_number: Mapped[str | None] = mapped_column(String(16))
    group_control_number: Mapped[str | None] = mapped_column(String(16))
    interchange_control_number: Mapped[str | None] = mapped_column(String(16))
    line_count: Mapped[int]
    canonical: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    customer_account: Mapped[str | None] = mapped_column(String(32))
    order_total: Mapped[Decimal | None]
    invoiced_at: Mapped[datetime | None]
    # The order desk (gateway.desk): ``version`` is bumped by every desk action (optimistic
    # locking); ``decided_by`` is the desk user who accepted or rejected the order, None when the
    # gateway decided it alone; ``duplicate_of`` is the order this one was merged into.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    duplicate_of: Mapped[int | None]
    # The support of the layout hints learned on the desk that the PDF or sheet was read with
    # (gateway.storage.learned_hints); None when it was read without any (migration 0015).
    layout_learned_from: Mapped[int | None]
    # The canonical order as the customer sent it (parsed, before validation's fixes and the
    # desk's edits), kept once something changed it: at the desk's first change, or when
    # validation fixed a value the customer would see; None while ``canonical`` is still what
    # was sent. The 855 answers the buyer's lines from it; replies list the changes (0016).
    received_canonical: Mapped[dict[str, Any] | None]
    # Catalog units per SKU (as strings) the accepted order took from stock, so a change or a
    # cancellation from the partner gives back exactly that; None when it took none (0020).
    allocations: Mapped[dict[str, Any] | None]
    # While a partner's change to an accepted order waits on the desk: the version in force before it
    # (canonical, total, findings, the change's purpose and 865 line codes), which the desk puts back
    # when it refuses the change; None otherwise (gateway.inbound.amendments.superseded, migration 0023).
    superseded: Mapped[dict[str, Any] | None]
    # What the desk's tally (``order_day_tally``, ``open_order_tally``) counts this order as, so
    # ``gateway.storage.tally_orders`` moves it between counts exactly once (migration 0022).
    # The queue's PO, customer and partner search also has three indexes on the open orders,
    # made by that migration only: their PostgreSQL form (COLLATE "C") is not SQLite's.
    tallied_as: Mapped[list[Any] | None]


class OrderDayTally(Base):
    """Orders stored per UTC day of ``created_at``: per ``channel``, per ``partner``, and per
    status of the ones the gateway decided alone (``alone``); kept by ``gateway.storage.tally_orders``."""

    __tablename__ = "order_day_tally"
    figure: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    orders: Mapped[int]


class KpiDayTally(Base):
    """The desk's KPIs of time, per UTC day the event happened: figure ``erp`` (an order's first ERP
    payload delivered: its document's receipt to the delivery), ``ship`` (an 856 stored for an order:
    receipt to the 856) and ``ack`` (a partner's first 997/999 to an X12 document of ours: sent to
    received); ``key`` is the bucket in seconds, and under figure ``<figure>/p`` ``[partner, bucket]`` as
    JSON; ``events`` how many fell in it.
    Kept by ``gateway.storage.tally_kpi`` (migration 0030)."""

    __tablename__ = "kpi_day_tally"
    figure: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    events: Mapped[int]


class OpenOrderTally(Base):
    """Orders in exception now: per ``partner``, per ``channel``, and per set of blocking finding
    ``codes`` (comma-separated, sorted; empty for none); kept by ``gateway.storage.tally_orders``.
    Figure ``documents``: the documents waiting for a person per status, partner and format (the
    ``orders`` column counts documents there); kept by ``gateway.storage.tally_documents``."""

    __tablename__ = "open_order_tally"
    figure: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(1000), primary_key=True)
    orders: Mapped[int]


class OrderLineRecord(Base):
    __tablename__ = "order_line"
    __table_args__ = (UniqueConstraint("order_id", "ordinal"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"))
    ordinal: Mapped[int]
    line_no: Mapped[str] = mapped_column(String(32))
    buyer_part: Mapped[str | None] = mapped_column(String(64))
    vendor_sku: Mapped[str | None] = mapped_column(String(64), index=True)
    sku: Mapped[str | None] = mapped_column(String(64))
    upc: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[Decimal | None]
    uom: Mapped[str | None] = mapped_column(String(8))
    unit_price: Mapped[Decimal | None]


class Finding(Base):
    """Something found about a document or an order: a parse issue or a validation finding.

    ``code`` is one of the stable finding codes; ``action`` is what the partner's policy did
    with it (auto_fix, warn, hold, reject).
    """

    __tablename__ = "finding"
    __table_args__ = (Index("ix_finding_order_code_action", "order_id", "code", "action"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(String(64))
    line_no: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    action: Mapped[str | None] = mapped_column(String(16))
    expected: Mapped[str | None] = mapped_column(Text)
    received: Mapped[str | None] = mapped_column(Text)
    suggestions: Mapped[list[Any]] = mapped_column(default=list)


class OutboundRecord(Base):
    """A document we send (997/999/TA1, 855, 856, 810, ERP payload) and where it stands.

    ``status``: ``pending`` (may leave), ``invalid`` (failed its pre-send check, or a held
    invoice replaced by its correction; ``errors`` says why), ``held`` (an invoice off the
    order's price, waiting for a person; ``errors`` says why), ``sent``, ``dead`` (delivery
    gave up). X12 documents the partner must answer with a 997/999 carry ``ack_window_seconds``;
    ``ack_due_at`` is set from it when the document is sent (never before: what has not left
    cannot be answered), ``ack_received_at`` when the first one came. An ERP payload names its
    ``erp_target``.
    """

    __tablename__ = "outbound_document"
    __table_args__ = (Index("ix_outbound_document_ack_due", "ack_received_at", "ack_due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    interchange_control_number: Mapped[int | None] = mapped_column(BigInteger)
    group_control_number: Mapped[int | None] = mapped_column(BigInteger)
    transaction_control_numbers: Mapped[list[Any]] = mapped_column(default=list)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    refers_to: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    errors: Mapped[list[Any]] = mapped_column(default=list)
    ack_window_seconds: Mapped[int | None]
    ack_due_at: Mapped[datetime | None]
    ack_received_at: Mapped[datetime | None]
    ack_code: Mapped[str | None] = mapped_column(String(2))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    erp_request: Mapped[dict[str, Any] | None]  # an ERP update or cancel: emitters.OutboundDocument.request
    erp_target: Mapped[str | None] = mapped_column(
        String(40)
    )  # an ERP payload's target: partners.ErpTarget.name, or "default"


class ShipmentRow(Base):
    """A shipment the ERP or WMS reported; ``record`` is the ShipmentRecord as received."""

    __tablename__ = "shipment"
    __table_args__ = (UniqueConstraint("partner", "shipment_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner: Mapped[str] = mapped_column(String(64))
    shipment_id: Mapped[str] = mapped_column(String(30))
    record: Mapped[dict[str, Any]]
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_document.id"))
    created_at: Mapped[datetime]


class Sscc(Base):
    """Every SSCC-18 put on an ASN, supplied by the WMS or allocated by us: each is used once, ever.

    The 18 digits hold the extension digit, the GS1 company prefix and the serial, and GS1
    prefixes never begin one another, so the key on the SSCC itself is the GS1 rule: unique per
    company prefix (and extension). ``allocated`` tells ours from the supplied ones.
    """

    __tablename__ = "sscc"
    __table_args__ = (Index("ix_sscc_partner_shipment", "partner", "shipment_id"),)
    sscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    partner: Mapped[str] = mapped_column(String(64))
    shipment_id: Mapped[str] = mapped_column(String(30))
    allocated: Mapped[bool]
    created_at: Mapped[datetime]


class ShippedLine(Base):
    """Units of one PO line on one shipment: what the over-shipment check sums."""

    __tablename__ = "shipped_line"
    __table_args__ = (Index("ix_shipped_line_order_line", "order_id", "line_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_pk: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"))
    line_no: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[Decimal]
    uom: Mapped[str] = mapped_column(String(8))


class InvoiceRow(Base):
    """An invoice sent; ``record`` is the InvoiceRecord, ``total`` what TDS stated."""

    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("partner", "invoice_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner: Mapped[str] = mapped_column(String(64))
    invoice_number: Mapped[str] = mapped_column(String(22))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    record: Mapped[dict[str, Any]]
    total: Mapped[Decimal]
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_document.id"))
    created_at: Mapped[datetime]


class Alert(Base):
    """Something a person must see: a delivery that gave up, an overdue 997. Open until resolved."""

    __tablename__ = "alert"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    partner: Mapped[str | None] = mapped_column(String(64))
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_document.id"))
    message: Mapped[str] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    action: Mapped[str | None] = mapped_column(Text)  # what a person should do about it
    dedupe_key: Mapped[str | None] = mapped_column(String(200), index=True)  # one open alert per key
    # raised again while open: counted, not sent again. A server default: migration 0021 writes alerts
    # through this model before the column exists, naming only the columns it had.
    repeats: Mapped[int] = mapped_column(server_default=text("0"))
    last_at: Mapped[datetime | None]


class AlertNotification(Base):
    """One message to a person about an alert (raised, resolved) or the daily digest, on one channel.

    ``channel`` is NULL until the send pass fans the row out to the channels configured then; a
    failed send waits for ``next_at``; nothing is deleted but that fanned-out row.
    """

    __tablename__ = "alert_notification"
    __table_args__ = (Index("ix_alert_notification_due", "status", "next_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    body: Mapped[str | None] = mapped_column(Text)  # the digest's text, written when it was made


class ControlCounter(Base):
    """The last control number handed out per partner and kind (ISA, GS, ST, INVOICE).

    Also the last SSCC serial per GS1 company prefix: partner ``gs1:<prefix>``, kind ``SSCC``
    (no partner name has a colon).
    """

    __tablename__ = "control_counter"
    partner: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    # what happened to one order or document (the desk's tally asks whether an order changed); 0030
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class MasterDataRevision(Base):
    """Bumped by every master data import, so a cached copy knows it is stale."""

    __tablename__ = "master_data_revision"
    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime]


class Product(Base):
    __tablename__ = "product"
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    upc: Mapped[str | None] = mapped_column(String(32), index=True)
    uom: Mapped[str] = mapped_column(String(8))
    pack_size: Mapped[Decimal]
    list_price: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(default=True)


class CustomerPartXref(Base):
    __tablename__ = "customer_part_xref"
    __table_args__ = (UniqueConstraint("customer_account", "customer_part"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_account: Mapped[str] = mapped_column(String(32))
    customer_part: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))


class PriceAgreement(Base):
    __tablename__ = "price_agreement"
    __table_args__ = (Index("ix_price_agreement_sku", "sku", "customer_account", "customer_group"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_account: Mapped[str | None] = mapped_column(String(32))
    customer_group: Mapped[str | None] = mapped_column(String(32))
    sku: Mapped[str] = mapped_column(String(64))
    uom: Mapped[str | None] = mapped_column(String(8))
    min_quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]


class CreditAccount(Base):
    __tablename__ = "credit_account"
    account: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    partner: Mapped[str | None] = mapped_column(String(64), index=True)
    customer_group: Mapped[str | None] = mapped_column(String(32))
    credit_limit: Mapped[Decimal]
    open_ar: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    on_hold: Mapped[bool] = mapped_column(default=False)


class InventoryLevel(Base):
    __tablename__ = "inventory"
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    warehouse: Mapped[str] = mapped_column(String(16), primary_key=True)
    on_hand: Mapped[Decimal]
    allocated: Mapped[Decimal]


class ShipTo(Base):
    """A customer's address book: store and DC codes an order may ship to."""

    __tablename__ = "ship_to"
    customer_account: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(128))
    address1: Mapped[str | None] = mapped_column(String(128))
    city: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str | None] = mapped_column(String(32))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(3))


class TransportStatus(Base):
    """The last success and last failure of one partner's channel (``sftp-pull``, ``as2-in``...)."""

    __tablename__ = "transport_status"
    partner: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_success_at: Mapped[datetime | None]
    last_success: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    failures_in_a_row: Mapped[int] = mapped_column(default=0)


class PollCursor(Base):
    """How far a polled marketplace has been read for one partner: the next poll asks from here.

    ``position`` is the API's own lower bound (an ISO 8601 instant for Amazon's ``LastUpdatedAfter``
    and Walmart's ``createdStartDate``); it only moves after every order up to it is stored.
    """

    __tablename__ = "poll_cursor"
    partner: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class As2Message(Base):
    """One AS2 message received (``in``) or sent (``out``), with its MDN kept for non-repudiation.

    ``status`` in: ``processed`` (stored, positive MDN), ``refused`` (negative MDN), ``failed``
    (our store failed; no MDN, so the partner resends and the resend is taken). Out:
    ``sending``, ``awaiting_mdn``, ``delivered`` (positive MDN), ``refused`` (negative MDN),
    ``failed`` (no usable answer). ``mdn`` holds the MDN's headers and body as sent or
    received, signature included; ``mdn_at`` is when it left us (in) or reached us (out): an
    async MDN still to be delivered has ``mdn`` but no ``mdn_at``. ``mic`` is ``base64, alg``.
    """

    __tablename__ = "as2_message"
    __table_args__ = (UniqueConstraint("partner_as2_id", "message_id", "direction"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    partner: Mapped[str] = mapped_column(String(64), index=True)
    partner_as2_id: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_document.id"), index=True)
    filename: Mapped[str | None] = mapped_column(String(255))
    signed: Mapped[bool] = mapped_column(default=False)
    encrypted: Mapped[bool] = mapped_column(default=False)
    compressed: Mapped[bool] = mapped_column(default=False)
    mic: Mapped[str | None] = mapped_column(String(160))
    mdn_mode: Mapped[str | None] = mapped_column(String(8))
    mdn_url: Mapped[str | None] = mapped_column(Text)
    mdn: Mapped[bytes | None] = mapped_column(LargeBinary)
    mdn_signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    mdn_message_id: Mapped[str | None] = mapped_column(String(255))
    mdn_disposition: Mapped[str | None] = mapped_column(Text)
    mdn_mic: Mapped[str | None] = mapped_column(String(160))
    mdn_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class As2SuspectMdn(Base):
    """An MDN that changed nothing: it did not verify, or contradicts the one already kept. For a person.

    ``raw`` is its headers and body as received; ``as2_message_id`` the outbound message it names.
    An open alert points here.
    """

    __tablename__ = "as2_suspect_mdn"
    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime]
    partner: Mapped[str] = mapped_column(String(64), index=True)
    partner_as2_id: Mapped[str] = mapped_column(String(128))
    original_message_id: Mapped[str] = mapped_column(String(255))
    as2_message_id: Mapped[int | None] = mapped_column(ForeignKey("as2_message.id"), index=True)
    mdn_message_id: Mapped[str | None] = mapped_column(String(255))
    disposition: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(Text)


class DeskUser(Base):
    """A person who works the order desk; ``role`` is clerk, credit or admin. Disabled users cannot log in.

    ``session_generation`` is copied into each login's session; raising it (logout, a new
    password, disabling) ends every session made before.
    """

    __tablename__ = "desk_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    disabled: Mapped[bool] = mapped_column(default=False)
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")


class LoginFailure(Base):
    """One failed desk login: the name tried and the client address, kept while it counts (15 minutes).

    The login throttle counts these rows per name and per address, so it holds across web workers.
    """

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_username_at", "username", "at"),
        Index("ix_login_failure_address_at", "address", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class OrderOverride(Base):
    """A desk decision that re-validation honours: a price accepted, a credit hold released, a duplicate dismissed.

    ``code`` is the finding code it answers, ``line_no`` the line (None: the whole order), and
    ``value`` what was accepted (the unit price, for a price difference; the exposure, for a
    credit limit). A credit release keeps in ``order_total`` the order value it covered: a
    higher value (or exposure) later is not covered.
    """

    __tablename__ = "order_override"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    line_no: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    order_total: Mapped[Decimal | None]


class LayoutHintRecord(Base):
    """Where one sender puts one value, learned from the desk's corrections (``partners.LayoutHint``).

    ``kind`` is ``pdf`` or ``sheet``; ``label`` the label text a header field follows
    (``geometry`` right or below) or the title of a line field's column (``column``). ``support``
    counts the corrections and confirmations behind it; ``last_document_id`` is the latest.
    Every change is in the audit log under subject ``layout_hint``.
    """

    __tablename__ = "layout_hint"
    __table_args__ = (UniqueConstraint("partner", "kind", "field"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    field: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(255))
    geometry: Mapped[str] = mapped_column(String(8))
    support: Mapped[int]
    last_document_id: Mapped[int | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))
