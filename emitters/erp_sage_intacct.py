"""Sage Intacct payload (kind ``erp.sage_intacct``): create / delete ``sotransaction`` in XML API envelopes.

The body for ``POST https://api.intacct.com/ia/xml/xmlgw.phtml`` (XML API, DTD version 3.0).
Followed: Sage Intacct Developer, "XML Requests" (``request`` → ``control`` {``senderid``,
``password``, ``controlid``, ``uniqueid``, ``dtdversion``, ``includewhitespace``} and
``operation`` → ``authentication`` → ``content`` → ``function controlid=...``), "XML Responses"
/ "Error Handling" (every level answers ``<status>success</status>`` or ``failure`` with an
``errormessage``, inside an HTTP 200) and the Order Entry reference "Create Order Entry
Transaction (Legacy)": ``create_sotransaction`` {``transactiontype``, ``datecreated`` {year,
month, day}, ``customerid``, ``referenceno``, ``message``, ``sotransitems`` → ``sotransitem``
{``itemid``, ``itemdesc``, ``quantity``, ``price``}}, children in that order.

The issue names these elements in capitals (``TRANSACTIONTYPE``, ``SOTRANSITEMS``); capitals are
the generic ``create`` function's object fields (``SODOCUMENT``). The legacy function named here
takes lower-case elements, and XML is case-sensitive, so lower case is written.

Idempotency is Intacct's own: ``uniqueid`` true makes Intacct refuse a ``function`` whose
``controlid`` it has already executed, and both control ids are the payload's idempotency key.
Credentials are never stored: the envelope is written with empty ``senderid``/``password`` and
``login`` {``userid``, ``companyid``, ``password``}, which delivery fills from the environment
when it sends (``gateway/outbound/erp_http.py``).

Mapping: ``transactiontype`` "Sales Order"; ``datecreated`` the PO date (else the day the order was
accepted, ``when``: Intacct requires it); ``customerid`` partner.customer_account; ``referenceno``
the PO number; ``message`` partner and PO; lines: ``itemid`` the catalog SKU (else the vendor
SKU), ``itemdesc``, ``quantity``, ``price``. XML text carries the exact decimal digits, so no
float is possible. The document is built with ``xml.etree.ElementTree`` (which escapes ``&``,
``<``, ``>`` and quotes), never by joining strings; text holding a character XML 1.0 cannot carry
is refused.

Not confirmed, to check against a sandbox company before production:

- The transaction definition is named "Sales Order" in the company (it is a per-company name).
- No currency is sent (a multi-currency company needs ``basecurr``/``currency``/``exchratetype``),
  no unit (Intacct's unit names are not X12's EA/CA), no ship-to (``shipto`` takes a contact name
  that must exist in Intacct).
- The error number Intacct gives a repeated ``controlid``; delivery treats it as any failure (dead
  letter with the message), so an answer lost after success needs a person to check.

A partner's change or cancellation of an order Intacct already has: the order is found with
``readByQuery`` (object ``SODOCUMENT``, fields ``DOCID,PONUMBER,CUSTVENDID``, query ``DOCPARID = 'Sales
Order' AND PONUMBER = '<PO>' AND CUSTVENDID = '<account>'``, in its own request envelope, the
credentials filled in as it is sent); only a record whose ``PONUMBER`` and ``CUSTVENDID`` are exactly
those counts. A cancel is ``delete_sotransaction key="<DOCID>"``. A change is, in one request whose
``operation`` is ``transaction="true"`` (all functions or none), ``delete_sotransaction`` of that
``DOCID`` then the create's ``create_sotransaction``: as for Business Central, the order is replaced
whole, because ``update_sotransaction`` changes lines by ``line_num`` (``updatesotransitem``), which
would need the old lines read and matched; its document number changes, ``referenceno`` (the PO)
stays. The ``DOCID`` is written into the stored request's ``key="{id}"``, and the payload's idempotency
key into its ``controlid``s (``{key}``), when it is sent (``gateway.outbound.erp_http``); ``uniqueid``
with that ``controlid`` keeps a repeat from being executed twice. None or several orders found: an alert naming the PO and the customer.
Followed: Sage Intacct Developer, "Order Entry Transactions" (``SODOCUMENT``: ``DOCID``,
``PONUMBER`` is the transaction's reference number, ``CUSTVENDID``; "Update Order Entry Transaction
(Legacy)", "Delete Order Entry Transaction (Legacy)" keyed by the ``DOCID``), "Queries"
(``readByQuery``) and "XML Requests" (``transaction="true"`` on ``operation``).

Not confirmed for changes: the quoting of a quote inside a ``readByQuery`` value (doubled here, as in
SQL); that a sales order already converted (shipped, invoiced) refuses the delete (the error is kept,
dead letter, and the transaction creates nothing).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from datetime import datetime

from gateway.errors import ErpPayloadError
from gateway.model.order import Order
from gateway.model.order import OrderLine
from partners import PartnerProfile

from ._erp import JsonValue
from ._erp import change_request
from ._erp import decimal_text
from ._erp import find_one
from ._erp import idempotency_key
from ._erp import item_number
from ._erp import require_new
from ._erp import require_po
from ._outbound import OutboundDocument

KIND = "erp.sage_intacct"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # not Intacct's: its key is the controlid in the body (above)
DTD_VERSION = "3.0"
TRANSACTION_TYPE = "Sales Order"
# A change's or cancel's control ids: delivery writes the payload's idempotency key in its place as it sends
# it (the emitter does not know how many payloads of the order came before).
KEY_SLOT = "{key}"
# Characters XML 1.0 cannot carry (C0 controls other than tab, newline, carriage return; FFFE/FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def emit(order: Order, partner: PartnerProfile, *, order_id: int, when: datetime) -> OutboundDocument:
    """The XML API request that creates ``order`` as a sales order, credentials left empty."""
    require_new(order, "a new Sage Intacct sales order")
    key = idempotency_key(KIND, partner.name, order_id)  # what the outbox stores as its key
    content = _envelope(key, [_transaction(order, partner, when)])
    return OutboundDocument(kind=KIND, partner=partner.name, content=content, refers_to=order.po_number)


def emit_update(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner's change: in one all-or-nothing request, the order found deleted and created as it now is."""
    content = _envelope(KEY_SLOT, [_delete(), _transaction(order, partner, when)], transaction=True)
    return [change_request(KIND, partner, order, content, method="POST", path="", find=_find(order, partner))]


