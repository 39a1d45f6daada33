"""What the ERP payload emitters share: exact-decimal JSON, line amounts, dates, keys, look-ups.

Money and quantities stay ``Decimal`` from the canonical order to the bytes. ``json_bytes``
writes a ``Decimal`` as a JSON number with exactly its own digits (``52.80`` stays ``52.80``,
``0.3`` stays ``0.3``), and line arithmetic runs in a context that raises instead of rounding.
Nothing here ever holds an amount in a float.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import date
from decimal import MAX_PREC
from decimal import Context
from decimal import Decimal
from decimal import Inexact
from typing import TypeAlias

from gateway.errors import ErpPayloadError
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import OrderPurpose
from gateway.model.order import Party
from partners import ErpFieldMap
from partners import PartnerProfile

from ._outbound import OutboundDocument

JsonValue: TypeAlias = "bool | int | str | Decimal | Sequence[JsonValue] | Mapping[str, JsonValue] | None"

# DTM01 qualifiers, best first: when the customer wants the goods, and when we should ship them.
DELIVERY_DATES = ("002", "074", "106")  # delivery requested, requested for delivery (prior to), required by
SHIP_DATES = ("010", "037")  # requested ship, ship not before

# Products and sums of finite decimals are exact at this precision; Inexact is trapped anyway.
_EXACT = Context(prec=MAX_PREC, traps=[Inexact])
# Fixed, so a key never changes between releases: it is stored by the receivers of our requests.
_KEY_NAMESPACE = uuid.UUID("98029b0d-94a5-489e-8816-83c62fed562e")


def json_bytes(value: JsonValue) -> bytes:
    """Compact UTF-8 JSON; a ``Decimal`` becomes a JSON number written with its own digits.

    Keys keep the order of the mappings given, so the same value always gives the same bytes.
    Strings, integers, booleans and null are written by the ``json`` module; a float is refused.
    """
    return "".join(_json_chunks(value)).encode("utf-8")


def _json_chunks(value: JsonValue) -> Iterator[str]:
    if isinstance(value, Decimal):
        yield decimal_text(value)
    elif isinstance(value, float):
        raise TypeError("an ERP payload never carries a float; use Decimal")
    elif value is None or isinstance(value, bool | int | str):
        yield json.dumps(value, ensure_ascii=False)
    elif isinstance(value, Mapping):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            yield ("," if index else "") + json.dumps(key, ensure_ascii=False) + ":"
            yield from _json_chunks(item)
        yield "}"
    else:
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ","
            yield from _json_chunks(item)
        yield "]"


def decimal_text(value: Decimal) -> str:
    """Fixed-point text with every digit of ``value``: ``52.80``, never ``5.280E+1``."""
    if not value.is_finite():
        raise ErpPayloadError(f"{value} is not an amount")
    return format(value, "f")


def require_new(order: Order, what: str) -> None:
    """Refuse to write ``order`` as a create (``what``: "a new NetSuite sales order") unless it is an
    original or a confirmation (BEG01 06, a phoned order); a change or cancellation has its own payload."""
    if order.purpose not in (OrderPurpose.ORIGINAL, OrderPurpose.CONFIRMATION):
        raise ErpPayloadError(f"a {order.purpose.value} order is not {what}")


def drop_none(fields: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    """``fields`` without the keys whose value is None: a payload leaves unknowns out."""
    return {key: value for key, value in fields.items() if value is not None}


def line_amount(line: OrderLine) -> Decimal | None:
    """Quantity times unit price, exactly; None when the line has no quantity or no price."""
    if line.quantity is None or line.unit_price is None:
        return None
    return _EXACT.multiply(line.quantity.value, line.unit_price)


def order_total(order: Order) -> Decimal | None:
    """The exact sum of the line amounts; None when there are no lines or a line has no amount."""
    total = Decimal(0)
    for line in order.lines:
        amount = line_amount(line)
        if amount is None:
            return None
        total = _EXACT.add(total, amount)
    return total if order.lines else None


def item_number(line: OrderLine) -> str:
    """The item to order: the catalog SKU validation resolved, else the partner's vendor SKU."""
    number = line.sku or line.vendor_sku
    if not number:
        raise ErpPayloadError(f"line {line.line_no} has neither a catalog SKU nor a vendor SKU to order")
    return number


def first_date(order: Order, qualifiers: Sequence[str]) -> date | None:
    """The header date of the first qualifier in ``qualifiers`` that the order carries."""
    found: dict[str, date] = {}
    for event in order.dates:
        if event.value is not None:
            found.setdefault(event.qualifier, event.value)
    return next((found[q] for q in qualifiers if q in found), None)


def party_contact(party: Party) -> str | None:
    """The name of the party's first named contact (for an "attention" line)."""
    return next((c.name for c in party.contacts if c.name), None)


def address_lines(lines: Sequence[str], slots: int) -> list[str]:
    """At most ``slots`` street lines; any beyond go comma-joined into the last one, not dropped."""
    kept = [text for text in (line.strip() for line in lines) if text]
    if len(kept) <= slots:
        return kept
    return [*kept[: slots - 1], ", ".join(kept[slots - 1 :])]


