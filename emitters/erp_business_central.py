"""Business Central payload (kind ``erp.business_central``): a ``salesOrders`` create with its lines.

The body for ``POST {businesscentralPrefix}/api/v2.0/companies({id})/salesOrders``, Business
Central API v2.0. Followed: Microsoft Learn, "API (v2.0) for Dynamics 365 Business Central":
"salesOrder resource type", "salesOrderLine resource type", "Create salesOrders" and "Create
salesOrderLines". The lines go in the same request as a deep insert (a ``salesOrderLines``
array in the order body), as Microsoft Learn's "Work with API limits" module recommends for
creating a sales order with its lines in one call.

Mapping: ``externalDocumentNumber`` the PO number; ``orderDate`` the PO date;
``customerNumber`` partner.customer_account; ``currencyCode`` the order's ISO code (the API
takes the company's local currency code too); ``requestedDeliveryDate`` DTM 002, else 074, else
106; ``shipToName``, ``shipToContact``, ``shipToAddressLine1``/``2`` (more street lines are
comma-joined into line 2), ``shipToCity``, ``shipToState``, ``shipToPostCode``,
``shipToCountry``; lines: ``lineType`` "Item", ``lineObjectNumber`` the catalog SKU (else the
vendor SKU), ``description``, ``quantity``, ``unitPrice``, ``unitOfMeasureCode`` the PO's unit
code as sent (EA, CA, ...). A value the order lacks is left out, so Business Central applies
its default (work date, the customer's ship-to, the item's price) instead of refusing a null.
``quantity`` and ``unitPrice`` are OData decimals: JSON numbers written from the ``Decimal``
digits, never through a float.

A partner's change or cancellation: the order is found by ``GET salesOrders?$filter=
externalDocumentNumber eq '<PO>' and customerNumber eq '<account>'``, then deleted (``DELETE
salesOrders({id})`` with the found ``@odata.etag`` as ``If-Match``); a change then creates it again.
Followed: "salesOrder resource type" (methods GET, POST, PATCH, DELETE; the one bound action is
shipAndInvoice, so there is no cancel), "Delete salesOrders" (If-Match required, 204), "Update
salesOrders" (PATCH of header fields, If-Match required), "Update salesOrderLines" (one line per
request, by a line id). Not confirmed: the ``$filter`` on ``externalDocumentNumber`` (standard
OData, no v2.0 page shows it on salesOrders); that deleting an order already shipped or invoiced is
refused (the gateway holds such a change for the desk anyway).

Not confirmed: the deep insert against a live tenant (the v2.0 reference pages show header and
lines created in separate requests); that the items carry the partners' X12 unit codes as item
units of measure (otherwise a code mapping is needed); field lengths (e.g. ``shipToCity`` 30
characters) are not enforced here. Business Central API v2.0 documents no idempotency header (its
concurrency control is the ETag in ``If-Match``), so the key is sent as ``Idempotency-Key`` (the
IETF httpapi draft's name), which it ignores; a retried create is kept from booking twice only by
delivery's own bookkeeping.
"""

from __future__ import annotations

from datetime import datetime

from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Party
from partners import PartnerProfile

from ._erp import DELIVERY_DATES
from ._erp import JsonValue
from ._erp import address_lines
from ._erp import change_request
from ._erp import drop_none
from ._erp import find_one
from ._erp import first_date
from ._erp import item_number
from ._erp import json_bytes
from ._erp import odata_literal
from ._erp import party_contact
from ._erp import require_new
from ._erp import require_po
from ._outbound import OutboundDocument

KIND = "erp.business_central"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # none of its own documented (see above)
ENTITY_SET_PATH = "/api/v2.0/companies({company_id})/salesOrders"


def emit(order: Order, partner: PartnerProfile, *, order_id: int, when: datetime) -> OutboundDocument:
    """The ``salesOrders`` create body for ``order``, with ``salesOrderLines`` inserted in the same request.

    ``order_id`` and ``when`` are not written: Business Central has no field for a foreign key,
    and the same order always gives the same bytes. Only an original order becomes a new sales
    order.
    """
    require_new(order, "a new Business Central sales order")
    delivery = first_date(order, DELIVERY_DATES)
    body = drop_none(
        {
            "externalDocumentNumber": order.po_number,
            "orderDate": order.po_date.isoformat() if order.po_date else None,
            "customerNumber": partner.customer_account,
            "currencyCode": order.currency,
            "requestedDeliveryDate": delivery.isoformat() if delivery else None,
            **_ship_to(order.ship_to),
            "salesOrderLines": [_line(line) for line in order.lines],
        }
    )
    return OutboundDocument(
        kind=KIND, partner=partner.name, content=json_bytes(body), refers_to=order.po_number
    )


def emit_update(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner's change: the sales order deleted, then created again as it now is.

    API v2.0 creates lines with their order (deep insert) but changes them one request per line,
    by a line id the gateway does not have; the two documented calls replace the order whole. Its
    number in Business Central changes; ``externalDocumentNumber`` (the PO) stays.
    """
    return [
        *emit_cancel(order, partner, order_id=order_id, when=when),
        emit(order, partner, order_id=order_id, when=when),
    ]


def emit_cancel(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner cancelled: ``DELETE salesOrders({id})`` ("Delete salesOrders"; an open sales order
    has no cancelled state in API v2.0). The id and the ``If-Match`` ETag come from a look-up of the
    customer's order with this PO number (``$filter`` on ``externalDocumentNumber`` and ``customerNumber``)."""
    po = require_po(order, "Business Central")
    account = partner.customer_account
    find = find_one(
        what=f"a sales order with externalDocumentNumber {po!r} for customerNumber {account!r}",
        params={
            "$filter": f"externalDocumentNumber eq {odata_literal(po)}"
            f" and customerNumber eq {odata_literal(account)}"
        },
        items="value",
        key="id",
        match={"externalDocumentNumber": po, "customerNumber": account},
        if_match="@odata.etag",
    )
    return [change_request(KIND, partner, order, b"", method="DELETE", path="({id})", find=find)]


def _line(line: OrderLine) -> dict[str, JsonValue]:
    return drop_none(
        {
            "lineType": "Item",
            "lineObjectNumber": item_number(line),
            "description": line.description,
            "quantity": line.quantity.value if line.quantity else None,
            "unitPrice": line.unit_price,
            "unitOfMeasureCode": line.quantity.uom if line.quantity else None,
        }
    )


def _ship_to(party: Party | None) -> dict[str, JsonValue]:
    if party is None:
        return {}
    address = party.address
    street = address_lines(address.lines, 2) if address else []
    return {
        "shipToName": party.name,
        "shipToContact": party_contact(party),
        **{f"shipToAddressLine{number}": text for number, text in enumerate(street, start=1)},
        "shipToCity": address.city if address else None,
        "shipToState": address.region if address else None,
        "shipToPostCode": address.postal_code if address else None,
        "shipToCountry": address.country if address else None,
    }