def emit_cancel(
    order: Order, partner: PartnerProfile, *, order_id: int, when: datetime
) -> list[OutboundDocument]:
    """The partner cancelled: ``delete_sotransaction`` of the order found."""
    content = _envelope(KEY_SLOT, [_delete()])
    return [change_request(KIND, partner, order, content, method="POST", path="", find=_find(order, partner))]


def _envelope(
    key: str, functions: list[ET.Element], *, transaction: bool = False, unique: bool = True
) -> bytes:
    """The XML API request around ``functions``, each in a ``function`` whose ``controlid`` derives from
    ``key``; ``unique``: Intacct refuses to execute that ``controlid`` twice (a read need not be)."""
    request = ET.Element("request")
    control = ET.SubElement(request, "control")
    for tag in ("senderid", "password"):
        ET.SubElement(control, tag)
    _add(control, "controlid", key)
    _add(control, "uniqueid", "true" if unique else "false")
    _add(control, "dtdversion", DTD_VERSION)
    _add(control, "includewhitespace", "false")
    operation = ET.SubElement(request, "operation", {"transaction": "true"} if transaction else {})
    login = ET.SubElement(ET.SubElement(operation, "authentication"), "login")
    for tag in ("userid", "companyid", "password"):
        ET.SubElement(login, tag)
    content = ET.SubElement(operation, "content")
    for number, body in enumerate(functions):
        controlid = key if len(functions) == 1 else f"{key}-{number + 1}"
        ET.SubElement(content, "function", controlid=controlid).append(body)
    written: bytes = ET.tostring(request, encoding="utf-8", xml_declaration=True)
    return written


def _delete() -> ET.Element:
    """``delete_sotransaction`` of the order the look-up finds (its ``DOCID`` replaces ``{id}`` when sent)."""
    return ET.Element("delete_sotransaction", key="{id}")


def _find(order: Order, partner: PartnerProfile) -> dict[str, JsonValue]:
    po = require_po(order, "Sage Intacct")
    account = partner.customer_account
    query = ET.Element("readByQuery")
    _add(query, "object", "SODOCUMENT")
    _add(query, "fields", "DOCID,PONUMBER,CUSTVENDID")
    _add(
        query,
        "query",
        f"DOCPARID = {_quoted(TRANSACTION_TYPE)} AND PONUMBER = {_quoted(po)} AND CUSTVENDID = {_quoted(account)}",
    )
    _add(query, "pagesize", "2")  # one is expected; a second is enough to refuse a guess
    look_up = _envelope(f"{KEY_SLOT}-find", [query], unique=False)
    return find_one(
        what=f"a {TRANSACTION_TYPE} with PONUMBER {po!r} for customer {account!r}",
        method="POST",
        body=look_up.decode("utf-8"),
        items="operation/result/data",
        key="DOCID",
        match={"PONUMBER": po, "CUSTVENDID": account},
    )


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _transaction(order: Order, partner: PartnerProfile, when: datetime) -> ET.Element:
    transaction = ET.Element("create_sotransaction")
    _add(transaction, "transactiontype", TRANSACTION_TYPE)
    _date(transaction, "datecreated", order.po_date or when.date())
    _add(transaction, "customerid", partner.customer_account)
    _add(transaction, "referenceno", order.po_number)
    _add(transaction, "message", f"{partner.label} PO {order.po_number}" if order.po_number else None)
    items = ET.SubElement(transaction, "sotransitems")
    for line in order.lines:
        items.append(_item(line))
    return transaction


def _item(line: OrderLine) -> ET.Element:
    if line.quantity is None:
        raise ErpPayloadError(f"line {line.line_no} has no quantity; Sage Intacct needs one")
    item = ET.Element("sotransitem")
    _add(item, "itemid", item_number(line))
    _add(item, "itemdesc", line.description)
    _add(item, "quantity", decimal_text(line.quantity.value))
    _add(item, "price", decimal_text(line.unit_price) if line.unit_price is not None else None)
    return item


def _date(parent: ET.Element, tag: str, value: date) -> None:
    element = ET.SubElement(parent, tag)
    _add(element, "year", str(value.year))
    _add(element, "month", str(value.month))
    _add(element, "day", str(value.day))


def _add(parent: ET.Element, tag: str, text: str | None) -> None:
    """A child element holding ``text``; nothing when ``text`` is None (a value the order lacks)."""
    if text is None:
        return
    if _NOT_XML.search(text):
        raise ErpPayloadError(f"{tag} holds a control character that XML cannot carry: {text!r}")
    ET.SubElement(parent, tag).text = text
