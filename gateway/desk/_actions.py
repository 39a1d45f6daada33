"""What staff may do to an order in exception: fix it, accept a difference, then approve or reject it.

Every action takes the session (the caller owns the unit of work and commits), the order id,
the ``version`` of the order the user's screen showed, and the acting ``DeskUser``. It checks
the user's role, locks the order and compares versions (``StaleOrder`` when someone else got
there first), makes its change, bumps the version, and writes one audit entry with the user,
the time, and before/after of only the fields it changed.

Decisions:

- **Fixes** (PO number, PO date, customer, currency, ship-to, requested dates; a line's SKU,
  quantity/UOM, price; adding, removing or splitting a line) edit the stored canonical order
  and its line rows. Each changed value's provenance says who keyed it and when. The first fix
  keeps the order as it stood (``received_canonical``): the 855 answers the buyer's lines from
  it. After every action on an order that stays in exception (a fix, an override, a bulk
  action) the order is validated again as it now stands and its findings replaced, so the desk
  shows at once what still holds it; nothing is decided or sent until it is approved, and the
  parser's own findings still hold until then (``_revalidation``).
- **Bulk actions**: accept every customer price one reason answers, use the top suggestion on
  every unknown item where it scores at least N, round every quantity up to whole packs. Each is
  one action: one lock, one version, one audit entry listing every line it changed.
  On an order read from a PDF, a fixed PO number, PO date, SKU or quantity is looked for in
  the document, and where it sits is learned as the sender's layout (``_learning``); approving
  an order read with learned hints, their values unchanged, confirms them.
- **Accepting a price difference, releasing a credit hold, dismissing a duplicate** record an
  override (``order_override``) that re-validation honours; see ``_revalidation``.
- **Approve** re-validates with the pipeline's validator and replaces the order's findings.
  Accepted: the stock is allocated, the order counts towards the customer's open orders, and
  ``gateway.outbound.outbox.send_decision`` sends what the pipeline sends for an accepted order (855
  AD/AC for X12 partners that want one, ERP payload when the gateway has an ERP); an order that
  came as a PDF, sheet or email text gets a drafted confirmation listing what changed
  (``gateway.outbound.replies``), which the clerk reads, may edit, and sends (``gateway.desk.send_reply``). Still
  blocked (hold or reject findings): the order stays in exception, nothing is sent, and the
  findings are returned. Approval never rejects; rejecting is the clerk's own action.
- **Reject**: an X12 order gets a rejecting 855 (BAK02 = RD, reject with detail, every line
  IR) when the partner wants 855s, with the clerk's reason and the blocking findings as its
  messages; an X12 partner without 855s gets nothing more (its 997/999 went at intake). An
  order that came as a PDF, sheet or email text gets a drafted email reply (``gateway.outbound.replies``).
  An order in exception holds no stock and does not count towards credit (the pipeline
  allocates only accepted orders), so there is nothing to release.
- **Merge a duplicate** closes this order as a duplicate of order N: status ``rejected``,
  ``duplicate_of = N``, and nothing is sent, neither 855 nor email. The partner's answer to
  that PO number is order N's own acknowledgment; a rejecting 855 quoting the same PO number
  would read as rejecting the order we accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage
from gateway.inbound import amendments
from gateway.inbound.amendments import allocations_json
from gateway.inbound.amendments import cancel_order
from gateway.inbound.amendments import restore_in_force
from gateway.inbound.rows import replace_findings
from gateway.inbound.rows import replace_lines
from gateway.inbound.rows import stored_finding_row
from gateway.inbound.validation import LiveStock
from gateway.inbound.validation import MasterDataCache
from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import OrderPurpose
from gateway.model.order import po_key
from gateway.model.status import OrderStatus
from gateway.model.status import OutboxStatus
from gateway.outbound.outbox import queue_erp_payload
from gateway.outbound.outbox import send_decision
from gateway.outbound.replies import as_received
from gateway.outbound.replies import confirm_order
from gateway.outbound.replies import draft_rejection
from gateway.storage import DeskUser
from gateway.storage import PurchaseOrder
from partners import PartnerProfile
from partners import PartnerRegistry
from validators import FindingCode

from . import _edits
from ._catalog import CatalogHit
from ._catalog import catalog_items
from ._catalog import search_catalog
from ._errors import DeskError
from ._errors import InvalidChange
from ._errors import OrderNotFound
from ._learning import Learned
from ._learning import confirm_learned
from ._learning import learn_from_correction
from ._locking import SUBJECT
from ._locking import bump
from ._locking import lock_order
from ._revalidation import BLOCKING
from ._revalidation import CREDIT_CODES
from ._revalidation import Revalidation
from ._revalidation import other_live_order
from ._revalidation import revalidate
from ._users import ADMIN
from ._users import CLERK
from ._users import CREDIT
from ._users import require_role

_APPROVE = "order.approve"
DESK_ROLES = (CLERK, ADMIN)  # fix, accept a price, handle duplicates, approve, reject
CREDIT_ROLES = (CREDIT, ADMIN)  # release a credit hold
MAX_REASON = 1000


@dataclass(slots=True)
class DeskOutcome:
    """What an action left: the order's new version and status, and what it produced.

    ``findings`` are the order's findings after an approval (empty for other actions);
    ``outbound_ids`` the outbox rows made (855, ERP payload, email draft).
    """

    order_id: int
    version: int
    status: str
    audit_id: int
    findings: list[dict[str, Any]] = field(default_factory=list)
    outbound_ids: list[int] = field(default_factory=list)
    learned: Learned | None = None  # the sender's layout learned from this fix
    lines: list[str] = field(default_factory=list)  # the lines a bulk action changed

    @property
    def blocking(self) -> list[dict[str, Any]]:
        """The findings that keep the order in exception."""
        return [f for f in self.findings if f["action"] in BLOCKING]


class OrderDesk:
    """The order desk's actions, bound to the partner profiles, the ERP setting and the clock.

    ``erp_kind`` is the pipeline's: approved orders queue the same ERP payload as orders the
    gateway accepts alone. Pass the pipeline's ``MasterDataCache`` to share its snapshot.
    """

    def __init__(
        self,
        partners: PartnerRegistry,
        *,
        erp_kind: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        master: MasterDataCache | None = None,
    ) -> None:
        self._partners = partners
        self._erp_kind = erp_kind
        self._clock = clock
        self._master = master or MasterDataCache()

    # -- reading --------------------------------------------------------------------------

    def search_catalog(
        self, session: Session, text: str, limit: int = 10, *, order_id: int | None = None
    ) -> list[CatalogHit]:
        """Catalog items for the SKU picker; with ``order_id``, its customer's part numbers match too."""
        account = None
        if order_id is not None:
            stored = session.get(PurchaseOrder, order_id)
            if stored is None:
                raise OrderNotFound(order_id)
            account = stored.customer_account
        return _with_stock(
            session, search_catalog(self._master.get(session), text, limit, customer_account=account)
        )

    def catalog_items(self, session: Session, skus: Sequence[str]) -> dict[str, CatalogHit]:
        """Price, pack and free stock of each of ``skus`` the catalog has: what tells suggestions apart."""
        found = catalog_items(self._master.get(session), skus)
        return dict(zip(found, _with_stock(session, list(found.values())), strict=True))

    # -- fixes ----------------------------------------------------------------------------

    def correct_po_number(
        self, session: Session, order_id: int, version: int, actor: DeskUser, *, po_number: str
    ) -> DeskOutcome:
        """The PO number as the customer wrote it; the duplicate check compares the new one on approval."""
        require_role(actor, *DESK_ROLES, doing="correct a PO number")
        outcome = self._edit(
            session,
            order_id,
            version,
            actor,
            "order.correct_po_number",
            lambda o: _edits.set_po_number(o, po_number),
            learn=("po_number", po_number.strip(), None),
        )
        stored = session.get(PurchaseOrder, order_id)
        assert stored is not None  # locked by _edit
        stored.po_number, stored.po_key = po_number.strip(), po_key(po_number.strip())
        return outcome

    def correct_po_date(
        self, session: Session, order_id: int, version: int, actor: DeskUser, *, po_date: date
    ) -> DeskOutcome:
        """The PO date as the customer wrote it."""
        require_role(actor, *DESK_ROLES, doing="correct a PO date")
        outcome = self._edit(
            session,
            order_id,
            version,
            actor,
            "order.correct_po_date",
            lambda o: _edits.set_po_date(o, po_date),
            learn=("po_date", po_date, None),
        )
        stored = session.get(PurchaseOrder, order_id)
        assert stored is not None
        stored.po_date = po_date
        return outcome

    def pick_sku(
        self, session: Session, order_id: int, version: int, actor: DeskUser, *, line_no: str, sku: str
    ) -> DeskOutcome:
        """Order catalog ``sku`` on the line: a suggestion, or any active SKU the clerk found."""
        require_role(actor, *DESK_ROLES, doing="change an order's SKU")
        product = _catalog_product(session, sku)
        return self._edit(
            session,
            order_id,
            version,
            actor,
            "order.pick_sku",
            lambda o: _edits.set_sku(o, line_no, product),
            learn=("vendor_sku", product, line_no),
        )

    def correct_quantity(
        self,
        session: Session,
        order_id: int,
        version: int,
        actor: DeskUser,
        *,
        line_no: str,
        quantity: Decimal | str | None = None,
        uom: str | None = None,
    ) -> DeskOutcome:
        """A line's quantity, its unit of measure, or both."""
        require_role(actor, *DESK_ROLES, doing="correct a quantity")
        return self._edit(
            session,
            order_id,
            version,
            actor,
            "order.correct_quantity",
            lambda o: _edits.set_quantity(o, line_no, quantity, uom),
            learn=("quantity", _edits.parse_quantity(quantity), line_no) if quantity is not None else None,
        )

    def correct_price(
        self,
        session: Session,
        order_id: int,
        version: int,
        actor: DeskUser,
        *,
        line_no: str,
        unit_price: Decimal | str,
    ) -> DeskOutcome:
        """A line's unit price as the document has it (misread, or not read at all)."""
        require_role(actor, *DESK_ROLES, doing="correct a price")
        return self._edit(
            session,
            order_id,
            version,
            actor,
            "order.correct_price",
            lambda o: _edits.set_price(o, line_no, unit_price),
        )

    def correct_date(
        self,
        session: Session,
        order_id: int,
        version: int,
        actor: DeskUser,
        *,
        qualifier: str,
        value: date,
        line_no: str | None = None,
    ) -> DeskOutcome:
        """A requested date the order (or a line, with ``line_no``) carries, by qualifier (``002``, ``010``…)."""
        require_role(actor, *DESK_ROLES, doing="correct a date")
        return self._edit(
            session,
            order_id,
            version,
            actor,
            "order.correct_date",
            lambda o: _edits.set_date(o, qualifier, value, line_no),
        )

    def correct_customer(
        self, session: Session, order_id: int, version: int, actor: DeskUser, *, partner: str
    ) -> DeskOutcome:
        """The customer the order is from: one of the partner profiles (its account, prices, credit)."""
        require_role(actor, *DESK_ROLES, doing="change an order's customer")
        profile = self._partners.get(partner.strip())
        if profile is None:
            known = ", ".join(sorted(p.name for p in self._partners)) or "none"
            raise InvalidChange(f"there is no partner {partner.strip()!r} (known partners: {known})")
        outcome = self._edit(
            session,
            order_id,
            version,
            actor,
            "order.correct_customer",
            lambda o: _edits.set_customer(o, profile.name),
        )
        stored = session.get(PurchaseOrder, order_id)
        assert stored is not None  # locked by _edit
        stored.partner, stored.customer_account = profile.name, profile.customer_account
        return outcome

    def correct_currency(
        self, session: Session, order_id: int, version: int, actor: DeskUser, *, currency: str
    ) -> DeskOutcome:
        """The order's currency (ISO 4217); the prices are checked against the agreement on approval."""
        require_role(actor, *DESK_ROLES, doing="correct a currency")
        outcome = self._edit(
            session,
            order_id,
            version,
            actor,
            "order.correct_currency",
            lambda o: _edits.set_currency(o, currency),
        )
        stored = session.get(PurchaseOrder, order_id)
        assert stored is not None
        stored.currency = Order.model_validate(stored.canonical).currency
        return outcome

    def correct_ship_to(
        self,
        session: Session,
        order_id: int,
        version: int,
        actor: DeskUser,
        *,
        values: Mapping[str, str | None],
    ) -> DeskOutcome:
        """The ship-to party: name, id, address lines, city, region, postal code, country."""
        require_role(actor, *DESK_ROLES, doing="correct a ship-to")
        return self._edit(
            session,
            order_id,
            version,
            actor,
            "order.correct_ship_to",
            lambda o: _edits.set_ship_to(o, dict(values)),
        )

    def add_line(
        self,
        session: Session,
        order_id: int,
        version: int,
        actor: DeskUser,
        *,
        sku: str,
        quantity: Decimal | str,
        uom: str | None = None,
        unit_price: Decimal | str | None = None,
    ) -> DeskOutcome:
        """A line the reader missed: an active catalog SKU, a quantity (in the item's unit unless given), a price."""
        require_role(actor, *DESK_ROLES, doing="add a line")
        product = _catalog_product(session, sku)
        unit = uom.strip() if uom and uom.strip() else _catalog_unit(session, product)
        return self._edit(
            session,
            order_id,
            version,
            actor,
            "order.add_line",
            lambda o: _edits.add_line(o, product, quantity, unit, unit_price),
        )

    def remove_line(
        self, session: Session, order_id: int, version: int, actor: DeskUser, *, line_no: str
    ) -> DeskOutcome:
        """Take a line off the order; an EDI partner's 855 answers it IR."""
        require_role(actor, *DESK_ROLES, doing="remove a line")
        return self._edit(
            session, order_id, version, actor, "order.remove_line", lambda o: _edits.remove_line(o, line_no)
        )

    def split_line(
        self,
        session: Session,
        order_id: int,
        version: int,
        actor: DeskUser,
        *,
        line_no: str,
        quantity: Decimal | str,
    ) -> DeskOutcome:
        """Split ``quantity`` off a line into a new line (e.g. to ship it later or as another item)."""
        require_role(actor, *DESK_ROLES, doing="split a line")
        return self._edit(
            session,
            order_id,
            version,
            actor,
            "order.split_line",
            lambda o: _edits.split_line(o, line_no, quantity),
        )

    # -- overrides ------------------------------------------------------------------------

    def accept_price(
        self, session: Session, order_id: int, version: int, actor: DeskUser, *, line_no: str, reason: str
    ) -> DeskOutcome:
        """Accept the line's price as the customer sent it; re-validation no longer holds on it."""
        require_role(actor, *DESK_ROLES, doing="accept a price difference")
        reason = _reason(reason)
        stored = lock_order(session, order_id, version)
        _require_finding(session, stored, (FindingCode.PRICE_MISMATCH.value,), line_no, "a price difference")
        line = _edits.find_line(Order.model_validate(stored.canonical), line_no)
        when = self._clock()
        key, previous, price = _accept_line_price(session, stored, actor, line, reason, when)
        return self._record(
            session,
            stored,
            actor,
            "order.accept_price",
            {key: previous},
            {key: price, "reason": reason},
            when,
        )

    def release_credit(
        self, session: Session, order_id: int, version: int, actor: DeskUser, *, reason: str
    ) -> DeskOutcome:
        """Let this order go despite the customer's credit hold or limit (credit or admin role)."""
        require_role(actor, *CREDIT_ROLES, doing="release a credit hold")
        reason = _reason(reason)
        stored = lock_order(session, order_id, version)
        _require_finding(session, stored, CREDIT_CODES, None, "a credit hold")
        when = self._clock()
        # What the release covers: the order's value and the exposure its findings were computed on.
        exposure = next(
            (
                f["received"]
                for f in _findings(session, stored)
                if f["code"] == FindingCode.CREDIT_LIMIT.value
            ),
            None,
        )
        covered = {FindingCode.CREDIT_HOLD.value: None, FindingCode.CREDIT_LIMIT.value: exposure}
        previous = None
        for code in CREDIT_CODES:
            previous = (
                _set_override(
                    session,
                    stored,
                    actor,
                    code,
                    None,
                    covered[code],
                    reason,
                    when,
                    order_total=stored.order_total,
                )
                or previous
            )
        return self._record(
            session,
            stored,
            actor,
            "order.release_credit",
            {"credit_released": previous is not None},
            {"credit_released": True, "reason": reason},
            when,
        )

    def dismiss_duplicate(
        self, session: Session, order_id: int, version: int, actor: DeskUser, *, reason: str
    ) -> DeskOutcome:
        """This order is not a duplicate after all: re-validation no longer holds on its PO number."""
        require_role(actor, *DESK_ROLES, doing="dismiss a duplicate")
        reason = _reason(reason)
        stored = lock_order(session, order_id, version)
        _require_finding(session, stored, (FindingCode.DUPLICATE_PO.value,), None, "a duplicate PO")
        when = self._clock()
        previous = _set_override(
            session, stored, actor, FindingCode.DUPLICATE_PO.value, None, None, reason, when
        )
        return self._record(
            session,
            stored,
            actor,
            "order.dismiss_duplicate",
            {"duplicate_dismissed": previous is not None},
            {"duplicate_dismissed": True, "reason": reason},
            when,
        )

    # -- bulk actions ---------------------------------------------------------------------

    def accept_all_prices(
        self, session: Session, order_id: int, version: int, actor: DeskUser, *, reason: str
    ) -> DeskOutcome:
        """Accept the customer's price on every line a price difference holds, for one reason."""
        require_role(actor, *DESK_ROLES, doing="accept price differences")
        reason = _reason(reason)
        stored = lock_order(session, order_id, version)
        held = [row for row in _findings(session, stored) if _holds(row, FindingCode.PRICE_MISMATCH)]
        if not held:
            raise InvalidChange(f"no price difference holds order {stored.id}; there is nothing to accept")
        lines = {line.line_no: line for line in Order.model_validate(stored.canonical).lines}
        prices: dict[str, str] = {}
        for row in held:
            line = lines.get(row["line_no"] or "")
            if line is None or line.unit_price is None:
                raise InvalidChange(f"line {row['line_no']} of order {stored.id} has no unit price to accept")
            prices[line.line_no] = f"{line.unit_price.normalize():f}"
        when = self._clock()
        earlier = _set_line_overrides(
            session, stored, actor, FindingCode.PRICE_MISMATCH.value, prices, reason, when
        )
        before: dict[str, Any] = {f"lines[{n}].accepted_price": earlier.get(n) for n in prices}
        after: dict[str, Any] = {f"lines[{n}].accepted_price": price for n, price in prices.items()}
        after["reason"] = reason
        outcome = self._record(session, stored, actor, "order.accept_prices", before, after, when)
        outcome.lines = [row["line_no"] for row in held]
        return outcome

    def use_top_suggestions(
        self, session: Session, order_id: int, version: int, actor: DeskUser, *, min_score: float
    ) -> DeskOutcome:
        """Order the top suggestion on every line an unknown item holds where it scores ``min_score`` (0-100) or more."""
        require_role(actor, *DESK_ROLES, doing="change an order's SKUs")
        if not 0 <= min_score <= 100:
            raise InvalidChange("a match score is from 0 to 100 %")
        changed: list[str] = []

        def edit(order: Order) -> _edits.Changes:
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            for row in _findings_of(session, order_id):
                top = (row["suggestions"] or [None])[0]
                if _holds(row, FindingCode.UNKNOWN_ITEM) and top and float(top["score"]) >= min_score:
                    was, now = _edits.set_sku(
                        order, row["line_no"] or "", _catalog_product(session, top["sku"])
                    )
                    before.update(was)
                    after.update(now)
                    changed.append(row["line_no"] or "")
            if not after:
                raise InvalidChange(
                    f"no unknown item on order {order_id} has a suggestion scoring {min_score:g} % or more"
                )
            return before, after

        outcome = self._edit(session, order_id, version, actor, "order.use_suggestions", edit)
        outcome.lines = changed
        return outcome

    def round_packs(self, session: Session, order_id: int, version: int, actor: DeskUser) -> DeskOutcome:
        """Round up every quantity a pack-size finding holds to the whole packs validation named."""
        require_role(actor, *DESK_ROLES, doing="correct quantities")
        changed: list[str] = []

        def edit(order: Order) -> _edits.Changes:
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            lines = {line.line_no: line for line in order.lines}
            for row in _findings_of(session, order_id):
                line = lines.get(row["line_no"] or "")
                if not _holds(row, FindingCode.PACK_MULTIPLE) or row["field"] != "quantity" or line is None:
                    continue
                if line.quantity is None or str(line.quantity.value) != row["received"]:
                    continue  # the clerk changed the quantity since it was checked
                was, now = _edits.set_quantity(order, line.line_no, row["expected"], None)
                before.update(was)
                after.update(now)
                changed.append(line.line_no)
            if not after:
                raise InvalidChange(
                    f"no quantity on order {order_id} is held for a pack size it can be rounded to"
                )
            return before, after

        outcome = self._edit(session, order_id, version, actor, "order.round_packs", edit)
        outcome.lines = changed
        return outcome

    # -- decisions ------------------------------------------------------------------------

    def merge_duplicate(
        self,
        session: Session,
        order_id: int,
        version: int,
        actor: DeskUser,
        *,
        into: int | None = None,
        reason: str | None = None,
    ) -> DeskOutcome:
        """Close this order as a duplicate of order ``into`` (default: the customer's other live
        order with the same PO number). Nothing is sent; see the module docstring."""
        require_role(actor, *DESK_ROLES, doing="merge a duplicate")
        stored = lock_order(session, order_id, version)
        target_id = into if into is not None else other_live_order(session, stored)
        if target_id is None:
            raise InvalidChange(
                f"no other order of {stored.customer_account} has PO {stored.po_number}; "
                "say which order this one duplicates"
            )
        if target_id == stored.id:
            raise InvalidChange("an order cannot be a duplicate of itself")
        target = session.get(PurchaseOrder, target_id)
        if target is None:
            raise InvalidChange(f"there is no order {target_id} to merge into")
        if target.customer_account != stored.customer_account:
            raise InvalidChange(
                f"order {target_id} is {target.customer_account}'s, not {stored.customer_account}'s; "
                "only the same customer's orders are duplicates"
            )
        if target.status == OrderStatus.REJECTED:
            raise InvalidChange(f"order {target_id} is rejected; merge into the order that stands")
        when = self._clock()
        why = f"duplicate of order {target.id} (PO {target.po_number})"
        if reason and reason.strip():
            why += f": {_reason(reason)}"
        before = _decision_fields(stored) | {"duplicate_of": stored.duplicate_of}
        stored.status = OrderStatus.REJECTED
        stored.duplicate_of = target.id
        _decide(stored, actor, when, why)
        after = _decision_fields(stored) | {"duplicate_of": target.id}
        return self._record(session, stored, actor, "order.merge_duplicate", before, after, when)

    def approve(
        self, session: Session, order_id: int, version: int, actor: DeskUser, *, note: str | None = None
    ) -> DeskOutcome:
        """Re-validate the order as edited; accepted, it flows on as the pipeline's accepted orders do.

        Still blocked, it stays in exception with its new findings, which ``DeskOutcome.blocking``
        lists; nothing is sent.
        """
        require_role(actor, *DESK_ROLES, doing="approve an order")
        stored = lock_order(session, order_id, version)
        profile = self._profile(stored)
        when = self._clock()
        if Order.model_validate(stored.canonical).purpose == OrderPurpose.CANCEL:
            return self._approve_cancellation(session, stored, profile, actor, when, note)
        previous = _findings(session, stored)
        check = revalidate(
            session,
            stored,
            Order.model_validate(stored.canonical),
            profile,
            master=self._master.get(session),
            today=when.date(),
            previous=previous,
            reviewer=actor.username,
        )
        before = {
            "findings": _summary(previous),
            "order_total": _money(stored.order_total),
            **_decision_fields(stored),
        }
        replace_findings(session, stored.id, check.findings, document_id=stored.document_id, when=when)
        _store_order(session, stored, check.order)
        stored.order_total = check.total
        outbound: list[int] = []
        if check.outcome == OrderStatus.ACCEPTED:
            outbound = self._accept(session, stored, check, profile, actor, when, note)
            confirm_learned(session, stored, check.order, actor=actor, when=when)
        after = {
            "findings": _summary(check.findings),
            "order_total": _money(check.total),
            **_decision_fields(stored),
        }
        if outbound:
            after["outbound_ids"] = outbound
        outcome = self._record(session, stored, actor, _APPROVE, before, after, when, keep=("findings",))
        outcome.findings = check.findings
        outcome.outbound_ids = outbound
        return outcome

    def reject(
        self,
        session: Session,
        order_id: int,
        version: int,
        actor: DeskUser,
        *,
        reason: str,
        whole_order: bool = False,
    ) -> DeskOutcome:
        """Reject the order: a rejecting 855 (RD) for an X12 partner that wants 855s, else a drafted email reply.

        An order waiting on the desk with a partner's change to the version in force (``superseded``)
        has the change refused (``_reject_change``) unless ``whole_order``. A whole order rejected gives
        back the stock it holds, and the ERP gets its cancel when it had the order.
        """
        require_role(actor, *DESK_ROLES, doing="reject an order")
        reason = _reason(reason)
        stored = lock_order(session, order_id, version)
        profile = self._profile(stored)
        order = Order.model_validate(stored.canonical)
        findings = _findings(session, stored)
        when = self._clock()
        if stored.superseded is not None and not whole_order:
            return self._reject_change(session, stored, profile, order, findings, actor, when, reason)
        before = _decision_fields(stored)
        in_force = Order.model_validate((stored.superseded or {}).get("canonical") or stored.canonical)
        amendments.release_stock(session, stored)
        stored.superseded = None
        stored.status = OrderStatus.REJECTED
        _decide(stored, actor, when, reason)
        outbound: list[int] = []
        if order.channel == Channel.X12:
            said = [{"code": "rejected", "action": "reject", "message": reason, "line_no": None}]
            said += [{**f, "action": "reject"} for f in findings if f["action"] in BLOCKING]
            sent = send_decision(
                session,
                order,
                profile,
                order_id=stored.id,
                status=OrderStatus.REJECTED,
                findings=said,
                when=when,
                erp_kind=self._erp_kind,
                document_id=stored.document_id,
                received=as_received(stored),
                purpose=_answered_purpose(order),
            )
            outbound += [i for i in (sent.acknowledgment_id, sent.erp_payload_id) if i is not None]
        else:
            outbound.append(
                draft_rejection(session, stored, order, profile, reason=reason, findings=findings, when=when)
            )
        # the ERP's cancel of the version it has, to the target that had it; nothing when none had the order
        cancel = queue_erp_payload(
            session, self._erp_kind, in_force, profile, order_id=stored.id, when=when, cancel=True
        )
        outbound += [cancel] if cancel is not None else []
        after = _decision_fields(stored) | ({"outbound_ids": outbound} if outbound else {})
        outcome = self._record(session, stored, actor, "order.reject", before, after, when)
        outcome.outbound_ids = outbound
        return outcome

    # -- plumbing -------------------------------------------------------------------------

    def _accept(
        self,
        session: Session,
        stored: PurchaseOrder,
        check: Revalidation,
        profile: PartnerProfile,
        actor: DeskUser,
        when: datetime,
        note: str | None,
    ) -> list[int]:
        """The approved order takes its stock and counts towards credit, then sends what accepted orders send."""
        held = amendments.held_allocations(stored)  # a version in force kept it while the change waited
        stock = LiveStock(session)
        stock.prefetch({*check.allocations, *held})
        for sku in sorted({*check.allocations, *held}):
            more = check.allocations.get(sku, Decimal(0)) - held.get(sku, Decimal(0))
            if more > 0:
                stock.allocate(sku, more)
            elif more < 0:
                stock.release(sku, -more)
        stored.allocations = allocations_json(check.allocations)  # a partner's change or cancel gives it back
        answering = stored.superseded or {}  # a partner's change: the 855 (or 865) answers it as such
        stored.superseded = None
        stored.status = OrderStatus.ACCEPTED  # with order_total set, it is among the customer's open orders
        _decide(stored, actor, when, note.strip() if note and note.strip() else None)
        sent = send_decision(
            session,
            check.order,
            profile,
            order_id=stored.id,
            status=OrderStatus.ACCEPTED,
            findings=check.findings,
            when=when,
            erp_kind=self._erp_kind,
            document_id=stored.document_id,
            received=as_received(stored),
            purpose=answering.get("purpose") or _answered_purpose(check.order),
            changes=answering.get("changes"),
        )
        made = [i for i in (sent.acknowledgment_id, sent.erp_payload_id) if i is not None]
        if check.order.channel != Channel.X12:  # the clerk reads, may edit, and sends it
            made.append(
                confirm_order(
                    session,
                    check.order,
                    profile,
                    order_id=stored.id,
                    document_id=stored.document_id,
                    received=as_received(stored),
                    findings=check.findings,
                    status=OutboxStatus.DRAFT,
                    when=when,
                )
            )
        return made

    def _reject_change(
        self,
        session: Session,
        stored: PurchaseOrder,
        profile: PartnerProfile,
        change: Order,
        findings: list[dict[str, Any]],
        actor: DeskUser,
        when: datetime,
        reason: str,
    ) -> DeskOutcome:
        """Refuse a partner's change waiting on the desk: the version in force comes back as it was
        (its lines, total and findings; it kept its stock meanwhile and counts towards credit again),
        the partner gets the change rejected (BAK01 04/05 RD, or an 865), and the ERP, whose order is
        that version, hears nothing."""
        kept = stored.superseded or {}
        before = _decision_fields(stored) | {"order_total": _money(stored.order_total)}
        received = as_received(stored)
        restore_in_force(session, stored, when)
        _decide(stored, actor, when, reason)
        outbound: list[int] = []
        if change.channel == Channel.X12:
            said = [{"code": "rejected", "action": "reject", "message": reason, "line_no": None}]
            said += [{**f, "action": "reject"} for f in findings if f["action"] in BLOCKING]
            sent = send_decision(
                session,
                change,
                profile,
                order_id=stored.id,
                status=OrderStatus.REJECTED,
                findings=said,
                when=when,
                erp_kind=None,  # the ERP has the version in force
                document_id=kept.get("document_id", stored.document_id),
                received=received,
                purpose=kept.get("purpose") or "04",
                changes=kept.get("changes"),
            )
            outbound += [sent.acknowledgment_id] if sent.acknowledgment_id is not None else []
        after = _decision_fields(stored) | {
            "order_total": _money(stored.order_total),
            "change_document_id": kept.get("document_id"),
        }
        after |= {"outbound_ids": outbound} if outbound else {}
        outcome = self._record(session, stored, actor, "order.reject_change", before, after, when)
        outcome.outbound_ids = outbound
        return outcome

    def _approve_cancellation(
        self,
        session: Session,
        stored: PurchaseOrder,
        profile: PartnerProfile,
        actor: DeskUser,
        when: datetime,
        note: str | None,
    ) -> DeskOutcome:
        """A partner's cancellation held for the desk (its order had shipped or been invoiced), approved:
        the open order it names is cancelled as the gateway cancels one (stock, credit, the ERP's cancel,
        855 BAK01 01 AT), and the cancellation itself is closed as ``cancelled``; it never becomes an
        order of its own."""
        cancellation = Order.model_validate(stored.canonical)
        target = amendments.original_of(session, stored.customer_account or "", stored.po_key or "")
        if target is None or target.id == stored.id:
            raise DeskError(
                f"there is no open order with PO {stored.po_number} to cancel; reject the cancellation instead"
            )
        before = _decision_fields(stored)
        old_status = target.status
        ack_id = cancel_order(
            session,
            target,
            cancellation,
            profile,
            erp_kind=self._erp_kind,
            when=when,
            document_id=stored.document_id,
            answer=cancellation.channel == Channel.X12 and profile.wants_855,
        )
        amendments.record(
            session,
            target,
            partner=profile.name,
            actor=actor.username,
            action="order.cancel",
            before={"status": old_status},
            after={"status": target.status, "cancellation_order_id": stored.id},
            document_id=stored.document_id,
            when=when,
        )
        storage.tally_orders(session, [target.id])
        stored.status = OrderStatus.CANCELLED
        _decide(stored, actor, when, note.strip() if note and note.strip() else None)
        outbound = [ack_id] if ack_id is not None else []
        after = _decision_fields(stored) | {"cancelled_order_id": target.id}
        after |= {"outbound_ids": outbound} if outbound else {}
        outcome = self._record(session, stored, actor, _APPROVE, before, after, when)
        outcome.outbound_ids = outbound
        return outcome

    def _edit(
        self,
        session: Session,
        order_id: int,
        version: int,
        actor: DeskUser,
        action: str,
        edit: Callable[[Order], _edits.Changes],
        learn: tuple[str, str | Decimal | date, str | None] | None = None,
    ) -> DeskOutcome:
        """Make ``edit``; ``learn`` (field, value, line), if the edit changed it, is then looked for in the
        document to learn the sender's layout from."""
        stored = lock_order(session, order_id, version)
        order = Order.model_validate(stored.canonical)
        before, after = edit(order)
        when = self._clock()
        _edits.mark_keyed(order, after, actor.username, when.isoformat(timespec="seconds"))
        _store_order(session, stored, order)
        outcome = self._record(session, stored, actor, action, before, after, when)
        changed = {key.rsplit(".", 1)[-1] for key in after}
        if learn is not None and learn[0] in changed:  # a value left as read teaches nothing
            name, value, line_no = learn
            outcome.learned = learn_from_correction(
                session, stored, order, field=name, value=value, line_no=line_no, actor=actor, when=when
            )
        return outcome

    def _record(
        self,
        session: Session,
        stored: PurchaseOrder,
        actor: DeskUser,
        action: str,
        before: dict[str, Any],
        after: dict[str, Any],
        when: datetime,
        keep: Sequence[str] = (),
    ) -> DeskOutcome:
        """Bump the version and write the audit entry with only what changed (and ``keep``).

        A key only in ``after`` (a reason, the outbox rows made) is new: it has no before. An order
        still in exception after anything but an approval is validated again (``_evaluate``).
        """
        findings = (
            self._evaluate(session, stored, when)
            if stored.status == OrderStatus.EXCEPTION and action != _APPROVE
            else []
        )
        old = stored.version
        new = bump(stored)
        changed = [k for k in after if k in keep or before.get(k) != after[k]]
        entry = storage.record_audit(
            session,
            actor=actor.username,
            action=action,
            subject_type=SUBJECT,
            subject_id=str(stored.id),
            before={"version": old, **{k: before[k] for k in changed if k in before}},
            after={"version": new, **{k: after[k] for k in changed}},
            at=when,
        )
        storage.tally_orders(session, [stored.id])  # flushes
        return DeskOutcome(stored.id, new, stored.status, entry.id, findings=findings)

    def _evaluate(self, session: Session, stored: PurchaseOrder, when: datetime) -> list[dict[str, Any]]:
        """Validate the order as it now stands and store its findings, deciding nothing and sending nothing."""
        profile = self._partners.get(stored.partner or "")
        if profile is None:  # nothing to validate against; approving says so
            return _findings(session, stored)
        session.flush()  # an override just made is what re-validation reads
        check = revalidate(
            session,
            stored,
            Order.model_validate(stored.canonical),
            profile,
            master=self._master.get(session),
            today=when.date(),
            previous=_findings(session, stored),
            reviewer=None,
        )
        replace_findings(session, stored.id, check.findings, document_id=stored.document_id, when=when)
        _store_order(session, stored, check.order)
        stored.order_total = check.total
        return check.findings

    def _profile(self, stored: PurchaseOrder) -> PartnerProfile:
        profile = self._partners.get(stored.partner or "")
        if profile is None:
            raise DeskError(
                f"order {stored.id} is from partner {stored.partner!r}, which has no profile; "
                "restore the profile before deciding the order"
            )
        return profile


