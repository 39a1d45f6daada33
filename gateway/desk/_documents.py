"""Documents that made no order, resolved on the desk: assign the customer, key the order in, create an
unknown X12 sender's profile, or dismiss with a reason.

Each action is checked for the user's role, then done as its own unit of work, as the pipeline
and the CLI do: assigning a customer names the document's partner and processes it again
through ``Pipeline.process`` (what ``gateway ingest --partner NAME`` does); a keyed order goes
through ``Pipeline.store_keyed``, so it is validated, stored and decided as any order; a new
profile is validated by the loader, written where profiles live, added to the running registry,
and the document processed. Every action writes one audit entry. A bad input raises
``InvalidChange`` with a sentence for the clerk; nothing is changed then.

An unknown X12 sender's interchange is shown as read with a provisional profile made from its
own envelope (``gateway.inbound.provisional``, the reading the pipeline stores at intake); reading it
sends nothing.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage
from gateway.inbound.pipeline import IngestOutcome
from gateway.inbound.pipeline import Pipeline
from gateway.inbound.provisional import X12Preview as X12Preview
from gateway.inbound.provisional import read_unknown_x12
from gateway.inbound.provisional import x12_preview as x12_preview
from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Provenance
from gateway.model.order import Quantity
from gateway.model.status import DocumentStatus
from gateway.storage import DeskUser
from parsers import X12
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import ProfileError
from partners import load_profile

from ._actions import DESK_ROLES
from ._actions import MAX_REASON
from ._edits import MAX_PO_NUMBER
from ._edits import parse_quantity
from ._errors import InvalidChange
from ._locking import SUBJECT
from ._users import ADMIN
from ._users import require_role
from .sources import page_frame

# Statuses of a document that made no order and waits for a person (the queue's document rows).
RESOLVABLE = (
    DocumentStatus.UNKNOWN_PARTNER,
    DocumentStatus.REJECTED,
    DocumentStatus.FAILED,
    DocumentStatus.HELD,
)
# Formats whose customer the document does not name itself: a customer can be assigned.
ASSIGNABLE_FORMATS = ("pdf", "image", "xlsx", "csv")
FORMAT_CHANNEL = {
    "pdf": Channel.PDF,
    "image": Channel.PDF,
    "xlsx": Channel.EXCEL,
    "csv": Channel.EXCEL,
    "email": Channel.EMAIL,
}
MARKABLE_FORMATS = ("pdf", "image")  # regions are marked on the page images of these
MAX_KEYED_LINES = 200
MAX_PROFILE_BYTES = 64 * 1024
MAX_PAGE = 300
_PART = re.compile(r"^[^\x00-\x1f]{1,64}$")
_UOM = re.compile(r"^[A-Z0-9]{1,8}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_REGION = re.compile(r"^(\d{1,4}):([-0-9.eE]+),([-0-9.eE]+),([-0-9.eE]+),([-0-9.eE]+)$")
_PRICE_PLACES = 4


def resolution_refusal(session: Session, document_id: int) -> str | None:
    """Why document ``document_id`` cannot be resolved on the desk now, or None.

    Only a document that made no order and waits for a person can be: one that made orders is
    worked on through those orders. Also the pipeline's ``refuse``, asked under the row lock.
    """
    document = session.get(storage.Document, document_id)
    if document is None:
        return f"there is no document {document_id}"
    order_id = session.scalar(
        select(func.min(storage.PurchaseOrder.id)).where(storage.PurchaseOrder.document_id == document_id)
    )
    if order_id is not None:
        return f"document {document_id} already made order {order_id}; work on it through that order"
    if document.status not in RESOLVABLE:
        return (
            f"document {document_id} is {document.status.replace('_', ' ')}; only a document that made "
            "no order and waits in the queue can be resolved"
        )
    return None


# -- keyed orders -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Region:
    """Where on the source the clerk marked a value: a page and a box in the page's points."""

    page: int
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class KeyedLine:
    part: str
    quantity: Decimal
    uom: str
    unit_price: Decimal | None
    description: str | None = None
    regions: dict[str, Region] = field(default_factory=dict)  # by field: part, quantity, uom, unit_price


