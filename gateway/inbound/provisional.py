"""An X12 interchange from a sender with no profile, read with a provisional profile made from its own
envelope: the POs, lines and syntax problems it holds, so onboarding starts from facts.

The reading sends nothing and stores no order: the pipeline keeps it on the ``unknown_partner``
document (``provisional_json``), ``gateway show --document`` prints it, and the desk's document
page shows it beside the profile drafted from it (``profile_draft``). Reading is bounded: an
interchange over ``MAX_PREVIEW_BYTES`` is not read, and at most ``MAX_PREVIEW_SETS`` sets of
``MAX_PREVIEW_LINES`` lines and ``MAX_PREVIEW_ISSUES`` problems each are kept.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any
from typing import BinaryIO

import parsers
from gateway.model.order import Order
from gateway.model.receipts import Issue
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import ProfileError
from partners import X12Identity

if TYPE_CHECKING:
    from parsers import ParsedInterchange

log = logging.getLogger(__name__)

MAX_PREVIEW_BYTES = 5 * 1024 * 1024  # larger interchanges are not read provisionally
MAX_PREVIEW_SETS = 50
MAX_PREVIEW_LINES = 200
MAX_PREVIEW_ISSUES = 50  # syntax problems kept per set and per interchange


@dataclass(frozen=True, slots=True)
class PreviewIssue:
    """One syntax problem the provisional reading found."""

    code: str
    message: str
    location: str | None
    severity: str


@dataclass(frozen=True, slots=True)
class PreviewLine:
    line_no: str
    part: str | None
    description: str | None
    quantity: str | None
    uom: str | None
    unit_price: str | None


@dataclass(frozen=True, slots=True)
class PreviewSet:
    set_id: str
    control_number: str
    po_number: str | None
    po_date: str | None
    errors: int
    lines: list[PreviewLine]
    more_lines: int = 0
    issues: list[PreviewIssue] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PreviewInterchange:
    sender: tuple[str, str]  # ISA05, ISA06
    receiver: tuple[str, str]  # ISA07, ISA08
    gs_sender: str | None
    gs_receiver: str | None
    version: str
    usage: str
    control_number: str
    known_as: str | None  # the profile that matches the sender, when one does
    sets: list[PreviewSet]
    more_sets: int = 0
    issues: list[PreviewIssue] = field(default_factory=list)  # of the envelope: ISA/GS/IEA/GE


@dataclass(frozen=True, slots=True)
class X12Preview:
    """What an interchange from an unknown sender holds, read with a provisional profile."""

    interchanges: list[PreviewInterchange]
    draft: str | None  # the TOML profile for the first unknown sender
    problem: str | None = None  # why it was not read
    profile: str | None = None  # the provisional profile's name (the draft's)

    @property
    def unknown(self) -> list[PreviewInterchange]:
        return [ix for ix in self.interchanges if ix.known_as is None]


def x12_preview(
    stream: BinaryIO,
    partners: PartnerRegistry,
    *,
    document_id: int,
    envelopes: Sequence[ParsedInterchange] | None = None,
) -> X12Preview:
    """Read the interchanges in ``stream``; senders with no profile are read with a provisional one
    made from their own envelope. Nothing is stored or sent.

    ``envelopes`` are the stream's interchanges as already read with ``partners`` (the pipeline's
    own reading), which spares reading it twice; without them the stream is read for them first.
    """
    first = None
    if envelopes is None:
        first = parsers.parse(stream, partners=partners, document_id=str(document_id))
        envelopes = first.interchanges
        stream.seek(0)
    provisional: dict[tuple[str, str, str | None], PartnerProfile] = {}
    trial = PartnerRegistry(list(partners))
    taken = {p.name for p in partners}
    for ix in envelopes:
        if ix.partner is not None:
            continue
        receipt = ix.receipt
        group = receipt.groups[0] if receipt.groups else None
        key = (receipt.sender_qualifier, receipt.sender_id, group.sender if group else None)
        if key in provisional or not receipt.sender_id.strip():
            continue
        profile = _provisional_profile(receipt.sender_qualifier, receipt.sender_id, group, receipt, taken)
        try:
            trial.add(profile)
        except ProfileError:
            continue
        taken.add(profile.name)
        provisional[key] = profile
    if provisional or first is None:
        second = parsers.parse(stream, partners=trial, document_id=str(document_id))
    else:
        second = first
    orders_by_set: dict[tuple[str, str], Order] = {}
    for parsed in second.orders:
        if parsed.interchange_control_number and parsed.transaction is not None:
            orders_by_set.setdefault(
                (parsed.interchange_control_number, parsed.transaction.control_number), parsed.order
            )
    provisional_names = {p.name for p in provisional.values()}
    shown: list[PreviewInterchange] = []
    for ix in second.interchanges:
        receipt = ix.receipt
        group = receipt.groups[0] if receipt.groups else None
        sets: list[PreviewSet] = []
        total_sets = 0
        for g in receipt.groups:
            for transaction in g.transactions:
                total_sets += 1
                if len(sets) >= MAX_PREVIEW_SETS:
                    continue
                order = orders_by_set.get((receipt.control_number, transaction.control_number))
                sets.append(_preview_set(transaction.set_id, transaction.control_number, transaction, order))
        envelope = [*receipt.issues, *(i for g in receipt.groups for i in g.issues)]
        known = (
            ix.partner.name if ix.partner is not None and ix.partner.name not in provisional_names else None
        )
        shown.append(
            PreviewInterchange(
                sender=(receipt.sender_qualifier, receipt.sender_id),
                receiver=(receipt.receiver_qualifier, receipt.receiver_id),
                gs_sender=group.sender if group else None,
                gs_receiver=group.receiver if group else None,
                version=group.version if group else receipt.version,
                usage=receipt.usage,
                control_number=receipt.control_number,
                known_as=known,
                sets=sets,
                more_sets=total_sets - len(sets),
                issues=_issues(envelope),
            )
        )
    draft = name = None
    if provisional:
        profile = next(iter(provisional.values()))
        draft, name = profile_draft(profile, document_id=document_id), profile.name
    return X12Preview(shown, draft, profile=name)


def read_unknown_x12(
    open_stream: Callable[[], BinaryIO],
    size: int,
    partners: PartnerRegistry,
    *,
    document_id: int,
    envelopes: Sequence[ParsedInterchange] | None = None,
) -> X12Preview:
    """``x12_preview`` of a stored interchange of ``size`` bytes, bounded and never raising.

    An interchange over ``MAX_PREVIEW_BYTES`` is not read; a failure of the reader itself is
    logged and named in ``problem``, so the document's intake or page goes on without it.
    """
    if size > MAX_PREVIEW_BYTES:
        return X12Preview([], None, f"the interchange is over {MAX_PREVIEW_BYTES >> 20} MB: not read here")
    try:
        return x12_preview(open_stream(), partners, document_id=document_id, envelopes=envelopes)
    except Exception as exc:
        log.exception("reading document %s with a provisional profile failed", document_id)
        return X12Preview([], None, f"the interchange could not be read: {type(exc).__name__}")


def provisional_json(preview: X12Preview) -> dict[str, Any]:
    """The reading as stored on the document and printed by ``ingest --json`` and ``show --document``."""
    return {
        "profile": preview.profile,
        "problem": preview.problem,
        "interchanges": [
            {
                "sender": "/".join(ix.sender),
                "receiver": "/".join(ix.receiver),
                "gs_sender": ix.gs_sender,
                "gs_receiver": ix.gs_receiver,
                "version": ix.version,
                "usage": ix.usage,
                "control_number": ix.control_number,
                "known_as": ix.known_as,
                "errors": [_issue_json(i) for i in ix.issues],
                "more_sets": ix.more_sets,
                "sets": [
                    {
                        "set_id": one.set_id,
                        "control_number": one.control_number,
                        "po_number": one.po_number,
                        "po_date": one.po_date,
                        "line_count": len(one.lines) + one.more_lines,
                        "lines": [_line_json(line) for line in one.lines],
                        "errors": [_issue_json(i) for i in one.issues],
                    }
                    for one in ix.sets
                ],
            }
            for ix in preview.interchanges
        ],
    }


def render_provisional(reading: dict[str, Any]) -> list[str]:
    """``provisional_json``'s reading as lines of text, for ``gateway show --document``."""
    out = [f"  read with a provisional profile ({reading.get('profile') or 'none'}); nothing was sent"]
    if reading.get("problem"):
        out.append(f"  not read: {reading['problem']}")
    for ix in reading.get("interchanges", []):
        known = f" (profile {ix['known_as']})" if ix.get("known_as") else ""
        out.append(
            f"  interchange {ix['control_number']}: ISA sender {ix['sender']}{known} to {ix['receiver']}, "
            f"GS {ix['gs_sender'] or '-'} to {ix['gs_receiver'] or '-'}, {ix['version']} usage {ix['usage']}"
        )
        out.extend(_error_lines(ix["errors"], "    "))
        for one in ix["sets"]:
            po = f"  PO {one['po_number']}" if one["po_number"] else ""
            out.append(
                f"    {one['set_id']} {one['control_number']}{po}  date {one['po_date'] or '-'}  "
                f"{one['line_count']} lines"
            )
            for line in one["lines"]:
                out.append(
                    f"      {line['line_no']:>4}  {line['quantity'] or '-'} {line['uom'] or '-'}  "
                    f"{line['part'] or '-'}  @ {line['unit_price'] or '-'}  {line['description'] or ''}".rstrip()
                )
            if one["line_count"] > len(one["lines"]):
                out.append(f"      ... {one['line_count'] - len(one['lines'])} more lines")
            out.extend(_error_lines(one["errors"], "      "))
        if ix.get("more_sets"):
            out.append(f"    ... {ix['more_sets']} more transaction sets not read")
    return out