def order_history(session: Session, order_id: int) -> list[storage.AuditEntry]:
    """Every desk action on the order, oldest first."""
    entry = storage.AuditEntry
    return list(
        session.scalars(
            select(entry)
            .where(entry.subject_type == SUBJECT, entry.subject_id == str(order_id))
            .order_by(entry.id)
        )
    )


def _with_stock(session: Session, hits: list[CatalogHit]) -> list[CatalogHit]:
    """``hits`` with their free stock, read in one go."""
    stock = LiveStock(session)
    stock.prefetch(hit.sku for hit in hits)
    return [replace(hit, available=stock[hit.sku]) for hit in hits]


def _catalog_product(session: Session, sku: str) -> str:
    """The catalog's spelling of an active SKU; ``InvalidChange`` when there is none."""
    wanted = sku.strip()
    product = storage.Product
    found = session.scalars(
        select(product.sku)
        .where(func.upper(product.sku) == wanted.upper(), product.active)
        .order_by(product.sku != wanted)
        .limit(1)
    ).first()
    if not wanted or found is None:
        raise InvalidChange(f"SKU {wanted!r} is not an active item in the catalog")
    return found


def _catalog_unit(session: Session, sku: str) -> str:
    """The unit of measure the catalog sells ``sku`` in."""
    unit = session.scalar(select(storage.Product.uom).where(storage.Product.sku == sku))
    assert unit is not None  # _catalog_product found it
    return unit


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    if not reason:
        raise InvalidChange("give a reason; it goes to the audit log (and to the customer on a rejection)")
    if len(reason) > MAX_REASON:
        raise InvalidChange(f"the reason is longer than {MAX_REASON} characters")
    return reason


