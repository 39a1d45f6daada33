"""The extraction benchmark: the real corpus scored field by field, the classifier's rules, the fixtures.

The corpus score is a measurement, not a gate: these tests check its structure and that its
counts add up, never a threshold on it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from bench import extraction
from bench._field_score import FLAGGED
from bench._field_score import RIGHT
from bench._field_score import SILENT
from bench._field_score import DocumentRead
from bench._field_score import Flag
from bench._field_score import ReadLine
from bench._field_score import ReadOrder
from bench._field_score import align_lines
from bench._field_score import score_document
from bench._markdown import cell


@pytest.fixture
def corpus(extraction_result: extraction.Result) -> extraction.CorpusResult:
    return extraction_result.corpus


def _expected() -> dict[str, dict[str, Any]]:
    return json.loads((extraction.DOCUMENTS / "expected.json").read_text(encoding="utf-8"))


def _field_count(document: dict[str, Any]) -> int:
    """Counted here on its own: the order fields the ground truth has, and four per line."""
    return sum(
        sum(name in order for name in ("po_number", "po_date", "currency", "total")) + 4 * len(order["lines"])
        for order in document["orders"]
    )


def test_every_corpus_document_is_scored_once_and_its_counts_add_up(corpus: extraction.CorpusResult) -> None:
    expected = _expected()
    assert sorted(d.path for d in corpus.documents) == sorted(expected)
    for document in corpus.documents:
        score = document.score
        assert document.kind == expected[document.path]["kind"]
        assert score.right + score.flagged + score.silent == _field_count(expected[document.path]), (
            document.path
        )
        assert len(score.outcomes) == score.fields
        assert {o for *_, o in score.outcomes} <= {RIGHT, FLAGGED, SILENT}
        assert 0 <= score.invented_flagged <= score.invented
        assert document.read_as
    kinds = corpus.by_kind()
    assert set(kinds) == {d["kind"] for d in expected.values()} and "pdf-scanned" in kinds
    total = corpus.total()
    assert total.fields == sum(_field_count(d) for d in expected.values())
    for name in ("right", "flagged", "silent", "invented", "invented_flagged"):
        assert getattr(total, name) == sum(getattr(s, name) for s in kinds.values())
    per_field = corpus.field_rows()
    assert [row[0] for row in per_field] == ["po_number", "po_date", "currency", "total", "part", "quantity",
                                             "unit_price", "uom"]  # fmt: skip
    for column, figure in ((1, total.fields), (2, total.right), (3, total.flagged), (4, total.silent)):
        assert sum(row[column] for row in per_field) == figure  # type: ignore[misc]
    kinds_seen = [d.kind for d in corpus.documents]
    assert kinds_seen == sorted(kinds_seen, key=extraction.KINDS.index)  # grouped by format


def test_the_report_has_the_per_format_and_per_document_tables(corpus: extraction.CorpusResult) -> None:
    text = corpus.markdown()
    assert "| format | fields | right | flagged | silent | % right | invented lines |" in text
    assert "| field | fields | right | flagged | silent | % right |" in text
    assert (
        "| document | format | fields | right | flagged | silent | % right | invented lines | read as |"
        in text
    )
    for document in corpus.documents:
        row = corpus.document_rows()[corpus.documents.index(document)]
        assert row[:2] == [document.name, document.kind] and row[2] == document.score.fields
        assert f"| {cell(document.name)} | {document.kind} | {document.score.fields} |" in text
    all_row = corpus.kind_rows()[-1]
    assert all_row[0] == "all" and all_row[1] == corpus.total().fields
    printed = corpus.lines()
    assert len(printed) == 1 + len(corpus.kind_rows()) + len(corpus.documents)


def test_the_benchmark_headlines_the_corpus_and_keeps_the_fixture_scores(
    extraction_result: extraction.Result,
) -> None:
    result = extraction_result
    measures = [h.measure for h in result.headlines()]
    assert measures[:2] == ["% fields right on the real corpus", "silent values"]
    total = result.corpus.total()
    assert result.headlines()[0].figure.startswith(f"{100 * total.right / total.fields:.1f}%")
    assert result.headlines()[1].figure == f"{total.silent} fields, {total.invented_silent} invented lines"
    lines = result.lines()
    scored = [line for line in lines if "precision" in line and "recall" in line]
    assert [line.split()[0] for line in scored] == ["pdf", "sheet", "email"]
    for line in scored:
        assert "precision 1.000" in line and "recall 1.000" in line, line
    assert "s per page" in lines[-1]
    assert "### Real corpus" in result.markdown() and "### Project fixtures" in result.markdown()


def test_every_real_pdf_is_timed_once_as_the_corpus_run_ingests_it(
    extraction_result: extraction.Result,
) -> None:
    corpus = extraction_result.corpus
    for kind, speed in (("pdf", extraction_result.text), ("pdf-scanned", extraction_result.ocr)):
        documents = [d for d in corpus.documents if d.kind == kind]
        timed = [t for t in corpus.read_times if t.kind == kind]
        assert len(timed) == len(documents), kind
        assert all(t.pages >= 1 and t.seconds > 0 and t.cpu > 0 for t in timed), kind
        assert len(speed.seconds_per_page) == sum(t.pages for t in timed), kind


# The classifier on small synthetic orders.

LINE: dict[str, Any] = {
    "buyer_part": "P-1",
    "vendor_sku": None,
    "quantity": "10",
    "uom": "EA",
    "unit_price": "2.50",
    "unit_price_alternatives": ["2.5"],
}


def _doc(*lines: dict[str, Any], **order: Any) -> dict[str, Any]:
    head = {
        "po_number": "PO1",
        "po_number_accept": [],
        "po_date": "2026-01-02",
        "currency": "USD",
        "total": "25",
    }
    return {"kind": "pdf", "orders": [{**head, **order, "lines": list(lines)}]}


def _line(line_no: str = "1", **values: Any) -> ReadLine:
    base: dict[str, Any] = {
        "parts": ("P-1",),
        "quantity": Decimal("10.0000"),
        "uom": "ea",
        "unit_price": Decimal("2.5"),
    }
    return ReadLine(line_no=line_no, **{**base, **values})


def _order(*lines: ReadLine, flags: tuple[Flag, ...] = (), **values: Any) -> ReadOrder:
    base: dict[str, Any] = {
        "po_number": "PO1",
        "po_date": "2026-01-02",
        "currency": "USD",
        "total": Decimal("25.00"),
    }
    return ReadOrder(lines=lines, flags=flags, **{**base, **values})


def _outcomes(expected: dict[str, Any], read: DocumentRead) -> dict[tuple[int | None, str], str]:
    score = score_document(expected, read)
    assert score.right + score.flagged + score.silent == len(score.outcomes)
    return {(line, name): outcome for _, line, name, outcome in score.outcomes}


def test_values_read_right_are_right_in_any_plain_form() -> None:
    expected = _doc({**LINE, "uom": "Each"})
    outcomes = _outcomes(expected, DocumentRead(orders=(_order(_line(uom="EA")),)))
    assert set(outcomes.values()) == {RIGHT} and len(outcomes) == 8


def test_a_missing_or_wrong_value_with_nothing_saying_so_is_silent() -> None:
    read = _order(_line(unit_price=None, quantity=Decimal(100)), po_date=None)
    outcomes = _outcomes(_doc(LINE), DocumentRead(orders=(read,)))
    assert outcomes[(None, "po_date")] == SILENT
    assert outcomes[(0, "unit_price")] == SILENT and outcomes[(0, "quantity")] == SILENT
    assert outcomes[(0, "part")] == RIGHT and outcomes[(None, "po_number")] == RIGHT


def test_a_finding_that_names_the_field_flags_it_and_nothing_else() -> None:
    flags = (
        Flag(code="missing_field", message="the PO number is missing", field="po_number"),
        Flag(code="unknown_item", message="line 2: SKU X matches nothing", field="sku", line_no="2"),
    )
    lines = (_line("1", parts=("WRONG",)), _line("2", parts=("WRONG",)))
    read = _order(*lines, flags=flags, po_number=None, currency="EUR")
    outcomes = _outcomes(_doc(LINE, LINE), DocumentRead(orders=(read,)))
    assert outcomes[(None, "po_number")] == FLAGGED
    assert outcomes[(None, "currency")] == SILENT
    assert outcomes[(1, "part")] == FLAGGED
    assert outcomes[(0, "part")] == SILENT  # the finding names line 2, not line 1


def test_reader_issues_flag_what_their_messages_point_at() -> None:
    flags = (
        Flag(code="syntax", message="the lines add up to 2500, but the stated total is 25", reason="pdf.total_mismatch"),
        Flag(
            code="low_confidence",
            message="line 1 uom was read with confidence 0.70 (page 1); please check it against the document",
            reason="extraction.low_confidence",
        ),
        Flag(code="low_confidence", message="line 1 description was read with confidence 0.70 (page 1)",
             reason="extraction.low_confidence"),
    )  # fmt: skip
    read = _order(_line(unit_price=Decimal(250), uom="CS", parts=("P-9",)), flags=flags)
    outcomes = _outcomes(_doc(LINE), DocumentRead(orders=(read,)))
    assert outcomes[(0, "unit_price")] == FLAGGED  # by the total mismatch
    assert outcomes[(0, "uom")] == FLAGGED  # by the low confidence on the uom
    assert outcomes[(0, "part")] == SILENT  # a low confidence on the description is not about the part
    score = score_document(_doc(LINE), DocumentRead(orders=(read,)))
    assert score.unplaced == []


def test_a_refused_document_has_every_field_flagged() -> None:
    expected = _doc(LINE, {**LINE, "unit_price": None}, po_number=None)
    outcomes = _outcomes(expected, DocumentRead(refused="pdf.no_text", status="rejected"))
    assert set(outcomes.values()) == {FLAGGED} and len(outcomes) == 12


def test_an_expected_null_is_right_only_when_nothing_was_read() -> None:
    expected = _doc({**LINE, "uom": None, "unit_price": None, "unit_price_alternatives": []}, po_number=None)
    nothing = _order(_line(uom=None, unit_price=None), po_number=None)
    assert set(_outcomes(expected, DocumentRead(orders=(nothing,))).values()) == {RIGHT}
    defaulted = _order(_line(uom="EA", unit_price=None), po_number="INVOICE-7")
    outcomes = _outcomes(expected, DocumentRead(orders=(defaulted,)))
    assert outcomes[(0, "uom")] == SILENT and outcomes[(None, "po_number")] == SILENT


def test_lines_align_past_an_invented_line_and_dropped_lines_are_never_right() -> None:
    second = {**LINE, "buyer_part": "P-2", "quantity": "7"}
    junk = _line("1", parts=("Company Name",), quantity=Decimal(1), unit_price=None)
    read = _order(junk, _line("2"), _line("3", parts=("P-2",), quantity=Decimal(7)))
    assert align_lines([LINE, second], read.lines) == [(0, 1), (1, 2)]
    score = score_document(_doc(LINE, second), DocumentRead(orders=(read,)))
    assert (score.right, score.flagged, score.silent, score.invented, score.invented_flagged) == (
        12,
        0,
        0,
        1,
        0,
    )
    flagged_junk = _order(
        *read.lines, flags=(Flag(code="unknown_item", message="", field="sku", line_no="1"),)
    )
    assert score_document(_doc(LINE, second), DocumentRead(orders=(flagged_junk,))).invented_flagged == 1
    no_price = {**second, "unit_price": None, "unit_price_alternatives": [], "uom": None}
    dropped = score_document(_doc(LINE, no_price), DocumentRead(orders=(_order(_line("1")),)))
    outcomes = {(line, name): o for _, line, name, o in dropped.outcomes}
    assert {outcomes[(1, name)] for name in ("part", "quantity", "unit_price", "uom")} == {SILENT}


def test_a_line_misread_in_place_pairs_with_its_expected_line() -> None:
    # nothing agrees, but one line read where one was expected: a misread line, not a dropped one
    read = _order(_line(parts=("X",), quantity=Decimal(5), unit_price=None), flags=(
        Flag(code="syntax", message="page 1 line 1: quantity 5 x unit price 1 is 5, but the line says 25",
             reason="pdf.extension_mismatch"),
    ))  # fmt: skip
    score = score_document(_doc(LINE), DocumentRead(orders=(read,)))
    outcomes = {(line, name): o for _, line, name, o in score.outcomes}
    assert score.invented == 0
    assert outcomes[(0, "quantity")] == FLAGGED and outcomes[(0, "unit_price")] == FLAGGED
    assert outcomes[(0, "part")] == SILENT and outcomes[(0, "uom")] == RIGHT
