"""The ORM classes, mapped onto the Core tables of ``gateway.storage.tables``: what each row means.

Each class names its table (``class Document(_Base, table="document")``: SQLAlchemy's declarative
with an imperative table), so the columns, keys and indexes are written once, there. The
``Mapped[...]`` annotations restate no column: they type the attributes for mypy and the code that
reads them.

A class is mapped, with its table built, the first time it is looked up here (PEP 562, as
``tables`` builds its tables): mapping all 32 took about a tenth of an X12 ingest's start-up,
which uses 14. ``Base`` is the whole schema: looking it up maps every class and builds every table
(what Alembic and the whole-schema checks read).
"""

from __future__ import annotations

import sys
from datetime import date
from datetime import datetime
from decimal import Decimal
from threading import RLock
from typing import TYPE_CHECKING
from typing import Any
from typing import ClassVar

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped

from gateway._lazy import built_on_look_up

from . import tables

_declared: dict[str, tuple[type[_Base], str]] = {}  # a class's name -> the class, unmapped, and its table
_mapping = RLock()


class _Base(DeclarativeBase):
    metadata = tables._metadata  # the tables' own MetaData, holding each table once it is built
    __table__: ClassVar[Table]  # every model here is declared on a Table, not another FromClause

    def __init_subclass__(cls, table: str, **kw: Any) -> None:
        """Records the class and its table; ``_mapped`` maps it (DeclarativeBase's hook would now)."""
        _declared[cls.__name__] = (cls, table)


class Document(_Base, table="document"):
    """One inbound document, keyed by the SHA-256 of its bytes."""

    id: Mapped[int]
    sha256: Mapped[str]
    size: Mapped[int]
    channel: Mapped[str]
    filename: Mapped[str | None]
    partner: Mapped[str | None]
    received_at: Mapped[datetime]
    status: Mapped[str]
    format: Mapped[str | None]
    error_code: Mapped[str | None]
    error: Mapped[str | None]
    errors: Mapped[list[Any]]
    meta: Mapped[dict[str, Any]]
    tallied_as: Mapped[str | None]


class DocumentChunk(_Base, table="document_chunk"):
    """The raw bytes of a document, in order, 1 MiB at a time."""

    document_id: Mapped[int]
    seq: Mapped[int]
    data: Mapped[bytes]


class PurchaseOrder(_Base, table="purchase_order"):
    """A canonical order; (document_id, ordinal) makes storing it idempotent."""

    id: Mapped[int]
    document_id: Mapped[int]
    ordinal: Mapped[int]
    partner: Mapped[str | None]
    channel: Mapped[str]
    po_number: Mapped[str | None]
    po_key: Mapped[str | None]
    po_date: Mapped[date | None]
    purpose: Mapped[str]
    status: Mapped[str]
    currency: Mapped[str | None]
    control_number: Mapped[str | None]
    group_control_number: Mapped[str | None]
    interchange_control_number: Mapped[str | None]
    line_count: Mapped[int]
    canonical: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    customer_account: Mapped[str | None]
    order_total: Mapped[Decimal | None]
    invoiced_at: Mapped[datetime | None]
    version: Mapped[int]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None]
    decision_reason: Mapped[str | None]
    duplicate_of: Mapped[int | None]
    layout_learned_from: Mapped[int | None]
    received_canonical: Mapped[dict[str, Any] | None]
    allocations: Mapped[dict[str, Any] | None]
    superseded: Mapped[dict[str, Any] | None]
    tallied_as: Mapped[list[Any] | None]


class OrderDayTally(_Base, table="order_day_tally"):
    """Orders stored per UTC day of ``created_at``: per ``channel``, per ``partner``, and per
    status of the ones the gateway decided alone (``alone``); kept by ``gateway.storage.tally_orders``."""

    figure: Mapped[str]
    day: Mapped[date]
    key: Mapped[str]
    orders: Mapped[int]


