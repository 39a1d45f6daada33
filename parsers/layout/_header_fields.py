"""Header fields of a laid-out order (PO number, PO date, terms, ship-to) from labels and their values.

Every label the vocabulary knows yields candidates: the value right of it, under it, or fused into
its word. A candidate scores by how strongly its label names the field, where the value stands and
on which page, and must have the field's shape (a PO number has digits and is not a phone number,
date, amount or e-mail). The strongest wins; values several labels agree on win over a lone one.
Doubt is never silent: a weak or contested value gets a low confidence, a date whose day and month
could swap an issue naming both readings, and a missing PO number or date an issue of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from gateway.model.order import Address
from gateway.model.order import Order
from gateway.model.order import Party
from gateway.model.order import Terms
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import Severity

from .._values import date_readings
from ._currency import read_currency
from ._labels import Label
from ._labels import Line
from ._labels import adjacent
from ._labels import below
from ._labels import lines_of
from ._labels import right_of
from ._labels import spans
from ._words import Row
from ._words import Word
from ._words import provenance

# How strongly a label names its field, when less than fully ("Date" may be any date).
_STRENGTH = {
    "number": 0.6, "date": 0.8, "fecha": 0.8, "datum": 0.8, "purchase order": 0.85, "pedido de compra": 0.85,
    "orden de compra": 0.85, "bestellung": 0.85, "bon de commande": 0.85, "bestelling": 0.85,
    "inkooporder": 0.85, "order number": 0.9, "order no": 0.9, "order #": 0.9, "your order": 0.8,
    "issue date": 0.9, "creation date": 0.9, "document date": 0.85, "date issued": 0.9, "invoice date": 0.6,
    "fecha de factura": 0.6, "rechnungsdatum": 0.6, "date de facture": 0.6, "factuurdatum": 0.6, "po": 0.85,
}  # fmt: skip
_GENERIC = 0.55  # "No.", "#", "Reference": a value under such a label is only a guess
_DAY_FIRST_LABELS = re.compile(
    r"fecha|pedido|orden|proveedor|cliente|entrega|datum|bestell|beleg|auftrag|liefer|kunde|rechnung|"
    r"date de|commande|livraison|facture|fournisseur|bestel|lever|klant|factuur"
)  # label words of Spanish, German, French and Dutch: documents in those write the day first
_FORMAT_HINT = re.compile(r"^\(?(?P<first>MM|DD|TT|JJ)[./-](?P<second>MM|DD|TT|JJ)[./-](?:YY|JJ|AA){1,2}\)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/-])(\d{1,2})\2(\d{2}|\d{4})$")
_PHONE = re.compile(r"^\(?\d{3}\)?[-. ]?\d{3}[-. ]\d{4}$")
_AMOUNT = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^-?\d+\.\d{2}$|[$€£¥]")
_PO_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{2,29}$")
_TERMS = re.compile(r"\b(?:payment\s+)?terms\s*:?\s*(?P<v>.+)$", re.IGNORECASE)
_SHIP_TO = re.compile(r"^\s*(?:ship\s*-?\s*to|deliver\s+to)\s*:?\s*(?P<v>.*)$", re.IGNORECASE)
_HEADER_LABELS = (  # rows that end a ship-to block: a PO number, a date or terms with their values
    re.compile(r"\b(?:p\.?\s?o\.?|purchase\s+order|order)\s*(?:number|no\.?|#)?\s*[:#]?\s*[A-Z0-9][\w/-]*\d",
               re.IGNORECASE),
    re.compile(r"\b(?:po\s+|order\s+)?date\s*:?\s*(?:\d{1,4}[./-]\d{1,2}[./-]\d{2,4}|[A-Z][a-z]{2} \d{1,2}, \d{4})",
               re.IGNORECASE),
    _TERMS,
)  # fmt: skip
REVIEW = 0.79  # confidence given to values a person should check (below parsers._confidence.REVIEW_BELOW)


@dataclass(slots=True)
class _Candidate:
    value: str
    words: list[Word]
    score: float
    label: Label
    parsed: list[date] | None = None  # a date's readings


def read_header_fields(
    order: Order, rows: list[Row], anchors: Mapping[str, str], *, table_at: int | None = None
) -> list[Issue]:
    """The order's header fields, and the issues of those missing or in doubt.

    ``rows`` are all the document's rows; ``table_at`` is the index of the line table's header row,
    if any: the header fields are looked for above it first, then anywhere else.
    A sender's anchored labels (``anchors``: field -> label text) come first and are taken as read.
    """
    issues: list[Issue] = []
    lines = lines_of(rows)
    head = len(lines) if table_at is None else table_at
    _anchored_fields(order, lines, anchors, issues)
    for name in ("po_number", "po_date"):
        if getattr(order, name) is None:
            candidates = _candidates(name, lines[:head], lines, 1.0)
            candidates = candidates or _candidates(name, lines[head:], lines, 0.85)
            _choose(order, name, candidates, lines, issues)
    if order.po_number is None:
        issues.append(_missing("po_number", "no PO number found on the document: no label such as "
                               "'PO Number', 'Order No.' or 'Bestellnummer' with a value beside or under it"))  # fmt: skip
    if order.po_date is None:
        issues.append(_missing("po_date", "no PO date found on the document: no label such as 'PO Date', "
                               "'Order Date' or 'Fecha' with a date beside or under it"))  # fmt: skip
    if order.currency is None:
        read_currency(order, lines)
    _terms_and_ship_to(order, rows[:head])
    return issues


def _missing(name: str, message: str) -> Issue:
    return Issue(code=f"pdf.no_{name}", message=message, level=Level.DOCUMENT, severity=Severity.WARNING,
                 field=name)  # fmt: skip


def _anchored_fields(
    order: Order, lines: list[Line], anchors: Mapping[str, str], issues: list[Issue]
) -> None:
    """A sender's own labels: the value right of the label, else under it."""
    for name, anchor in anchors.items():
        for label in spans(lines, [anchor]):
            for words in (right_of(label), below(label, lines)):
                if _take_anchored(order, name, words, label, lines, issues):
                    break
            else:
                continue
            break


