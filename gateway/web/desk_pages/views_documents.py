"""Inbound documents (every one, also those that made no order) and what we sent out.

``GET /documents``, ``GET /documents/<id>``, ``GET /documents/<id>/raw`` (the stored bytes, as
an attachment), ``GET /documents/<id>/pages/<n>.png`` (a PDF page for the source view, ``?scale=3`` drawn sharp
for zooming), ``GET /documents/<id>/pages/<n>/words.json`` (the words OCR read on a scanned page),
``POST /documents/<id>/reprocess``; ``GET /outbound/<id>`` and ``GET /outbound/<id>/raw``.

A document that made no order is resolved on its page (``gateway.desk.DocumentDesk``):
``POST /documents/<id>/assign`` (its customer, then processed), ``.../key-in`` (the order keyed
in beside the source), ``.../partner-profile`` (an admin saves an unknown X12 sender's profile,
then the document is processed) and ``.../dismiss`` (with a reason). A bad input answers 422
with the page and the message; the wrong role 403.

Raw bytes always go out as ``application/octet-stream`` attachments with a cleaned file name,
so a hostile upload is never shown inline by the browser.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import abort
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import request
from flask import send_file
from flask import url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy.orm import Session

from gateway import storage
from gateway.config import partners_dir
from gateway.desk import ADMIN
from gateway.desk import ASSIGNABLE_FORMATS
from gateway.desk import DESK_ROLES
from gateway.desk import FORMAT_CHANNEL
from gateway.desk import MARKABLE_FORMATS
from gateway.desk import DocumentDesk
from gateway.desk import InvalidChange
from gateway.desk import PermissionDenied
from gateway.desk import X12Preview
from gateway.desk import document_detail
from gateway.desk import document_list
from gateway.desk import document_source
from gateway.desk import find_document
from gateway.desk import find_outbound
from gateway.desk import keyed_order_from_form
from gateway.desk import reprocess_refusal
from gateway.desk import require_role
from gateway.desk import resolution_refusal
from gateway.desk.sources import DEFAULT_SCALE
from gateway.desk.sources import SCALES
from gateway.desk.sources import CannotShow
from gateway.desk.sources import document_page_words
from gateway.desk.sources import render_document_page
from gateway.errors import ReprocessRefused
from gateway.model.status import DocumentStatus
from gateway.outbound import replies

from .auth import REPROCESS_ROLES
from .context import db
from .context import desk
from .context import discard
from .context import now
from .context import render
from .context import services
from .context import user
from .forms import ReprocessForm

# the documents page's status filter, in this order (it has never offered ``held``)
STATUSES = (
    DocumentStatus.RECEIVED,
    DocumentStatus.PROCESSED,
    DocumentStatus.REJECTED,
    DocumentStatus.UNKNOWN_PARTNER,
    DocumentStatus.FAILED,
    DocumentStatus.DISMISSED,
)
KEYED_ROWS = 3  # empty line rows the keyed-order form starts with
MAX_PAGE = 10_000
# A page read as text has no OCR words: an answer, not an error. A missing page is not found.
_WORDS_STATUS = {"ocr.text_layer": 200, "document.missing": 404, "email.no_part": 404, "ocr.no_page": 404,
                 "pdf.no_page": 404}  # fmt: skip
_EXTENSIONS = {"x12": "edi", "pdf": "pdf", "xlsx": "xlsx", "csv": "csv", "email": "eml"}


@desk.get("/documents")
def documents() -> ResponseReturnValue:
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    search = request.args.get("q", "").strip()[:100]
    page = _page_number(request.args.get("page"))
    listing = document_list(db(), status=status, search=search, page=page)
    db().commit()  # end the read before rendering
    return render("documents.html", listing=listing, statuses=STATUSES)


@desk.get("/documents/<int:document_id>")
def document(document_id: int) -> ResponseReturnValue:
    return _document_page(document_id)


@dataclass(frozen=True, slots=True)
class ResolveView:
    """What the document page offers to resolve a document that made no order."""

    open: bool  # the document made no order and waits for a person
    can_assign: bool  # its format does not name its customer (PDF, sheet, scan)
    can_key: bool  # an order can be keyed in from it
    can_mark: bool  # regions can be marked on its page images
    partners: list[tuple[str, str]]  # (name, label) to pick the customer from
    preview: X12Preview | None  # an unknown X12 sender's interchange, read provisionally
    rows: int  # line rows of the keyed-order form


def _document_page(
    document_id: int,
    status: int = 200,
    *,
    problem: str | None = None,
    action: str | None = None,
    form: dict[str, str] | None = None,
) -> ResponseReturnValue:
    """The document's page; after a refused action, with its ``problem`` and the ``form`` sent back."""
    session = db()
    found = _document(session, document_id)
    detail = document_detail(session, document_id)
    source = document_source(session, found, detail.orders)
    refusal = reprocess_refusal(session, document_id)
    resolve = _resolve_view(session, found, form)
    db().commit()  # end the read before rendering
    return render(
        "document.html",
        status,
        document=found,
        orders=detail.orders,
        order_count=detail.order_count,
        listed=detail.listed,
        outbound=detail.outbound,
        source=source,
        refusal=refusal,
        reprocess_form=ReprocessForm(),
        resolve=resolve,
        resolve_problem=problem,
        resolve_action=action,
        resolve_form=form or {},
        can_resolve=user().role in DESK_ROLES and not user().disabled,
        can_create_profile=user().role == ADMIN and not user().disabled,
    )