class KpiDayTally(_Base, table="kpi_day_tally"):
    """The desk's KPIs of time, per UTC day the event happened: figure ``erp`` (an order's first ERP
    payload delivered: its document's receipt to the delivery), ``ship`` (an 856 stored for an order:
    receipt to the 856) and ``ack`` (a partner's first 997/999 to an X12 document of ours: sent to
    received); ``key`` is the bucket in seconds, and under figure ``<figure>/p`` ``[partner, bucket]`` as
    JSON; ``events`` how many fell in it.
    Kept by ``gateway.storage.tally_kpi`` (migration 0030)."""

    figure: Mapped[str]
    day: Mapped[date]
    key: Mapped[str]
    events: Mapped[int]


class OpenOrderTally(_Base, table="open_order_tally"):
    """Orders in exception now: per ``partner``, per ``channel``, and per set of blocking finding
    ``codes`` (comma-separated, sorted; empty for none); kept by ``gateway.storage.tally_orders``.
    Figure ``documents``: the documents waiting for a person per status, partner and format (the
    ``orders`` column counts documents there); kept by ``gateway.storage.tally_documents``."""

    figure: Mapped[str]
    key: Mapped[str]
    orders: Mapped[int]


class OrderLineRecord(_Base, table="order_line"):
    id: Mapped[int]
    order_id: Mapped[int]
    ordinal: Mapped[int]
    line_no: Mapped[str]
    buyer_part: Mapped[str | None]
    vendor_sku: Mapped[str | None]
    sku: Mapped[str | None]
    upc: Mapped[str | None]
    description: Mapped[str | None]
    quantity: Mapped[Decimal | None]
    uom: Mapped[str | None]
    unit_price: Mapped[Decimal | None]


class Finding(_Base, table="finding"):
    """Something found about a document or an order: a parse issue or a validation finding.

    ``code`` is one of the stable finding codes; ``action`` is what the partner's policy did
    with it (auto_fix, warn, hold, reject).
    """

    id: Mapped[int]
    order_id: Mapped[int | None]
    document_id: Mapped[int | None]
    code: Mapped[str]
    severity: Mapped[str]
    message: Mapped[str]
    field: Mapped[str | None]
    line_no: Mapped[str | None]
    details: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    action: Mapped[str | None]
    expected: Mapped[str | None]
    received: Mapped[str | None]
    suggestions: Mapped[list[Any]]


class OutboundRecord(_Base, table="outbound_document"):
    """A document we send (997/999/TA1, 855, 856, 810, ERP payload) and where it stands.

    ``status``: ``pending`` (may leave), ``invalid`` (failed its pre-send check, or a held
    invoice replaced by its correction; ``errors`` says why), ``held`` (an invoice off the
    order's price, waiting for a person; ``errors`` says why), ``sent``, ``dead`` (delivery
    gave up). X12 documents the partner must answer with a 997/999 carry ``ack_window_seconds``;
    ``ack_due_at`` is set from it when the document is sent (never before: what has not left
    cannot be answered), ``ack_received_at`` when the first one came. An ERP payload names its
    ``erp_target``.
    """

    id: Mapped[int]
    partner: Mapped[str]
    kind: Mapped[str]
    content: Mapped[bytes]
    interchange_control_number: Mapped[int | None]
    group_control_number: Mapped[int | None]
    transaction_control_numbers: Mapped[list[Any]]
    document_id: Mapped[int | None]
    order_id: Mapped[int | None]
    status: Mapped[str]
    refers_to: Mapped[str | None]
    created_at: Mapped[datetime]
    errors: Mapped[list[Any]]
    ack_window_seconds: Mapped[int | None]
    ack_due_at: Mapped[datetime | None]
    ack_received_at: Mapped[datetime | None]
    ack_code: Mapped[str | None]
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    delivered_at: Mapped[datetime | None]
    idempotency_key: Mapped[str | None]
    erp_request: Mapped[dict[str, Any] | None]
    erp_target: Mapped[str | None]


