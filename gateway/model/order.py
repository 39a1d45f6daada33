"""The canonical order model: every channel's orders become these pydantic objects.

Money is ``Decimal``. Quantities carry their unit of measure. Every object keeps a
``provenance`` map from field name to where that value came from in the source document.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from typing import Any
from typing import NamedTuple

from pydantic import BaseModel
from pydantic import BeforeValidator
from pydantic import ConfigDict
from pydantic import Field
from pydantic import PlainSerializer


class Channel(StrEnum):
    X12 = "x12"
    PDF = "pdf"
    EXCEL = "excel"
    EMAIL = "email"
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    AMAZON = "amazon"
    WALMART = "walmart"


# Web-shop and marketplace channels: their orders come as JSON, from a channel partner profile.
SHOP_CHANNELS = frozenset({Channel.SHOPIFY, Channel.WOOCOMMERCE, Channel.AMAZON, Channel.WALMART})


class OrderPurpose(StrEnum):
    """BEG01 and its equivalents in other channels."""

    ORIGINAL = "original"
    CHANGE = "change"
    CANCEL = "cancel"
    CONFIRMATION = "confirmation"
    OTHER = "other"


class Provenance(NamedTuple):
    """Where one value came from. Only the locator fields of its channel are set.

    ``document_id`` is left unset when the value comes from the order's own document.
    ``keyed_by``/``keyed_at`` say a person keyed the value in on the desk (with the page and box
    they marked on the source, when they marked one). A plain
    tuple, because parsers make one for nearly every value they read. In JSON an X12
    location is written compactly as ``"PO104@18"`` (element PO104 of segment 18).
    """

    document_id: str | None = None
    segment_index: int | None = None
    segment_id: str | None = None
    element: str | None = None
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    sheet: str | None = None
    cell: str | None = None
    mime_part: str | None = None
    confidence: float | None = None
    # A value a person keyed on the order desk: who and when (ISO 8601, UTC). The locator
    # fields, if any, still say where the document had the value the clerk replaced.
    keyed_by: str | None = None
    keyed_at: str | None = None
    # A value read from a JSON document (a web-shop or marketplace order): its RFC 6901 JSON
    # pointer, e.g. ``/line_items/2/quantity``.
    pointer: str | None = None

    @property
    def keyed(self) -> str | None:
        """``keyed by USER at TIME`` for a value keyed on the desk, else None."""
        return f"keyed by {self.keyed_by} at {self.keyed_at}" if self.keyed_by else None

    @property
    def is_x12_only(self) -> bool:
        # one tuple comparison for the fields after ``element`` (the serializer asks for every value)
        return (
            self.segment_index is not None
            and self.element is not None
            and self.document_id is None
            and self[_FIRST_NON_X12_FIELD:] == _NO_NON_X12_FIELDS
        )


class X12Source(Provenance):
    """A ``Provenance`` that locates one X12 element and nothing else: ``segment_index``,
    ``segment_id`` and ``element`` set, every other field None. The X12 reader makes one for nearly
    every value it reads; its JSON form (``"PO104@18"``) is then written from its type, without
    comparing its other fields. Only the reader makes these; ``_replace`` (and ``_make``) give a
    plain ``Provenance``, as a replaced field may be any."""

    __slots__ = ()

    @classmethod
    def _make(cls, iterable: Any) -> Provenance:  # type: ignore[override]  # a plain one, on purpose
        return Provenance._make(iterable)


_FIRST_NON_X12_FIELD = Provenance._fields.index("page")
_NO_NON_X12_FIELDS = (None,) * (len(Provenance._fields) - _FIRST_NON_X12_FIELD)


def _provenance_in(value: Any) -> Any:
    if isinstance(value, str) and "@" in value:
        element, _, index = value.partition("@")
        return Provenance(segment_index=int(index), segment_id=element[:-2], element=element)
    if isinstance(value, dict):
        fields = dict(value)
        if fields.get("bbox") is not None:
            fields["bbox"] = tuple(float(v) for v in fields["bbox"])
        return Provenance(**fields)
    return value


def _provenance_out(value: Provenance) -> Any:
    if value.is_x12_only:
        return f"{value.element}@{value.segment_index}"
    return {k: v for k, v in value._asdict().items() if v is not None}


def _provenances_out(values: dict[str, Provenance]) -> dict[str, Any]:
    """A ``provenance`` map written with one call per object, not one per value: the serializer is
    called from pydantic's Rust code, and a canonical order holds a hundred values or so."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if type(value) is X12Source:  # (nearly every value of an X12 order: decided by its type)
            out[name] = f"{value[3]}@{value[1]}"
            continue
        if value[_FIRST_NON_X12_FIELD:] == _NO_NON_X12_FIELDS and value[0] is None and value[1] is not None:
            element = value[3]
            if element is not None:
                out[name] = f"{element}@{value[1]}"
                continue
        out[name] = _provenance_out(value)
    return out


Source = Annotated[Provenance, BeforeValidator(_provenance_in), PlainSerializer(_provenance_out)]


class Traced(BaseModel):
    """Base for canonical objects: ``provenance`` maps a field name to its source."""

    # Every model of ours builds its schema on first use, not at import: a command that does
    # not read a document does not pay for it (``tests/cli/test_startup.py``).
    model_config = ConfigDict(defer_build=True)

    provenance: Annotated[dict[str, Source], PlainSerializer(_provenances_out)] = Field(default_factory=dict)