def _findings(session: Session, stored: PurchaseOrder) -> list[dict[str, Any]]:
    finding = storage.Finding
    rows = session.scalars(select(finding).where(finding.order_id == stored.id).order_by(finding.id))
    return [stored_finding_row(f) for f in rows]


def _findings_of(session: Session, order_id: int) -> list[dict[str, Any]]:
    stored = session.get(PurchaseOrder, order_id)
    return _findings(session, stored) if stored is not None else []


def _holds(row: Mapping[str, Any], code: FindingCode) -> bool:
    """Whether ``row`` is a finding of ``code`` on a line that holds the order."""
    return row["code"] == code.value and row["action"] in BLOCKING and bool(row["line_no"])


def _accept_line_price(
    session: Session, stored: PurchaseOrder, actor: DeskUser, line: OrderLine, reason: str, when: datetime
) -> tuple[str, str | None, str]:
    """Record that the line's price is accepted as the customer sent it: (audit key, earlier value, price)."""
    if line.unit_price is None:
        raise InvalidChange(f"line {line.line_no} has no unit price to accept")
    price = f"{line.unit_price.normalize():f}"
    previous = _set_override(
        session, stored, actor, FindingCode.PRICE_MISMATCH.value, line.line_no, price, reason, when
    )
    return f"lines[{line.line_no}].accepted_price", previous, price