@dataclass(frozen=True, slots=True)
class KeyedOrder:
    """An order as the clerk keyed it in beside its source."""

    partner: str
    po_number: str
    po_date: date | None
    currency: str | None
    lines: list[KeyedLine]
    regions: dict[str, Region] = field(default_factory=dict)  # by field: po_number, po_date


def keyed_order_from_form(form: Mapping[str, str], partners: PartnerRegistry) -> KeyedOrder:
    """Read the keyed-order form: ``partner``, ``po_number``, ``po_date``, ``currency``, and for each
    line ``i`` ``line-i-part``, ``line-i-quantity``, ``line-i-uom``, ``line-i-price``,
    ``line-i-description``; ``region-<name>`` holds a marked region as ``page:x0,y0,x1,y1``, fractions of the page image (see ``place_regions``).

    Rows left empty are skipped. Every problem is named at once in one ``InvalidChange``.
    """
    problems: list[str] = []

    def text(name: str) -> str:
        return (form.get(name) or "").strip()

    def region(name: str) -> Region | None:
        raw = text(f"region-{name}")
        if not raw:
            return None
        found = _region(raw)
        if found is None:
            problems.append(
                f"the region marked for {name.replace('-', ' ')} is not a box on a page ({raw[:40]!r})"
            )
        return found

    partner = text("partner")
    if not partner:
        problems.append("customer: pick the customer")
    elif partners.get(partner) is None:
        problems.append(f"customer: there is no partner {partner[:64]!r}")
    po_number = text("po_number")
    if not po_number:
        problems.append("PO number: type the PO number")
    elif len(po_number) > MAX_PO_NUMBER:
        problems.append(f"PO number: at most {MAX_PO_NUMBER} characters")
    po_date = None
    if text("po_date"):
        try:
            po_date = date.fromisoformat(text("po_date"))
        except ValueError:
            problems.append(f"PO date: {text('po_date')[:20]!r} is not a date (YYYY-MM-DD)")
    currency = text("currency").upper() or None
    if currency is not None and not _CURRENCY.match(currency):
        problems.append(f"currency: {currency[:10]!r} is not a three-letter code such as USD")
    regions = {name: r for name in ("po_number", "po_date") if (r := region(name)) is not None}
    lines: list[KeyedLine] = []
    for index in range(MAX_KEYED_LINES):
        prefix = f"line-{index}-"
        values = {name: text(prefix + name) for name in ("part", "quantity", "uom", "price", "description")}
        if not any(values.values()):
            continue
        where = f"line {len(lines) + 1}"
        part, uom = values["part"], values["uom"].upper()
        if not part:
            problems.append(f"{where}: type the part number")
        elif not _PART.match(part):
            problems.append(f"{where}: the part number is at most 64 characters on one line")
        quantity = _keyed_number(values["quantity"], f"{where} quantity", problems, required=True)
        if quantity is not None:
            try:
                parse_quantity(quantity)
            except InvalidChange as exc:
                problems.append(f"{where}: {exc}")
                quantity = None
        if not _UOM.match(uom):
            problems.append(f"{where}: the unit must be a code of 1-8 letters or digits, e.g. EA or CA")
        price = _keyed_number(values["price"], f"{where} price", problems, required=False)
        if price is not None and price < 0:
            problems.append(f"{where}: the price cannot be below zero")
        line_regions = {
            name: r
            for name in ("part", "quantity", "uom", "price")
            if (r := region(prefix + name)) is not None
        }
        if quantity is not None and part and _UOM.match(uom):
            lines.append(
                KeyedLine(part, quantity, uom, price, values["description"][:500] or None, line_regions)
            )
    if not lines and not any(p.startswith("line ") for p in problems):
        problems.append("lines: key in at least one line (part, quantity and unit)")
    if problems:
        raise InvalidChange("; ".join(problems))
    return KeyedOrder(partner, po_number, po_date, currency, lines, regions)