class ShipmentRow(_Base, table="shipment"):
    """A shipment the ERP or WMS reported; ``record`` is the ShipmentRecord as received."""

    id: Mapped[int]
    partner: Mapped[str]
    shipment_id: Mapped[str]
    record: Mapped[dict[str, Any]]
    outbound_id: Mapped[int | None]
    created_at: Mapped[datetime]


class Sscc(_Base, table="sscc"):
    """Every SSCC-18 put on an ASN, supplied by the WMS or allocated by us: each is used once, ever.

    The 18 digits hold the extension digit, the GS1 company prefix and the serial, and GS1
    prefixes never begin one another, so the key on the SSCC itself is the GS1 rule: unique per
    company prefix (and extension). ``allocated`` tells ours from the supplied ones.
    """

    sscc: Mapped[str]
    partner: Mapped[str]
    shipment_id: Mapped[str]
    allocated: Mapped[bool]
    created_at: Mapped[datetime]


class ShippedLine(_Base, table="shipped_line"):
    """Units of one PO line on one shipment: what the over-shipment check sums."""

    id: Mapped[int]
    shipment_pk: Mapped[int]
    order_id: Mapped[int]
    line_no: Mapped[str]
    quantity: Mapped[Decimal]
    uom: Mapped[str]


class InvoiceRow(_Base, table="invoice"):
    """An invoice sent; ``record`` is the InvoiceRecord, ``total`` what TDS stated."""

    id: Mapped[int]
    partner: Mapped[str]
    invoice_number: Mapped[str]
    order_id: Mapped[int | None]
    record: Mapped[dict[str, Any]]
    total: Mapped[Decimal]
    outbound_id: Mapped[int | None]
    created_at: Mapped[datetime]


class Alert(_Base, table="alert"):
    """Something a person must see: a delivery that gave up, an overdue 997. Open until resolved."""

    id: Mapped[int]
    at: Mapped[datetime]
    kind: Mapped[str]
    partner: Mapped[str | None]
    outbound_id: Mapped[int | None]
    message: Mapped[str]
    resolved_at: Mapped[datetime | None]
    order_id: Mapped[int | None]
    document_id: Mapped[int | None]
    action: Mapped[str | None]
    dedupe_key: Mapped[str | None]
    repeats: Mapped[int]
    last_at: Mapped[datetime | None]


class AlertNotification(_Base, table="alert_notification"):
    """One message to a person about an alert (raised, resolved) or the daily digest, on one channel.

    ``channel`` is NULL until the send pass fans the row out to the channels configured then; a
    failed send waits for ``next_at``; nothing is deleted but that fanned-out row.
    """

    id: Mapped[int]
    alert_id: Mapped[int | None]
    event: Mapped[str]
    channel: Mapped[str | None]
    status: Mapped[str]
    attempts: Mapped[int]
    next_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    body: Mapped[str | None]


class ControlCounter(_Base, table="control_counter"):
    """The last control number handed out per partner and kind (ISA, GS, ST, INVOICE).

    Also the last SSCC serial per GS1 company prefix: partner ``gs1:<prefix>``, kind ``SSCC``
    (no partner name has a colon).
    """

    partner: Mapped[str]
    kind: Mapped[str]
    last_value: Mapped[int]


class AuditEntry(_Base, table="audit_log"):
    id: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str]
    action: Mapped[str]
    subject_type: Mapped[str]
    subject_id: Mapped[str]
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class MasterDataRevision(_Base, table="master_data_revision"):
    """Bumped by every master data import, so a cached copy knows it is stale."""

    id: Mapped[int]
    revision: Mapped[int]
    changed_at: Mapped[datetime]


class Product(_Base, table="product"):
    sku: Mapped[str]
    description: Mapped[str]
    upc: Mapped[str | None]
    uom: Mapped[str]
    pack_size: Mapped[Decimal]
    list_price: Mapped[Decimal]
    currency: Mapped[str]
    active: Mapped[bool]