def _require_finding(
    session: Session, stored: PurchaseOrder, codes: Sequence[str], line_no: str | None, what: str
) -> None:
    for found in _findings(session, stored):
        if (
            found["code"] in codes
            and found["action"] in BLOCKING
            and (line_no is None or found["line_no"] == line_no)
        ):
            return
    where = f"line {line_no} of order {stored.id}" if line_no is not None else f"order {stored.id}"
    raise InvalidChange(f"{where} is not held for {what}; there is nothing to accept")


def _set_override(
    session: Session,
    stored: PurchaseOrder,
    actor: DeskUser,
    code: str,
    line_no: str | None,
    value: str | None,
    reason: str,
    when: datetime,
    *,
    order_total: Decimal | None = None,
) -> str | None:
    """Record an override, replacing an earlier one for the same finding; returns the earlier value or reason.

    ``order_total`` is the order value a credit release covers."""
    override = storage.OrderOverride
    same = (
        override.order_id == stored.id,
        override.code == code,
        override.line_no.is_(None) if line_no is None else override.line_no == line_no,
    )
    earlier = session.scalars(select(override).where(*same)).first()
    session.execute(delete(override).where(*same))
    session.add(
        override(
            order_id=stored.id,
            code=code,
            line_no=line_no,
            value=value,
            reason=reason,
            created_by=actor.username,
            created_at=when,
            order_total=order_total,
        )
    )
    return (earlier.value or earlier.reason) if earlier is not None else None


