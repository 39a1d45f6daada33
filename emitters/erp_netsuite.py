"""NetSuite payloads (kind ``erp.netsuite``): a SuiteTalk REST ``salesOrder`` create, update and close.

The body for ``POST /services/rest/record/v1/salesOrder`` (REST Record API, record service v1);
a partner's change or cancellation is a ``PATCH`` of the same record by its external ID
(``/salesOrder/eid:<externalId>?replace=item``). Followed for those: Oracle NetSuite Help Center,
"Updating a Record Instance" (PATCH, 204, omitted fields unchanged), "Using External IDs" (``eid:``
anywhere an internal ID goes in the URL), "Working with Sublists" / "Replacing a Sublist"
(``?replace=item``: lines without a matching key are removed, the lines sent are added). A
cancellation closes every line (``isClosed`` on the item sublist, which is how a NetSuite sales
order is closed: the status follows its lines; seen in SuiteScript and SOAP samples, the REST
record page only lists the field).

For the create, followed: Oracle NetSuite Help Center, SuiteTalk REST Web Services: the record pages "Sales
Order" and "Purchase Order" (``{"entity": {...}, "item": {"items": [{"item": {...}, "rate":
...}]}}``), "Working with Sublists", "Format of Sublists and Subrecords", "Using External IDs"
and "Sending an Asynchronous Request Using an Idempotency Key"; field names as in the REST API
Browser's ``salesOrder`` page and its ``shippingaddress`` subrecord.

Mapping: ``entity`` {externalId: partner.customer_account}; ``externalId`` "<partner>-<order
id>" (external IDs are unique per record type, so posting the same order twice is refused
rather than booked twice); ``otherRefNum`` the PO number; ``tranDate`` the PO date;
``shipDate`` the requested ship date (DTM 010, else 037); ``currency`` {externalId: ISO code};
``memo`` partner, PO number and the requested delivery date (DTM 002/074/106, which has no
field of its own); ``shippingAddress`` {addressee, attention, addr1-3, city, state, zip,
country}; ``item.items`` [{item {externalId: SKU}, quantity, rate, description}]. Anything the
order lacks is left out (NetSuite then applies its defaults: today, the customer's currency and
address, the item's price), never sent as null. Quantities and rates are JSON numbers written
from the ``Decimal`` digits, never through a float.

Not confirmed, to check against a sandbox account before production:

- References by ``{"externalId": ...}``. "Using External IDs" says an external ID may be used
  "in the request body with the field name externalId", and the REST reference object carries
  ``id``, ``refName`` and ``externalId``, but every Oracle sample found sets a reference with
  ``{"id": ...}``. It also needs the customer, item and currency records to carry those
  external IDs (the customer account, the SKU, the ISO currency code).
- ``country`` as a plain ISO 3166 code string (it is an enumerated field).
- No unit of measure is sent: a line's ``units`` takes the internal ID of a unit-type member,
  which the gateway does not know, so quantities are read in the item's sale unit.
- The idempotency key goes in NetSuite's own header, ``X-NetSuite-Idempotency-Key`` (a UUID), as
  "Sending an Asynchronous Request Using an Idempotency Key" shows; a repeated key is answered 400
  with ``IDEMPOTENCY_ERROR``. Oracle documents the key with asynchronous requests (``Prefer:
  respond-async``); whether NetSuite also honours it on the synchronous requests sent here is not
  confirmed. The external ID keeps a retried create from booking twice either way.
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
from ._erp import drop_none
from ._erp import first_date
from ._erp import item_number
from ._erp import json_bytes
from ._erp import party_contact
from ._erp import require_new
from ._outbound import OutboundDocument

KIND = "erp.netsuite"
IDEMPOTENCY_HEADER = "X-NetSuite-Idempotency-Key"  # the vendor's own (see above)
RECORD_PATH = "/services/rest/record/v1/salesOrder"


def emit(order: Order, partner: PartnerProfile, *, order_id: int, when: datetime) -> OutboundDocument:
    """The ``salesOrder`` create body for ``order``, stored by the gateway as order ``order_id``.

    ``when`` is not written: the same order always gives the same bytes, so a retry resends
    exactly what was sent. Only an original order (or the confirmation of one) becomes a new sales order.
    """
    require_new(order, "a new NetSuite sales order")
    body = drop_none({"externalId": external_id(partner, order_id), **_fields(order, partner)})
    return OutboundDocument(
        kind=KIND, partner=partner.name, content=json_bytes(body), refers_to=order.po_number
    )


def emit_update(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The sales order as the partner's change leaves it: ``PATCH salesOrder/eid:<externalId>?replace=item``.

    The body is the create's without ``externalId``; ``replace=item`` replaces the item sublist with
    the lines sent ("Replacing a Sublist"), so a line the change removed goes.
    """
    body = _fields(order, partner)
    return [_request(order, partner, order_id, body)]


def emit_cancel(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner cancelled: every line of the sales order closed (``isClosed``), the same PATCH.

    NetSuite closes a sales order by closing its lines; the lines go as created, each closed, since
    the gateway does not know NetSuite's line keys (not confirmed: that a replaced line may arrive closed).
    """
    body: dict[str, JsonValue] = {
        "item": {"items": [{**_item(line), "isClosed": True} for line in order.lines]}
    }
    return [_request(order, partner, order_id, body)]


def external_id(partner: PartnerProfile, order_id: int) -> str:
    """The sales order's ``externalId``: the gateway's order, by partner."""
    return f"{partner.name}-{order_id}"


def _request(
    order: Order, partner: PartnerProfile, order_id: int, body: dict[str, JsonValue]
) -> OutboundDocument:
    return OutboundDocument(
        kind=KIND,
        partner=partner.name,
        content=json_bytes(body),
        refers_to=order.po_number,
        request={"method": "PATCH", "path": f"/eid:{external_id(partner, order_id)}?replace=item"},
    )


def _fields(order: Order, partner: PartnerProfile) -> dict[str, JsonValue]:
    ship_date = first_date(order, SHIP_DATES)
    return drop_none(
        {
            "entity": {"externalId": partner.customer_account},
            "otherRefNum": order.po_number,
            "tranDate": order.po_date.isoformat() if order.po_date else None,
            "shipDate": ship_date.isoformat() if ship_date else None,
            "currency": {"externalId": order.currency} if order.currency else None,
            "memo": _memo(order, partner),
            "shippingAddress": _address(order.ship_to),
            "item": {"items": [_item(line) for line in order.lines]},
        }
    )


def _item(line: OrderLine) -> dict[str, JsonValue]:
    return drop_none(
        {
            "item": {"externalId": item_number(line)},
            "quantity": line.quantity.value if line.quantity else None,
            "rate": line.unit_price,
            "description": line.description,
        }
    )


def _address(party: Party | None) -> dict[str, JsonValue] | None:
    if party is None:
        return None
    address = party.address
    street = address_lines(address.lines, 3) if address else []
    fields = drop_none(
        {
            "addressee": party.name,
            "attention": party_contact(party),
            **{f"addr{number}": text for number, text in enumerate(street, start=1)},
            "city": address.city if address else None,
            "state": address.region if address else None,
            "zip": address.postal_code if address else None,
            "country": address.country if address else None,
        }
    )
    return fields or None


def _memo(order: Order, partner: PartnerProfile) -> str:
    memo = f"{partner.label} PO {order.po_number}" if order.po_number else f"{partner.label} order"
    delivery = first_date(order, DELIVERY_DATES)
    return f"{memo}; requested delivery {delivery.isoformat()}" if delivery else memo
