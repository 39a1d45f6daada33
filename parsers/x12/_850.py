"""Maps one 850 transaction set (its split segments) to a canonical ``Order``."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation

from gateway.model.order import Address
from gateway.model.order import Carrier
from gateway.model.order import Channel
from gateway.model.order import Charge
from gateway.model.order import Contact
from gateway.model.order import DatedEvent
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import OrderPurpose
from gateway.model.order import PackInfo
from gateway.model.order import Party
from gateway.model.order import Provenance
from gateway.model.order import Quantity
from gateway.model.order import Reference
from gateway.model.order import StoreQuantity
from gateway.model.order import Terms
from gateway.model.order import Traced
from gateway.model.order import X12Source
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import Severity

from . import _850_fields as fields


@dataclass(slots=True)
class X12Segment:
    """A split segment: ``elements[0]`` is the segment id, ``elements[n]`` is element n."""

    index: int
    elements: list[str]
    repetition: str | None = None

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, position: int) -> str:
        """Element ``position``; of a repeated (5010) element, its first occurrence."""
        elements = self.elements
        if position >= len(elements):
            return ""
        value = elements[position]
        repetition = self.repetition
        if repetition and repetition in value:
            value = value.split(repetition, 1)[0]
        return value.strip()

    def repetitions(self, position: int) -> list[str]:
        if position >= len(self.elements):
            return [""]
        value = self.elements[position]
        parts = value.split(self.repetition) if self.repetition and self.repetition in value else [value]
        return [p.strip() for p in parts]

    def ref(self, position: int) -> str:
        return _element_ref(self.elements[0], position)


@functools.lru_cache(maxsize=4096)
def _element_ref(seg_id: str, position: int) -> str:
    """``PO104``: made for nearly every value read, so made once per segment id and position."""
    return f"{seg_id}{position:02d}"


_new_provenance = tuple.__new__
_REF_POSITIONS = 100  # element positions named ahead per segment id; a longer segment's are made as read
_REFS: dict[str, tuple[str, ...]] = {}


def _refs(seg_id: str) -> tuple[str, ...]:
    """``PO100`` to ``PO199`` for ``PO1``: only ids with a handler ask, so the table stays small."""
    refs = _REFS.get(seg_id)
    if refs is None:
        refs = _REFS[seg_id] = tuple(_element_ref(seg_id, p) for p in range(_REF_POSITIONS))
    return refs


@dataclass(slots=True)
class _Builder:
    order: Order
    issues: list[Issue] = field(default_factory=list)
    party: Party | None = None
    line: OrderLine | None = None
    in_summary: bool = False

    def source(self, seg: X12Segment, position: int) -> Provenance:
        seg_id = seg.elements[0]
        refs = _REFS.get(seg_id) or _refs(seg_id)
        # tuple.__new__ with every field written out: Provenance(...) runs a Python __new__ for its
        # defaults, and this runs for nearly every value read (a fifth of building an 850)
        return _new_provenance(
            X12Source,
            (None, seg.index, seg_id, refs[position] if position < _REF_POSITIONS else _element_ref(seg_id, position),
             None, None, None, None, None, None, None, None, None),
        )  # fmt: skip

    def put(self, target: Traced, name: str, value: object, seg: X12Segment, position: int) -> None:
        if value is None or (
            isinstance(value, str) and not value
        ):  # (no ``== ""``: a model's __eq__ is slow)
            return
        # What pydantic's own ``setattr`` does for a plain field (no validation on assignment),
        # without its dispatch: about a fifth of building an 850, at a hundred values an order.
        target.__dict__[name] = value
        target.__pydantic_fields_set__.add(name)
        # ``source``, written out here: a Python call less for each of the sixty-odd values of an order
        seg_id = seg.elements[0]
        refs = _REFS.get(seg_id) or _refs(seg_id)
        target.provenance[name] = _new_provenance(
            X12Source,
            (None, seg.index, seg_id, refs[position] if position < _REF_POSITIONS else _element_ref(seg_id, position),
             None, None, None, None, None, None, None, None, None),
        )  # fmt: skip

    def decimal(self, seg: X12Segment, position: int) -> Decimal | None:
        raw = seg.get(position)
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.warn(seg, position, f"{seg.ref(position)} {raw!r} is not a number")
            return None
        return value

    def date(self, seg: X12Segment, position: int) -> date | None:
        raw = seg.get(position)
        if not raw:
            return None
        parsed = parse_x12_date(raw)
        if parsed is None:
            self.warn(seg, position, f"{seg.ref(position)} {raw!r} is not a date (CCYYMMDD)")
        return parsed

    def warn(self, seg: X12Segment, position: int, message: str) -> None:
        self.issues.append(
            Issue(
                code="x12.value",
                message=message,
                severity=Severity.WARNING,
                level=Level.ELEMENT,
                segment=seg.id,
                element=position,
                segment_index=seg.index,
                bad_value=seg.get(position),
            )
        )

    def current(self) -> Traced:
        """The object that loop-level segments (REF, DTM, PER, SAC) attach to."""
        if self.party is not None:
            return self.party
        if self.line is not None:
            return self.line
        return self.order


@functools.lru_cache(maxsize=1024)  # an interchange's dates repeat; a date is immutable
def parse_x12_date(raw: str) -> date | None:
    digits = raw.strip()
    if not digits.isdigit() or len(digits) not in (6, 8):
        return None
    if len(digits) == 6:
        century = "20" if int(digits[:2]) < 50 else "19"
        digits = century + digits
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _beg(b: _Builder, seg: X12Segment) -> None:
    for (_, position), name in _header_fields(seg.id):
        value: object = b.date(seg, position) if name == "po_date" else seg.get(position) or None
        b.put(b.order, name, value, seg, position)
    b.order.purpose = fields.PURPOSES.get(seg.get(1), OrderPurpose.OTHER)


def _bch(b: _Builder, seg: X12Segment) -> None:
    """The 860's BCH: a change (04) or cancellation (01) of the PO in BCH03, dated BCH06."""
    _beg(b, seg)


