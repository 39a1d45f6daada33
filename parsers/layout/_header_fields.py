"""Header fields of a laid-out order (PO number, PO date, terms, ship-to) from labels and their values."""

from __future__ import annotations

import re
from collections.abc import Mapping

from gateway.model import Address
from gateway.model import Order
from gateway.model import Party
from gateway.model import Terms

from .._values import parse_date
from ._words import Row
from ._words import provenance

_LABELS = {
    "po_number": re.compile(r"\b(?:p\.?\s?o\.?|purchase\s+order|order)\s*(?:number|no\.?|#)?\s*[:#]?\s*(?P<v>[A-Z0-9][\w/-]*\d[\w/-]*)",
                            re.IGNORECASE),
    "po_date": re.compile(r"\b(?:po\s+|order\s+)?date\s*:?\s*(?P<v>\d{1,4}[./-]\d{1,2}[./-]\d{2,4}|[A-Z][a-z]{2} \d{1,2}, \d{4})",
                          re.IGNORECASE),
    "terms": re.compile(r"\b(?:payment\s+)?terms\s*:?\s*(?P<v>.+)$", re.IGNORECASE),
}  # fmt: skip
_SHIP_TO = re.compile(r"^\s*(?:ship\s*-?\s*to|deliver\s+to)\s*:?\s*(?P<v>.*)$", re.IGNORECASE)
_SHIP_TO = re.compile(r"^\s*(?:ship\s*-?\s*to|deliver\s+to)\s*:?\s*(?P<v>.*)$", re.IGNORECASE)


def read_header_fields(order: Order, rows: list[Row], anchors: Mapping[str, str]) -> None:
    """The order's header fields: a sender's anchored labels first, then the generic labels."""
    _anchored_fields(order, rows, anchors)
    _header_fields(order, rows)


def _anchored_fields(order: Order, lines: list[Row], anchors: Mapping[str, str]) -> None:
    """Template fields: the text after the anchor label on its line."""
    for name, anchor in anchors.items():
        for line in lines:
            at = line.text.lower().find(anchor.lower())
            if at < 0:
                continue
            value = line.text[at + len(anchor) :].strip(" :#\t")
            words = [w for w in line.words if w.text in value.split()]
            if not value or not words:
                continue
            where = provenance(words, 1.0)
            if name == "po_number":
                order.po_number = value
                order.provenance["po_number"] = where
            elif name == "po_date" and (parsed := parse_date(value)):
                order.po_date = parsed
                order.provenance["po_date"] = where
            elif name == "terms":
                terms = Terms(description=value)
                terms.provenance["description"] = where
                order.terms.append(terms)
            break


def _header_fields(order: Order, lines: list[Row]) -> None:
    for index, line in enumerate(lines):
        text = line.text
        for name, pattern in _LABELS.items():
            match = pattern.search(text)
            if match is None:
                continue
            value = match.group("v").strip()
            words = [w for w in line.words if w.text in value.split()] or line.words
            if name == "po_number" and order.po_number is None:
                order.po_number = value
                order.provenance["po_number"] = provenance(words, 0.9)
            elif name == "po_date" and order.po_date is None and (parsed := parse_date(value)):
                order.po_date = parsed
                order.provenance["po_date"] = provenance(words, 0.9)
            elif name == "terms" and not order.terms:
                terms = Terms(description=value)
                terms.provenance["description"] = provenance(words, 0.8)
                order.terms.append(terms)
        ship = _SHIP_TO.match(text)
        if ship and order.ship_to is None:
            block = [ship.group("v")] if ship.group("v") else []
            block_words = list(line.words[1:])
            for follow in lines[index + 1 : index + 5]:
                if any(p.search(follow.text) for p in _LABELS.values()) or not follow.text.strip():
                    break
                block.append(follow.text)
                block_words += follow.words
            if block:
                party = Party(role="ST", name=block[0], address=Address(lines=block[1:]))
                party.provenance["name"] = provenance(block_words or line.words, 0.7)
                order.parties.append(party)
