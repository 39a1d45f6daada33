"""nShift and Ingrid bookings read into TD5 and REF*CN: the mapping table, and pyx12's 856 maps (004010, 005010)."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal

import pytest

from emitters import x12_856
from gateway.errors import OutboundRefused
from gateway.model.outbound import Carrier
from gateway.model.outbound import CarrierBooking
from gateway.model.outbound import Pack
from gateway.model.outbound import Place
from gateway.model.outbound import ShipmentRecord
from gateway.model.outbound import ShippedItem
from gateway.model.outbound import ShippedOrder
from gateway.outbound.carrier_shipments import shipment_id_of
from gateway.outbound.carrier_webhooks import carrier_of
from gateway.outbound.carrier_webhooks import read_booking
from parsers.x12 import MAP_DIR
from partners import PartnerProfile
from tests.conftest import ROOT
from tests.x12.test_acks import Counter
from tests.x12.test_acks import pyx12_check

SHIPMENTS = ROOT / "fixtures" / "carrier_webhooks"
WHEN = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _booking(name: str) -> CarrierBooking:
    platform = name.split("_", 1)[0]
    booking = read_booking(platform, (SHIPMENTS / f"{name}.json").read_bytes())
    assert booking is not None
    return booking


def test_nshift_fields_come_from_their_pointers() -> None:
    booking = _booking("nshift_printed")
    assert booking.order_reference == "4500012345" and booking.event_id == "nshift-evt-0001"
    assert booking.tracking_numbers == ["1Z999AA10123456784", "1Z999AA10123456793"]
    assert booking.weight == Decimal("84.5") and isinstance(booking.weight, Decimal)
    assert booking.ship_date == date(2026, 11, 24) and booking.sender is not None
    assert booking.provenance["tracking_number"] == "/shipment/shipmentNo"
    assert booking.provenance["carrier"] == "/shipment/carrier/id"
    assert booking.provenance["parcel_1"] == "/shipment/parcels/1/parcelNo"


def test_ingrid_fields_come_from_their_pointers() -> None:
    booking = _booking("ingrid_submitted")
    assert (booking.order_reference, booking.carrier, booking.service) == (
        "4500012345",
        "fedex",
        "fedex-international-priority",
    )
    assert booking.tracking_numbers == ["794698660251"] and booking.provenance["event_id"] == "/id"
    assert read_booking("ingrid", (SHIPMENTS / "ingrid_prepared.json").read_bytes()) is None


@pytest.mark.parametrize(
    ("carrier", "service", "expected"),
    [
        ("UPS", "UPS Standard", Carrier(scac="UPSN", transport_method="U", routing="UPS Standard")),
        ("fedex", None, Carrier(scac="FDXE", transport_method="U")),
        ("PNL", "PUAG", Carrier(code="PNL", transport_method="U", routing="PUAG")),
        ("bring", "bring-home", Carrier(code="BRING", transport_method="U", routing="bring-home")),
    ],
)
def test_a_known_carrier_is_its_scac_and_any_other_its_own_code(
    carrier: str, service: str | None, expected: Carrier
) -> None:
    booking = CarrierBooking(
        platform="ingrid",
        event_id="e",
        order_reference="1",
        carrier=carrier,
        service=service,
        tracking_numbers=["T1"],
    )
    assert carrier_of(booking) == expected


def test_a_long_tracking_number_becomes_a_stable_shipment_id() -> None:
    long = CarrierBooking(
        platform="ingrid", event_id="e", order_reference="1", carrier="x", tracking_numbers=["9" * 40]
    )
    assert len(shipment_id_of(long)) == 30 and shipment_id_of(long) == shipment_id_of(long.model_copy())


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"shipment": {"shipmentNo": "X1", "orderNo": "1", "carrier": {"id": "UPS"}}}'],
)
def test_a_body_that_cannot_be_read_is_refused(body: bytes) -> None:
    with pytest.raises(OutboundRefused) as caught:
        read_booking("nshift", body)
    assert caught.value.problems


def test_an_item_quantity_is_never_a_float() -> None:
    body = (
        b'{"eventId": "e", "shipment": {"shipmentNo": "X1", "orderNo": "1", "carrier": {"id": "UPS"},'
        b' "items": [{"lineNo": "1", "quantity": 2.5}, {"lineNo": "2", "quantity": -1}, {"quantity": "1"}]}}'
    )
    with pytest.raises(OutboundRefused) as caught:
        read_booking("nshift", body)
    problems = caught.value.problems
    assert any("/shipment/items/1/quantity" in p for p in problems) and any(
        "/shipment/items/2" in p for p in problems
    )
    good = read_booking("nshift", body.replace(b', {"lineNo": "2", "quantity": -1}, {"quantity": "1"}', b""))
    assert good is not None and good.items[0].quantity == Decimal("2.5")


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("name", ["nshift_printed", "nshift_partial", "ingrid_submitted"])
def test_the_856_with_td5_and_ref_cn_passes_pyx12(acme: PartnerProfile, version: str, name: str) -> None:
    partner = acme.model_copy(update={"version": version})
    booking = _booking(name)
    record = ShipmentRecord(
        shipment_id=shipment_id_of(booking),
        partner=partner.name,
        ship_date=booking.ship_date or WHEN.date(),
        carrier=carrier_of(booking),
        tracking_number=booking.tracking_numbers[0],
        ship_from=booking.sender or Place(role="SF", name="NORTHWINDDIST"),
        orders=[
            ShippedOrder(
                po_number=booking.order_reference,
                packs=[
                    Pack(
                        sscc="106141411234567897",
                        items=[ShippedItem(line_no="1", quantity=Decimal(24), sku="NW-10042")],
                    )
                ],
            )
        ],
    )
    document = x12_856.emit(record, partner, structure="SOPI", numbers=Counter(), when=WHEN)
    assert pyx12_check(document.content, MAP_DIR) == (True, [])
    segments = [s.split("*") for s in document.content.decode("ascii").replace("\n", "").split("~") if s]
    td5 = next(s for s in segments if s[0] == "TD5")
    carrier = record.carrier
    assert td5[2:4] == (["2", carrier.scac] if carrier.scac else ["ZZ", carrier.code])
    assert td5[4] == "U" and (len(td5) < 6 or td5[5] == booking.service)
    assert ["REF", "CN", booking.tracking_numbers[0]] in segments