class Quantity(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)

    value: Decimal
    uom: str | None = None  # None: the document states no unit (its reader says so); never a guessed default


class Reference(Traced):
    """A qualified reference such as REF*DP*038 or N9*BO*..."""

    qualifier: str
    value: str
    description: str | None = None
    repeats: list[str] = Field(default_factory=list)


class DatedEvent(Traced):
    """A qualified date such as DTM*002 (requested delivery)."""

    qualifier: str
    value: date | None
    raw: str
    time: str | None = None


class Contact(Traced):
    function: str
    name: str | None = None
    channels: dict[str, str] = Field(default_factory=dict)


class Address(Traced):
    lines: list[str] = Field(default_factory=list)
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Party(Traced):
    """N1 loop: a role (ST ship-to, BT bill-to, BY buyer...) with its identity and address."""

    role: str
    name: str | None = None
    id_qualifier: str | None = None
    id: str | None = None
    extra_names: list[str] = Field(default_factory=list)
    address: Address | None = None
    contacts: list[Contact] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)


class Terms(Traced):
    type_code: str | None = None
    basis_date_code: str | None = None
    discount_percent: Decimal | None = None
    discount_days: int | None = None
    net_days: int | None = None
    description: str | None = None


class Carrier(Traced):
    routing: str | None = None
    transport_method: str | None = None
    scac: str | None = None
    service_level: str | None = None


class Charge(Traced):
    """SAC: an allowance (A) or charge (C)."""

    indicator: str
    code: str | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    description: str | None = None


class PackInfo(Traced):
    """PO4: how the item is packed."""

    pack: Decimal | None = None
    inner_size: Decimal | None = None
    inner_uom: str | None = None
    packaging_code: str | None = None
    weight: Decimal | None = None
    weight_uom: str | None = None


class StoreQuantity(Traced):
    """One store's share of a line (SDQ)."""

    location_qualifier: str | None
    location: str
    quantity: Decimal


class OrderLine(Traced):
    line_no: str
    buyer_part: str | None = None
    vendor_sku: str | None = None
    sku: str | None = Field(default=None, description="the catalog SKU validation resolved the line to")
    upc: str | None = None
    other_ids: dict[str, str] = Field(default_factory=dict)
    description: str | None = None
    quantity: Quantity | None = None
    unit_price: Decimal | None = None
    price_basis: str | None = None
    pack: PackInfo | None = None
    distribution: list[StoreQuantity] = Field(default_factory=list)
    requested_dates: list[DatedEvent] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    charges: list[Charge] = Field(default_factory=list)
    parties: list[Party] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    split_from: str | None = None  # the line this one was split off on the order desk
    # POC02 of an 860 PO change: AI add, DI delete, QI/QD quantity, PC price, CT dates, CA/RZ
    # several (gateway.inbound.amendments applies it to the stored order); None on any whole order.
    change: str | None = None


PO_KEY_LENGTH = 64


def po_key(po_number: str | None) -> str | None:
    """The form two PO numbers are compared in for the duplicate check; None when nothing is left.

    NFKC-normalised, casefolded, and only its letters and digits kept: case, whitespace and
    punctuation anywhere (``"PO-123"``, ``"po 123"``, ``"po#123 "``) do not make another PO.
    Inner separators are dropped too: the same PO typed into a PDF or an email gains and loses
    dashes and spaces, and a false duplicate costs one look on the desk (dismiss it), while a
    missed one ships the order twice. Letters and digits all count: ``"PO123"`` is not ``"123"``.
    The stored ``po_number`` stays as sent; this is only the comparison key, at most
    ``PO_KEY_LENGTH`` characters (its column's width).
    """
    if po_number is None:
        return None
    key = "".join(c for c in unicodedata.normalize("NFKC", po_number).casefold() if c.isalnum())
    return key[:PO_KEY_LENGTH] or None


class Order(Traced):
    """One purchase order: one X12 ST/SE, one PDF order, one sheet, one email body order."""

    partner: str | None
    channel: Channel
    document_id: str | None = None
    po_number: str | None = None  # None: not found; left out of the stored JSON
    po_date: date | None = None
    purpose: OrderPurpose = OrderPurpose.ORIGINAL
    purpose_code: str | None = None
    po_type: str | None = None
    release_number: str | None = None
    currency: str | None = None
    terms: list[Terms] = Field(default_factory=list)
    dates: list[DatedEvent] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    parties: list[Party] = Field(default_factory=list)
    carriers: list[Carrier] = Field(default_factory=list)
    fob: dict[str, str] = Field(default_factory=dict)
    charges: list[Charge] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    lines: list[OrderLine] = Field(default_factory=list)
    stated_line_count: int | None = None
    stated_total: Decimal | None = None
    control_number: str | None = None

    def party(self, role: str) -> Party | None:
        return next((p for p in self.parties if p.role == role), None)

    @property
    def ship_to(self) -> Party | None:
        return self.party("ST")

    @property
    def bill_to(self) -> Party | None:
        return self.party("BT")

    @property
    def buyer(self) -> Party | None:
        return self.party("BY")
