"""The partner profile schema: one TOML file per trading partner."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import field_validator
from pydantic import model_validator

from validators import PriceTolerance
from validators import ValidationPolicy

from ._channel import ChannelLink
from ._erp import ErpRouting
from ._transports import As2Link
from ._transports import Delivery
from ._transports import DropInbox
from ._transports import SftpPull
from ._transports import SftpPush

X12Version = Literal["004010", "005010"]
AckKind = Literal["997", "999", "855", "865"]  # 865: an 860 PO change is answered by an 865
PdfField = Literal["po_number", "po_date", "terms"]
DEFAULT_MAX_SEGMENT_BYTES = 65536
SheetField = Literal[
    "line_no", "vendor_sku", "buyer_part", "upc", "description", "quantity", "uom", "unit_price", "amount"
]


class X12Identity(BaseModel):
    """An ISA qualifier and id, plus the GS application id that goes with them."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    qualifier: str = Field(min_length=2, max_length=2)
    id: str = Field(min_length=1, max_length=15)
    gs_id: str | None = Field(default=None, min_length=2, max_length=15)

    @property
    def application_id(self) -> str:
        return self.gs_id or self.id


class OutboundSeparators(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    element: str = Field(default="*", min_length=1, max_length=1)
    component: str = Field(default=">", min_length=1, max_length=1)
    repetition: str = Field(default="^", min_length=1, max_length=1)
    segment: str = Field(default="~", min_length=1, max_length=1)
    line_break: bool = True

    @model_validator(mode="after")
    def _distinct(self) -> OutboundSeparators:
        chars = [self.element, self.component, self.repetition, self.segment]
        if len(set(chars)) != len(chars):
            raise ValueError(f"separators must all differ, got {chars}")
        if any(c.isalnum() or c == " " for c in chars):
            raise ValueError("a separator cannot be a letter, digit or space")
        return self


class InvoicePolicy(BaseModel):
    """The ``[invoicing]`` table: how far an 810's unit price may stray from the accepted order's.

    ``price_tolerance`` (default none: the price must be the accepted one) bounds the
    difference either way; beyond it, ``price_mismatch = "refuse"`` (default) refuses the
    invoice with the reasons, and ``"hold"`` records it with its 810 held in the outbox and an
    alert, until it is released (``gateway invoice --release``) or corrected under its number.
    """

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    price_tolerance: PriceTolerance = Field(default_factory=PriceTolerance)
    price_mismatch: Literal["refuse", "hold"] = "refuse"


class StockSettings(BaseModel):
    """The ``[stock]`` table: the safety stock held back from this partner or channel.

    ``safety`` is one number for every SKU (``safety = 5``) or a table by SKU
    (``safety = {"WID-1" = 5, "*" = 2}``; ``"*"`` is every SKU the table does not name).
    Default 0. Available to promise to this partner is on hand − allocated − safety, never below 0.
    """

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    safety: Decimal | dict[str, Decimal] = Decimal(0)

    @field_validator("safety")
    @classmethod
    def _not_negative(cls, value: Decimal | dict[str, Decimal]) -> Decimal | dict[str, Decimal]:
        amounts = value.values() if isinstance(value, dict) else [value]
        if any(amount < 0 for amount in amounts):
            raise ValueError("safety stock cannot be negative")
        return value

    def safety_for(self, sku: str) -> Decimal:
        """The safety stock of ``sku`` for this partner."""
        if isinstance(self.safety, dict):
            return self.safety.get(sku, self.safety.get("*", Decimal(0)))
        return self.safety


_DAILY = re.compile(r"^daily ([01][0-9]|2[0-3]):([0-5][0-9])$")


class InventoryAdviceSettings(BaseModel):
    """The ``inventory_advice`` key: when this partner gets an 846 with our available-to-promise.

    ``schedule`` (``"daily HH:MM"``, the gateway's clock, UTC) sends every SKU the partner buys;
    ``on_change`` sends the SKUs whose figure changed since the last 846, at most one every
    ``debounce_minutes``.
    """

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    schedule: str | None = None
    on_change: bool = False
    debounce_minutes: float = Field(default=15, gt=0)

    @field_validator("schedule")
    @classmethod
    def _daily(cls, value: str | None) -> str | None:
        if value is not None and not _DAILY.match(value):
            raise ValueError(f'schedule must be "daily HH:MM" (24-hour), got {value!r}')
        return value

    @property
    def daily_at(self) -> tuple[int, int] | None:
        """(hour, minute) of the daily 846, or None."""
        found = _DAILY.match(self.schedule or "")
        return (int(found.group(1)), int(found.group(2))) if found else None


class PartnerProfile(BaseModel):
    """How one trading partner reaches us and what it expects back."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    display_name: str | None = None
    customer_account: str
    isa: X12Identity | None = None  # required unless the profile is a [channel]
    us: X12Identity | None = None
    channel: ChannelLink | None = None
    version: X12Version = "004010"
    separators: OutboundSeparators = Field(default_factory=OutboundSeparators)
    acks: list[AckKind] = Field(default_factory=lambda: list[AckKind](["997"]))
    ta1: Literal["on_request", "always", "never"] = "on_request"
    usage: Literal["P", "T"] = "P"
    narrow: dict[str, list[str]] = Field(default_factory=dict)
    max_segment_bytes: int = Field(
        default=DEFAULT_MAX_SEGMENT_BYTES,
        ge=1024,
        le=16 << 20,
        description="a longer X12 segment is a syntax error; measured in characters as decoded, "
        "which for X12's single-byte character sets are bytes",
    )
    email_senders: list[str] = Field(default_factory=list)
    confirm_touchless: bool = Field(
        default=False,
        description="an emailed, PDF or sheet order the gateway accepts with no clerk is confirmed to the "
        "customer by email at once (SMTP, GATEWAY_SMTP_*); off: only orders the desk decides get a reply",
    )
    sheet_columns: dict[str, SheetField] = Field(default_factory=dict)
    pdf_anchors: dict[PdfField, str] = Field(default_factory=dict)
    validation: ValidationPolicy = Field(default_factory=ValidationPolicy)
    invoicing: InvoicePolicy = Field(default_factory=InvoicePolicy)
    ack_window_hours: float = Field(default=24, gt=0, description="a 997/999 for what we send is due within")
    asn_structure: Literal["SOPI", "SOI"] = "SOPI"
    gs1_company_prefix: str | None = Field(default=None, pattern=r"^[0-9]{6,12}$")
    sftp_pull: SftpPull | None = None
    sftp_push: SftpPush | None = None
    drop: DropInbox | None = None
    as2: As2Link | None = None
    delivery: Delivery | None = None
    stock: StockSettings = Field(default_factory=StockSettings)
    inventory_advice: InventoryAdviceSettings | None = None
    erp: ErpRouting | None = None  # None: the orders go to the default ERP (GATEWAY_ERP_*), if any

    @model_validator(mode="before")
    @classmethod
    def _channel_defaults(cls, data: object) -> object:
        """A channel's orders are prepaid: its credit rules are off unless ``[validation] credit`` says so."""
        if isinstance(data, dict) and isinstance(data.get("channel"), dict | ChannelLink):
            validation = data.get("validation")
            if validation is None:
                return {**data, "validation": {"credit": False}}
            if isinstance(validation, dict) and "credit" not in validation:
                return {**data, "validation": {**validation, "credit": False}}
            if isinstance(validation, ValidationPolicy) and "credit" not in validation.model_fields_set:
                return {**data, "validation": validation.model_copy(update={"credit": False})}
        return data

    @model_validator(mode="after")
    def _identities(self) -> PartnerProfile:
        """An EDI partner needs its ISA identities; a channel trades no X12 and needs none."""
        if self.channel is None:
            missing = [name for name in ("isa", "us") if getattr(self, name) is None]
            if missing:
                raise ValueError(
                    f"{' and '.join(missing)} required: an EDI partner needs its ISA identities "
                    "(only a [channel] profile trades without them)"
                )
        return self

    @model_validator(mode="after")
    def _delivery_route(self) -> PartnerProfile:
        if self.delivery and self.delivery.via == "sftp" and self.sftp_push is None:
            raise ValueError("delivery via sftp needs an [sftp_push] table")
        if self.delivery and self.delivery.via == "as2" and (self.as2 is None or not self.as2.url):
            raise ValueError("delivery via as2 needs an [as2] table with a url")
        return self

    @field_validator("narrow")
    @classmethod
    def _narrow_keys(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for key in value:
            if not (len(key) >= 4 and key[:-2].isalnum() and key[-2:].isdigit()):
                raise ValueError(f"narrow key {key!r} must be a segment id plus element number, e.g. BEG02")
        return value

    @property
    def functional_ack(self) -> Literal["997", "999"] | None:
        for kind in self.acks:
            if kind in ("997", "999"):
                return kind
        return None

    @property
    def wants_855(self) -> bool:
        return "855" in self.acks

    @property
    def label(self) -> str:
        return self.display_name or self.name