def _cur(b: _Builder, seg: X12Segment) -> None:
    if b.line is None:
        for (_, position), name in _header_fields("CUR"):
            b.put(b.order, name, seg.get(position) or None, seg, position)


@functools.cache
def _header_fields(seg_id: str) -> list[tuple[tuple[str, int], str]]:
    return [(key, name) for key, name in fields.HEADER.items() if key[0] == seg_id]


def _ref(b: _Builder, seg: X12Segment) -> None:
    target = b.current()
    ref = Reference(
        qualifier=seg.get(1),
        value=seg.get(2) or seg.get(3),
        description=seg.get(3) or None,
        repeats=[v for v in seg.repetitions(2)[1:] if v],
    )
    ref.provenance["value"] = b.source(seg, 2 if seg.get(2) else 3)
    target.references.append(ref)  # type: ignore[attr-defined]


def _dtm(b: _Builder, seg: X12Segment) -> None:
    line = b.line if b.party is None else None  # (no isinstance: pydantic's ABC metaclass makes it slow)
    event = DatedEvent(qualifier=seg.get(1), value=b.date(seg, 2), raw=seg.get(2), time=seg.get(3) or None)
    event.provenance["value"] = b.source(seg, 2)
    if line is not None:
        line.requested_dates.append(event)
    else:
        b.order.dates.append(event)


def _per(b: _Builder, seg: X12Segment) -> None:
    contact = Contact(function=seg.get(1), name=seg.get(2) or None)
    if contact.name:
        contact.provenance["name"] = b.source(seg, 2)
    for position in fields.CONTACT_CHANNELS:
        qualifier, number = seg.get(position), seg.get(position + 1)
        if qualifier and number:
            contact.channels[qualifier] = number
            contact.provenance[qualifier] = b.source(seg, position + 1)
    target = b.party if b.party is not None else b.order
    target.contacts.append(contact)


def _itd(b: _Builder, seg: X12Segment) -> None:
    terms = Terms()
    for position, name in fields.TERMS.items():
        if name in fields.TERMS_DECIMALS:
            value: object = b.decimal(seg, position)
        elif name in fields.TERMS_INTEGERS:
            number = b.decimal(seg, position)
            value = int(number) if number is not None else None
        else:
            value = seg.get(position) or None
        b.put(terms, name, value, seg, position)
    b.order.terms.append(terms)


def _td5(b: _Builder, seg: X12Segment) -> None:
    carrier = Carrier()
    for position, name in _carrier_fields():
        b.put(carrier, name, seg.get(position) or None, seg, position)
    b.order.carriers.append(carrier)


@functools.cache
def _carrier_fields() -> list[tuple[int, str]]:
    """The TD5 elements a ``Carrier`` has a field for (asking the object costs an exception for each other)."""
    return [(position, name) for position, name in fields.CARRIER.items() if name in Carrier.model_fields]