def _take_anchored(
    order: Order, name: str, words: list[Word], label: Label, lines: list[Line], issues: list[Issue]
) -> bool:
    if not words:
        return False
    if name == "po_number":
        shaped = _po_number_in(words)  # "4512029509 / 01/27/2021" under "PO number/date" is the number
        taken = shaped[0] if shaped else words
        order.po_number = " ".join(w.text for w in taken).strip(" :#")
        order.provenance["po_number"] = provenance(taken, 1.0)
        return True
    if name == "po_date":
        found = _date_in(words)
        if found is None:
            return False
        taken, readings = found
        _set_date(order, _Candidate("", taken, 1.0, label, readings), lines, issues)
        return True
    if name == "terms":
        terms = Terms(description=" ".join(w.text for w in words))
        terms.provenance["description"] = provenance(words, 1.0)
        order.terms.append(terms)
        return True
    return False


def _strength(label: Label) -> float:
    if label.key in _STRENGTH:
        return _STRENGTH[label.key]
    if label.score < 100:
        return _GENERIC if label.score <= 60 else 0.9 * label.score / 100
    return 1.0


def _candidates(name: str, where: list[Line], lines: list[Line], weight: float) -> list[_Candidate]:
    """Every value a label of ``name`` (or the combined "PO number/date") points at, scored."""
    found: list[_Candidate] = []
    for line in where:
        for label in line.labels:
            if label.name not in (name, "po_number_date"):
                continue
            page = 1.0 if label.words[0].page == 1 else 0.9
            right = right_of(label)
            compound = label.end < len(line.words) and adjacent(label, line.words[label.end : label.end + 1])
            for words, geometry in ((right, 1.0), (below(label, lines), 0.95)):
                if not words or (geometry < 1.0 and compound):
                    continue  # a label followed by its own text ("PO Box 156", "Date Required") has nothing under it
                if words[0].x0 - label.x1 > 80 and geometry == 1.0:
                    geometry = 0.9
                score = _strength(label) * geometry * page * weight
                candidate: tuple[list[Word], list[date] | None] | None
                if name == "po_number":
                    candidate = _po_number_in(words)
                else:  # a date label's value starts with the date; a combined label's follows the number
                    candidate = _date_in(words, anywhere=label.name == "po_number_date")
                if candidate is not None:
                    taken, readings = candidate
                    value = taken[0].text.strip("#:.,;|") if name == "po_number" else ""
                    found.append(_Candidate(value, taken, score, label, readings))
                    break
    return found


def _po_number_in(words: list[Word]) -> tuple[list[Word], None] | None:
    """The PO number at the start of a value ("14283001 - 001 OP" -> 14283001; "4512029509 / 01/27/2021")."""
    text = words[0].text.strip("#:.,;|")
    if not _PO_SHAPE.match(text) or sum(c.isdigit() for c in text) < 3:
        return None
    if date_readings(text) or _PHONE.match(text) or _AMOUNT.search(text) or "@" in text:
        return None
    if re.fullmatch(r"\d{1,2}:\d{2}(?::\d{2})?", text):
        return None
    return [words[0]], None


