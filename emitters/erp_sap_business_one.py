"""SAP Business One payload (kind ``erp.sap_business_one``): a Service Layer ``Orders`` create, change, cancel.

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

A partner's change or cancellation of an order SAP already has: the order is found by ``GET
Orders?$filter=NumAtCard eq '<PO>' and CardCode eq '<account>'`` (``$select`` DocEntry, NumAtCard,
CardCode, Cancelled; each record found must carry both exactly, and a cancelled one is never
changed), then changed by ``PATCH Orders(<DocEntry>)`` with the create's fields and header
``B1S-ReplaceCollectionsOnPatch: true``, or cancelled by ``POST Orders(<DocEntry>)/Cancel`` (no body,
answered 204). Followed: SAP's Service Layer user manual ("Update an entity": PATCH changes the
properties sent; collections such as ``DocumentLines`` are merged by ``LineNum`` and lines without one
are added, unless ``B1S-ReplaceCollectionsOnPatch`` is true, when the lines sent replace them; the
``Cancel`` and ``Close`` actions bound to documents), and the blog "Entity CRUD - Update" (PATCH 204).
A PATCH replaces the lines with the same lines on a retry, so it is never applied twice; a cancel
whose look-up finds the order already cancelled (``Cancelled`` ``tYES``: an earlier attempt's answer
was lost) is delivered without sending it again. None or several open orders found: an alert naming
the PO and the card code, never a guess.

Not confirmed for changes: ``B1S-ReplaceCollectionsOnPatch`` on the company's Service Layer version
(which version brought it is not confirmed); if ignored, the changed lines are *added* to the old ones; that ``CardCode``
may be sent unchanged in a PATCH; that ``$filter`` on ``NumAtCard`` is served (it is a plain
property, so OData allows it); ``Cancel`` refused for an order with deliveries (the error is kept,
dead letter).
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
from ._erp import change_request
from ._erp import drop_none
from ._erp import find_one
from ._erp import first_date
from ._erp import item_number
from ._erp import json_bytes
from ._erp import odata_literal
from ._erp import require_new
from ._erp import require_po
from ._outbound import OutboundDocument

KIND = "erp.sap_business_one"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # none of its own documented (see above)
ENTITY_PATH = "/b1s/v1/Orders"
REPLACE_COLLECTIONS = "B1S-ReplaceCollectionsOnPatch"  # the PATCH replaces DocumentLines


def emit(order: Order, partner: PartnerProfile, *, order_id: int, when: datetime) -> OutboundDocument:
    """The ``Orders`` create body for ``order``; ``order_id`` and ``when`` are not written."""
    require_new(order, "a new SAP Business One sales order")
    return OutboundDocument(
        kind=KIND, partner=partner.name, content=json_bytes(_body(order, partner)), refers_to=order.po_number
    )


def emit_update(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner's change: ``PATCH Orders(<DocEntry>)`` with the order as it now is, its lines replacing
    the old ones (``B1S-ReplaceCollectionsOnPatch``)."""
    body = _body(order, partner)
    return [
        change_request(
            KIND,
            partner,
            order,
            json_bytes(body),
            method="PATCH",
            path="({id})",
            find=_find(order, partner, cancel=False),
            headers={REPLACE_COLLECTIONS: "true"},
        )
    ]


def emit_cancel(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner cancelled: ``POST Orders(<DocEntry>)/Cancel``, the document's own cancel action."""
    return [
        change_request(
            KIND,
            partner,
            order,
            b"",
            method="POST",
            path="({id})/Cancel",
            find=_find(order, partner, cancel=True),
        )
    ]


def _find(order: Order, partner: PartnerProfile, *, cancel: bool) -> dict[str, JsonValue]:
    po = require_po(order, "SAP Business One")
    card = partner.customer_account
    return find_one(
        what=f"an order with NumAtCard {po!r} for CardCode {card!r}",
        params={
            "$filter": f"NumAtCard eq {odata_literal(po)} and CardCode eq {odata_literal(card)}",
            "$select": "DocEntry,NumAtCard,CardCode,Cancelled",
        },
        items="value",
        key="DocEntry",
        match={"NumAtCard": po, "CardCode": card},
        closed={"Cancelled": "tYES"},
        done_when_closed=cancel,
    )


def _body(order: Order, partner: PartnerProfile) -> dict[str, JsonValue]:
    due = first_date(order, DELIVERY_DATES) or first_date(order, SHIP_DATES)
    if due is None:
        raise ErpPayloadError("SAP Business One needs a delivery date (DocDueDate); the order has none")
    return drop_none(
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
