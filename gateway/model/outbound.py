"""The canonical outbound objects emitters write from: a PO acknowledgment (855), a shipment
(856), an invoice (810), an inventory advice (846), and the records the ERP or WMS hands in for the last two.

Like the inbound model, money and quantities are ``Decimal``.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import field_validator

from gateway.model.order import Party


class AckType(StrEnum):
    """BAK02: how the order as a whole is acknowledged."""

    ACCEPTED = "AD"  # with detail, no change
    CHANGED = "AC"  # with detail and change
    REJECTED = "RD"  # rejected, with detail
    CANCELLED = "AT"  # accepted: answers a cancellation (BAK01 01), no detail


class LineStatus(StrEnum):
    """ACK01: what happens to a line (or part of one)."""

    ACCEPTED = "IA"
    BACKORDERED = "IB"
    CHANGED = "IC"  # more than one change
    PRICE_CHANGED = "IP"
    QUANTITY_CHANGED = "IQ"
    REJECTED = "IR"
    SUBSTITUTED = "IS"  # another item ships in its place (ACK carries the buyer's part and ours)


class LineAck(BaseModel):
    """One ACK segment: a status for ``quantity`` of the line, with the date it ships if known."""

    model_config = ConfigDict(defer_build=True)

    status: LineStatus
    quantity: Decimal
    uom: str
    ship_date: date | None = None
    # ACK07 onwards: (qualifier, id) pairs; for IS the buyer's part (BP) and the item we ship (VN)
    product_ids: list[tuple[str, str]] = Field(default_factory=list)


class AckLine(BaseModel):
    """One PO1 as acknowledged: what was ordered, at our price, and one or more ACKs."""

    model_config = ConfigDict(defer_build=True)

    line_no: str
    ordered: Decimal
    uom: str
    unit_price: Decimal | None = None
    sku: str | None = None
    buyer_part: str | None = None
    upc: str | None = None
    description: str | None = None
    acks: list[LineAck]


class OrderAcknowledgment(BaseModel):
    """An 855: the answer to one purchase order."""

    model_config = ConfigDict(defer_build=True)

    po_number: str
    po_date: date | None = None
    purpose: str = "00"  # BAK01: 00 a new order, 01 a cancellation, 04 a change, as the buyer's BEG01/BCH01
    ack_type: AckType
    ack_date: date
    currency: str | None = None
    ship_to: Party | None = None
    reasons: list[str] = Field(default_factory=list)
    lines: list[AckLine] = Field(default_factory=list)


class Place(BaseModel):
    """A party on a shipment or invoice: SF ship-from, ST ship-to, BT bill-to, RI remit-to ..."""

    model_config = ConfigDict(defer_build=True)

    role: str
    name: str
    id_qualifier: str | None = None
    id: str | None = None
    address: list[str] = Field(default_factory=list)
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Carrier(BaseModel):
    """TD5: the carrier by SCAC (TD502 2), else by its own code (TD502 ZZ, mutually defined), and the service."""

    model_config = ConfigDict(defer_build=True)
    scac: str | None = None
    code: str | None = None  # the carrier's code where no SCAC is known (TD503 under TD502 ZZ)
    transport_method: str = "M"  # TD504: M motor (common carrier)
    routing: str | None = None  # TD505: the service (routing), free text


class ShippedItem(BaseModel):
    """Units of one PO line in one pack (or in the order, without packs)."""

    model_config = ConfigDict(defer_build=True)

    line_no: str
    quantity: Decimal = Field(gt=0)
    uom: str = "EA"
    sku: str | None = None
    upc: str | None = None
    buyer_part: str | None = None
    description: str | None = None


class Pack(BaseModel):
    """One carton or pallet; ``sscc`` is assigned from the partner's GS1 prefix when left out."""

    model_config = ConfigDict(defer_build=True)

    sscc: str | None = None
    weight: Decimal | None = None
    items: list[ShippedItem] = Field(min_length=1)

    @field_validator("sscc")
    @classmethod
    def _eighteen_digits(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 18 and value.isdigit()):
            raise ValueError(f"an SSCC has 18 digits, got {value!r}")
        return value


class ShippedOrder(BaseModel):
    """What one PO gets on this shipment: packs (SOPI), or bare items (SOI)."""

    model_config = ConfigDict(defer_build=True)

    po_number: str
    po_date: date | None = None
    packs: list[Pack] = Field(default_factory=list)
    items: list[ShippedItem] = Field(default_factory=list)

    def all_items(self) -> list[ShippedItem]:
        return [item for pack in self.packs for item in pack.items] + self.items