def idempotency_key(
    kind: str, partner: str, order_id: int, sequence: int = 0, *, target: str | None = None
) -> str:
    """The idempotency key for delivering one order in one shape to one target: same parts, same key
    (sent under each ERP emitter's ``IDEMPOTENCY_HEADER``).

    A name-based UUID (RFC 4122 version 5) of the parts: NetSuite's ``X-NetSuite-Idempotency-Key``
    wants a UUID, and to any other receiver it is an opaque string. ``sequence`` counts the payloads
    of the order before this one (0 for its create), so an update or cancel is never taken for it.
    ``target`` is a named ERP target (``partners.ErpTarget.name``); None for the default ERP, whose
    keys stay what they were before targets existed.
    """
    parts: list[str | int] = [kind, partner, order_id, *([sequence] if sequence else [])]
    parts += [f"target:{target}"] if target else []
    return str(uuid.uuid5(_KEY_NAMESPACE, json.dumps(parts)))


def apply_field_map(
    order: Order, partner: PartnerProfile, field_map: ErpFieldMap
) -> tuple[Order, PartnerProfile]:
    """``order`` and ``partner`` as an ERP target's field map wants them read: the customer reference
    in ``partner.customer_account`` (which every emitter writes as the ERP's customer) and the item
    code in each line's ``sku``. A field the map names that the order lacks is an ``ErpPayloadError``."""
    if field_map.customer_reference != "customer_account":
        roles = ("BT",) if field_map.customer_reference == "bill_to" else ("SO", "BY")
        party = next((p for p in (order.party(role) for role in roles) if p is not None and p.id), None)
        if party is None or party.id is None:
            raise ErpPayloadError(
                f"the ERP's customer reference is the {field_map.customer_reference.replace('_', '-')} "
                f"party's id (N1 {' or '.join(roles)}), which the order does not carry"
            )
        partner = partner.model_copy(update={"customer_account": party.id})
    if field_map.item_code != "sku":
        lines = []
        for line in order.lines:
            code = getattr(line, field_map.item_code)
            if not code:
                raise ErpPayloadError(
                    f"line {line.line_no} has no {field_map.item_code} for the ERP's item code"
                )
            lines.append(line.model_copy(update={"sku": code}))
        order = order.model_copy(update={"lines": lines})
    return order, partner


def odata_literal(value: str) -> str:
    """An OData string literal: quoted, a quote inside doubled."""
    return "'" + value.replace("'", "''") + "'"


def require_po(order: Order, erp: str) -> str:
    """The PO number by which a change or cancel finds the order in ``erp``; refused when there is none."""
    if not order.po_number:
        raise ErpPayloadError(f"an order without a PO number cannot be found in {erp}")
    return order.po_number


def find_one(
    *,
    what: str,
    key: str,
    match: Mapping[str, JsonValue],
    items: str = "",
    params: Mapping[str, str] | None = None,
    sibling: str | None = None,
    method: str = "GET",
    body: str | None = None,
    closed: Mapping[str, JsonValue] | None = None,
    done_when_closed: bool = False,
    if_match: str | None = None,
) -> dict[str, JsonValue]:
    """How delivery looks up the ERP's own id of the order before a change or cancel (``request["find"]``).

    ``what`` names what is looked for (it goes into the alert when none or several match); ``method``
    and ``params`` (and ``body``: Intacct's query is a POST) the look-up request, sent to the configured
    URL, or to ``sibling`` in its place (QuickBooks' ``query`` beside ``estimate``); ``items`` the
    dotted path to the list of records in the answer (``""``: the answer is the list; an XML answer's
    children of that element); ``match`` dotted fields each record found must carry exactly (the
    vendors' searches are broad, e.g. Fortnox' is a LIKE); ``key`` the field holding the id. A record
    whose fields equal ``closed`` is already cancelled: it is never changed, and with
    ``done_when_closed`` (a cancel) finding only such records means the cancel was already made.
    ``if_match`` names the record's field sent as the request's ``If-Match`` (its ETag: Business Central
    changes or deletes a record only with it).
    """
    return drop_none(
        {
            "what": what,
            "method": method,
            "sibling": sibling,
            "params": dict(params) if params else None,
            "body": body,
            "items": items,
            "key": key,
            "match": dict(match),
            "closed": dict(closed) if closed else None,
            "done_when_closed": done_when_closed or None,
            "if_match": if_match,
        }
    )


def change_request(
    kind: str,
    partner: PartnerProfile,
    order: Order,
    content: bytes,
    *,
    method: str,
    path: str,
    find: Mapping[str, JsonValue],
    **extra: JsonValue,
) -> OutboundDocument:
    """An ERP change or cancel: ``method`` on the configured URL + ``path`` (``{id}`` the id ``find`` looks up).

    ``extra`` says what the record found adds (``fill``: its fields copied into the JSON body;
    ``replace_lines``; ``headers``; ``operation``), as ``gateway.outbound.erp_http.complete`` reads it.
    """
    return OutboundDocument(
        kind=kind,
        partner=partner.name,
        content=content,
        refers_to=order.po_number,
        request={"method": method, "path": path, "find": dict(find), **extra},
    )