def _error_lines(errors: list[dict[str, Any]], indent: str) -> list[str]:
    return [
        f"{indent}{e['severity']} {e['code']}: {e['message']}"
        + (f" at {e['location']}" if e["location"] else "")
        for e in errors
    ]


def _issue_json(issue: PreviewIssue) -> dict[str, Any]:
    return {
        "code": issue.code,
        "message": issue.message,
        "location": issue.location,
        "severity": issue.severity,
    }


def _line_json(line: PreviewLine) -> dict[str, Any]:
    return {
        "line_no": line.line_no,
        "part": line.part,
        "description": line.description,
        "quantity": line.quantity,
        "uom": line.uom,
        "unit_price": line.unit_price,
    }


def _issues(issues: list[Issue]) -> list[PreviewIssue]:
    return [
        PreviewIssue(i.code, i.message, i.location, "error" if i.is_error else "warning")
        for i in issues[:MAX_PREVIEW_ISSUES]
    ]


def _preview_set(set_id: str, control: str, transaction: Any, order: Order | None) -> PreviewSet:
    errors = sum(1 for i in transaction.issues if i.is_error)
    issues = _issues(transaction.issues)
    if order is None:
        return PreviewSet(set_id, control, None, None, errors, [], issues=issues)
    lines = [
        PreviewLine(
            line.line_no,
            line.vendor_sku or line.buyer_part or line.upc,
            line.description,
            _plain(line.quantity.value) if line.quantity else None,
            line.quantity.uom if line.quantity else None,
            _plain(line.unit_price) if line.unit_price is not None else None,
        )
        for line in order.lines[:MAX_PREVIEW_LINES]
    ]
    return PreviewSet(
        set_id,
        control,
        order.po_number,
        order.po_date.isoformat() if order.po_date else None,
        errors,
        lines,
        max(0, len(order.lines) - MAX_PREVIEW_LINES),
        issues,
    )


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _provisional_profile(
    qualifier: str, isa_id: str, group: Any, receipt: Any, taken: set[str]
) -> PartnerProfile:
    base = re.sub(r"[^a-z0-9_-]+", "-", isa_id.strip().lower()).strip("-_") or "partner"
    name, n = base[:48], 2
    while name in taken:
        name, n = f"{base[:44]}-{n}", n + 1
    gs_version = (group.version if group else "")[:6]
    receiver_gs = group.receiver.strip() if group and len(group.receiver.strip()) >= 2 else None
    sender_gs = group.sender.strip() if group and len(group.sender.strip()) >= 2 else None
    return PartnerProfile(
        name=name,
        display_name=isa_id.strip(),
        customer_account="",
        isa=X12Identity(qualifier=qualifier.strip(), id=isa_id.strip(), gs_id=sender_gs),
        us=X12Identity(
            qualifier=receipt.receiver_qualifier.strip(), id=receipt.receiver_id.strip(), gs_id=receiver_gs
        ),
        version="005010" if gs_version == "005010" else "004010",
        usage="T" if receipt.usage == "T" else "P",
        acks=["997"],
    )


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's."""
    return json.dumps(text, ensure_ascii=False)