class CustomerPartXref(_Base, table="customer_part_xref"):
    id: Mapped[int]
    customer_account: Mapped[str]
    customer_part: Mapped[str]
    sku: Mapped[str]


class PriceAgreement(_Base, table="price_agreement"):
    id: Mapped[int]
    customer_account: Mapped[str | None]
    customer_group: Mapped[str | None]
    sku: Mapped[str]
    uom: Mapped[str | None]
    min_quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal]
    currency: Mapped[str]
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]


class CreditAccount(_Base, table="credit_account"):
    account: Mapped[str]
    name: Mapped[str]
    partner: Mapped[str | None]
    customer_group: Mapped[str | None]
    credit_limit: Mapped[Decimal]
    open_ar: Mapped[Decimal]
    currency: Mapped[str]
    on_hold: Mapped[bool]


class InventoryLevel(_Base, table="inventory"):
    sku: Mapped[str]
    warehouse: Mapped[str]
    on_hand: Mapped[Decimal]
    allocated: Mapped[Decimal]


class ShipTo(_Base, table="ship_to"):
    """A customer's address book: store and DC codes an order may ship to."""

    customer_account: Mapped[str]
    code: Mapped[str]
    name: Mapped[str | None]
    address1: Mapped[str | None]
    city: Mapped[str | None]
    state: Mapped[str | None]
    postal_code: Mapped[str | None]
    country: Mapped[str | None]


class TransportStatus(_Base, table="transport_status"):
    """The last success and last failure of one partner's channel (``sftp-pull``, ``as2-in``...)."""

    partner: Mapped[str]
    channel: Mapped[str]
    last_success_at: Mapped[datetime | None]
    last_success: Mapped[str | None]
    last_error_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    failures_in_a_row: Mapped[int]


class PollCursor(_Base, table="poll_cursor"):
    """How far a polled marketplace has been read for one partner: the next poll asks from here.

    ``position`` is the API's own lower bound (an ISO 8601 instant for Amazon's ``LastUpdatedAfter``
    and Walmart's ``createdStartDate``); it only moves after every order up to it is stored.
    """

    partner: Mapped[str]
    channel: Mapped[str]
    position: Mapped[str]
    updated_at: Mapped[datetime]


class As2Message(_Base, table="as2_message"):
    """One AS2 message received (``in``) or sent (``out``), with its MDN kept for non-repudiation.

    ``status`` in: ``processed`` (stored, positive MDN), ``refused`` (negative MDN), ``failed``
    (our store failed; no MDN, so the partner resends and the resend is taken). Out:
    ``sending``, ``awaiting_mdn``, ``delivered`` (positive MDN), ``refused`` (negative MDN),
    ``failed`` (no usable answer). ``mdn`` holds the MDN's headers and body as sent or
    received, signature included; ``mdn_at`` is when it left us (in) or reached us (out): an
    async MDN still to be delivered has ``mdn`` but no ``mdn_at``. ``mic`` is ``base64, alg``.
    """

    id: Mapped[int]
    direction: Mapped[str]
    partner: Mapped[str]
    partner_as2_id: Mapped[str]
    message_id: Mapped[str]
    status: Mapped[str]
    document_id: Mapped[int | None]
    outbound_id: Mapped[int | None]
    filename: Mapped[str | None]
    signed: Mapped[bool]
    encrypted: Mapped[bool]
    compressed: Mapped[bool]
    mic: Mapped[str | None]
    mdn_mode: Mapped[str | None]
    mdn_url: Mapped[str | None]
    mdn: Mapped[bytes | None]
    mdn_signature: Mapped[bytes | None]
    mdn_message_id: Mapped[str | None]
    mdn_disposition: Mapped[str | None]
    mdn_mic: Mapped[str | None]
    mdn_at: Mapped[datetime | None]
    error: Mapped[str | None]
    attempts: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class As2SuspectMdn(_Base, table="as2_suspect_mdn"):
    """An MDN that changed nothing: it did not verify, or contradicts the one already kept. For a person.

    ``raw`` is its headers and body as received; ``as2_message_id`` the outbound message it names.
    An open alert points here.
    """

    id: Mapped[int]
    received_at: Mapped[datetime]
    partner: Mapped[str]
    partner_as2_id: Mapped[str]
    original_message_id: Mapped[str]
    as2_message_id: Mapped[int | None]
    mdn_message_id: Mapped[str | None]
    disposition: Mapped[str | None]
    raw: Mapped[bytes]
    reason: Mapped[str]