def _set_line_overrides(
    session: Session,
    stored: PurchaseOrder,
    actor: DeskUser,
    code: str,
    values: Mapping[str, str],
    reason: str,
    when: datetime,
) -> dict[str, str | None]:
    """``_set_override`` for many lines at once (a bulk action): line -> the earlier value or reason."""
    override = storage.OrderOverride
    same = (override.order_id == stored.id, override.code == code, override.line_no.in_(list(values)))
    earlier: dict[str, str | None] = {
        o.line_no or "": o.value or o.reason for o in session.scalars(select(override).where(*same))
    }
    session.execute(delete(override).where(*same))
    session.execute(
        insert(override),
        [
            {
                "order_id": stored.id,
                "code": code,
                "line_no": line_no,
                "value": value,
                "reason": reason,
                "created_by": actor.username,
                "created_at": when,
            }
            for line_no, value in values.items()
        ],
    )
    return earlier


def _store_order(session: Session, stored: PurchaseOrder, order: Order) -> None:
    """Write the canonical order as the pipeline stores it, and its line rows.

    The first change keeps the order as it was (as the customer sent it): the 855 answers the
    buyer's lines from it, and the reply lists the changes from it."""
    if stored.received_canonical is None:
        stored.received_canonical = stored.canonical
    stored.canonical = order.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    stored.line_count = len(order.lines)
    replace_lines(session, stored.id, order)


def _answered_purpose(order: Order) -> str:
    """The 855's BAK01 for an order the desk decides: a partner's change or cancellation held as its
    own order (after shipment, or of a PO never received) is answered as one (04/05, 01)."""
    if order.purpose in (OrderPurpose.CHANGE, OrderPurpose.CANCEL) and order.purpose_code:
        return order.purpose_code
    return "00"


def _decide(stored: PurchaseOrder, actor: DeskUser, when: datetime, reason: str | None) -> None:
    stored.decided_at, stored.decided_by, stored.decision_reason = when, actor.username, reason


def _decision_fields(stored: PurchaseOrder) -> dict[str, Any]:
    return {
        "status": stored.status,
        "decided_by": stored.decided_by,
        "decided_at": stored.decided_at.isoformat() if stored.decided_at else None,
        "decision_reason": stored.decision_reason,
    }


def _summary(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"code": f["code"], "line_no": f["line_no"], "action": f["action"]} for f in findings]


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount.quantize(Decimal('0.01'))}"