def _keyed_number(raw: str, what: str, problems: list[str], *, required: bool) -> Decimal | None:
    if not raw:
        if required:
            problems.append(f"{what}: type a number")
        return None
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        problems.append(f"{what}: {raw[:20]!r} is not a number")
        return None
    if not value.is_finite() or abs(value) >= Decimal(10) ** 12:
        problems.append(f"{what}: {raw[:20]!r} is out of range")
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_PRICE_PLACES:
        problems.append(f"{what}: at most {_PRICE_PLACES} decimals")
        return None
    return value


def _region(raw: str) -> Region | None:
    found = _REGION.match(raw)
    if found is None:
        return None
    page = int(found.group(1))
    try:
        x0, y0, x1, y1 = (float(found.group(i)) for i in range(2, 6))
    except ValueError:
        return None
    numbers = (x0, y0, x1, y1)
    if not 1 <= page <= MAX_PAGE or not all(math.isfinite(v) and 0 <= v <= 1 for v in numbers):
        return None
    if x1 <= x0 or y1 <= y0:
        return None
    return Region(page, (x0, y0, x1, y1))


def place_regions(
    keyed: KeyedOrder, frame: Callable[[int], tuple[float, float, float, float] | None]
) -> KeyedOrder:
    """The keyed order with its marked regions, given as fractions of the page image, in the page's
    points (``frame(page)``: the crop box the image shows, as ``sources.page_frame`` gives it), as the
    readers' boxes are. A page that cannot be read is an ``InvalidChange``."""
    frames: dict[int, tuple[float, float, float, float] | None] = {}

    def placed(region: Region) -> Region:
        if region.page not in frames:
            frames[region.page] = frame(region.page)
        box = frames[region.page]
        if box is None:
            raise InvalidChange(
                f"page {region.page} of the document cannot be read to place the region marked on it"
            )
        cx0, ctop, cx1, cbottom = box
        fx0, fy0, fx1, fy1 = region.bbox
        width, height = cx1 - cx0, cbottom - ctop
        points = (cx0 + fx0 * width, ctop + fy0 * height, cx0 + fx1 * width, ctop + fy1 * height)
        return Region(
            region.page, (round(points[0], 2), round(points[1], 2), round(points[2], 2), round(points[3], 2))
        )

    lines = [
        KeyedLine(
            line.part,
            line.quantity,
            line.uom,
            line.unit_price,
            line.description,
            {name: placed(r) for name, r in line.regions.items()},
        )
        for line in keyed.lines
    ]
    regions = {name: placed(r) for name, r in keyed.regions.items()}
    return KeyedOrder(keyed.partner, keyed.po_number, keyed.po_date, keyed.currency, lines, regions)


def _without_regions(keyed: KeyedOrder) -> KeyedOrder:
    lines = [KeyedLine(x.part, x.quantity, x.uom, x.unit_price, x.description) for x in keyed.lines]
    return KeyedOrder(keyed.partner, keyed.po_number, keyed.po_date, keyed.currency, lines)


