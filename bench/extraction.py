"""Extraction quality: field-level precision and recall over every labelled sample, per format.

Samples are the fixtures with an ``.expected.json``: PDFs, sheets and emails. A field is
the PO number, the PO date, and each line's SKU, quantity, unit of measure and unit price.
Also times PDF extraction in seconds per page.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pdfplumber

from bench._markdown import Headline
from bench._markdown import table
from gateway.model import Order
from parsers import parse
from partners import PartnerRegistry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SOURCES = {
    "pdf": ("pdfs", ("*.pdf",)),
    "sheet": ("sheets", ("*.xlsx", "*.csv")),
    "email": ("emails", ("*.eml",)),
}


@dataclass(slots=True)
class Score:
    found: int = 0
    expected: int = 0
    correct: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0


def _fields(
    po_number: str | None, po_date: str | None, lines: list[list[str | None]]
) -> Counter[tuple[str, ...]]:
    found: Counter[tuple[str, ...]] = Counter()
    if po_number:
        found[("po_number", po_number)] += 1
    if po_date:
        found[("po_date", po_date)] += 1
    for index, line in enumerate(lines):
        for name, value in zip(("sku", "quantity", "uom", "unit_price"), line, strict=False):
            if value is not None:
                found[(name, str(index), value)] += 1
    return found


def _order_fields(order: Order) -> Counter[tuple[str, ...]]:
    lines = [
        [line.vendor_sku, str(line.quantity.value) if line.quantity else None,
         line.quantity.uom if line.quantity else None, str(line.unit_price) if line.unit_price is not None else None]
        for line in order.lines
    ]  # fmt: skip
    return _fields(order.po_number, str(order.po_date) if order.po_date else None, lines)


def _expected_fields(expected: dict[str, Any]) -> Counter[tuple[str, ...]]:
    orders = expected.get("orders")
    if isinstance(orders, list):
        total: Counter[tuple[str, ...]] = Counter()
        for order in orders:
            lines = [[*line[:3], line[3]] for line in order["lines"]]
            total += _fields(order["po_number"], None, lines)
        return total
    lines = [[line[0], *(line[2:5] if len(line) == 5 else line[1:4])] for line in expected["lines"]]
    return _fields(expected.get("po_number"), expected.get("po_date"), lines)


@dataclass(slots=True)
class Result:
    """Scores per format (pdf, sheet, email) and the PDF extraction speed."""

    scores: dict[str, Score]
    pdf_pages: int
    pdf_seconds: float

    @property
    def seconds_per_page(self) -> float:
        return self.pdf_seconds / self.pdf_pages

    def lines(self) -> list[str]:
        out = ["Extraction quality (field-level, labelled fixtures):"]
        for kind, score in self.scores.items():
            out.append(f"  {kind:6} precision {score.precision:.3f}  recall {score.recall:.3f}  "
                       f"({score.correct}/{score.found} found correct, {score.correct}/{score.expected} expected found)")  # fmt: skip
        out.append(f"  pdf speed: {self.seconds_per_page:.3f} s per page over {self.pdf_pages} pages")
        return out

    def markdown(self) -> str:
        rows = [
            [
                kind,
                f"{s.precision:.3f}",
                f"{s.recall:.3f}",
                f"{s.correct}/{s.found}",
                f"{s.correct}/{s.expected}",
            ]
            for kind, s in self.scores.items()
        ]
        return "\n\n".join(
            [
                "Field-level scores over the labelled fixtures (PO number, PO date, each line's SKU, "
                "quantity, UOM and unit price).",
                table(["format", "precision", "recall", "found correct", "expected found"], rows),
                f"PDF speed: {self.seconds_per_page:.3f} s per page over {self.pdf_pages} pages.",
            ]
        )

    def headlines(self) -> list[Headline]:
        scores = ", ".join(f"{kind} {s.precision:.3f}/{s.recall:.3f}" for kind, s in self.scores.items())
        return [
            Headline("extraction precision/recall", scores),
            Headline("PDF extraction", f"{self.seconds_per_page:.3f} s/page"),
        ]


def score() -> Result:
    partners = PartnerRegistry.from_directory()
    acme = partners.get("acme")
    scores: dict[str, Score] = {}
    for kind, (folder, patterns) in SOURCES.items():
        scores[kind] = score_ = Score()
        for path in sorted(p for pattern in patterns for p in (FIXTURES / folder).glob(pattern)):
            expected_path = path.with_suffix(".expected.json")
            if not expected_path.exists():
                continue
            expected = json.loads(expected_path.read_text())
            if expected.get("status") == "unknown_partner":
                continue  # labelled by what the pipeline stores, which is nothing for an unknown sender
            result = parse(path.read_bytes(), partners=partners, partner=acme)
            found: Counter[tuple[str, ...]] = Counter()
            for parsed in result.orders:
                found += _order_fields(parsed.order)
            wanted = _expected_fields(expected)
            if kind == "email":  # expected emails list no PO date
                found = Counter({k: v for k, v in found.items() if k[0] != "po_date"})
            score_.found += sum(found.values())
            score_.expected += sum(wanted.values())
            score_.correct += sum((found & wanted).values())
    pages = 0
    started = time.perf_counter()
    for path in sorted((FIXTURES / "pdfs").glob("*.pdf")):
        with pdfplumber.open(path) as pdf:
            pages += len(pdf.pages)
        parse(path.read_bytes(), partners=partners, partner=acme)
    return Result(scores, pages, time.perf_counter() - started)


def run() -> list[str]:
    """The scores as printed lines (``score()`` has the figures)."""
    return score().lines()
