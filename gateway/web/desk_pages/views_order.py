"""The order screen and its fixes: ``GET /orders/<id>``, ``POST /orders/<id>/<action>``.

Each fix is one ``OrderDesk`` action in one transaction. Success: the change is committed and
the browser is sent back to the order (303) with a message saying what changed and what still
holds the order. Refused: the transaction is rolled back and the order is shown again, as it
now stands, with why (403 not your role, 409 someone else changed it first or it is already
decided, 422 the change itself).

Sent by htmx (``HX-Request``: the order page boosts its forms), a fix is answered with the page
at once, its message inside the order, and ``HX-Replace-Url`` so that a reload shows the order;
htmx swaps the order's region in place, keeping the scroll. "Approve and next" (``then=next``)
goes on to the next order of the queue once the order is accepted (``HX-Redirect`` for htmx).

``POST /orders/<id>/replies/<outbound_id>/send``: the reply to the customer as the clerk edited it
goes to the outbox and is sent by SMTP at once when ``GATEWAY_SMTP_*`` sets a mail server; what
could not go stays in the outbox, retried by the worker, its error shown on the order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError
from sqlalchemy.orm import Session

from gateway.config import SmtpSettings
from gateway.desk import DeskError
from gateway.desk import DeskOutcome
from gateway.desk import InvalidChange
from gateway.desk import NotInException
from gateway.desk import OrderDesk
from gateway.desk import OrderNotFound
from gateway.desk import PermissionDenied
from gateway.desk import StaleOrder
from gateway.desk import audit_changes
from gateway.desk import drafted_reply_count
from gateway.desk import find_outbound
from gateway.desk import holding_counts
from gateway.desk import order_for_page
from gateway.desk import order_page
from gateway.desk import paging_args
from gateway.desk import send_reply as queue_reply
from gateway.desk.exception_queue import queue_neighbours
from gateway.model.status import OrderStatus
from gateway.model.status import OutboxStatus
from gateway.outbound import replies
from gateway.outbound.mailer import send_due_replies
from gateway.storage import DeskUser

from . import forms
from .context import db
from .context import desk
from .context import now
from .context import render
from .context import services
from .context import user

CATALOG_LIMIT = 12
_STATUS_OF_ERROR: tuple[tuple[type[DeskError], int], ...] = (
    (PermissionDenied, 403),
    (OrderNotFound, 404),
    (StaleOrder, 409),
    (NotInException, 409),
    (InvalidChange, 422),
)

Act = Callable[[OrderDesk, Session, int, int, DeskUser, Any], DeskOutcome]


@dataclass(frozen=True, slots=True)
class Action:
    form: type[forms.OrderForm]
    act: Act
    done: Callable[[Any, DeskOutcome], str]


def _po_number(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.correct_po_number(s, o, v, u, po_number=f.po_number.data)


def _po_date(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.correct_po_date(s, o, v, u, po_date=f.po_date.data)


def _pick_sku(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.pick_sku(s, o, v, u, line_no=f.line_no.data.strip(), sku=f.sku.data)


def _quantity(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    uom = (f.uom.data or "").strip() or None
    return d.correct_quantity(s, o, v, u, line_no=f.line_no.data.strip(), quantity=f.quantity.data, uom=uom)


def _date(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    line_no = (f.line_no.data or "").strip() or None
    return d.correct_date(s, o, v, u, qualifier=f.qualifier.data.strip(), value=f.value.data, line_no=line_no)


def _customer(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.correct_customer(s, o, v, u, partner=f.partner.data)


def _currency(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.correct_currency(s, o, v, u, currency=f.currency.data)


def _ship_to(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    values = {
        "name": f.name.data,
        "id": f.party_id.data,
        "lines": f.lines.data,
        "city": f.city.data,
        "region": f.region.data,
        "postal_code": f.postal_code.data,
        "country": f.country.data,
    }
    return d.correct_ship_to(s, o, v, u, values=values)


def _add_line(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    uom = (f.uom.data or "").strip() or None
    return d.add_line(
        s, o, v, u, sku=f.sku.data, quantity=f.quantity.data, uom=uom, unit_price=f.unit_price.data
    )


def _price(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.correct_price(s, o, v, u, line_no=f.line_no.data.strip(), unit_price=f.unit_price.data)


def _remove_line(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.remove_line(s, o, v, u, line_no=f.line_no.data.strip())


def _split_line(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.split_line(s, o, v, u, line_no=f.line_no.data.strip(), quantity=f.quantity.data)


def _accept_price(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.accept_price(s, o, v, u, line_no=f.line_no.data.strip(), reason=f.reason.data)


def _release_credit(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.release_credit(s, o, v, u, reason=f.reason.data)


def _dismiss(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.dismiss_duplicate(s, o, v, u, reason=f.reason.data)


def _merge(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.merge_duplicate(s, o, v, u, into=f.into.data, reason=f.reason.data or None)


def _approve(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.approve(s, o, v, u, note=f.note.data or None)


def _reject(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.reject(s, o, v, u, reason=f.reason.data, whole_order=bool(f.whole_order.data))


def _accept_prices(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.accept_all_prices(s, o, v, u, reason=f.reason.data)


def _use_suggestions(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.use_top_suggestions(s, o, v, u, min_score=float(f.min_score.data))


def _round_packs(d: OrderDesk, s: Session, o: int, v: int, u: DeskUser, f: Any) -> DeskOutcome:
    return d.round_packs(s, o, v, u)


def _lines(outcome: DeskOutcome) -> str:
    count = len(outcome.lines)
    return f"{count} line{'s' if count != 1 else ''}"


def _approved(_: Any, outcome: DeskOutcome) -> str:
    if outcome.status == OrderStatus.ACCEPTED:
        drafted = drafted_reply_count(db(), outcome.outbound_ids)
        sent = len(outcome.outbound_ids) - drafted
        return (
            "Approved: the order is accepted"
            + (
                f" and {sent} document{'s' if sent != 1 else ''} went to the outbox (see Sent below)."
                if sent
                else "."
            )
            + (
                " The confirmation to the customer is drafted below: read it, edit it if needed, and send it."
                if drafted
                else ""
            )
        )
    return "Checked again, but the order is still held; the findings left are shown below."


def _rejected(outcome: DeskOutcome) -> str:
    if drafted_reply_count(db(), outcome.outbound_ids):
        return (
            "Rejected; the reply to the customer is drafted below: read it, edit it if needed, and send it."
        )
    if outcome.outbound_ids:
        return "Rejected; the answer to the customer is in the outbox (see Sent below)."
    return "Rejected; this partner gets no 855, so nothing more is sent."


def _learned(said: str, outcome: DeskOutcome) -> str:
    """What a fix says, and what it taught about the sender's layout."""
    return f"{said} {outcome.learned.message}" if outcome.learned else said