def keyed_canonical(
    keyed: KeyedOrder,
    *,
    channel: Channel,
    catalog: Callable[[str], bool],
    actor: str,
    at: datetime,
) -> Order:
    """The canonical order of a keyed one; every value's provenance says who keyed it, when, and
    where on the source it was marked. ``catalog(part)`` tells a catalog SKU from a customer's part."""
    keyed_at = at.isoformat(timespec="seconds")

    def source(region: Region | None) -> Provenance:
        if region is None:
            return Provenance(keyed_by=actor, keyed_at=keyed_at)
        return Provenance(page=region.page, bbox=region.bbox, keyed_by=actor, keyed_at=keyed_at)

    lines: list[OrderLine] = []
    for number, line in enumerate(keyed.lines, start=1):
        ours = catalog(line.part)  # our SKU, or the customer's own part number
        item = "vendor_sku" if ours else "buyer_part"
        provenance = {
            item: source(line.regions.get("part")),
            "quantity": source(line.regions.get("quantity") or line.regions.get("uom")),
        }
        if line.unit_price is not None:
            provenance["unit_price"] = source(line.regions.get("price"))
        lines.append(
            OrderLine(
                line_no=str(number),
                quantity=Quantity(value=line.quantity, uom=line.uom),
                unit_price=line.unit_price,
                description=line.description,
                provenance=provenance,
                vendor_sku=line.part if ours else None,
                buyer_part=None if ours else line.part,
            )
        )
    provenance = {"po_number": source(keyed.regions.get("po_number")), "partner": source(None)}
    if keyed.po_date is not None:
        provenance["po_date"] = source(keyed.regions.get("po_date"))
    return Order(
        partner=keyed.partner,
        channel=channel,
        po_number=keyed.po_number,
        po_date=keyed.po_date,
        currency=keyed.currency,
        lines=lines,
        provenance=provenance,
    )


def check_profile_text(text: str, directory: Path, partners: PartnerRegistry) -> PartnerProfile:
    """The profile ``text`` as the loader reads it, or ``InvalidChange`` saying what is wrong with it.

    The text is written beside the profiles under a temporary name and loaded by
    ``partners.load_profile``; a clash with a profile already there (name, ISA sender) is refused.
    """
    if len(text.encode("utf-8")) > MAX_PROFILE_BYTES:
        raise InvalidChange(f"the profile is over {MAX_PROFILE_BYTES // 1024} KiB")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidChange(f"the profile is not valid TOML: {exc}") from None
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", name):
        raise InvalidChange("name: give a name of lower-case letters, digits, '-' or '_'")
    if not isinstance(data.get("customer_account"), str) or not data["customer_account"].strip():
        raise InvalidChange("customer_account: give the customer's account in the ERP")
    if not directory.is_dir():
        raise InvalidChange(f"the profiles folder {directory} does not exist")
    trial = directory / f".{name}.toml.new"
    try:
        trial.write_text(text, encoding="utf-8")
        try:
            profile = load_profile(trial)
        finally:
            trial.unlink(missing_ok=True)
    except ProfileError as exc:
        raise InvalidChange(str(exc).replace(f"{trial}: ", "")) from None
    except OSError as exc:
        raise InvalidChange(f"the profile cannot be written to {directory}: {exc.strerror}") from None
    if (directory / f"{name}.toml").exists() or partners.get(name) is not None:
        raise InvalidChange(f"name: there is a profile named {name!r} already")
    try:
        PartnerRegistry([*partners, profile])
    except ProfileError as exc:
        raise InvalidChange(str(exc)) from None
    return profile