def _date_in(words: list[Word], *, anywhere: bool = True) -> tuple[list[Word], list[date]] | None:
    """The first date among the words (``anywhere``) or at their start, in one to five words ("8 de enero de 2026")."""
    for start in range(len(words) if anywhere else min(1, len(words))):
        for end in range(min(len(words), start + 5), start, -1):
            readings = date_readings(" ".join(w.text for w in words[start:end]))
            if readings:
                return words[start:end], readings
    return None


def _choose(
    order: Order, name: str, candidates: list[_Candidate], lines: list[Line], issues: list[Issue]
) -> None:
    """The strongest value; agreement of several labels adds to it, a close rival takes from it."""
    if not candidates:
        return
    groups: dict[object, list[_Candidate]] = {}
    for candidate in candidates:
        key = candidate.value.upper() if name == "po_number" else tuple(candidate.parsed or ())
        groups.setdefault(key, []).append(candidate)
    ranked = sorted(
        groups.values(),
        key=lambda group: (
            -(max(c.score for c in group) + 0.05 * min(len({id(c.label) for c in group}) - 1, 2))
        ),
    )
    best = max(ranked[0], key=lambda c: c.score)
    agreeing = len({id(c.label) for c in ranked[0]})
    confidence = min(0.95, best.score + 0.05 * min(agreeing - 1, 2))
    if len(ranked) > 1 and max(c.score for c in ranked[1]) >= best.score - 0.1:
        confidence = min(confidence, 0.7)  # another label, as strong, says otherwise
    best.score = confidence
    if name == "po_number":
        order.po_number = best.value
        order.provenance["po_number"] = provenance(best.words, round(confidence, 2))
    else:
        _set_date(order, best, lines, issues)


def _set_date(order: Order, chosen: _Candidate, lines: list[Line], issues: list[Issue]) -> None:
    """The PO date; when day and month could swap, the document's own usage decides, or an issue says so."""
    readings = chosen.parsed or []
    written = " ".join(w.text for w in chosen.words)
    reading = readings[0]
    if len(readings) == 2:
        day_first = _day_first(chosen, lines)
        if day_first is None:
            issues.append(
                Issue(
                    code="pdf.ambiguous_date",
                    message=f"the PO date {written!r} reads as {readings[0].isoformat()} (month first) or "
                    f"{readings[1].isoformat()} (day first), and nothing on the document settles which; "
                    f"read as {readings[0].isoformat()}",
                    level=Level.DOCUMENT,
                    severity=Severity.WARNING,
                    field="po_date",
                )
            )
        elif day_first:
            reading = readings[1]
    order.po_date = reading
    order.provenance["po_date"] = provenance(chosen.words, round(chosen.score, 2))


def _day_first(chosen: _Candidate, lines: list[Line]) -> bool | None:
    """Whether the document writes day before month: a format note ("MM/DD/YYYY"), else its other dates
    and the language of the date's label, when they do not disagree."""
    votes = {True: 0, False: 0}
    for line in lines:
        for word in line.words:
            if hint := _FORMAT_HINT.match(word.text.upper()):
                return hint["first"] in ("DD", "TT", "JJ")
            if word in chosen.words or not (match := _NUMERIC_DATE.match(word.text)):
                continue
            first, second = int(match[1]), int(match[3])
            if first > 12 >= second:
                votes[True] += 1
            elif second > 12 >= first:
                votes[False] += 1
    by_dates = None if votes[True] == votes[False] else votes[True] > votes[False]
    keys = [chosen.label.key, *(label.key for line in lines for label in line.labels)]
    by_language = True if any(_DAY_FIRST_LABELS.search(key) for key in keys) else None
    if by_dates is not None and by_language is not None and by_dates != by_language:
        return None
    return by_dates if by_dates is not None else by_language


def _terms_and_ship_to(order: Order, rows: list[Row]) -> None:
    """Payment terms beside their label, and the ship-to block under or beside its label."""
    for index, row in enumerate(rows):
        text = row.text
        terms = _TERMS.search(text)
        if terms and not order.terms:
            value = terms.group("v").strip()
            words = [w for w in row.words if w.text in value.split()] or row.words
            found = Terms(description=value)
            found.provenance["description"] = provenance(words, 0.8)
            order.terms.append(found)
        ship = _SHIP_TO.match(text)
        if ship and order.ship_to is None:
            block = [ship.group("v")] if ship.group("v") else []
            block_words = list(row.words[1:])
            for follow in rows[index + 1 : index + 5]:
                if any(p.search(follow.text) for p in _HEADER_LABELS) or not follow.text.strip():
                    break
                block.append(follow.text)
                block_words += follow.words
            if block:
                party = Party(role="ST", name=block[0], address=Address(lines=block[1:]))
                party.provenance["name"] = provenance(block_words or row.words, 0.7)
                order.parties.append(party)