class ShipmentRecord(BaseModel):
    """A shipment as the ERP or WMS reports it (``gateway ship FILE.json``, ``POST /api/shipments``)."""

    model_config = ConfigDict(defer_build=True)

    shipment_id: str = Field(min_length=2, max_length=30)
    partner: str
    ship_date: date
    ship_time: time | None = None
    estimated_delivery: date | None = None
    carrier: Carrier = Field(default_factory=Carrier)
    tracking_number: str | None = None
    bill_of_lading: str | None = None
    packaging_code: str = "CTN25"  # TD101: carton, corrugated
    gross_weight: Decimal | None = None
    weight_uom: str = "LB"
    ship_from: Place
    ship_to: Place | None = None
    orders: list[ShippedOrder] = Field(min_length=1)


class BookedItem(BaseModel):
    """Units of one order line a carrier booking names, by our line number or by SKU."""

    model_config = ConfigDict(defer_build=True)

    line_no: str | None = None
    sku: str | None = None
    quantity: Decimal = Field(gt=0)


class CarrierBooking(BaseModel):
    """A shipment booked on a carrier platform (nShift, Ingrid), as its webhook reports it.

    ``order_reference`` is our PO number (or the gateway's order id); no ``items`` means the
    order's open lines. ``provenance`` maps each field read to the JSON pointer it came from.
    """

    model_config = ConfigDict(defer_build=True)

    platform: str
    event_id: str
    order_reference: str
    carrier: str
    service: str | None = None
    tracking_numbers: list[str] = Field(min_length=1)
    ship_date: date | None = None
    sender: Place | None = None
    weight: Decimal | None = None
    items: list[BookedItem] = Field(default_factory=list)
    provenance: dict[str, str] = Field(default_factory=dict)


class InvoiceLine(BaseModel):
    model_config = ConfigDict(defer_build=True)
    line_no: str
    quantity: Decimal = Field(gt=0)
    uom: str = "EA"
    unit_price: Decimal = Field(ge=0)
    sku: str | None = None
    upc: str | None = None
    buyer_part: str | None = None
    description: str | None = None


class Allowance(BaseModel):
    """SAC: an allowance (A, subtracted) or a charge (C, added), e.g. C/D240 freight."""

    model_config = ConfigDict(defer_build=True)

    indicator: str = Field(pattern="^[AC]$")
    code: str
    amount: Decimal = Field(ge=0)
    description: str | None = None


class Tax(BaseModel):
    """TXI: a tax on the invoice, e.g. ST sales tax."""

    model_config = ConfigDict(defer_build=True)

    type_code: str = "ST"
    amount: Decimal = Field(ge=0)
    percent: Decimal | None = None


class InvoiceTerms(BaseModel):
    model_config = ConfigDict(defer_build=True)
    type_code: str = "01"  # ITD01: basic
    basis_date_code: str = "3"  # ITD02: invoice date
    discount_percent: Decimal | None = None
    discount_days: int | None = None
    net_days: int = 30
    description: str | None = None


class InvoiceRecord(BaseModel):
    """An invoice as the ERP reports it (``gateway invoice FILE.json``), or built from a shipment."""

    model_config = ConfigDict(defer_build=True)

    invoice_number: str = Field(min_length=1, max_length=22)
    partner: str
    invoice_date: date
    po_number: str
    po_date: date | None = None
    currency: str = "USD"
    shipment_id: str | None = None
    ship_date: date | None = None
    bill_of_lading: str | None = None
    carrier: Carrier | None = None
    terms: InvoiceTerms = Field(default_factory=InvoiceTerms)
    parties: list[Place] = Field(default_factory=list)
    lines: list[InvoiceLine] = Field(min_length=1)
    charges: list[Allowance] = Field(default_factory=list)
    taxes: list[Tax] = Field(default_factory=list)

    @property
    def line_total(self) -> Decimal:
        return sum((line.quantity * line.unit_price for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        """Lines + charges - allowances + tax: what TDS01 states, in cents."""
        signed = sum(
            (c.amount if c.indicator == "C" else -c.amount for c in self.charges),
            Decimal(0),
        )
        return self.line_total + signed + sum((t.amount for t in self.taxes), Decimal(0))


class AdviceReason(StrEnum):
    """Why an 846 was sent: the partner's daily schedule, or a change of the figures it was told."""

    SCHEDULE = "schedule"
    CHANGE = "change"


class StockLine(BaseModel):
    """One SKU of an 846: the quantity available to promise to the partner, in the catalog unit."""

    model_config = ConfigDict(defer_build=True)

    sku: str
    available: Decimal
    uom: str = "EA"
    buyer_part: str | None = None
    upc: str | None = None


class InventoryAdvice(BaseModel):
    """An 846: available to promise for some SKUs, as of one moment."""

    model_config = ConfigDict(defer_build=True)

    reference: str
    as_of: datetime
    reason: AdviceReason
    lines: list[StockLine]
