"""How the desk's templates write times, ages, money and codes. Plain text out; Jinja escapes it.

Every ``{{ value }}`` goes through ``shown``: no plain text is written longer than ``VALUE_CAP``
characters (a longer one keeps its head and says how long it was), so no stored value, however
large, makes a page large.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Flask
from markupsafe import Markup

from gateway.desk.kpis import format_duration
from gateway.desk.kpis import format_share
from gateway.model.status import DocumentStatus
from gateway.model.status import OrderStatus
from gateway.model.status import OutboxStatus
from gateway.model.truncation import VALUE_CAP
from gateway.model.truncation import capped

FINDING_TITLES = {
    "unknown_item": "Unknown item",
    "price_mismatch": "Price differs from the agreement",
    "currency_mismatch": "Currency differs",
    "credit_limit": "Over the credit limit",
    "credit_hold": "Customer on credit hold",
    "short_stock": "Not enough stock",
    "duplicate_po": "Duplicate PO number",
    "below_minimum": "Below the minimum quantity",
    "pack_multiple": "Not a multiple of the pack size",
    "date_past": "Date in the past",
    "date_horizon": "Date too far ahead",
    "unknown_ship_to": "Unknown ship-to",
    "unknown_order_ref": "Unknown order reference",
    "purpose_not_handled": "Not an order to fill",
    "missing_field": "Missing value",
    "low_confidence": "Read with low confidence",
    "unknown_partner": "Unknown partner",
    "syntax": "Syntax error",
    "reading": "Reading problem",  # a syntax finding of a PDF, sheet, image or email reader
    "change_after_shipment": "Changed after shipping or invoicing",
    "order_changed": "Changed by the partner",
}
FINDING_HINTS = {
    "unknown_item": "Pick the item the customer meant from the suggestions, or search the catalog.",
    "price_mismatch": "If the customer's price is agreed, accept it with a reason; if not, reject the order.",
    "currency_mismatch": "The desk cannot change the currency: reject the order with a reason.",
    "credit_limit": "A credit or admin user can release the hold with a reason; or reject the order.",
    "credit_hold": "A credit or admin user can release the hold with a reason; or reject the order.",
    "short_stock": "Lower the quantity to what is in stock, or approve later when stock has come in.",
    "duplicate_po": "The same order sent twice: merge it into the first. A new order that reuses the number: "
    "dismiss the duplicate with a reason.",
    "below_minimum": "Correct the quantity or the unit of measure.",
    "pack_multiple": "Correct the quantity to a whole number of packs, or change the unit of measure.",
    "date_past": "Correct the date.",
    "date_horizon": "Correct the date.",
    "unknown_ship_to": "The ship-to is not in the customer's address book: add it to the master data and "
    "approve, or reject the order.",
    "unknown_order_ref": "The order refers to something we do not know: check it with the customer, or reject.",
    "purpose_not_handled": "The partner sent it as something other than an order to fill (a copy, a query, a "
    "proposal): read it and answer the partner; reject it here, which sends no order to the ERP.",
    "missing_field": "A value the order needs is missing and cannot be added here: reject with a reason.",
    "low_confidence": "Check the value against the document (click a value to see where it came from). "
    "Correct it if it is wrong; approving records that you checked it.",
    "syntax": "The document broke a rule of its format. If the order is still right, approving records that "
    "you reviewed it; if not, reject it.",
    "reading": "The reader could not find or was unsure of this value: check it against the document and "
    "correct it; approving records that you checked it.",
    "change_after_shipment": "The partner changed an order that has already shipped or been invoiced, so the "
    "change was not applied: agree it with the partner, then approve it as a follow-up order or reject it.",
    "order_changed": "The partner's change no longer passes validation: fix what holds it and approve (the ERP "
    "gets the update), or reject the change (the order goes back to the version the ERP has, with its stock).",
}
DATE_TITLES = {
    "001": "Cancel after",
    "002": "Deliver by",
    "010": "Ship on",
    "037": "Ship not before",
    "038": "Ship no later than",
    "063": "Do not deliver after",
    "064": "Do not deliver before",
    "068": "Ship by",
    "106": "Deliver on",
}
AUDIT_TITLES = {
    "order.pick_sku": "Picked the SKU",
    "order.correct_quantity": "Corrected a quantity",
    "order.correct_date": "Corrected a date",
    "order.accept_price": "Accepted a price",
    "order.accept_prices": "Accepted every customer price",
    "order.use_suggestions": "Used the top suggestions",
    "order.round_packs": "Rounded quantities to whole packs",
    "order.release_credit": "Released the credit hold",
    "order.dismiss_duplicate": "Dismissed the duplicate",
    "order.merge_duplicate": "Merged as a duplicate",
    "order.approve": "Approved",
    "order.reject": "Rejected",
    "order.correct_po_number": "Corrected the PO number",
    "order.correct_po_date": "Corrected the PO date",
    "order.correct_customer": "Changed the customer",
    "order.correct_currency": "Corrected the currency",
    "order.correct_ship_to": "Corrected the ship-to",
    "order.correct_price": "Corrected a price",
    "order.add_line": "Added a line",
    "order.remove_line": "Removed a line",
    "order.split_line": "Split a line",
    "order.send_reply": "Sent the reply to the customer",
    "order.keyed_in": "Keyed in by hand from its document",
}
ACTION_TITLES = {
    "hold": "holds the order",
    "reject": "rejects the order",
    "warn": "warning",
    "auto_fix": "fixed automatically",
}


def when(value: datetime | date | None) -> str:
    """``2026-11-23 09:30 UTC``; a date as ``2026-11-23``; nothing as an empty string."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    return value.isoformat()


