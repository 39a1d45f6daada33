"""The schema, written once as SQLAlchemy Core tables: columns, keys, indexes, defaults.

Importing this module loads SQLAlchemy's core and no ORM: a command that only reads the store
(``gateway orders``, ``outbox``, ``alerts``, ``show``) queries these tables, and starts without
``sqlalchemy.orm`` and the mapped classes. ``gateway.storage._models`` maps the ORM classes onto
the same tables (``__table__ = tables.document``), so the ORM restates no column; what a row means
is written on its class there. ``metadata`` is what Alembic's migrations are checked against.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from threading import RLock
from typing import TYPE_CHECKING

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import MetaData
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import text
from sqlalchemy.sql.base import _DialectArgDict
from sqlalchemy.util import PopulateDict

from gateway._lazy import built_on_look_up
from gateway.model.status import OrderStatus

_metadata = MetaData()
_BUILDERS: dict[str, Callable[[], Table]] = {}  # a table's name -> what builds it (each below)
_building = RLock()

# Every table is built the first time it is looked up here (PEP 562), with the tables its foreign
# keys name: a listing that queries three tables does not pay for the other thirty (SQLAlchemy
# takes about a millisecond of CPU per table). ``metadata`` holds them all: it builds the rest.
metadata: MetaData
document: Table
document_chunk: Table
purchase_order: Table
order_day_tally: Table
kpi_day_tally: Table
open_order_tally: Table
order_line: Table
finding: Table
outbound_document: Table
shipment: Table
sscc: Table
shipped_line: Table
invoice: Table
alert: Table
alert_notification: Table
control_counter: Table
audit_log: Table
master_data_revision: Table
product: Table
customer_part_xref: Table
price_agreement: Table
credit_account: Table
inventory: Table
ship_to: Table
transport_status: Table
poll_cursor: Table
as2_message: Table
as2_suspect_mdn: Table
desk_user: Table
login_failure: Table
order_override: Table
layout_hint: Table


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


def _schema(build: Callable[[], Table]) -> Callable[[], Table]:
    """Registers ``build`` (named ``_`` + its table's name) as the one way its table is made."""
    _BUILDERS[build.__name__.removeprefix("_")] = build
    return build


def _table(name: str) -> Table:
    """The table ``name``, built once (under a lock: the desk and the workers run threads)."""
    with _building:
        table = _metadata.tables.get(name)
        if table is None:
            table = _BUILDERS[name]()
            setattr(sys.modules[__name__], name, table)  # every later look-up is a plain attribute
            for key in table.foreign_keys:  # a join without an ON clause needs the table it names
                _table(key.target_fullname.partition(".")[0])
        return table


@_schema
def _document() -> Table:
    return Table(
        "document",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("sha256", String(64), nullable=False, unique=True),
        Column("size", BigInteger, nullable=False),
        Column("channel", String(32), nullable=False),
        Column("filename", String(255)),
        Column("partner", String(64), index=True),
        Column("received_at", DateTime(timezone=True), nullable=False),
        Column("status", String(32), nullable=False, index=True),
        Column("format", String(16)),
        Column("error_code", String(64)),
        Column("error", Text),
        Column("errors", JSON, nullable=False, default=list),
        Column("meta", JSON, nullable=False, default=dict),
        # While the document waits for a person (the queue's ``document`` rows): the key the desk's tally
        # (``open_order_tally``, figure ``documents``) counts it under; NULL otherwise. Kept by
        # ``gateway.storage.tally_documents`` (migration 0025).
        Column("tallied_as", String(200)),
        # The queue's documents (gateway.desk.exception_queue) by status, oldest first, counted per partner and
        # format from the index alone; migration 0022 (0009 had status and received_at only).
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
        # be longer than one of its index entries can be. (A PartialIndex: ``sqlite_where=`` would import
        # SQLite's dialect to check its keyword, on PostgreSQL too.)
        PartialIndex(
            "ix_document_queue_search",
            "received_at",
            "id",
            "tallied_as",
            "partner",
            "filename",
            "error",
            where="tallied_as IS NOT NULL",
        ).ddl_if(dialect="sqlite"),
    )


@_schema
def _document_chunk() -> Table:
    return Table(
        "document_chunk",
        _metadata,
        Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"), primary_key=True),
        Column("seq", Integer, primary_key=True),
        Column("data", LargeBinary, nullable=False),
    )


@_schema
def _purchase_order() -> Table:
    return Table(
        "purchase_order",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("document_id", Integer, ForeignKey("document.id"), nullable=False),
        Column("ordinal", Integer, nullable=False),
        Column("partner", String(64)),
        Column("channel", String(16), nullable=False),
        Column("po_number", String(64)),
        # gateway.model.order.po_key(po_number): what the duplicate check compares (migration 0012)
        Column("po_key", String(64)),
        Column("po_date", Date),
        Column("purpose", String(16), nullable=False),
        Column("status", String(16), nullable=False, index=True),
        Column("currency", String(3)),
        Column("control_number", String(16)),
        Column("group_control_number", String(16)),
        Column("interchange_control_number", String(16)),
        Column("line_count", Integer, nullable=False),
        Column("canonical", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("customer_account", String(32)),
        Column("order_total", Numeric(18, 4)),
        Column("invoiced_at", DateTime(timezone=True)),
        # The order desk (gateway.desk): ``version`` is bumped by every desk action (optimistic
        # locking); ``decided_by`` is the desk user who accepted or rejected the order, None when the
        # gateway decided it alone; ``duplicate_of`` is the order this one was merged into.
        Column("version", Integer, nullable=False, default=1, server_default="1"),
        Column("decided_at", DateTime(timezone=True)),
        Column("decided_by", String(64)),
        Column("decision_reason", Text),
        Column("duplicate_of", Integer),
        # The support of the layout hints learned on the desk that the PDF or sheet was read with
        # (gateway.storage.learned_hints); None when it was read without any (migration 0015).
        Column("layout_learned_from", Integer),
        # The canonical order as the customer sent it (parsed, before validation's fixes and the
        # desk's edits), kept once something changed it: at the desk's first change, or when
        # validation fixed a value the customer would see; None while ``canonical`` is still what
        # was sent. The 855 answers the buyer's lines from it; replies list the changes (0016).
        Column("received_canonical", JSON),
        # Catalog units per SKU (as strings) the accepted order took from stock, so a change or a
        # cancellation from the partner gives back exactly that; None when it took none (0020).
        Column("allocations", JSON),
        # While a partner's change to an accepted order waits on the desk: the version in force before it
        # (canonical, total, findings, the change's purpose and 865 line codes), which the desk puts back
        # when it refuses the change; None otherwise (gateway.inbound.amendments.superseded, migration 0023).
        Column("superseded", JSON),
        # What the desk's tally (``order_day_tally``, ``open_order_tally``) counts this order as, so
        # ``gateway.storage.tally_orders`` moves it between counts exactly once (migration 0022).
        # The queue's PO, customer and partner search also has three indexes on the open orders,
        # made by that migration only: their PostgreSQL form (COLLATE "C") is not SQLite's.
        Column("tallied_as", JSON),
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


@_schema
def _order_day_tally() -> Table:
    return Table(
        "order_day_tally",
        _metadata,
        Column("figure", String(16), primary_key=True),
        Column("day", Date, primary_key=True),
        Column("key", String(64), primary_key=True),
        Column("orders", Integer, nullable=False),
    )


@_schema
def _kpi_day_tally() -> Table:
    return Table(
        "kpi_day_tally",
        _metadata,
        Column("figure", String(16), primary_key=True),
        Column("day", Date, primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("events", Integer, nullable=False),
    )


@_schema
def _open_order_tally() -> Table:
    return Table(
        "open_order_tally",
        _metadata,
        Column("figure", String(16), primary_key=True),
        Column("key", String(1000), primary_key=True),
        Column("orders", Integer, nullable=False),
    )


@_schema
def _order_line() -> Table:
    return Table(
        "order_line",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("order_id", Integer, ForeignKey("purchase_order.id", ondelete="CASCADE"), nullable=False),
        Column("ordinal", Integer, nullable=False),
        Column("line_no", String(32), nullable=False),
        Column("buyer_part", String(64)),
        Column("vendor_sku", String(64), index=True),
        Column("sku", String(64)),
        Column("upc", String(32)),
        Column("description", Text),
        Column("quantity", Numeric(18, 4)),
        Column("uom", String(8)),
        Column("unit_price", Numeric(18, 4)),
        UniqueConstraint("order_id", "ordinal"),
    )


@_schema
def _finding() -> Table:
    return Table(
        "finding",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("order_id", Integer, ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True),
        Column("document_id", Integer, ForeignKey("document.id"), index=True),
        Column("code", String(64), nullable=False),
        Column("severity", String(16), nullable=False),
        Column("message", Text, nullable=False),
        Column("field", String(64)),
        Column("line_no", String(32)),
        Column("details", JSON, nullable=False, default=dict),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("action", String(16)),
        Column("expected", Text),
        Column("received", Text),
        Column("suggestions", JSON, nullable=False, default=list),
        Index("ix_finding_order_code_action", "order_id", "code", "action"),
    )


@_schema
def _outbound_document() -> Table:
    return Table(
        "outbound_document",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("partner", String(64), nullable=False, index=True),
        Column("kind", String(32), nullable=False),
        Column("content", LargeBinary, nullable=False),
        Column("interchange_control_number", BigInteger),
        Column("group_control_number", BigInteger),
        Column("transaction_control_numbers", JSON, nullable=False, default=list),
        Column("document_id", Integer, ForeignKey("document.id"), index=True),
        Column("order_id", Integer, ForeignKey("purchase_order.id"), index=True),
        Column("status", String(16), nullable=False, index=True),
        Column("refers_to", String(64)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("errors", JSON, nullable=False, default=list),
        Column("ack_window_seconds", Integer),
        Column("ack_due_at", DateTime(timezone=True)),
        Column("ack_received_at", DateTime(timezone=True)),
        Column("ack_code", String(2)),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", DateTime(timezone=True)),
        Column("last_error", Text),
        Column("delivered_at", DateTime(timezone=True)),
        Column("idempotency_key", String(64)),
        Column("erp_request", JSON),  # an ERP update or cancel: emitters.OutboundDocument.request
        Column("erp_target", String(40)),  # an ERP payload's target: partners.ErpTarget.name, or "default"
        Index("ix_outbound_document_ack_due", "ack_received_at", "ack_due_at"),
    )


@_schema
def _shipment() -> Table:
    return Table(
        "shipment",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("partner", String(64), nullable=False),
        Column("shipment_id", String(30), nullable=False),
        Column("record", JSON, nullable=False),
        Column("outbound_id", Integer, ForeignKey("outbound_document.id")),
        Column("created_at", DateTime(timezone=True), nullable=False),
        UniqueConstraint("partner", "shipment_id"),
    )


@_schema
def _sscc() -> Table:
    return Table(
        "sscc",
        _metadata,
        Column("sscc", String(18), primary_key=True),
        Column("partner", String(64), nullable=False),
        Column("shipment_id", String(30), nullable=False),
        Column("allocated", Boolean, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Index("ix_sscc_partner_shipment", "partner", "shipment_id"),
    )


@_schema
def _shipped_line() -> Table:
    return Table(
        "shipped_line",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column(
            "shipment_pk", Integer, ForeignKey("shipment.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column("order_id", Integer, ForeignKey("purchase_order.id"), nullable=False),
        Column("line_no", String(32), nullable=False),
        Column("quantity", Numeric(18, 4), nullable=False),
        Column("uom", String(8), nullable=False),
        Index("ix_shipped_line_order_line", "order_id", "line_no"),
    )


@_schema
def _invoice() -> Table:
    return Table(
        "invoice",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("partner", String(64), nullable=False),
        Column("invoice_number", String(22), nullable=False),
        Column("order_id", Integer, ForeignKey("purchase_order.id"), index=True),
        Column("record", JSON, nullable=False),
        Column("total", Numeric(18, 4), nullable=False),
        Column("outbound_id", Integer, ForeignKey("outbound_document.id")),
        Column("created_at", DateTime(timezone=True), nullable=False),
        UniqueConstraint("partner", "invoice_number"),
    )


@_schema
def _alert() -> Table:
    return Table(
        "alert",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("kind", String(32), nullable=False),
        Column("partner", String(64)),
        Column("outbound_id", Integer, ForeignKey("outbound_document.id")),
        Column("message", Text, nullable=False),
        Column("resolved_at", DateTime(timezone=True), index=True),
        Column("order_id", Integer, ForeignKey("purchase_order.id")),
        Column("document_id", Integer, ForeignKey("document.id")),
        Column("action", Text),  # what a person should do about it
        Column("dedupe_key", String(200), index=True),  # one open alert per key
        # raised again while open: counted, not sent again. A server default: migration 0021 writes alerts
        # through this model before the column exists, naming only the columns it had.
        Column("repeats", Integer, nullable=False, server_default=text("0")),
        Column("last_at", DateTime(timezone=True)),
    )


@_schema
def _alert_notification() -> Table:
    return Table(
        "alert_notification",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("alert_id", Integer, ForeignKey("alert.id"), index=True),
        Column("event", String(16), nullable=False),
        Column("channel", String(16)),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_at", DateTime(timezone=True)),
        Column("last_error", Text),
        Column("sent_at", DateTime(timezone=True)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("body", Text),  # the digest's text, written when it was made
        Index("ix_alert_notification_due", "status", "next_at"),
    )


@_schema
def _control_counter() -> Table:
    return Table(
        "control_counter",
        _metadata,
        Column("partner", String(64), primary_key=True),
        Column("kind", String(8), primary_key=True),
        Column("last_value", BigInteger, nullable=False),
    )


@_schema
def _audit_log() -> Table:
    return Table(
        "audit_log",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False, index=True),
        Column("actor", String(64), nullable=False),
        Column("action", String(64), nullable=False),
        Column("subject_type", String(32), nullable=False),
        Column("subject_id", String(64), nullable=False),
        Column("before", JSON),
        Column("after", JSON),
        # what happened to one order or document (the desk's tally asks whether an order changed); 0030
        Index("ix_audit_log_subject", "subject_type", "subject_id"),
    )


@_schema
def _master_data_revision() -> Table:
    return Table(
        "master_data_revision",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("revision", BigInteger, nullable=False),
        Column("changed_at", DateTime(timezone=True), nullable=False),
    )


@_schema
def _product() -> Table:
    return Table(
        "product",
        _metadata,
        Column("sku", String(64), primary_key=True),
        Column("description", Text, nullable=False),
        Column("upc", String(32), index=True),
        Column("uom", String(8), nullable=False),
        Column("pack_size", Numeric(18, 4), nullable=False),
        Column("list_price", Numeric(18, 4), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("active", Boolean, nullable=False, default=True),
    )


@_schema
def _customer_part_xref() -> Table:
    return Table(
        "customer_part_xref",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("customer_account", String(32), nullable=False),
        Column("customer_part", String(64), nullable=False),
        Column("sku", String(64), nullable=False),
        UniqueConstraint("customer_account", "customer_part"),
    )


@_schema
def _price_agreement() -> Table:
    return Table(
        "price_agreement",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("customer_account", String(32)),
        Column("customer_group", String(32)),
        Column("sku", String(64), nullable=False),
        Column("uom", String(8)),
        Column("min_quantity", Numeric(18, 4), nullable=False),
        Column("unit_price", Numeric(18, 4), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("valid_from", Date),
        Column("valid_to", Date),
        Index("ix_price_agreement_sku", "sku", "customer_account", "customer_group"),
    )


@_schema
def _credit_account() -> Table:
    return Table(
        "credit_account",
        _metadata,
        Column("account", String(32), primary_key=True),
        Column("name", String(128), nullable=False),
        Column("partner", String(64), index=True),
        Column("customer_group", String(32)),
        Column("credit_limit", Numeric(18, 4), nullable=False),
        Column("open_ar", Numeric(18, 4), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("on_hold", Boolean, nullable=False, default=False),
    )


@_schema
def _inventory() -> Table:
    return Table(
        "inventory",
        _metadata,
        Column("sku", String(64), primary_key=True),
        Column("warehouse", String(16), primary_key=True),
        Column("on_hand", Numeric(18, 4), nullable=False),
        Column("allocated", Numeric(18, 4), nullable=False),
    )


@_schema
def _ship_to() -> Table:
    return Table(
        "ship_to",
        _metadata,
        Column("customer_account", String(32), primary_key=True),
        Column("code", String(64), primary_key=True),
        Column("name", String(128)),
        Column("address1", String(128)),
        Column("city", String(64)),
        Column("state", String(32)),
        Column("postal_code", String(16)),
        Column("country", String(3)),
    )


@_schema
def _transport_status() -> Table:
    return Table(
        "transport_status",
        _metadata,
        Column("partner", String(64), primary_key=True),
        Column("channel", String(16), primary_key=True),
        Column("last_success_at", DateTime(timezone=True)),
        Column("last_success", Text),
        Column("last_error_at", DateTime(timezone=True)),
        Column("last_error", Text),
        Column("failures_in_a_row", Integer, nullable=False, default=0),
    )


@_schema
def _poll_cursor() -> Table:
    return Table(
        "poll_cursor",
        _metadata,
        Column("partner", String(64), primary_key=True),
        Column("channel", String(16), primary_key=True),
        Column("position", String(64), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


@_schema
def _as2_message() -> Table:
    return Table(
        "as2_message",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("direction", String(3), nullable=False),
        Column("partner", String(64), nullable=False, index=True),
        Column("partner_as2_id", String(128), nullable=False),
        Column("message_id", String(255), nullable=False),
        Column("status", String(16), nullable=False, index=True),
        Column("document_id", Integer, ForeignKey("document.id"), index=True),
        Column("outbound_id", Integer, ForeignKey("outbound_document.id"), index=True),
        Column("filename", String(255)),
        Column("signed", Boolean, nullable=False, default=False),
        Column("encrypted", Boolean, nullable=False, default=False),
        Column("compressed", Boolean, nullable=False, default=False),
        Column("mic", String(160)),
        Column("mdn_mode", String(8)),
        Column("mdn_url", Text),
        Column("mdn", LargeBinary),
        Column("mdn_signature", LargeBinary),
        Column("mdn_message_id", String(255)),
        Column("mdn_disposition", Text),
        Column("mdn_mic", String(160)),
        Column("mdn_at", DateTime(timezone=True)),
        Column("error", Text),
        Column("attempts", Integer, nullable=False, default=0),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        UniqueConstraint("partner_as2_id", "message_id", "direction"),
    )


@_schema
def _as2_suspect_mdn() -> Table:
    return Table(
        "as2_suspect_mdn",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("received_at", DateTime(timezone=True), nullable=False),
        Column("partner", String(64), nullable=False, index=True),
        Column("partner_as2_id", String(128), nullable=False),
        Column("original_message_id", String(255), nullable=False),
        Column("as2_message_id", Integer, ForeignKey("as2_message.id"), index=True),
        Column("mdn_message_id", String(255)),
        Column("disposition", Text),
        Column("raw", LargeBinary, nullable=False),
        Column("reason", Text, nullable=False),
    )


@_schema
def _desk_user() -> Table:
    return Table(
        "desk_user",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("username", String(64), nullable=False, unique=True),
        Column("password_hash", String(255), nullable=False),
        Column("role", String(16), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("disabled", Boolean, nullable=False, default=False),
        Column("session_generation", Integer, nullable=False, default=0, server_default="0"),
    )


@_schema
def _login_failure() -> Table:
    return Table(
        "login_failure",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("username", String(64), nullable=False),
        Column("address", String(64), nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Index("ix_login_failure_username_at", "username", "at"),
        Index("ix_login_failure_address_at", "address", "at"),
    )


@_schema
def _order_override() -> Table:
    return Table(
        "order_override",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column(
            "order_id",
            Integer,
            ForeignKey("purchase_order.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("code", String(64), nullable=False),
        Column("line_no", String(32)),
        Column("value", Text),
        Column("reason", Text, nullable=False),
        Column("created_by", String(64), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("order_total", Numeric(18, 4)),
    )


@_schema
def _layout_hint() -> Table:
    return Table(
        "layout_hint",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("partner", String(64), nullable=False),
        Column("kind", String(8), nullable=False),
        Column("field", String(32), nullable=False),
        Column("label", String(255), nullable=False),
        Column("geometry", String(8), nullable=False),
        Column("support", Integer, nullable=False),
        Column("last_document_id", Integer),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("updated_by", String(64), nullable=False),
        UniqueConstraint("partner", "kind", "field"),
    )


if not TYPE_CHECKING:  # mypy sees the names declared above only: a misspelt table is an error
    # A table, built on its first look-up with those its foreign keys name; ``metadata``, with every table.
    __getattr__, __dir__ = built_on_look_up(__name__, _BUILDERS, _table, "metadata", lambda: _metadata)