ACTIONS: dict[str, Action] = {
    "po-number": Action(
        forms.PoNumberForm,
        _po_number,
        lambda f, o: _learned(f"The PO number is now {f.po_number.data.strip()}.", o),
    ),
    "po-date": Action(
        forms.PoDateForm, _po_date, lambda f, o: _learned(f"The PO date is now {f.po_date.data:%Y-%m-%d}.", o)
    ),
    "pick-sku": Action(
        forms.PickSkuForm,
        _pick_sku,
        lambda f, o: _learned(f"Line {f.line_no.data} now orders {f.sku.data.strip()}.", o),
    ),
    "quantity": Action(
        forms.QuantityForm, _quantity, lambda f, o: _learned(f"Line {f.line_no.data} corrected.", o)
    ),
    "date": Action(
        forms.DateForm, _date, lambda f, _: f"Date {f.qualifier.data} is now {f.value.data:%Y-%m-%d}."
    ),
    "customer": Action(
        forms.CustomerForm, _customer, lambda f, _: f"The customer is now {f.partner.data.strip()}."
    ),
    "currency": Action(
        forms.CurrencyForm, _currency, lambda f, _: f"The currency is now {f.currency.data.strip().upper()}."
    ),
    "ship-to": Action(forms.ShipToForm, _ship_to, lambda *_: "The ship-to is corrected."),
    "add-line": Action(
        forms.AddLineForm, _add_line, lambda f, _: f"A line ordering {f.sku.data.strip()} is added."
    ),
    "price": Action(
        forms.PriceForm,
        _price,
        lambda f, _: f"Line {f.line_no.data.strip()} now costs {f.unit_price.data:f}.",
    ),
    "remove-line": Action(
        forms.LineForm, _remove_line, lambda f, _: f"Line {f.line_no.data.strip()} is removed."
    ),
    "split-line": Action(
        forms.SplitLineForm,
        _split_line,
        lambda f, _: f"Line {f.line_no.data.strip()} is split: {f.quantity.data:f} went to a new line.",
    ),
    "accept-price": Action(
        forms.AcceptPriceForm, _accept_price, lambda f, _: f"The price on line {f.line_no.data} is accepted."
    ),
    "release-credit": Action(forms.ReasonForm, _release_credit, lambda *_: "The credit hold is released."),
    "dismiss-duplicate": Action(
        forms.ReasonForm, _dismiss, lambda *_: "Marked as not a duplicate: the PO number no longer holds it."
    ),
    "merge-duplicate": Action(
        forms.MergeForm, _merge, lambda *_: "Closed as a duplicate; nothing was sent to the customer."
    ),
    "approve": Action(forms.ApproveForm, _approve, _approved),
    "reject": Action(forms.RejectForm, _reject, lambda _, o: _rejected(o)),
    "accept-prices": Action(
        forms.ReasonForm, _accept_prices, lambda _, o: f"Accepted the customer's price on {_lines(o)}."
    ),
    "use-suggestions": Action(
        forms.MinScoreForm, _use_suggestions, lambda _, o: f"Used the top suggestion on {_lines(o)}."
    ),
    "round-packs": Action(
        forms.OrderForm, _round_packs, lambda _, o: f"Rounded {_lines(o)} up to whole packs."
    ),
}
DECISIONS = ("approve", "reject", "merge-duplicate")
AFTER_APPROVE_HINT = "Each fix is checked at once; approving checks the order again and sends it on."