def _write_new(path: Path, text: str) -> None:
    """Write ``path``, never over a file already there (two admins at once)."""
    try:
        with path.open("x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        raise InvalidChange(f"name: there is a profile file {path.name} already") from None
    except OSError as exc:
        raise InvalidChange(f"the profile cannot be written to {path.parent}: {exc.strerror}") from None


# -- the actions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resolution:
    """What resolving a document did: the document's status after, its orders, the audit entry."""

    document_id: int
    status: str
    order_ids: list[int]
    audit_id: int
    profile: str | None = None


class DocumentDesk:
    """The desk's actions on documents that made no order, over the pipeline and its profiles."""

    def __init__(self, pipeline: Pipeline, *, profiles_dir: Path, clock: Callable[[], datetime]) -> None:
        self._pipeline = pipeline
        self._profiles_dir = profiles_dir
        self._clock = clock

    @property
    def partners(self) -> PartnerRegistry:
        return self._pipeline.partners

    def assign_customer(self, document_id: int, partner: str, actor: DeskUser) -> Resolution:
        """Name the customer of a PDF, sheet or scan and process it with that customer's profile."""
        require_role(actor, *DESK_ROLES, doing="assign a document's customer")
        profile = self.partners.get(partner.strip())
        if profile is None:
            raise InvalidChange(f"there is no partner {partner.strip()[:64]!r}; pick one from the list")
        with self._pipeline.sessions() as session, session.begin():
            document = self._open(session, document_id)
            if document.format not in ASSIGNABLE_FORMATS:
                raise InvalidChange(_not_assignable(document.format))
            before = {"partner": document.partner, "status": document.status, "error": document.error}
            document.partner = profile.name
            storage.tally_documents(session, [document_id])  # counted under its customer while it waits
        outcome = self._pipeline.process(document_id, again=True, refuse=resolution_refusal)
        return self._audit(
            "document.assign_customer", actor, document_id, before, outcome, {"partner": profile.name}
        )

    def key_in(self, document_id: int, keyed: KeyedOrder, actor: DeskUser) -> Resolution:
        """Store the order the clerk keyed in from the document; validated and decided as any order."""
        require_role(actor, *DESK_ROLES, doing="key in an order")
        at = self._clock()
        with self._pipeline.sessions() as session:
            document = self._open(session, document_id)
            channel = FORMAT_CHANNEL.get(document.format or "")
            if channel is None:
                raise InvalidChange(_not_keyable(document.format))
            before = {"partner": document.partner, "status": document.status, "error": document.error}
            parts = {line.part for line in keyed.lines}
            known = set(session.scalars(select(storage.Product.sku).where(storage.Product.sku.in_(parts))))
            if document.format in MARKABLE_FORMATS:
                data = storage.document_bytes(session, document_id)
                keyed = place_regions(keyed, lambda page: page_frame(data, page))
            else:  # a sheet has no page; an email's pages belong to one of its parts
                keyed = _without_regions(keyed)
        order = keyed_canonical(
            keyed, channel=channel, catalog=known.__contains__, actor=actor.username, at=at
        )
        outcome = self._pipeline.store_keyed(document_id, order, refuse=resolution_refusal)
        after = {
            "partner": keyed.partner,
            "po_number": keyed.po_number,
            "lines": len(keyed.lines),
            "regions": sum(bool(line.regions) for line in keyed.lines) + len(keyed.regions),
        }
        # On the order it made, so the order's history says who keyed it in, and from where.
        [order_id] = outcome.order_ids
        return self._audit(
            "order.keyed_in",
            actor,
            document_id,
            before,
            outcome,
            {**after, "document_id": document_id},
            subject=(SUBJECT, str(order_id)),
        )

    def dismiss(self, document_id: int, reason: str, actor: DeskUser) -> Resolution:
        """Close a document that made no order, with a reason: kept, out of the queue."""
        require_role(actor, *DESK_ROLES, doing="dismiss a document")
        why = reason.strip()
        if not why:
            raise InvalidChange("give a reason for dismissing the document")
        if len(why) > MAX_REASON:
            raise InvalidChange(f"the reason is at most {MAX_REASON} characters")
        at = self._clock()
        with self._pipeline.sessions() as session, session.begin():
            document = self._open(session, document_id, lock=True)
            before = {"status": document.status}
            document.status = DocumentStatus.DISMISSED
            storage.tally_documents(session, [document_id])  # out of the desk's queue
            document.meta = {
                **(document.meta or {}),
                "dismissed": {
                    "by": actor.username,
                    "at": at.isoformat(),
                    "reason": why,
                    "status": before["status"],
                },
            }
            entry = storage.record_audit(
                session,
                actor=actor.username,
                action="document.dismiss",
                subject_type="document",
                subject_id=str(document_id),
                before=before,
                after={"status": DocumentStatus.DISMISSED, "reason": why},
                at=at,
            )
            session.flush()
            return Resolution(document_id, DocumentStatus.DISMISSED, [], entry.id)

    def preview(self, session: Session, document_id: int) -> X12Preview | None:
        """What an X12 document from an unknown sender holds; None for any other document."""
        document = session.get(storage.Document, document_id)
        if document is None or document.format != X12 or document.status != DocumentStatus.UNKNOWN_PARTNER:
            return None
        return read_unknown_x12(
            lambda: storage.open_document(session, document_id),
            document.size,
            self.partners,
            document_id=document_id,
        )

    def create_profile(self, document_id: int, text: str, actor: DeskUser) -> Resolution:
        """Save the profile of the document's unknown X12 sender, then process the document with it."""
        require_role(actor, ADMIN, doing="create a partner profile")
        with self._pipeline.sessions() as session:
            document = self._open(session, document_id)
            if document.format != X12 or document.status != DocumentStatus.UNKNOWN_PARTNER:
                raise InvalidChange("only an X12 document from an unknown sender gets a new profile here")
            preview = self.preview(session, document_id)
        profile = check_profile_text(text, self._profiles_dir, self.partners)
        unknown = preview.unknown if preview is not None else []
        trial = PartnerRegistry([*self.partners, profile])
        if not any(
            trial.by_x12_sender(ix.sender[0], ix.sender[1], ix.gs_sender) == profile for ix in unknown
        ):
            senders = ", ".join(f"{ix.sender[0]}/{ix.sender[1]} (GS02 {ix.gs_sender})" for ix in unknown)
            raise InvalidChange(
                f"isa: the profile does not match the document's sender {senders or '(none)'}"
            )
        path = self._profiles_dir / f"{profile.name}.toml"
        _write_new(path, text)
        try:
            self.partners.add(profile)
        except ProfileError as exc:  # another admin's profile was added meanwhile
            path.unlink(missing_ok=True)
            raise InvalidChange(str(exc)) from None
        outcome = self._pipeline.process(document_id, again=True, refuse=resolution_refusal)
        after = {"profile": profile.name, "file": str(path), "toml": text}
        resolution = self._audit(
            "partner.create", actor, document_id, {"status": DocumentStatus.UNKNOWN_PARTNER}, outcome, after
        )
        return Resolution(
            resolution.document_id, resolution.status, resolution.order_ids, resolution.audit_id, profile.name
        )

    def _open(self, session: Session, document_id: int, *, lock: bool = False) -> storage.Document:
        document = session.get(storage.Document, document_id, with_for_update=lock)
        if document is None:
            raise InvalidChange(f"there is no document {document_id}")
        refusal = resolution_refusal(session, document_id)
        if refusal is not None:
            raise InvalidChange(refusal[0].upper() + refusal[1:] + ".")
        return document

    def _audit(
        self,
        action: str,
        actor: DeskUser,
        document_id: int,
        before: dict[str, Any],
        outcome: IngestOutcome,
        after: dict[str, Any],
        *,
        subject: tuple[str, str] | None = None,
    ) -> Resolution:
        subject_type, subject_id = subject or ("document", str(document_id))
        with self._pipeline.sessions() as session, session.begin():
            entry = storage.record_audit(
                session,
                actor=actor.username,
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                before=before,
                after={**after, "status": outcome.status, "order_ids": outcome.order_ids},
                at=self._clock(),
            )
            session.flush()
            return Resolution(document_id, outcome.status, outcome.order_ids, entry.id)


def _not_assignable(fmt: str | None) -> str:
    if fmt == X12:
        return "an X12 interchange names its own sender in the ISA; create the sender's profile instead"
    if fmt == "email":
        return "an email's customer is its sender's address: add it to the partner's email_senders, or key the order in"
    return (
        f"a customer can be assigned to a PDF, sheet or scan, not to a {fmt or 'document of unknown format'}"
    )


def _not_keyable(fmt: str | None) -> str:
    return f"an order can be keyed in from a PDF, sheet, scan or email, not from a {fmt or 'document of unknown format'}"