def _fob(b: _Builder, seg: X12Segment) -> None:
    for position, name in fields.FOB.items():
        if seg.get(position):
            b.order.fob[name] = seg.get(position)
            b.order.provenance[f"fob.{name}"] = b.source(seg, position)


def _n9(b: _Builder, seg: X12Segment) -> None:
    ref = Reference(qualifier=seg.get(1), value=seg.get(2), description=seg.get(3) or None)
    ref.provenance["value"] = b.source(seg, 2)
    (b.line or b.order).references.append(ref)


def _msg(b: _Builder, seg: X12Segment) -> None:
    if seg.get(1):
        (b.line or b.order).notes.append(seg.get(1))


def _mtx(b: _Builder, seg: X12Segment) -> None:
    # 005010's free text: MTX02, with MTX03 as its continuation.
    text = "".join(seg.get(p) for p in (2, 3))
    if text:
        (b.line or b.order).notes.append(text)


def _nte(b: _Builder, seg: X12Segment) -> None:
    if seg.get(2):
        (b.line or b.order).notes.append(seg.get(2))


def _n1(b: _Builder, seg: X12Segment) -> None:
    party = Party(role=seg.get(1))
    b.put(party, "name", seg.get(2) or None, seg, 2)
    b.put(party, "id_qualifier", seg.get(3) or None, seg, 3)
    b.put(party, "id", seg.get(4) or None, seg, 4)
    party.provenance["role"] = b.source(seg, 1)
    (b.line.parties if b.line is not None else b.order.parties).append(party)
    b.party = party


def _n2(b: _Builder, seg: X12Segment) -> None:
    if b.party is not None:
        b.party.extra_names.extend(v for v in (seg.get(1), seg.get(2)) if v)


def _address(b: _Builder) -> Address | None:
    if b.party is None:
        return None
    if b.party.address is None:
        b.party.address = Address()
    return b.party.address


def _n3(b: _Builder, seg: X12Segment) -> None:
    address = _address(b)
    if address is not None:
        for position in (1, 2):
            if seg.get(position):
                address.provenance[f"lines[{len(address.lines)}]"] = b.source(seg, position)
                address.lines.append(seg.get(position))


def _n4(b: _Builder, seg: X12Segment) -> None:
    address = _address(b)
    if address is not None:
        for position, name in ((1, "city"), (2, "region"), (3, "postal_code"), (4, "country")):
            b.put(address, name, seg.get(position) or None, seg, position)


def _po1(b: _Builder, seg: X12Segment) -> None:
    line = OrderLine(line_no=seg.get(1) or str(len(b.order.lines) + 1))
    for (_, position), name in fields.LINE.items():
        value: object = (
            b.decimal(seg, position) if name in fields.LINE_DECIMALS else seg.get(position) or None
        )
        b.put(line, name, value, seg, position)
    (_, qty_pos), (_, uom_pos) = fields.QUANTITY
    quantity = b.decimal(seg, qty_pos)
    if quantity is not None:
        uom = seg.get(uom_pos)
        if not uom:
            b.warn(seg, uom_pos, f"{seg.ref(uom_pos)} is empty; the quantity is read as eaches (EA)")
        b.put(line, "quantity", Quantity(value=quantity, uom=uom or "EA"), seg, qty_pos)
    _product_ids(b, line, seg)
    b.order.lines.append(line)
    b.line = line
    b.party = None


def _poc(b: _Builder, seg: X12Segment) -> None:
    """One line change of an 860: the line, what changes (POC02) and its new values."""
    line = OrderLine(line_no=seg.get(1) or str(len(b.order.lines) + 1))
    for (_, position), name in fields.CHANGE_LINE.items():
        value: object = b.decimal(seg, position) if name == "unit_price" else seg.get(position) or None
        b.put(line, name, value, seg, position)
    (_, qty_pos), (_, uom_pos) = fields.CHANGE_QUANTITY
    quantity = b.decimal(seg, qty_pos)
    if quantity is not None:
        unit = re.match(r"[A-Za-z0-9]*", seg.get(uom_pos))
        uom = unit.group(0) if unit else ""
        b.put(line, "quantity", Quantity(value=quantity, uom=uom or None), seg, qty_pos)
    _product_ids(b, line, seg)
    b.order.lines.append(line)
    b.line = line
    b.party = None


