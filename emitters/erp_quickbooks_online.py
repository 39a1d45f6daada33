"""QuickBooks Online payload (kind ``erp.quickbooks_online``): an ``estimate`` / ``salesreceipt``, updated, deleted.

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

A partner's change or cancellation of a document QuickBooks already has: it is found with the query
endpoint beside the configured URL (``GET .../query?query=select * from Estimate where CustomerRef =
'<account>' and TxnDate = '<PO date>'``; ``SalesReceipt`` when the URL ends in ``salesreceipt``),
keeping the one whose ``PrivateNote`` is exactly the one the create wrote (``PrivateNote`` cannot be
queried; ``CustomerRef``, ``TxnDate`` and ``Id`` can). A change is then a sparse update (``POST`` to the
configured URL, ``{"Id", "SyncToken", "sparse": true, ...}`` with the create's fields, whose ``Line``
array replaces every line); a cancel deletes the estimate (``?operation=delete``, ``{"Id",
"SyncToken"}``) or voids the sales receipt (``?operation=void``). ``Id`` and ``SyncToken`` come from
the query's record when the request is sent (``gateway.outbound.erp_http``), so each retry carries the
current ``SyncToken``; the ``requestid`` makes a repeat after a lost answer change nothing. None or
several documents found: an alert naming the PO note and the customer. Followed: Intuit Accounting
API "Estimate" / "SalesReceipt" (full and sparse update, delete, void), "Data queries" (the query
language and which fields are filterable).

Not confirmed for changes: that a repeated ``requestid`` on an update answers as the first did
(Intuit documents it for every write); the void body (``Id`` and ``SyncToken``, as for the delete);
query paging (at most 1000 records; a customer with more estimates on one PO date is not expected).
A change of the PO date itself is not found (the query asks for the date the order now has): it
becomes the same alert as none found.
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
from ._erp import change_request
from ._erp import drop_none
from ._erp import find_one
from ._erp import first_date
from ._erp import item_number
from ._erp import json_bytes
from ._erp import line_amount
from ._erp import require_new
from ._erp import require_po
from ._outbound import OutboundDocument

KIND = "erp.quickbooks_online"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # ignored by Intuit; the key that counts is the query's
IDEMPOTENCY_QUERY = "requestid"  # Intuit's own (see above)
ENTITIES = ("estimate", "salesreceipt")  # the last path segment of the configured URL
# the entity's name in a query, and the operation that cancels it
QUERY_NAMES = {"estimate": "Estimate", "salesreceipt": "SalesReceipt"}
CANCEL_OPERATIONS = {"estimate": "delete", "salesreceipt": "void"}


def emit(order: Order, partner: PartnerProfile, *, order_id: int, when: datetime) -> OutboundDocument:
    """The Estimate / SalesReceipt create body for ``order``; ``order_id`` and ``when`` are not written."""
    require_new(order, "a new QuickBooks Online estimate")
    return OutboundDocument(
        kind=KIND,
        partner=partner.name,
        content=json_bytes(_fields(order, partner)),
        refers_to=order.po_number,
    )


def emit_update(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner's change: a sparse update of the document found, its ``Line`` array replacing the lines."""
    body = {"sparse": True, **_fields(order, partner)}
    find = _find(order, partner)
    return [
        change_request(
            KIND,
            partner,
            order,
            json_bytes(body),
            method="POST",
            path="",
            find=find,
            fill=["Id", "SyncToken"],
        )
    ]


def emit_cancel(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner cancelled: the estimate deleted (``?operation=delete``), a sales receipt voided."""
    return [
        change_request(
            KIND,
            partner,
            order,
            json_bytes({}),
            method="POST",
            path="",
            find=_find(order, partner),
            fill=["Id", "SyncToken"],
            operation=dict(CANCEL_OPERATIONS),
        )
    ]


def _find(order: Order, partner: PartnerProfile) -> dict[str, JsonValue]:
    po = require_po(order, "QuickBooks Online")
    note = _note(order, partner)
    where = f"CustomerRef = {_literal(partner.customer_account)}"
    if order.po_date:
        where += f" and TxnDate = {_literal(order.po_date.isoformat())}"
    return find_one(
        what=f"a QuickBooks {{entity}} of customer {partner.customer_account!r} noted {note!r} (PO {po})",
        sibling="query",
        params={"query": f"select * from {{entity}} where {where}"},
        items="QueryResponse.{entity}",
        key="Id",
        match={"PrivateNote": note, "CustomerRef.value": partner.customer_account},
    )


def _literal(value: str) -> str:
    """A string in Intuit's query language: single-quoted, a quote inside escaped with a backslash."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _note(order: Order, partner: PartnerProfile) -> str | None:
    return f"{partner.label} PO {order.po_number}" if order.po_number else None


def _fields(order: Order, partner: PartnerProfile) -> dict[str, JsonValue]:
    ship = first_date(order, SHIP_DATES) or first_date(order, DELIVERY_DATES)
    return drop_none(
        {
            "CustomerRef": {"value": partner.customer_account},
            "TxnDate": order.po_date.isoformat() if order.po_date else None,
            "ShipDate": ship.isoformat() if ship else None,
            "CurrencyRef": {"value": order.currency} if order.currency else None,
            "PrivateNote": _note(order, partner),
            "ShipAddr": _address(order.ship_to),
            "Line": [_line(line) for line in order.lines],
        }
    )


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
