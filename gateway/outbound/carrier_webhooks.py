"""nShift and Ingrid shipment webhooks read into a ``CarrierBooking``, and its carrier into a TD5.

Pure: bytes in, our model out, no I/O. A body that cannot be read is refused with
``OutboundRefused``, one problem per field, each naming its JSON pointer.

**nShift** (formerly Unifaun/Consignor, "nShift Delivery"). Confirmed from nShift's published
API pages (``api.unifaun.com/rs-extapi/v1`` ``/shipments`` and ``/stored-shipments``): a shipment
carries ``orderNo``, ``senderReference``, ``service.id`` (the carrier product), ``sender``
(``name``, ``address1``, ``zipcode``, ``city``, ``country``) and ``parcels[]``. Could **not** be
confirmed (no webhook page in the corpora we could search): the event wrapper (``event``,
``eventId``, ``shipment``), ``shipmentNo``, ``shipDate``, ``carrier.id``, ``parcels[].parcelNo``
and ``items[]``; the reader follows the documented shipment shape for the rest.

**Ingrid** (Delivery Tracking notifications by webhook). Confirmed: notifications are JSON
POSTs with configured headers (for authentication), named e.g. ``SUBMITTED_TO_CARRIER``,
``PREPARED_BY_MERCHANT``; orders are known by ``site_id`` + ``external_id`` (or ``tos_id``),
parcels by ``tracking_number`` with a ``carrier_product_ref``. Could **not** be confirmed (the
webhook specification page itself is not in the corpora): the exact body; the reader takes
``id``, ``name``, ``external_id``, ``tracking_number``, ``carrier`` (else the part of
``carrier_product_ref`` before its first ``-``) and ``occurred_at`` at the top level.

A notification that names no tracking number (the order is prepared, not yet with a carrier)
is read as ``None``: nothing ships yet.
"""

from __future__ import annotations

import json
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.errors import OutboundRefused
from gateway.model.json_path import follow
from gateway.model.outbound import BookedItem
from gateway.model.outbound import Carrier
from gateway.model.outbound import CarrierBooking
from gateway.model.outbound import Place

from ._carrier_codes import PARCEL_TRANSPORT_METHOD
from ._carrier_codes import SCAC

PLATFORMS = ("nshift", "ingrid")


def read_booking(platform: str, body: bytes) -> CarrierBooking | None:
    """The booking ``body`` reports on ``platform``; None for an event with nothing shipped yet."""
    document = _json(body)
    return _read_nshift(document) if platform == "nshift" else _read_ingrid(document)


def carrier_of(booking: CarrierBooking) -> Carrier:
    """TD5 for the booking: SCAC where the table knows the carrier, else its code under ZZ; the service as routing."""
    scac = SCAC.get(booking.carrier.lower())
    return Carrier(
        scac=scac,
        code=None if scac else booking.carrier.upper(),
        transport_method=PARCEL_TRANSPORT_METHOD,
        routing=booking.service,
    )


def _json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OutboundRefused([f"the body is not JSON: {exc}"]) from exc
    if not isinstance(document, dict):
        raise OutboundRefused(["the body is not a JSON object"])
    return document


class _Reader:
    """Reads fields by JSON pointer, noting each one's provenance and every problem."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.problems: list[str] = []
        self.provenance: dict[str, str] = {}

    def get(self, pointer: str) -> Any:
        return follow(self.document, pointer.strip("/").split("/"))

    def text(self, field: str, *pointers: str, required: bool = True) -> str | None:
        """The first non-empty string (or integer) at ``pointers``, noted as ``field``'s source."""
        for pointer in pointers:
            value = self.get(pointer)
            if isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip():
                self.provenance[field] = pointer
                return str(value).strip()
        if required:
            self.problems.append(f"{' or '.join(pointers)}: missing (the {field.replace('_', ' ')})")
        return None

    def day(self, field: str, pointer: str) -> date | None:
        value = self.get(pointer)
        if value is None:
            return None
        try:
            found = (
                datetime.fromisoformat(str(value)).date() if "T" in str(value) else date.fromisoformat(value)
            )
        except (TypeError, ValueError):
            self.problems.append(f"{pointer}: {value!r} is not a date")
            return None
        self.provenance[field] = pointer
        return found

    def quantity(self, pointer: str) -> Decimal | None:
        value = self.get(pointer)
        if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
            self.problems.append(f"{pointer}: a quantity is a number or a decimal string, got {value!r}")
            return None
        try:
            found = Decimal(str(value).strip())
        except ArithmeticError:
            self.problems.append(f"{pointer}: {value!r} is not a number")
            return None
        if not found.is_finite() or found <= 0:
            self.problems.append(f"{pointer}: a shipped quantity is above zero, got {value!r}")
            return None
        return found

    def finish(self, **fields: Any) -> CarrierBooking:
        if self.problems:
            raise OutboundRefused(self.problems)
        return CarrierBooking(provenance=self.provenance, **fields)