def _resolve_view(session: Session, found: storage.Document, form: dict[str, str] | None) -> ResolveView:
    is_open = resolution_refusal(session, found.id) is None
    partners = [(p.name, p.label) for p in services().pipeline.partners]
    preview = _documents().preview(session, found.id) if is_open else None
    keyed_rows = {
        int(k.split("-")[1]) for k in (form or {}) if k.startswith("line-") and k.split("-")[1].isdigit()
    }
    return ResolveView(
        open=is_open,
        can_assign=found.format in ASSIGNABLE_FORMATS,
        can_key=found.format in FORMAT_CHANNEL,
        can_mark=found.format in MARKABLE_FORMATS,
        partners=partners,
        preview=preview,
        rows=max(KEYED_ROWS, max(keyed_rows, default=-1) + 1),
    )


def _documents() -> DocumentDesk:
    folder = current_app.config.get("DESK_PARTNERS_DIR") or partners_dir()
    return DocumentDesk(services().pipeline, profiles_dir=Path(folder), clock=services().clock)


def _resolved(document_id: int, message: str) -> ResponseReturnValue:
    flash(message, "success")
    return redirect(url_for("desk.document", document_id=document_id), 303)


def _resolve(document_id: int, action: str, run: Callable[[DocumentDesk], str]) -> ResponseReturnValue:
    """Run one resolving action: done, back to the page with its message; refused, the page with
    the problem (422) and the form as sent; the wrong role, 403."""
    session = db()
    _document(session, document_id)
    session.commit()  # the action works in its own transactions; on SQLite ours would block them
    try:
        message = run(_documents())
    except PermissionDenied as exc:
        abort(403, str(exc))
    except (InvalidChange, ReprocessRefused) as exc:
        discard()
        form = {k: v for k, v in request.form.items() if k != "csrf_token"}
        return _document_page(document_id, 422, problem=str(exc), action=action, form=form)
    return _resolved(document_id, message)


def _orders_made(document_id: int, status: str, order_ids: list[int]) -> str:
    count = len(order_ids)
    return f"{status.replace('_', ' ').capitalize()}: {count} order{'s' if count != 1 else ''} made."


@desk.post("/documents/<int:document_id>/assign")
def assign_customer(document_id: int) -> ResponseReturnValue:
    partner = request.form.get("partner", "")

    def run(documents: DocumentDesk) -> str:
        done = documents.assign_customer(document_id, partner, user())
        return f"Customer {partner} assigned and the document processed. " + _orders_made(
            document_id, done.status, done.order_ids
        )

    return _resolve(document_id, "assign", run)


@desk.post("/documents/<int:document_id>/key-in")
def key_in(document_id: int) -> ResponseReturnValue:
    def run(documents: DocumentDesk) -> str:
        keyed = keyed_order_from_form(request.form, documents.partners)
        done = documents.key_in(document_id, keyed, user())
        return f"Order {keyed.po_number} keyed in. " + _orders_made(document_id, done.status, done.order_ids)

    return _resolve(document_id, "key-in", run)


@desk.post("/documents/<int:document_id>/dismiss")
def dismiss_document(document_id: int) -> ResponseReturnValue:
    reason = request.form.get("reason", "")

    def run(documents: DocumentDesk) -> str:
        documents.dismiss(document_id, reason, user())
        return "Dismissed: the document is kept, and out of the queue."

    return _resolve(document_id, "dismiss", run)


@desk.post("/documents/<int:document_id>/partner-profile")
def create_partner_profile(document_id: int) -> ResponseReturnValue:
    text = request.form.get("profile", "").replace("\r\n", "\n")

    def run(documents: DocumentDesk) -> str:
        done = documents.create_profile(document_id, text, user())
        return f"Profile {done.profile} saved and the document processed. " + _orders_made(
            document_id, done.status, done.order_ids
        )

    return _resolve(document_id, "partner-profile", run)


@desk.get("/documents/<int:document_id>/raw")
def document_raw(document_id: int) -> ResponseReturnValue:
    session = db()
    found = _document(session, document_id)
    data = storage.document_bytes(session, document_id)
    session.commit()
    name = (
        storage.safe_filename(found.filename)
        or f"document-{document_id}.{_EXTENSIONS.get(found.format or '', 'bin')}"
    )
    return _attachment(data, name)