def _product_ids(b: _Builder, line: OrderLine, seg: X12Segment) -> None:
    pairs = fields.PRODUCT_ID_PAIRS[seg.id]
    for position in range(pairs.start, min(pairs.stop, len(seg.elements) - 1), pairs.step):  # pairs it has
        qualifier, value = seg.get(position), seg.get(position + 1)
        if not (qualifier and value):
            continue
        name = fields.PRODUCT_ID_QUALIFIERS.get(qualifier)
        if name and line.__dict__[name] is None:
            b.put(line, name, value, seg, position + 1)
        else:
            line.other_ids.setdefault(qualifier, value)
            line.provenance.setdefault(f"other_ids.{qualifier}", b.source(seg, position + 1))


def _lin(b: _Builder, seg: X12Segment) -> None:
    if b.line is not None:
        _product_ids(b, b.line, seg)


def _pid(b: _Builder, seg: X12Segment) -> None:
    text = seg.get(5)
    if b.line is None or not text:
        return
    if b.line.description is None:
        b.put(b.line, "description", text, seg, 5)
    else:
        b.line.notes.append(text)


def _po4(b: _Builder, seg: X12Segment) -> None:
    if b.line is None:
        return
    pack = PackInfo()
    for position, name in fields.PACK.items():
        value: object = (
            b.decimal(seg, position) if name in fields.PACK_DECIMALS else seg.get(position) or None
        )
        b.put(pack, name, value, seg, position)
    b.line.pack = pack
    b.line.provenance["pack"] = b.source(seg, 1)


def _sdq(b: _Builder, seg: X12Segment) -> None:
    if b.line is None:
        return
    qualifier = seg.get(2) or None
    for position in range(3, len(seg.elements) - 1, 2):
        location, quantity = seg.get(position), b.decimal(seg, position + 1)
        if location and quantity is not None:
            store = StoreQuantity(location_qualifier=qualifier, location=location, quantity=quantity)
            store.provenance["quantity"] = b.source(seg, position + 1)
            b.line.distribution.append(store)


def _sac(b: _Builder, seg: X12Segment) -> None:
    charge = Charge(indicator=seg.get(1), code=seg.get(2) or None, description=seg.get(15) or None)
    amount = b.decimal(seg, 5)
    if amount is not None:
        b.put(charge, "amount", amount / 100, seg, 5)
    b.put(charge, "percent", b.decimal(seg, 7), seg, 7)
    (b.line.charges if b.line is not None and not b.in_summary else b.order.charges).append(charge)


def _ctt(b: _Builder, seg: X12Segment) -> None:
    b.in_summary, b.line, b.party = True, None, None
    count = b.decimal(seg, 1)
    if count is not None:
        b.put(b.order, "stated_line_count", int(count), seg, 1)


def _amt(b: _Builder, seg: X12Segment) -> None:
    if seg.get(1) in ("TT", "GV", "1") and (b.in_summary or b.line is None):
        b.put(b.order, "stated_total", b.decimal(seg, 2), seg, 2)


_HANDLERS: dict[str, Callable[[_Builder, X12Segment], None]] = {
    "BEG": _beg,
    "BCH": _bch,
    "POC": _poc,
    "CUR": _cur,
    "REF": _ref,
    "DTM": _dtm,
    "PER": _per,
    "ITD": _itd,
    "TD5": _td5,
    "FOB": _fob,
    "N9": _n9,
    "MSG": _msg,
    "MTX": _mtx,
    "NTE": _nte,
    "N1": _n1,
    "N2": _n2,
    "N3": _n3,
    "N4": _n4,
    "PO1": _po1,
    "LIN": _lin,
    "PID": _pid,
    "PO4": _po4,
    "SDQ": _sdq,
    "SAC": _sac,
    "CTT": _ctt,
    "AMT": _amt,
}
# Segments that close an open N1 loop.
_CLOSES_PARTY = frozenset(
    {"PO1", "POC", "CTT", "SAC", "PID", "PO4", "SDQ", "AMT", "ITD", "TD5", "DTM", "FOB"}
)


def build_850(
    segments: Sequence[X12Segment],
    *,
    partner: str | None,
    document_id: str | None,
    control_number: str | None,
) -> tuple[Order, list[Issue]]:
    """One canonical order from the segments between ST and SE (either may be included)."""
    builder = _Builder(
        order=Order(partner=partner, channel=Channel.X12, document_id=document_id, po_number=None),
    )
    builder.order.control_number = control_number
    for seg in segments:
        seg_id = seg.elements[0]
        if seg_id in _CLOSES_PARTY:
            builder.party = None
        handler = _HANDLERS.get(seg_id)
        if handler is not None:
            handler(builder, seg)
    return builder.order, builder.issues
