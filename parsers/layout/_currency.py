"""The currency of a laid-out order: an ISO code under or beside a currency label, beside amounts, or a sign.

Evidence ranks: a labelled code ("Currency: USD", "Moneda", "Währung"), then a code beside an amount
("5.05 USD"), a code elsewhere, then signs ("€" EUR, "£" GBP; "$" is USD only when no code says
otherwise, and is a guess a person should check). Codes that disagree lower the confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.model.order import Order

from .._values import CURRENCY_CODES
from .._values import WORDLIKE_CODES
from .._vocabulary import CURRENCY_LABELS
from .._vocabulary import label_key
from ._labels import Label
from ._labels import Line
from ._labels import below
from ._labels import right_of
from ._words import Word
from ._words import provenance

_SIGNS = (  # sign -> code, score; longer signs first
    ("US$", "USD", 0.9), ("CA$", "CAD", 0.85), ("C$", "CAD", 0.85), ("AU$", "AUD", 0.85), ("A$", "AUD", 0.85),
    ("MX$", "MXN", 0.85), ("R$", "BRL", 0.85), ("€", "EUR", 0.85), ("£", "GBP", 0.85), ("₹", "INR", 0.85),
    ("Rs.", "INR", 0.8), ("$", "USD", 0.75),
)  # fmt: skip
_NAMES = {  # a currency written out under or beside its label
    "us dollar": "USD", "us dollars": "USD", "dollars americains": "USD", "dolares": "USD", "euro": "EUR",
    "euros": "EUR", "pound sterling": "GBP", "pounds sterling": "GBP", "canadian dollar": "CAD",
    "canadian dollars": "CAD", "pesos": "MXN", "peso mexicano": "MXN", "pesos mexicanos": "MXN",
    "swiss franc": "CHF", "swiss francs": "CHF", "schweizer franken": "CHF", "franken": "CHF",
}  # fmt: skip
_CODE = re.compile(r"^\(?(?P<a>[A-Z]{3})\)?[:.,]?$|^(?P<b>[A-Z]{3})-?[\d.,]*\d$|^[\d.,]*\d(?P<c>[A-Z]{3})$")
_AMOUNT = re.compile(r"\d[\d.,]*[.,]\d{2}\b")
_LABEL_KEYS = {label_key(text) for text in CURRENCY_LABELS}


@dataclass(slots=True)
class _Evidence:
    code: str
    score: float
    words: list[Word]


def _code(word: Word, *, labelled: bool = False) -> str | None:
    match = _CODE.match(word.text)
    code = match and (match["a"] or match["b"] or match["c"])
    if code and code in WORDLIKE_CODES and not labelled and not any(c.isdigit() for c in word.text):
        return None
    return code if code in CURRENCY_CODES else None


def _named(words: list[Word]) -> _Evidence | None:
    """A currency written out at the start of ``words`` ("US Dollars", "Euros")."""
    for count in (3, 2, 1):
        code = _NAMES.get(label_key(" ".join(w.text for w in words[:count])))
        if code and len(words) >= count:
            return _Evidence(code, 0.9, words[:count])
    return None


def _labelled(line: Line, lines: list[Line]) -> list[_Evidence]:
    found: list[_Evidence] = []
    for at, word in enumerate(line.words):
        if label_key(word.text) not in _LABEL_KEYS:
            continue
        label = Label("currency", label_key(word.text), 100.0, [word], line, at, at + 1)
        for words in (right_of(label), below(label, lines)):
            code = _code(words[0], labelled=True) if words else None
            if code:
                found.append(_Evidence(code, 0.95, words[:1]))
                break
            named = _named(words)
            if named:
                found.append(named)
                break
    return found


def _evidence(lines: list[Line]) -> list[_Evidence]:
    found: list[_Evidence] = []
    for line in lines:
        found += _labelled(line, lines)
        has_amount = any(_AMOUNT.search(w.text) for w in line.words)
        for word in line.words:
            if code := _code(word):
                found.append(_Evidence(code, 0.9 if has_amount or word.text[-1].isdigit() else 0.85, [word]))
                continue
            for sign, code, score in _SIGNS:
                if sign in word.text and (any(c.isdigit() for c in word.text) or has_amount):
                    found.append(_Evidence(code, score, [word]))
                    break
    return found


def read_currency(order: Order, lines: list[Line]) -> None:
    """Set ``order.currency`` from the strongest evidence on the document, if there is any."""
    found = _evidence(lines)
    if not found:
        return
    by_code: dict[str, list[_Evidence]] = {}
    for evidence in found:
        by_code.setdefault(evidence.code, []).append(evidence)
    ranked = sorted(by_code.values(), key=lambda group: (-max(e.score for e in group), -len(group)))
    best = max(ranked[0], key=lambda e: e.score)
    confidence = best.score
    if any(e.score >= 0.85 for group in ranked[1:] for e in group):
        confidence = min(confidence, 0.7)  # the document names another currency too
    order.currency = best.code
    order.provenance["currency"] = provenance(best.words, confidence)