@desk.get("/documents/<int:document_id>/pages/<int:page>.png")
def document_page(document_id: int, page: int) -> ResponseReturnValue:
    part = request.args.get("part") or None
    scale = _scale(request.args.get("scale"))
    if scale is None:
        abort(404, f"pages are drawn at scales {', '.join(f'{s:g}' for s in SCALES)} only")
    session = db()
    rendered = render_document_page(session, document_id, page, mime_part=part, scale=scale)
    session.commit()
    if isinstance(rendered, CannotShow):
        abort(404, rendered.message)
    response = send_file(io.BytesIO(rendered.png), mimetype="image/png", etag=rendered.etag, max_age=86400)
    response.cache_control.private = True
    response.cache_control.public = False
    return response.make_conditional(request)


@desk.get("/documents/<int:document_id>/pages/<int:page>/words.json")
def document_page_ocr_words(document_id: int, page: int) -> ResponseReturnValue:
    """The words OCR read on a scanned page, boxes in percent of the page image (read on demand)."""
    part = request.args.get("part") or None
    session = db()
    found = document_page_words(session, document_id, page, mime_part=part)
    session.commit()
    if isinstance(found, CannotShow):
        answer = {"page": page, "words": [], "problem": {"code": found.code, "message": found.message}}
        return jsonify(answer), _WORDS_STATUS.get(found.code, 422)
    words = [
        {
            "text": w.text,
            "confidence": w.confidence,
            "left": w.left,
            "top": w.top,
            "width": w.width,
            "height": w.height,
        }
        for w in found.words
    ]
    response = jsonify({"page": page, "words": words, "problem": None})
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    return response


@desk.post("/documents/<int:document_id>/reprocess")
def reprocess(document_id: int) -> ResponseReturnValue:
    session = db()
    actor = user()
    try:
        require_role(actor, *REPROCESS_ROLES, doing="reprocess a document")
    except PermissionDenied as exc:
        abort(403, str(exc))
    _document(session, document_id)
    refusal = reprocess_refusal(session, document_id)
    if refusal is not None:
        flash(refusal, "error")
        return redirect(url_for("desk.document", document_id=document_id), 303)
    session.commit()  # the pipeline works in its own transaction; on SQLite ours would block it
    try:  # asked again under the row lock: a worker may have decided an order meanwhile
        outcome = services().pipeline.process(
            document_id,
            again=True,
            resend_acks=bool(ReprocessForm().resend_acks.data),
            refuse=reprocess_refusal,
        )
    except ReprocessRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("desk.document", document_id=document_id), 303)
    storage.record_audit(
        session,
        actor=actor.username,
        action="document.reprocess",
        subject_type="document",
        subject_id=str(document_id),
        after={"status": outcome.status, "order_ids": outcome.order_ids},
        at=now(),
    )
    session.commit()
    count = len(outcome.order_ids)
    flash(
        f"Processed again: {outcome.status.replace('_', ' ')}, {count} order{'s' if count != 1 else ''}.",
        "success",
    )
    return redirect(url_for("desk.document", document_id=document_id), 303)


@desk.get("/outbound/<int:outbound_id>")
def outbound(outbound_id: int) -> ResponseReturnValue:
    found = find_outbound(db(), outbound_id)
    if found is None:
        abort(404)
    # What we wrote ourselves is shown whole (escaped here), past the cap on values from outside.
    text = Markup.escape(_readable(found))
    db().commit()  # end the read before rendering
    return render("outbound.html", outbound=found, text=text)


@desk.get("/outbound/<int:outbound_id>/raw")
def outbound_raw(outbound_id: int) -> ResponseReturnValue:
    session = db()
    found = find_outbound(session, outbound_id)
    if found is None:
        abort(404)
    session.commit()
    return _attachment(
        found.content, f"{_kind_name(found.kind)}-{found.id}.{_outbound_extension(found.kind)}"
    )


def _readable(found: storage.OutboundRecord) -> str:
    """The document as a person reads it: a reply to a customer as its headers and decoded text, not MIME."""
    if found.kind != replies.KIND:
        return found.content.decode("utf-8", errors="replace")
    reply = replies.read_reply(found)
    head = [
        ("From", reply.sender),
        ("To", reply.to),
        ("Subject", reply.subject),
        ("In-Reply-To", reply.in_reply_to),
    ]
    return "".join(f"{name}: {value}\n" for name, value in head if value) + "\n" + reply.body


def _scale(raw: str | None) -> float | None:
    """The page scale asked for: the default when none, one of ``SCALES``, or None."""
    if raw is None:
        return DEFAULT_SCALE
    try:
        asked = float(raw)
    except ValueError:
        return None
    return asked if asked in SCALES else None


def _document(session: Session, document_id: int) -> storage.Document:
    found = find_document(session, document_id)
    if found is None:
        abort(404)
    return found


def _attachment(data: bytes, name: str) -> ResponseReturnValue:
    response = send_file(
        io.BytesIO(data), mimetype="application/octet-stream", as_attachment=True, download_name=name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _kind_name(kind: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in kind)


def _outbound_extension(kind: str) -> str:
    if kind.startswith("erp."):
        return "json"
    if kind.startswith("email."):
        return "eml"
    return "edi"


def _page_number(raw: str | None) -> int:
    return min(int(raw), MAX_PAGE) if raw and raw.isdigit() and int(raw) > 0 else 1