def _identity(identity: X12Identity) -> str:
    parts = [f"qualifier = {_toml_string(identity.qualifier)}", f"id = {_toml_string(identity.id)}"]
    if identity.gs_id:
        parts.append(f"gs_id = {_toml_string(identity.gs_id)}")
    return "{ " + ", ".join(parts) + " }"


def profile_draft(profile: PartnerProfile, *, document_id: int) -> str:
    """The profile file an integrator would write for ``profile``, as in partners/profiles/."""
    isa, us = profile.isa, profile.us
    assert isa is not None and us is not None  # drafted from an interchange's envelope
    return "\n".join(
        [
            f"# {profile.label}: drafted on the order desk from document {document_id}, "
            f"ISA sender {isa.qualifier}/{isa.id}.",
            "# Check every value, fill in customer_account, then save.",
            f"name = {_toml_string(profile.name)}",
            f"display_name = {_toml_string(profile.label)}",
            'customer_account = ""                    # the customer\'s account in the ERP (required)',
            f"version = {_toml_string(profile.version)}",
            'acks = ["997"]                           # add "855" if they want purchase order acknowledgements',
            'ta1 = "on_request"',
            f"usage = {_toml_string(profile.usage)}",
            f"isa = {_identity(isa)}",
            f"us = {_identity(us)}",
            "",
        ]
    )
