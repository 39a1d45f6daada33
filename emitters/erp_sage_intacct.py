"""Sage Intacct payload (kind ``erp.sage_intacct``): ``create_sotransaction`` in the XML API request envelope.

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
- Changes and cancellations are not built: they raise an alert for the desk.
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

from ._erp import changes_not_sent
from ._erp import decimal_text
from ._erp import idempotency_key
from ._erp import item_number
from ._erp import require_new
from ._outbound import OutboundDocument

KIND = "erp.sage_intacct"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # not Intacct's: its key is the controlid in the body (above)
DTD_VERSION = "3.0"
TRANSACTION_TYPE = "Sales Order"
# Characters XML 1.0 cannot carry (C0 controls other than tab, newline, carriage return; FFFE/FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def emit(order: Order, partner: PartnerProfile, *, order_id: int, when: datetime) -> OutboundDocument:
    """The XML API request that creates ``order`` as a sales order, credentials left empty."""
    require_new(order, "a new Sage Intacct sales order")
    key = idempotency_key(KIND, partner.name, order_id)  # what the outbox stores as its key
    request = ET.Element("request")
    control = ET.SubElement(request, "control")
    for tag in ("senderid", "password"):
        ET.SubElement(control, tag)
    _add(control, "controlid", key)
    _add(control, "uniqueid", "true")
    _add(control, "dtdversion", DTD_VERSION)
    _add(control, "includewhitespace", "false")
    operation = ET.SubElement(request, "operation")
    login = ET.SubElement(ET.SubElement(operation, "authentication"), "login")
    for tag in ("userid", "companyid", "password"):
        ET.SubElement(login, tag)
    function = ET.SubElement(ET.SubElement(operation, "content"), "function", controlid=key)
    function.append(_transaction(order, partner, when))
    content = ET.tostring(request, encoding="utf-8", xml_declaration=True)
    return OutboundDocument(kind=KIND, partner=partner.name, content=content, refers_to=order.po_number)


# Not built (see the module docstring): each raises an alert for the desk.
emit_update, emit_cancel = changes_not_sent("Sage Intacct")


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
