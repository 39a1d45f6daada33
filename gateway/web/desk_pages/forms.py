"""The desk's forms: each says what a POST must carry, and WTForms checks it.

CSRF is checked for every POST by ``CSRFProtect`` before any view runs, so these forms leave
their own CSRF check off; templates put the token in with the ``csrf_field()`` macro. Every
form that changes an order carries the ``version`` of the order the page showed.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import DateField
from wtforms import DecimalField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import PasswordField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import Regexp

MAX_REASON = 1000
_LINE_NO = [DataRequired("say which line"), Length(max=32)]


class _Form(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect has checked the token already

    def problems(self) -> list[str]:
        """Every field error as one sentence naming the field."""
        out: list[str] = []
        for field in self:
            out += [f"{field.label.text}: {message}" for message in field.errors]
        return out


class LoginForm(_Form):
    username = StringField("Username", [DataRequired("type your username"), Length(max=64)])
    password = PasswordField("Password", [DataRequired("type your password"), Length(max=1000)])
    next = HiddenField()


class PasswordForm(_Form):
    """A user's own new password; the rule itself is ``gateway.desk.password_problem``, as for the CLI."""

    current = PasswordField(
        "Current password", [DataRequired("type your current password"), Length(max=1000)]
    )
    new = PasswordField("New password", [InputRequired("type a new password"), Length(max=1000)])
    repeat = PasswordField("New password again", [InputRequired("type the new password twice")])


class OrderForm(_Form):
    version = IntegerField("Version", [InputRequired("reload the order"), NumberRange(min=1)])


class PoNumberForm(OrderForm):
    po_number = StringField("PO number", [DataRequired("type the PO number"), Length(max=64)])


class PoDateForm(OrderForm):
    po_date = DateField("PO date", [InputRequired("pick a date")])


class PickSkuForm(OrderForm):
    line_no = StringField("Line", _LINE_NO)
    sku = StringField("SKU", [DataRequired("pick or type a catalog SKU"), Length(max=64)])


class QuantityForm(OrderForm):
    line_no = StringField("Line", _LINE_NO)
    quantity = DecimalField("Quantity", [Optional()])
    uom = StringField("Unit of measure", [Optional(), Length(max=8)])

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.quantity.data is None and not (self.uom.data or "").strip():
            self.quantity.errors = [*self.quantity.errors, "give a quantity, a unit of measure, or both"]
            return False
        return True


class DateForm(OrderForm):
    qualifier = StringField("Date", [DataRequired("say which date"), Regexp(r"^[A-Za-z0-9]{1,3}$")])
    line_no = StringField("Line", [Optional(), Length(max=32)])
    value = DateField("New date", [InputRequired("pick a date")])


class CustomerForm(OrderForm):
    partner = StringField("Customer", [DataRequired("pick the customer"), Length(max=64)])


class CurrencyForm(OrderForm):
    currency = StringField("Currency", [DataRequired("type the currency, e.g. USD"), Length(max=3)])


class ShipToForm(OrderForm):
    """The ship-to; every field is sent (an empty one clears it)."""

    name = StringField("Name", [Optional(), Length(max=80)])
    party_id = StringField("Location id", [Optional(), Length(max=80)])
    lines = TextAreaField("Street address", [Optional(), Length(max=400)])
    city = StringField("City", [Optional(), Length(max=80)])
    region = StringField("State or region", [Optional(), Length(max=80)])
    postal_code = StringField("Postal code", [Optional(), Length(max=20)])
    country = StringField("Country", [Optional(), Length(max=3)])


class AddLineForm(OrderForm):
    sku = StringField("SKU", [DataRequired("pick or type a catalog SKU"), Length(max=64)])
    quantity = DecimalField("Quantity", [InputRequired("give the quantity")])
    uom = StringField("Unit of measure", [Optional(), Length(max=8)])
    unit_price = DecimalField("Unit price", [Optional()])


class PriceForm(OrderForm):
    line_no = StringField("Line", _LINE_NO)
    unit_price = DecimalField("Unit price", [InputRequired("give the unit price")])


class LineForm(OrderForm):
    """Remove a line."""

    line_no = StringField("Line", _LINE_NO)


class SplitLineForm(OrderForm):
    line_no = StringField("Line", _LINE_NO)
    quantity = DecimalField("Quantity to split off", [InputRequired("give the quantity to split off")])


class ReasonForm(OrderForm):
    """Accept a price (with ``line_no``), release credit, dismiss a duplicate, reject: a reason is required."""

    reason = TextAreaField("Reason", [DataRequired("give a reason"), Length(max=MAX_REASON)])


class RejectForm(ReasonForm):
    """Reject; for a partner's change waiting on the desk, ``whole_order`` rejects the order, not just the change."""

    whole_order = BooleanField("Reject the whole order, not just the change", default=False)


class AcceptPriceForm(ReasonForm):
    line_no = StringField("Line", _LINE_NO)


class MergeForm(OrderForm):
    into = IntegerField("Order it duplicates", [Optional(), NumberRange(min=1)])
    reason = TextAreaField("Reason", [Optional(), Length(max=MAX_REASON)])


class ApproveForm(OrderForm):
    note = TextAreaField("Note", [Optional(), Length(max=MAX_REASON)])
    then = StringField("Then", [Optional(), Regexp(r"^next$", message="only 'next'")])  # approve and next


class MinScoreForm(OrderForm):
    """Use the top suggestion wherever it scores at least this (0-100)."""

    min_score = DecimalField(
        "Match score", [InputRequired("give a score from 0 to 100"), NumberRange(0, 100)]
    )


class ReprocessForm(_Form):
    """Process a document again; its interchange is answered again only when asked."""

    resend_acks = BooleanField("Also send the partner the TA1 and 997/999 again, with new control numbers")


class PlainForm(_Form):
    """A button: logout. Only its CSRF token matters."""


class ResolveAlertForm(_Form):
    """Resolve an alert by hand; the note (optional) goes into the audit log and the "resolved" notice."""

    note = TextAreaField("Note", [Optional(), Length(max=MAX_REASON)])
    back = HiddenField()


class ReplyForm(_Form):
    """The reply to the customer as the clerk sends it; ``gateway.desk.send_reply`` checks the values."""

    to = StringField("To", [DataRequired("give the customer's email address"), Length(max=1000)])
    subject = StringField("Subject", [DataRequired("give the reply a subject"), Length(max=200)])
    body = TextAreaField("Text", [DataRequired("the reply has no text"), Length(max=100_000)])
