"""Fortnox payload (kind ``erp.fortnox``): an ``orders`` create, change and cancel.

The body for ``POST https://api.fortnox.se/3/orders``, ``{"Order": {...}}``, sent with an OAuth 2.0
bearer token (``GATEWAY_ERP_TOKEN``). Followed: Fortnox Developer, API reference "Orders" (create:
``CustomerNumber`` required, ``OrderRows`` [{``ArticleNumber``, ``OrderedQuantity``, ``Price``,
``Description``}]) and "Errors" (an error is ``{"ErrorInformation": {"error", "message", "code"}}``).

Mapping: ``CustomerNumber`` partner.customer_account; ``YourOrderNumber`` the PO number;
``OrderDate`` the PO date; ``DeliveryDate`` the requested delivery date (DTM 002/074/106, else the
ship date 010/037); ``Currency`` the ISO code; ``DeliveryName``, ``DeliveryAddress1``/``2`` (more
street lines are comma-joined into 2), ``DeliveryZipCode``, ``DeliveryCity``; ``Remarks`` partner
and PO; ``OrderRows`` [{``ArticleNumber`` the catalog SKU (else the vendor SKU), ``Description``,
``OrderedQuantity``, ``Price``}]. A value the order lacks is left out, never null.

Money and quantities: ``Price`` is a JSON number written with the ``Decimal``'s own digits (the
reference types it a number). ``OrderedQuantity`` is written as a *string* holding the exact
decimal ("24"), as Fortnox itself returns it and as its reference types it ("string"); either way
no float is involved on our side.

Not confirmed, to check against a sandbox before production:

- ``OrderedQuantity`` accepted as a string on create (Fortnox answers with strings; the reference's
  create example is not unambiguous).
- The delivery country is not sent: ``DeliveryCountry`` takes the country's *name* in Fortnox'
  language, not an ISO code.
- No unit is sent (``Unit`` takes Fortnox' unit codes, not X12's EA/CA).
- Fortnox documents no idempotency key; ``Idempotency-Key`` is sent and ignored, so a retry after a
  lost answer can book the order twice (``YourOrderNumber`` is not unique in Fortnox).

A partner's change or cancellation of an order Fortnox already has: the order is found by ``GET
/3/orders?yourordernumber=<PO>`` (Fortnox' searches are LIKE matches, so only an order whose
``YourOrderNumber`` and ``CustomerNumber`` are exactly the PO and the customer counts, and a
``Cancelled`` one is never changed), then changed by ``PUT /3/orders/<DocumentNumber>`` with the
create's body (``OrderRows`` sent replace every row, so a retry leaves the same rows), or cancelled by
``PUT /3/orders/<DocumentNumber>/cancel`` (no body). A cancel whose look-up finds the order already
cancelled (an earlier answer lost) is delivered without sending it again. None or several open
orders found: an alert naming the PO and the customer. Followed: Fortnox Developer, "Orders"
(update, the ``cancel`` action, the list's fields) and "Parameters" (search by a lower-case field
name as a query parameter, a LIKE).

Not confirmed for changes: that ``yourordernumber`` is among the order list's searchable fields, and
that the list carries ``YourOrderNumber`` (else the look-up finds none and the desk is told); that a
``PUT`` may carry ``CustomerNumber`` unchanged; the list's paging (100 a page; more orders with one
PO number are not expected).
"""

from __future__ import annotations

from datetime import datetime

from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Party
from partners import PartnerProfile

from ._erp import DELIVERY_DATES
from ._erp import SHIP_DATES
from ._erp import JsonValue
from ._erp import address_lines
from ._erp import change_request
from ._erp import decimal_text
from ._erp import drop_none
from ._erp import find_one
from ._erp import first_date
from ._erp import item_number
from ._erp import json_bytes
from ._erp import require_new
from ._erp import require_po
from ._outbound import OutboundDocument

KIND = "erp.fortnox"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # none of its own documented (see above)
RESOURCE_PATH = "/3/orders"


def emit(order: Order, partner: PartnerProfile, *, order_id: int, when: datetime) -> OutboundDocument:
    """The ``{"Order": ...}`` create body for ``order``; ``order_id`` and ``when`` are not written."""
    require_new(order, "a new Fortnox order")
    return OutboundDocument(
        kind=KIND, partner=partner.name, content=json_bytes(_body(order, partner)), refers_to=order.po_number
    )


def emit_update(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner's change: ``PUT /3/orders/<DocumentNumber>`` with the order as it now is."""
    content = json_bytes(_body(order, partner))
    return [
        change_request(KIND, partner, order, content, method="PUT", path="/{id}", find=_find(order, partner))
    ]


def emit_cancel(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner cancelled: ``PUT /3/orders/<DocumentNumber>/cancel``."""
    find = _find(order, partner, cancel=True)
    return [change_request(KIND, partner, order, b"", method="PUT", path="/{id}/cancel", find=find)]


def _find(order: Order, partner: PartnerProfile, *, cancel: bool = False) -> dict[str, JsonValue]:
    po = require_po(order, "Fortnox")
    return find_one(
        what=f"an order with YourOrderNumber {po!r} for customer {partner.customer_account!r}",
        params={"yourordernumber": po},
        items="Orders",
        key="DocumentNumber",
        match={"YourOrderNumber": po, "CustomerNumber": partner.customer_account},
        closed={"Cancelled": True},
        done_when_closed=cancel,
    )


def _body(order: Order, partner: PartnerProfile) -> dict[str, JsonValue]:
    delivery = first_date(order, DELIVERY_DATES) or first_date(order, SHIP_DATES)
    return {
        "Order": drop_none(
            {
                "CustomerNumber": partner.customer_account,
                "YourOrderNumber": order.po_number,
                "OrderDate": order.po_date.isoformat() if order.po_date else None,
                "DeliveryDate": delivery.isoformat() if delivery else None,
                "Currency": order.currency,
                **_delivery_address(order.ship_to),
                "Remarks": f"{partner.label} PO {order.po_number}" if order.po_number else None,
                "OrderRows": [_row(line) for line in order.lines],
            }
        )
    }


def _row(line: OrderLine) -> dict[str, JsonValue]:
    return drop_none(
        {
            "ArticleNumber": item_number(line),
            "Description": line.description,
            "OrderedQuantity": decimal_text(line.quantity.value) if line.quantity else None,
            "Price": line.unit_price,
        }
    )


def _delivery_address(party: Party | None) -> dict[str, JsonValue]:
    if party is None:
        return {}
    address = party.address
    street = address_lines(address.lines, 2) if address else []
    return {
        "DeliveryName": party.name,
        **{f"DeliveryAddress{number}": text for number, text in enumerate(street, start=1)},
        "DeliveryZipCode": address.postal_code if address else None,
        "DeliveryCity": address.city if address else None,
    }
