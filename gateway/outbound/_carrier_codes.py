"""Carrier platform codes -> X12 TD5: data only, read by ``gateway.outbound.carrier_webhooks``.

A carrier whose SCAC is known goes out as TD502 ``2`` / TD503 SCAC; any other as TD502 ``ZZ``
(mutually defined) with the platform's carrier code in TD503. Keys are lower case.
"""

from __future__ import annotations

# The carrier codes nShift and Ingrid name (lower case) -> the carrier's Standard Carrier Alpha Code.
SCAC: dict[str, str] = {
    "ups": "UPSN",
    "fedex": "FDXE",
    "fedex-ground": "FDEG",
    "usps": "USPS",
}

# TD504 for a parcel platform's shipment: U, private parcel service.
PARCEL_TRANSPORT_METHOD = "U"
