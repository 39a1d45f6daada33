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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from sqlalchemy.orm import defer

from gateway import storage
from gateway.desk import DeskError
from gateway.desk import DeskOutcome
from gateway.desk import InvalidChange
from gateway.desk import NotInException
from gateway.desk import OrderDesk
from gateway.desk import OrderNotFound
from gateway.desk import PermissionDenied
from gateway.desk import StaleOrder
from gateway.desk.queue import queue_neighbours
from gateway.storage import DeskUser

from . import forms
from .context import db
from .context import desk
from .context import render
from .context import services
from .context import user
from .order_page import audit_changes
from .order_page import holding_counts
from .order_page import order_page
from .order_page import paging_args

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
    return d.reject(s, o, v, u, reason=f.reason.data)


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
    if outcome.status == "accepted":
        sent = len(outcome.outbound_ids)
        return "Approved: the order is accepted" + (
            f" and {sent} document{'s' if sent != 1 else ''} went to the outbox (see Sent below)."
            if sent
            else "."
        )
    return "Checked again, but the order is still held; the findings left are shown below."


def _rejected(outcome: DeskOutcome) -> str:
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
    "reject": Action(forms.ReasonForm, _reject, lambda _, o: _rejected(o)),
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
    session.commit()
    message = chosen.done(form, outcome)
    if action not in DECISIONS and outcome.status == "exception":
        message = f"{message} {_still_holding(outcome)}"
    still_held = action == "approve" and outcome.status != "accepted"
    category = "warning" if still_held else "success"
    again: dict[str, Any] = paging_args(_page_number(), request.args.get("lines"))  # url_for's **values
    here = url_for("desk.order", order_id=order_id, **again)
    if action == "approve" and outcome.status == "accepted" and request.form.get("then") == "next":
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


def _refused(order_id: int, *, error: str, status: int, stale: bool = False) -> ResponseReturnValue:
    """The order as it stands, with why the change was not made; htmx keeps the order's address."""
    body, code = _show(order_id, error=error, status=status, stale=stale)
    here = url_for("desk.order", order_id=order_id, **paging_args(_page_number(), request.args.get("lines")))
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
    # the canonical JSON is read in parts: the page's lines only
    stored = session.get(storage.PurchaseOrder, order_id, options=[defer(storage.PurchaseOrder.canonical)])
    if stored is None:
        abort(404)
    page = order_page(session, stored, page=_page_number(), lines=request.args.get("lines"))
    query = request.args.get("q", "").strip()[:100]
    line = request.args.get("line", "").strip()[:32] or None
    if query and page.in_exception:
        page.catalog = services().order_desk.search_catalog(session, query, CATALOG_LIMIT, order_id=order_id)
        page.catalog_query, page.catalog_line = query, line
    previous, following = queue_neighbours(session, order_id)
    suggested = [
        str(s["sku"]) for f in page.findings if f.code == "unknown_item" for s in f.suggestions or []
    ]
    return render(
        "order.html",
        status,
        page=page,
        error=error,
        stale=stale,
        audit_changes=audit_changes,
        hint=AFTER_APPROVE_HINT,
        notice=notice,
        queue_previous=previous,
        queue_next=following,
        suggested=services().order_desk.catalog_items(session, suggested) if page.in_exception else {},
        holding=holding_counts(session, order_id) if page.in_exception else {},
    )