def _read_nshift(document: dict[str, Any]) -> CarrierBooking | None:
    read = _Reader(document)
    base = "/shipment" if isinstance(document.get("shipment"), dict) else ""
    parcels = read.get(f"{base}/parcels")
    parcels = parcels if isinstance(parcels, list) else []
    tracking = [
        number
        for number in [
            read.text("tracking_number", f"{base}/shipmentNo", required=False),
            *(
                read.text(f"parcel_{n}", f"{base}/parcels/{n}/parcelNo", required=False)
                for n in range(len(parcels))
            ),
        ]
        if number is not None
    ]
    if not tracking:
        return None
    tracking = list(dict.fromkeys(tracking))
    event_id = read.text("event_id", "/eventId", f"{base}/id")
    reference = read.text("order_reference", f"{base}/orderNo", f"{base}/senderReference")
    carrier = read.text("carrier", f"{base}/carrier/id", f"{base}/service/carrierId")
    service = read.text("service", f"{base}/service/id", required=False)
    weights = [read.get(f"{base}/parcels/{n}/weight") for n in range(len(parcels))]
    weight = sum(
        (Decimal(w) for w in weights if isinstance(w, int | Decimal) and not isinstance(w, bool)), Decimal(0)
    )
    return read.finish(
        platform="nshift",
        event_id=event_id,
        order_reference=reference,
        carrier=carrier,
        service=service,
        tracking_numbers=tracking,
        ship_date=read.day("ship_date", f"{base}/shipDate"),
        sender=_sender(read, f"{base}/sender"),
        weight=weight or None,
        items=_items(read, f"{base}/items", line_key="lineNo"),
    )


def _read_ingrid(document: dict[str, Any]) -> CarrierBooking | None:
    read = _Reader(document)
    tracking = read.text("tracking_number", "/tracking_number", required=False)
    if tracking is None:
        return None
    product = read.text("service", "/carrier_product_ref", required=False)
    carrier = read.text("carrier", "/carrier", required=False)
    if carrier is None and product:
        carrier = product.split("-", 1)[0]
        read.provenance["carrier"] = "/carrier_product_ref"
    if carrier is None:
        read.problems.append("/carrier or /carrier_product_ref: missing (the carrier)")
    return read.finish(
        platform="ingrid",
        event_id=read.text("event_id", "/id"),
        order_reference=read.text("order_reference", "/external_id", "/tos_id"),
        carrier=carrier,
        service=product,
        tracking_numbers=[tracking],
        ship_date=read.day("ship_date", "/occurred_at"),
        items=_items(read, "/items", line_key="line_no"),
    )


def _sender(read: _Reader, pointer: str) -> Place | None:
    name = read.text("sender", f"{pointer}/name", required=False)
    if name is None:
        return None
    lines = [read.get(f"{pointer}/address{n}") for n in (1, 2)]
    return Place(
        role="SF",
        name=name,
        address=[str(line) for line in lines if line],
        city=_optional(read.get(f"{pointer}/city")),
        state=_optional(read.get(f"{pointer}/state")),
        postal_code=_optional(read.get(f"{pointer}/zipcode")),
        country=_optional(read.get(f"{pointer}/country")),
    )


def _optional(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _items(read: _Reader, pointer: str, *, line_key: str) -> list[BookedItem]:
    found = read.get(pointer)
    if found is None:
        return []
    if not isinstance(found, list):
        read.problems.append(f"{pointer}: a list of items is expected")
        return []
    items: list[BookedItem] = []
    for n in range(len(found)):
        line_no = read.text(f"items_{n}_line", f"{pointer}/{n}/{line_key}", required=False)
        sku = read.text(f"items_{n}_sku", f"{pointer}/{n}/sku", required=False)
        quantity = read.quantity(f"{pointer}/{n}/quantity")
        if line_no is None and sku is None:
            read.problems.append(f"{pointer}/{n}: an item names its {line_key} or its sku")
            continue
        if quantity is not None:
            read.provenance[f"items_{n}_quantity"] = f"{pointer}/{n}/quantity"
            items.append(BookedItem(line_no=line_no, sku=sku, quantity=quantity))
    return items