class DeskUser(_Base, table="desk_user"):
    """A person who works the order desk; ``role`` is clerk, credit or admin. Disabled users cannot log in.

    ``session_generation`` is copied into each login's session; raising it (logout, a new
    password, disabling) ends every session made before.
    """

    id: Mapped[int]
    username: Mapped[str]
    password_hash: Mapped[str]
    role: Mapped[str]
    created_at: Mapped[datetime]
    disabled: Mapped[bool]
    session_generation: Mapped[int]


class LoginFailure(_Base, table="login_failure"):
    """One failed desk login: the name tried and the client address, kept while it counts (15 minutes).

    The login throttle counts these rows per name and per address, so it holds across web workers.
    """

    id: Mapped[int]
    username: Mapped[str]
    address: Mapped[str]
    at: Mapped[datetime]


class OrderOverride(_Base, table="order_override"):
    """A desk decision that re-validation honours: a price accepted, a credit hold released, a duplicate dismissed.

    ``code`` is the finding code it answers, ``line_no`` the line (None: the whole order), and
    ``value`` what was accepted (the unit price, for a price difference; the exposure, for a
    credit limit). A credit release keeps in ``order_total`` the order value it covered: a
    higher value (or exposure) later is not covered.
    """

    id: Mapped[int]
    order_id: Mapped[int]
    code: Mapped[str]
    line_no: Mapped[str | None]
    value: Mapped[str | None]
    reason: Mapped[str]
    created_by: Mapped[str]
    created_at: Mapped[datetime]
    order_total: Mapped[Decimal | None]


class LayoutHintRecord(_Base, table="layout_hint"):
    """Where one sender puts one value, learned from the desk's corrections (``partners.LayoutHint``).

    ``kind`` is ``pdf`` or ``sheet``; ``label`` the label text a header field follows
    (``geometry`` right or below) or the title of a line field's column (``column``). ``support``
    counts the corrections and confirmations behind it; ``last_document_id`` is the latest.
    Every change is in the audit log under subject ``layout_hint``.
    """

    id: Mapped[int]
    partner: Mapped[str]
    kind: Mapped[str]
    field: Mapped[str]
    label: Mapped[str]
    geometry: Mapped[str]
    support: Mapped[int]
    last_document_id: Mapped[int | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str]


if TYPE_CHECKING:
    Base = _Base
else:
    for _name in _declared:  # a class is found by its first look-up (``__getattr__``), which maps it
        delattr(sys.modules[__name__], _name)


def _mapped(name: str) -> type[_Base]:
    """The class ``name``, mapped once onto its table (under a lock: the desk and the workers run threads)."""
    with _mapping:
        cls, table = _declared[name]
        if "__mapper__" not in cls.__dict__:
            cls.__table__ = getattr(tables, table)
            _Base.registry.map_declaratively(cls)
            setattr(sys.modules[__name__], name, cls)  # every later look-up is a plain attribute
        return cls


def _whole_schema() -> type[_Base]:
    """``Base``, once every class is mapped: with every table built too, if one ever has no class."""
    tables.metadata  # noqa: B018
    return _Base


if not TYPE_CHECKING:
    # A class, mapped on its first look-up; ``Base``, with every class mapped.
    __getattr__, __dir__ = built_on_look_up(__name__, _declared, _mapped, "Base", _whole_schema)
