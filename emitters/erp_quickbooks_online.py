"""QuickBooks Online payload (kind ``erp.quickbooks_online``): an ``estimate`` or ``salesreceipt`` create.

The Accounting API has no sales order, so an accepted order becomes an Estimate (``POST
/v3/company/{realmId}/estimate``) or a SalesReceipt (``.../salesreceipt``); which one is chosen by
the configured URL (``GATEWAY_ERP_URL`` ends in ``/estimate`` or ``/salesreceipt``), and the body is
the same for both. Authorisation is an OAuth 2.0 bearer token (``GATEWAY_ERP_TOKEN``). Followed:
Intuit Developer, Accounting API reference "Estimate" and "SalesReceipt" (create: ``CustomerRef``
and ``Line`` required; a ``SalesItemLine`` is ``{"DetailType": "SalesItemLineDetail", "Amount",
"SalesItemLineDetail": {"ItemRef", "Qty", "UnitPrice"}}``), and Intuit's "Request ID" note: the
idempotency key goes as the ``requestid`` query parameter (at most 50 characters; a repeat is
answered with the first answer and changes nothing).

Mapping: ``CustomerRef`` {value: partner.customer_account}; ``TxnDate`` the PO date;
``ShipDate`` the requested ship date (DTM 010/037, else the delivery date 002/074/106);
``CurrencyRef`` {value: ISO code}; ``PrivateNote`` partner and PO number (neither entity has a
customer-PO field); ``ShipAddr`` {``Line1``-``Line4``, ``City``, ``CountrySubDivisionCode``,
``PostalCode``, ``Country``}; ``Line`` [{``Description``, ``Amount`` = quantity × unit price,
exact, ``SalesItemLineDetail`` {``ItemRef`` {value: SKU}, ``Qty``, ``UnitPrice``}}]. ``Amount`` is
required, so a line without a quantity or a price is refused here (an alert). Amounts are JSON
numbers written with the ``Decimal``'s own digits (the reference types them "Decimal").

Not confirmed, to check against a sandbox company before production:

- ``CustomerRef`` and ``ItemRef`` take QuickBooks' own *Id* (a number QuickBooks assigns); the
  customer account and SKU are sent as those values, so the company needs customers and items whose
  Ids are mapped to them (or a field map override once routing has one).
- ``Amount`` with more than two decimals (a unit price with four): QuickBooks may round or refuse it.
- ``CurrencyRef`` is only accepted with multicurrency switched on.
- ``Line.Description`` overrides the item's sales description on the document.
- Changes and cancellations (a sparse update with ``SyncToken``, a delete) are not built: they raise
  an alert for the desk to change the document in QuickBooks by hand.
"""

from __future__ import annotations

from datetime import datetime

from gateway.errors import ErpPayloadError
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Party
from partners import PartnerProfile

from ._erp import DELIVERY_DATES
from ._erp import SHIP_DATES
from ._erp import JsonValue
from ._erp import address_lines
from ._erp import changes_not_sent
from ._erp import drop_none
from ._erp import first_date
from ._erp import item_number
from ._erp import json_bytes
from ._erp import line_amount
from ._erp import require_new
from ._outbound import OutboundDocument

KIND = "erp.quickbooks_online"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # ignored by Intuit; the key that counts is the query's
IDEMPOTENCY_QUERY = "requestid"  # Intuit's own (see above)
ENTITIES = ("estimate", "salesreceipt")  # the last path segment of the configured URL


def emit(order: Order, partner: PartnerProfile, *, order_id: int, when: datetime) -> OutboundDocument:
    """The Estimate / SalesReceipt create body for ``order``; ``order_id`` and ``when`` are not written."""
    require_new(order, "a new QuickBooks Online estimate")
    ship = first_date(order, SHIP_DATES) or first_date(order, DELIVERY_DATES)
    body = drop_none(
        {
            "CustomerRef": {"value": partner.customer_account},
            "TxnDate": order.po_date.isoformat() if order.po_date else None,
            "ShipDate": ship.isoformat() if ship else None,
            "CurrencyRef": {"value": order.currency} if order.currency else None,
            "PrivateNote": f"{partner.label} PO {order.po_number}" if order.po_number else None,
            "ShipAddr": _address(order.ship_to),
            "Line": [_line(line) for line in order.lines],
        }
    )
    return OutboundDocument(
        kind=KIND, partner=partner.name, content=json_bytes(body), refers_to=order.po_number
    )


# Not built (see the module docstring): each raises an alert for the desk.
emit_update, emit_cancel = changes_not_sent("QuickBooks Online")


def _line(line: OrderLine) -> dict[str, JsonValue]:
    amount = line_amount(line)
    if amount is None:
        raise ErpPayloadError(f"line {line.line_no} has no quantity or no price; QuickBooks needs its Amount")
    return drop_none(
        {
            "DetailType": "SalesItemLineDetail",
            "Amount": amount,
            "Description": line.description,
            "SalesItemLineDetail": {
                "ItemRef": {"value": item_number(line)},
                "Qty": line.quantity.value if line.quantity else None,
                "UnitPrice": line.unit_price,
            },
        }
    )


def _address(party: Party | None) -> dict[str, JsonValue] | None:
    if party is None:
        return None
    address = party.address
    street = address_lines(address.lines, 3) if address else []
    named = [text for text in (party.name, *street) if text]  # Line1 the receiver, as Intuit's samples
    fields = drop_none(
        {
            **{f"Line{number}": text for number, text in enumerate(named, start=1)},
            "City": address.city if address else None,
            "CountrySubDivisionCode": address.region if address else None,
            "PostalCode": address.postal_code if address else None,
            "Country": address.country if address else None,
        }
    )
    return fields or None
