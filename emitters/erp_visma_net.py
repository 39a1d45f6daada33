"""Visma.net ERP payload (kind ``erp.visma_net``): a ``salesorder`` create, change and cancel.

The body for ``POST /controller/api/v1/salesorder`` (Visma.net ERP Service API), sent with an
OAuth 2.0 bearer token from Visma Connect (``GATEWAY_ERP_TOKEN``). Visma's update DTOs wrap every
field in ``{"value": ...}`` and mark each line with an ``operation``; followed: the Service API's
Swagger / OpenAPI description (``SalesOrderUpdateDto``: ``orderType``, ``customer``,
``customerRefNo``, ``date``, ``requestedOn``, ``currency``, ``lines`` of
``SalesOrderLineUpdateDto`` {``operation``, ``inventoryNumber``, ``quantity``, ``unitPrice``,
``lineDescription``}) and its error body (``{"ExceptionType", "ExceptionMessage",
"ExceptionFaultCode", ...}`` or ``{"message"}``).

Mapping: ``orderType`` "SO" (Visma's standard sales order type); ``customer`` partner.customer_account;
``customerRefNo`` the PO number; ``date`` the PO date; ``requestedOn`` the requested delivery
date (DTM 002/074/106, else the ship date 010/037); ``currency`` the ISO code; ``description``
partner and PO; ``lines`` [{``operation`` "Insert", ``inventoryNumber`` the catalog SKU (else the
vendor SKU), ``lineDescription``, ``quantity``, ``unitPrice``}]. A value the order lacks is left
out, never null. ``quantity`` and ``unitPrice`` are JSON numbers inside their wrappers, written
with the ``Decimal``'s own digits (the DTO types them as numbers).

Not confirmed, to check against a test company before production:

- The order type: "SO" is the default type; companies may use their own, and no setting for it exists yet.
- Dates as plain ISO dates (``2026-11-18``); the DTO types them date-time.
- The ship-to address is not sent: Visma takes it as an override (``soShippingAddress`` with
  ``overrideAddress``), whose shape could not be confirmed.
- The tenant: with a Visma Connect client-credentials token the company is in the token; the older
  ``ipp-company-id`` header is not sent.
- Visma.net documents no idempotency key; ``Idempotency-Key`` is sent and ignored, so a retry after
  a lost answer can book the order twice.

A partner's change or cancellation of an order Visma.net already has: the order is found by ``GET
/controller/api/v1/salesorder?customerRefNo=<PO>&customer=<account>`` (an order counts only when its
``customerRefNo`` and ``customer.number`` are exactly those; a ``Cancelled`` one is never changed). A
change is ``PUT .../salesorder/<orderNo>`` with the create's fields: every line the order found has is
sent as ``{"operation": "Delete", "lineNumber": {"value": <lineNbr>}}``, then the order's lines as
``Insert``s, so the lines become the order's and a retry (which looks the order up again) leaves the
same lines, never twice. A cancel is the sales order's cancel action, ``POST
.../salesorder/<orderNo>/action/cancelSalesOrder`` (the Service API's operation
``SalesOrder_CancelSalesOrderBysaleOrderNumber``); a look-up that finds the order already cancelled
(an earlier answer lost) is delivered without sending it again. None or several open orders found: an
alert naming the PO and the customer. Followed: the Service API's OpenAPI (``SalesOrderUpdateDto``,
``SalesOrderLineUpdateDto.operation`` Insert / Update / Delete with ``lineNumber``, the cancel operation)
and Visma's release note "Support for cancelling an order" (a cancelled order takes no more changes).

Not confirmed for changes: ``customerRefNo`` and ``customer`` as query filters of the list (if ignored,
the exact match on each record still holds, but only the first page is read); the list carrying each
order's ``lines`` with ``lineNbr``; the cancel action's path and its body (``{"orderType": "SO"}``).
"""

from __future__ import annotations

from datetime import datetime

from gateway.model.order import Order
from gateway.model.order import OrderLine
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
from ._erp import require_new
from ._erp import require_po
from ._outbound import OutboundDocument

KIND = "erp.visma_net"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # none of its own documented (see above)
RESOURCE_PATH = "/controller/api/v1/salesorder"
ORDER_TYPE = "SO"


def emit(order: Order, partner: PartnerProfile, *, order_id: int, when: datetime) -> OutboundDocument:
    """The ``salesorder`` create body for ``order``; ``order_id`` and ``when`` are not written."""
    require_new(order, "a new Visma.net sales order")
    return OutboundDocument(
        kind=KIND, partner=partner.name, content=json_bytes(_body(order, partner)), refers_to=order.po_number
    )


def emit_update(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner's change: ``PUT salesorder/<orderNo>``, the found order's lines deleted and the order's inserted."""
    content = json_bytes(_body(order, partner))
    return [
        change_request(
            KIND,
            partner,
            order,
            content,
            method="PUT",
            path="/{id}",
            find=_find(order, partner),
            replace_lines={"lines": "lines", "number": "lineNbr"},
        )
    ]


def emit_cancel(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner cancelled: the sales order's cancel action."""
    content = json_bytes({"orderType": ORDER_TYPE})
    find = _find(order, partner, cancel=True)
    return [
        change_request(
            KIND, partner, order, content, method="POST", path="/{id}/action/cancelSalesOrder", find=find
        )
    ]


def _find(order: Order, partner: PartnerProfile, *, cancel: bool = False) -> dict[str, JsonValue]:
    po = require_po(order, "Visma.net")
    return find_one(
        what=f"a sales order with customerRefNo {po!r} for customer {partner.customer_account!r}",
        params={"customerRefNo": po, "customer": partner.customer_account},
        key="orderNo",
        match={"customerRefNo": po, "customer.number": partner.customer_account},
        closed={"status": "Cancelled"},
        done_when_closed=cancel,
    )


def _body(order: Order, partner: PartnerProfile) -> dict[str, JsonValue]:
    requested = first_date(order, DELIVERY_DATES) or first_date(order, SHIP_DATES)
    body = _wrapped(
        {
            "orderType": ORDER_TYPE,
            "customer": partner.customer_account,
            "customerRefNo": order.po_number,
            "date": order.po_date.isoformat() if order.po_date else None,
            "requestedOn": requested.isoformat() if requested else None,
            "currency": order.currency,
            "description": f"{partner.label} PO {order.po_number}" if order.po_number else None,
        }
    )
    body["lines"] = [_line(line) for line in order.lines]
    return body


def _wrapped(fields: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """Each known field as Visma's ``{"value": ...}``; the unknown left out."""
    return {key: {"value": value} for key, value in drop_none(fields).items()}


def _line(line: OrderLine) -> dict[str, JsonValue]:
    return {
        "operation": "Insert",
        **_wrapped(
            {
                "inventoryNumber": item_number(line),
                "lineDescription": line.description,
                "quantity": line.quantity.value if line.quantity else None,
                "unitPrice": line.unit_price,
            }
        ),
    }
