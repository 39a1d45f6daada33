"""Fuzzy item suggestions with rapidfuzz: SKU, customer part number and description, best three."""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz import process
from rapidfuzz import utils

from ._findings import Suggestion

MIN_SCORE = 60.0
POOL = 40  # candidates drawn from each field before they are scored on all fields
_UNIT_BOUNDARY = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def code_key(code: str) -> str:
    """SKU and part numbers compare on letters and digits only: ``sku-1o0`` ~ ``SKU100``."""
    return _NOT_ALNUM.sub("", code.upper())


def description_key(text: str) -> str:
    """Lower case, ``10mm`` split into ``10 mm``, words sorted: word order stops mattering."""
    return " ".join(sorted(_UNIT_BOUNDARY.sub(" ", utils.default_process(text)).split()))


class SuggestionIndex:
    """Candidates for a line that matched nothing exactly, scored 0-100 against the whole catalog.

    Each field the line carries (a code: SKU or customer part; a description) draws its best
    candidates; every candidate is then scored on each of those fields and the scores averaged,
    so a near-miss SKU whose description also matches beats one that only looks alike.
    """

    def __init__(self, products: Iterable[tuple[str, str]], xref: Mapping[str, Mapping[str, str]]) -> None:
        pairs = list(products)
        self._skus = [sku for sku, _ in pairs]
        self._position = {sku: index for index, sku in enumerate(self._skus)}
        self._sku_keys = [code_key(sku) for sku in self._skus]
        self._description_keys = [description_key(text) for _, text in pairs]
        self._descriptions = [text for _, text in pairs]
        by_key: dict[str, list[int]] = {}
        for index, key in enumerate(self._description_keys):
            by_key.setdefault(key, []).append(index)
        self._distinct_descriptions = list(by_key)
        self._with_description = list(by_key.values())
        self._parts = {
            customer: [
                (code_key(part), part, self._position[sku])
                for part, sku in parts.items()
                if sku in self._position
            ]
            for customer, parts in xref.items()
        }
        self.suggest = lru_cache(maxsize=16384)(self._suggest)

    def _suggest(
        self, customer: str | None, code: str | None, description: str | None, limit: int = 3
    ) -> list[Suggestion]:
        code = code_key(code) if code else ""
        description = description_key(description) if description else ""
        parts = self._parts.get(customer or "", [])
        candidates: set[int] = set()
        if code:
            candidates.update(index for _, _, index in self._extract(code, self._sku_keys))
            part_keys = [key for key, _, _ in parts]
            candidates.update(parts[i][2] for _, _, i in self._extract(code, part_keys))
        if description:
            for _, _, distinct in self._extract(description, self._distinct_descriptions):
                candidates.update(self._with_description[distinct])
        part_of = {index: (key, part) for key, part, index in parts}
        scored: list[Suggestion] = []
        for index in candidates:
            fields: list[tuple[float, str]] = []
            if code:
                sku_score = fuzz.ratio(code, self._sku_keys[index])
                key, part = part_of.get(index, ("", ""))
                part_score = fuzz.ratio(code, key) if key else 0.0
                fields.append(
                    (sku_score, self._skus[index]) if sku_score >= part_score else (part_score, part)
                )
            if description:
                fields.append(
                    (fuzz.ratio(description, self._description_keys[index]), self._descriptions[index])
                )
            score = sum(s for s, _ in fields) / len(fields)
            if score >= MIN_SCORE:
                matched = max(fields)[1]
                scored.append(Suggestion(sku=self._skus[index], score=round(score, 1), matched=matched))
        return sorted(scored, key=lambda s: (-s.score, s.sku))[:limit]

    @staticmethod
    def _extract(query: str, choices: list[str]) -> list[tuple[str, float, int]]:
        if not choices:
            return []
        return process.extract(
            query, choices, scorer=fuzz.ratio, processor=None, limit=POOL, score_cutoff=MIN_SCORE
        )