@desk.get("/orders/<int:order_id>")
def order(order_id: int) -> ResponseReturnValue:
    return _show(order_id)


@desk.post("/orders/<int:order_id>/<action>")
def act(order_id: int, action: str) -> ResponseReturnValue:
    chosen = ACTIONS.get(action)
    if chosen is None:
        abort(404)
    form = chosen.form()
    if not form.validate() or (version := form.version.data) is None:  # InputRequired: never None here
        return _refused(order_id, error=" ".join(form.problems()), status=422)
    session = db()
    try:
        outcome = chosen.act(services().order_desk, session, order_id, version, user(), form)
    except DeskError as exc:
        session.rollback()
        status = next((code for kind, code in _STATUS_OF_ERROR if isinstance(exc, kind)), 422)
        if status == 404:
            abort(404)
        return _refused(order_id, error=str(exc), status=status, stale=isinstance(exc, StaleOrder))
    except ValidationError as exc:  # the stored order does not read back as an order: say what, never 5xx
        session.rollback()
        return _refused(order_id, error=_unreadable(exc), status=422)
    session.commit()
    message = chosen.done(form, outcome)
    if action not in DECISIONS and outcome.status == OrderStatus.EXCEPTION:
        message = f"{message} {_still_holding(outcome)}"
    still_held = action == "approve" and outcome.status != OrderStatus.ACCEPTED
    category = "warning" if still_held else "success"
    again: dict[str, Any] = paging_args(_page_number(), request.args.get("lines"))  # url_for's **values
    here = url_for("desk.order", order_id=order_id, **again)
    if action == "approve" and outcome.status == OrderStatus.ACCEPTED and request.form.get("then") == "next":
        _, following = queue_neighbours(session, order_id)
        there = url_for("desk.order", order_id=following) if following else url_for("desk.queue")
        flash(message, category)
        if _from_htmx():
            return "", 200, {"HX-Redirect": there}
        return redirect(there, 303)
    if _from_htmx():
        body, status = _show(order_id, notice=(category, message))
        return body, status, {"HX-Replace-Url": here}
    flash(message, category)
    return redirect(url_for("desk.order", order_id=order_id, _anchor="top", **again), 303)


def _unreadable(error: ValidationError) -> str:
    """Which fields of the stored order are missing or wrong, in words."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'the order'}: {e['msg'].lower()}" for e in error.errors()[:5]
    )
    return f"the order as stored cannot be read ({problems}); correct those fields, or reject the order"


def _refused(order_id: int, *, error: str, status: int, stale: bool = False) -> ResponseReturnValue:
    """The order as it stands, with why the change was not made; htmx keeps the order's address."""
    body, code = _show(order_id, error=error, status=status, stale=stale)
    again: dict[str, Any] = paging_args(_page_number(), request.args.get("lines"))  # url_for's **values
    here = url_for("desk.order", order_id=order_id, **again)
    return body, code, ({"HX-Replace-Url": here} if _from_htmx() else {})


def _from_htmx() -> bool:
    """Whether htmx sent the request (a boosted form of the order page): it swaps the answer in place."""
    return request.headers.get("HX-Request") == "true"


def _still_holding(outcome: DeskOutcome) -> str:
    """What the fix left, from the findings evaluated at once: "2 findings still hold it." """
    count = len(outcome.blocking)
    if count == 0:
        return "Nothing holds the order any more: approve it to send it on."
    return f"{count} finding{'s' if count != 1 else ''} still hold{'s' if count == 1 else ''} it."


