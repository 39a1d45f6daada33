"""SAP Business One payload (kind ``erp.sap_business_one``): a Service Layer ``Orders`` create.

The body for ``POST /b1s/v1/Orders`` (Service Layer, OData), sent in the session that ``POST
/b1s/v1/Login`` opens (``{"CompanyDB", "UserName", "Password"}``, answered with a ``B1SESSION``
cookie; delivery logs in again once when a request is answered 401). Followed: SAP's "Working with
SAP Business One Service Layer" user manual (Login/Logout, "Create an entity", the ``Orders``
sample with ``CardCode``, ``DocDueDate`` and ``DocumentLines``) and the Service Layer metadata
names of the ``Document`` and ``DocumentLine`` entities.

Mapping: ``CardCode`` partner.customer_account; ``NumAtCard`` (the customer's reference) the PO
number; ``DocDate`` the PO date; ``DocDueDate`` the requested delivery date (DTM 002/074/106, else
the requested ship date 010/037); ``DocCurrency`` the ISO currency code; ``Comments`` partner and
PO; ``AddressExtension`` {``ShipToStreet``, ``ShipToCity``, ``ShipToZipCode``, ``ShipToState``,
``ShipToCountry``}; ``DocumentLines`` [{``ItemCode`` the catalog SKU (else the vendor SKU),
``Quantity``, ``UnitPrice``}]. A value the order lacks is left out, never null. ``Quantity`` and
``UnitPrice`` are JSON numbers written with the ``Decimal``'s own digits: the Service Layer reads
them as numbers (``Edm.Double`` in its metadata), so a string would be refused, and the digits we
write are exactly the order's; what SAP then stores is its own affair.

Business One requires ``DocDueDate`` on a sales order, so an order with neither a delivery nor a
ship date is refused here (an alert) rather than by SAP after delivery.

Not confirmed, to check against a company database before production:

- ``DocCurrency`` takes SAP's currency *code*, which each company defines; that it equals the ISO
  code (``USD``) is an assumption (local-currency companies often use ``$``).
- ``AddressExtension`` on a create: the manual shows it on reads; that a create without
  ``ShipToCode`` keeps the address sent is not confirmed.
- Service Layer documents no idempotency header; the key goes as ``Idempotency-Key`` (the IETF
  httpapi draft's name) and is ignored, so a retry after a lost answer can book the order twice.
  ``NumAtCard`` is not unique in SAP.
- Changes and cancellations (``PATCH Orders(DocEntry)``, ``POST Orders(DocEntry)/Cancel``) are not
  built: they raise an alert for the desk to change the order in SAP by hand.
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
from ._erp import changes_not_sent
from ._erp import drop_none
from ._erp import first_date
from ._erp import item_number
from ._erp import json_bytes
from ._erp import require_new
from ._outbound import OutboundDocument

KIND = "erp.sap_business_one"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # none of its own documented (see above)
ENTITY_PATH = "/b1s/v1/Orders"


def emit(order: Order, partner: PartnerProfile, *, order_id: int, when: datetime) -> OutboundDocument:
    """The ``Orders`` create body for ``order``; ``order_id`` and ``when`` are not written."""
    require_new(order, "a new SAP Business One sales order")
    due = first_date(order, DELIVERY_DATES) or first_date(order, SHIP_DATES)
    if due is None:
        raise ErpPayloadError("SAP Business One needs a delivery date (DocDueDate); the order has none")
    body = drop_none(
        {
            "CardCode": partner.customer_account,
            "NumAtCard": order.po_number,
            "DocDate": order.po_date.isoformat() if order.po_date else None,
            "DocDueDate": due.isoformat(),
            "DocCurrency": order.currency,
            "Comments": f"{partner.label} PO {order.po_number}" if order.po_number else None,
            "AddressExtension": _ship_to(order.ship_to),
            "DocumentLines": [_line(line) for line in order.lines],
        }
    )
    return OutboundDocument(
        kind=KIND, partner=partner.name, content=json_bytes(body), refers_to=order.po_number
    )


# Not built (see the module docstring): each raises an alert for the desk.
emit_update, emit_cancel = changes_not_sent("SAP Business One")


def _line(line: OrderLine) -> dict[str, JsonValue]:
    return drop_none(
        {
            "ItemCode": item_number(line),
            "Quantity": line.quantity.value if line.quantity else None,
            "UnitPrice": line.unit_price,
        }
    )


def _ship_to(party: Party | None) -> dict[str, JsonValue] | None:
    address = party.address if party else None
    if address is None:
        return None
    street = ", ".join(text.strip() for text in address.lines if text.strip())
    fields = drop_none(
        {
            "ShipToStreet": street or None,
            "ShipToCity": address.city,
            "ShipToZipCode": address.postal_code,
            "ShipToState": address.region,
            "ShipToCountry": address.country,
        }
    )
    return fields or None
