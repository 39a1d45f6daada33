"""Labels on laid-out rows ("PO Number:", "Fecha", "N° de commande") and the words that hold their values.

A label is a run of close words that the vocabulary names (``match_label``), longest first, so that
"Delivery Date" is one label and its "Date" is not read as the PO date. Its value stands right of
it on the same row, or under it (the label heads a box or a column), or in the label's own word
("No.4300004732").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass

from .._vocabulary import label_key
from .._vocabulary import match_label
from ._words import Row
from ._words import Word

MAX_LABEL_WORDS = 5
RIGHT_REACH = 200.0  # points: a value further right of its label belongs to another column
BELOW_REACH = 3.0  # label heights: how far under a label its value may stand
_FUSED = re.compile(r"^(?P<label>#|\D*[A-Za-z#][.:#])(?P<value>[#\d]\S*)$")  # "No.4300004732", "#1497"
_PUNCTUATION = re.compile(r"^[\W_]+$")


@dataclass(slots=True)
class Line:
    """A row's words, fused label-and-value words split in two, and the labels found on it."""

    row: Row
    words: list[Word]
    labels: list[Label]


@dataclass(slots=True)
class Label:
    """Words of one row that name a field; ``score`` is the vocabulary's match (100 exact, 60 generic)."""

    name: str
    key: str
    score: float
    words: list[Word]
    line: Line
    start: int  # index of its first word in ``line.words``
    end: int  # index after its last word

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def height(self) -> float:
        return max(w.bottom - w.top for w in self.words)


def _split(word: Word) -> list[Word]:
    """A label fused with its value ("No.4300004732") as two words, each with its share of the box."""
    match = _FUSED.match(word.text)
    if match is None:
        return [word]
    cut = word.x0 + (word.x1 - word.x0) * len(match["label"]) / len(word.text)
    return [
        Word(match["label"], word.x0, cut, word.top, word.bottom, word.page, word.confidence),
        Word(match["value"], cut, word.x1, word.top, word.bottom, word.page, word.confidence),
    ]


def _close(left: Word, right: Word) -> bool:
    return right.x0 - left.x1 <= 1.2 * max(left.bottom - left.top, right.bottom - right.top)


def lines_of(rows: list[Row], matcher: Callable[[str], tuple[str, float] | None] | None = None) -> list[Line]:
    """Each row with its labels; ``matcher`` names a label text (by default the vocabulary's, generic too)."""
    match = matcher or (lambda text: match_label(text, generic=True))
    found: list[Line] = []
    for row in rows:
        line = Line(row, [part for word in row.words for part in _split(word)], [])
        words = line.words
        at = 0
        while at < len(words):
            label = _label_at(line, at, match)
            if label is None:
                at += 1
                continue
            line.labels.append(label)
            at = label.end
        found.append(line)
    return found


def _label_at(line: Line, at: int, match: Callable[[str], tuple[str, float] | None]) -> Label | None:
    words = line.words
    longest = at + 1
    while longest < min(len(words), at + MAX_LABEL_WORDS) and _close(words[longest - 1], words[longest]):
        longest += 1
    for end in range(longest, at, -1):
        span = words[at:end]
        text = " ".join(w.text for w in span)
        if any(w.text[:1].isdigit() or sum(c.isdigit() for c in w.text) > 1 for w in span):
            continue  # a number is a value, not a label ("P0" read by OCR for "PO" still is one)
        named = match(text)
        if named is not None:
            return Label(named[0], label_key(text), named[1], span, line, at, end)
    return None


def label_of(line: Line, index: int) -> Label | None:
    """The label that word ``index`` of ``line`` belongs to, if any."""
    return next((label for label in line.labels if label.start <= index < label.end), None)


def adjacent(label: Label, words: list[Word]) -> bool:
    """Whether ``words`` (right of the label) follow it as its own text does, a space or so apart."""
    return bool(words) and words[0].x0 - label.x1 <= 1.5 * label.height


def right_of(label: Label) -> list[Word]:
    """The words right of a label on its row, up to the next label; leading punctuation ("-->", ":") skipped."""
    line = label.line
    taken: list[Word] = []
    for index in range(label.end, len(line.words)):
        word = line.words[index]
        if label_of(line, index) is not None:
            break
        if not taken and _PUNCTUATION.match(word.text):
            continue
        if not taken and word.x0 - label.x1 > RIGHT_REACH:
            break
        if taken and not _close(taken[-1], word):
            break
        taken.append(word)
    return taken


def below(label: Label, lines: list[Line]) -> list[Word]:
    """The phrase under a label: the first row below, within reach, with a word starting under it.

    The words of another label are not a value; a row whose word under the label is a label ends the
    search.
    """
    index = next(i for i, line in enumerate(lines) if line is label.line)
    reach = label.words[0].bottom + BELOW_REACH * label.height
    for line in lines[index + 1 :]:
        first = line.words[0]
        if first.page != label.words[0].page or first.top > reach:
            break
        for at, word in enumerate(line.words):
            if word.x1 < label.x0 - 4 or word.x0 > label.x1 + 4:
                continue
            if label_of(line, at) is not None:
                return []
            if word.x0 < label.x0 - 12 and word.x1 > label.x1 + 12:
                continue  # a long text running under the label, not its value
            taken = [word]
            for follow in line.words[at + 1 :]:
                if not _close(taken[-1], follow) or label_of(line, line.words.index(follow)) is not None:
                    break
                taken.append(follow)
            return taken
    return []


def spans(lines: list[Line], texts: list[str]) -> Iterator[Label]:
    """Where a sender's own label text ("Vorgang") stands, as labels named ``""``."""
    keys = {label_key(text) for text in texts}
    for line in lines:
        for at in range(len(line.words)):
            for end in range(min(len(line.words), at + 2 * MAX_LABEL_WORDS), at, -1):
                key = label_key(" ".join(w.text for w in line.words[at:end]))
                if key in keys and not _inside_longer(line, at, end):
                    yield Label("", key, 100.0, line.words[at:end], line, at, end)
                    break


def _inside_longer(line: Line, start: int, end: int) -> bool:
    """Whether words ``start:end`` are only part of a longer label ("Date" of "Delivery Date")."""
    return any(
        label.start <= start and end <= label.end and (label.start, label.end) != (start, end)
        for label in line.labels
    )