def _page_number() -> int | None:
    """``?page=N``: which page of the order's lines to show (None: the first, findings first)."""
    number = request.args.get("page", "")
    return int(number) if number.isdigit() and len(number) < 9 else None


def _show(
    order_id: int,
    *,
    error: str | None = None,
    status: int = 200,
    stale: bool = False,
    notice: tuple[str, str] | None = None,
) -> tuple[str, int]:
    session = db()
    stored = order_for_page(session, order_id)  # its canonical JSON read in parts: the page's lines only
    if stored is None:
        abort(404)
    page = order_page(session, stored, page=_page_number(), lines=request.args.get("lines"))
    query = request.args.get("q", "").strip()[:100]
    line = request.args.get("line", "").strip()[:32] or None
    if query and page.in_exception:
        catalog = services().order_desk.search_catalog(session, query, CATALOG_LIMIT, order_id=order_id)
        page = replace(page, catalog=catalog, catalog_query=query, catalog_line=line)
    smtp, _ = _smtp()
    previous, following = queue_neighbours(session, order_id)
    suggested = [
        str(s["sku"]) for f in page.findings if f.code == "unknown_item" for s in f.suggestions or []
    ]
    sent_replies = [replies.read_reply(o) for o in page.outbound if o.kind == replies.KIND]
    catalog_items = services().order_desk.catalog_items(session, suggested) if page.in_exception else {}
    holding = holding_counts(session, order_id) if page.in_exception else {}
    db().commit()  # end the read before rendering
    return render(
        "order.html",
        status,
        page=page,
        error=error,
        stale=stale,
        audit_changes=audit_changes,
        hint=AFTER_APPROVE_HINT,
        partners=sorted(services().partners, key=lambda p: p.name),
        replies=sent_replies,
        smtp_from=smtp.sender if smtp else None,
        notice=notice,
        queue_previous=previous,
        queue_next=following,
        suggested=catalog_items,
        holding=holding,
    )


@desk.post("/orders/<int:order_id>/replies/<int:outbound_id>/send")
def send_reply(order_id: int, outbound_id: int) -> ResponseReturnValue:
    """Queue the reply as the clerk edited it, then try to send it at once; a failure stays in the outbox."""
    form = forms.ReplyForm()
    if not form.validate():
        return _refused(order_id, error=" ".join(form.problems()), status=422)
    session = db()
    try:
        queued = queue_reply(
            session,
            order_id,
            outbound_id,
            user(),
            to=form.to.data or "",
            subject=form.subject.data or "",
            body=form.body.data or "",
            when=now(),
        )
    except DeskError as exc:
        session.rollback()
        status = next((code for kind, code in _STATUS_OF_ERROR if isinstance(exc, kind)), 422)
        if status == 404:
            abort(404)
        return _refused(order_id, error=str(exc), status=status)
    session.commit()
    category, message = _sent(session, outbound_id, queued.to)
    if _from_htmx():  # swapped in place, the message inside the order
        body, status = _show(order_id, notice=(category, message))
        return body, status, {"HX-Replace-Url": url_for("desk.order", order_id=order_id)}
    flash(message, category)
    return redirect(url_for("desk.order", order_id=order_id, _anchor=f"reply-{outbound_id}"), 303)


def _sent(session: Session, outbound_id: int, to: str) -> tuple[str, str]:
    """Send the queued reply at once if a mail server is set; the message category and text saying how it went."""
    smtp, problem = _smtp()
    if smtp is None:
        return (
            "warning",
            f"The reply is in the outbox but not sent: {problem}. It goes when the mail server is set.",
        )
    report = send_due_replies(services().sessions, smtp, now=now(), only=outbound_id)
    row = find_outbound(session, outbound_id)
    if report.sent:
        return "success", f"Sent to {to}."
    if row is not None and row.status == OutboxStatus.DEAD:
        return "error", f"Not sent: {row.last_error}. Correct the reply and send it again."
    error = row.last_error if row is not None else "unknown"
    return "warning", f"Not sent yet: {error}. It stays in the outbox and is tried again."


def _smtp() -> tuple[SmtpSettings | None, str]:
    """The mail server from GATEWAY_SMTP_* (the app's config over the environment), or why there is none."""
    env = {
        **os.environ,
        **{k: str(v) for k, v in current_app.config.items() if k.startswith("GATEWAY_SMTP_")},
    }
    try:
        found = SmtpSettings.from_environment(env)
    except ValueError as exc:
        return None, str(exc)
    return found, "no mail server is set (GATEWAY_SMTP_HOST)" if found is None else ""
