"""Our own ERP payload (kind ``erp.canonical``): the documented JSON of one accepted order.

For an ERP without a vendor shape here, or a middleware that maps it. Schema
``order-gateway/order``, version 1. Keys come in this order, every time:

``schema``, ``version``, ``order_id`` (the gateway's order number), ``emitted_at``,
``source_document_id`` (the stored inbound document), ``partner``, ``customer_account``,
``channel``, ``po_number``, ``po_date``, ``purpose`` (original, change, cancel, ...),
``currency``, ``requested_dates`` [``qualifier`` (X12 DTM01), ``date``, ``time``],
``ship_to`` and ``bill_to`` {``role``, ``name``, ``id_qualifier``, ``id``, ``address``
{``lines``, ``city``, ``region``, ``postal_code``, ``country``}, ``contacts`` [``name``,
``channels``]}, ``terms`` [``type_code``, ``basis_date_code``, ``discount_percent``,
``discount_days``, ``net_days``, ``description``], ``carriers`` [``scac``,
``transport_method``, ``routing``, ``service_level``], ``references`` [``qualifier``,
``value``, ``description``], ``charges`` [``indicator`` (A allowance, C charge), ``code``,
``amount``, ``percent``, ``description``], ``lines`` [``line_no``, ``sku``, ``vendor_sku``,
``buyer_part``, ``upc``, ``description``, ``quantity`` {``value``, ``uom``}, ``unit_price``,
``amount``], ``total``.

Rules: a value the order lacks is left out, never null; list keys are always present.
Amounts, prices, percents and quantities are strings holding the exact decimal ("52.80",
"0.3"), never JSON numbers. Dates are ISO 8601. A line's ``sku`` is the catalog SKU validation
resolved (``OrderLine.sku``), else the partner's vendor SKU. ``amount`` is quantity × unit
price, exact; ``total`` is the sum of the line amounts (charges are listed, not added) and is
left out when a line has no price.

A partner's change or cancellation of an order already sent is POSTed the same way, the order as it
now is with one key more at the end: ``action``, ``update`` or ``cancel`` (a new order has none).
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from decimal import Decimal

from gateway.model.order import Address
from gateway.model.order import Carrier
from gateway.model.order import Charge
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Party
from gateway.model.order import Reference
from gateway.model.order import Terms
from partners import PartnerProfile

from ._erp import JsonValue
from ._erp import decimal_text
from ._erp import drop_none
from ._erp import json_bytes
from ._erp import line_amount
from ._erp import order_total
from ._outbound import OutboundDocument

KIND = "erp.canonical"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # the IETF httpapi draft's name, for our own receivers
SCHEMA = "order-gateway/order"
VERSION = 1


def emit(order: Order, partner: PartnerProfile, *, order_id: int, when: datetime) -> OutboundDocument:
    """The canonical JSON of ``order``, stored by the gateway as order ``order_id``."""
    return _document(order, partner, _body(order, partner, order_id, when))


def emit_update(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The order as the partner's change leaves it, with ``"action": "update"``."""
    return [_document(order, partner, {**_body(order, partner, order_id, when), "action": "update"})]


def emit_cancel(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The order the partner cancelled, with ``"action": "cancel"``."""
    return [_document(order, partner, {**_body(order, partner, order_id, when), "action": "cancel"})]


def _document(order: Order, partner: PartnerProfile, body: dict[str, JsonValue]) -> OutboundDocument:
    return OutboundDocument(
        kind=KIND, partner=partner.name, content=json_bytes(body), refers_to=order.po_number
    )


def _body(order: Order, partner: PartnerProfile, order_id: int, when: datetime) -> dict[str, JsonValue]:
    return drop_none(
        {
            "schema": SCHEMA,
            "version": VERSION,
            "order_id": order_id,
            "emitted_at": when.isoformat(),
            "source_document_id": order.document_id,
            "partner": partner.name,
            "customer_account": partner.customer_account,
            "channel": order.channel.value,
            "po_number": order.po_number,
            "po_date": _iso(order.po_date),
            "purpose": order.purpose.value,
            "currency": order.currency,
            "requested_dates": [
                drop_none({"qualifier": event.qualifier, "date": event.value.isoformat(), "time": event.time})
                for event in order.dates
                if event.value is not None
            ],
            "ship_to": _party(order.ship_to),
            "bill_to": _party(order.bill_to),
            "terms": [_terms(terms) for terms in order.terms],
            "carriers": [_carrier(carrier) for carrier in order.carriers],
            "references": [_reference(reference) for reference in order.references],
            "charges": [_charge(charge) for charge in order.charges],
            "lines": [_line(line) for line in order.lines],
            "total": _text(order_total(order)),
        }
    )


def _line(line: OrderLine) -> dict[str, JsonValue]:
    quantity = line.quantity
    return drop_none(
        {
            "line_no": line.line_no,
            "sku": line.sku or line.vendor_sku,
            "vendor_sku": line.vendor_sku,
            "buyer_part": line.buyer_part,
            "upc": line.upc,
            "description": line.description,
            "quantity": {"value": decimal_text(quantity.value), "uom": quantity.uom} if quantity else None,
            "unit_price": _text(line.unit_price),
            "amount": _text(line_amount(line)),
        }
    )


def _party(party: Party | None) -> dict[str, JsonValue] | None:
    if party is None:
        return None
    return drop_none(
        {
            "role": party.role,
            "name": party.name,
            "id_qualifier": party.id_qualifier,
            "id": party.id,
            "address": _address(party.address),
            "contacts": [drop_none({"name": c.name, "channels": dict(c.channels)}) for c in party.contacts],
        }
    )


def _address(address: Address | None) -> dict[str, JsonValue] | None:
    if address is None:
        return None
    return drop_none(
        {
            "lines": list(address.lines),
            "city": address.city,
            "region": address.region,
            "postal_code": address.postal_code,
            "country": address.country,
        }
    )


def _terms(terms: Terms) -> dict[str, JsonValue]:
    return drop_none(
        {
            "type_code": terms.type_code,
            "basis_date_code": terms.basis_date_code,
            "discount_percent": _text(terms.discount_percent),
            "discount_days": terms.discount_days,
            "net_days": terms.net_days,
            "description": terms.description,
        }
    )


def _carrier(carrier: Carrier) -> dict[str, JsonValue]:
    return drop_none(
        {
            "scac": carrier.scac,
            "transport_method": carrier.transport_method,
            "routing": carrier.routing,
            "service_level": carrier.service_level,
        }
    )


def _reference(reference: Reference) -> dict[str, JsonValue]:
    return drop_none(
        {"qualifier": reference.qualifier, "value": reference.value, "description": reference.description}
    )


def _charge(charge: Charge) -> dict[str, JsonValue]:
    return drop_none(
        {
            "indicator": charge.indicator,
            "code": charge.code,
            "amount": _text(charge.amount),
            "percent": _text(charge.percent),
            "description": charge.description,
        }
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