def age(hours: float | None) -> str:
    """``45 min``, ``3 h 20 min``, ``2 d 4 h``."""
    if hours is None:
        return ""
    minutes = max(0, round(hours * 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        whole, rest = divmod(minutes, 60)
        return f"{whole} h {rest} min" if rest else f"{whole} h"
    days, rest = divmod(minutes // 60, 24)
    return f"{days} d {rest} h" if rest else f"{days} d"


def money(value: Decimal | str | float | None, currency: str | None = None) -> str:
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    text = f"{amount:,.2f}" if amount == amount.quantize(Decimal("0.01")) else f"{amount.normalize():,f}"
    return f"{text} {currency}" if currency else text


def count(value: int) -> str:
    """``20,000``: a count of things, with thousands separated."""
    return f"{value:,}"


def number(value: Any) -> str:
    """``12``, ``1.5``, ``4`` (not ``4.0``): a quantity or an hour count as people write it."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Decimal | str):
        try:
            return f"{Decimal(str(value)).normalize():f}"
        except ArithmeticError:
            return str(value)
    return str(value)


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f} %"


def _kind(code: str, reason: str | None) -> str:
    """A syntax finding that a document reader (not X12) raised is a reading problem."""
    return "reading" if code == "syntax" and reason and not reason.startswith("x12.") else code


def finding_hint(code: str, reason: str | None = None) -> str:
    return FINDING_HINTS.get(_kind(code, reason), "")


def finding_title(code: str, reason: str | None = None) -> str:
    code = _kind(code, reason)
    return FINDING_TITLES.get(code, code.replace("_", " ").capitalize())


def action_title(action: str | None) -> str:
    return ACTION_TITLES.get(action or "", action or "")


def audit_title(action: str) -> str:
    return AUDIT_TITLES.get(action, label(action.rsplit(".", 1)[-1]))


def date_title(qualifier: str) -> str:
    """``002`` -> ``Deliver by (002)``: the X12 date qualifier in words, the code kept for reference."""
    title = DATE_TITLES.get(qualifier)
    return f"{title} ({qualifier})" if title else f"Date {qualifier}"


def label(code: str | None) -> str:
    """``unknown_partner`` -> ``Unknown partner``."""
    return (code or "").replace("_", " ").replace(".", " ").capitalize()


def shown(value: Any) -> Any:
    """What a template writes for ``value``: plain text capped, with a note; markup as it is."""
    if isinstance(value, str) and len(value) > VALUE_CAP and not isinstance(value, Markup):
        return capped(value)
    return value


def register(app: Flask) -> None:
    app.jinja_env.finalize = shown
    # templates compare a status to its member (``reply.status == OutboxStatus.SENT``), never to a string
    app.jinja_env.globals.update(
        DocumentStatus=DocumentStatus, OrderStatus=OrderStatus, OutboxStatus=OutboxStatus
    )
    for name, function in (
        ("when", when),
        ("age", age),
        ("money", money),
        ("number", number),
        ("count", count),
        ("percent", percent),
        ("duration", format_duration),
        ("share", format_share),
        ("finding_title", finding_title),
        ("finding_hint", finding_hint),
        ("action_title", action_title),
        ("label", label),
        ("date_title", date_title),
        ("audit_title", audit_title),
    ):
        app.add_template_filter(function, name)
