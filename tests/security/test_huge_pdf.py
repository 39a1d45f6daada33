"""Huge PDFs: many pages, enormous or gigantically inflating content streams, forms drawing forms.

pdfminer inflates every stream whole and interprets every operator in Python, so before the
budget (``parsers/_pdf_budget.py``) a 2 MB file took 2 GB of memory and a 2 KB one minutes of
CPU. Each case must end stored and rejected with a specific ``pdf.*`` error, refused by the
budget (which counts bytes and characters, not seconds, so no test here times anything); a PDF
order inside the budget still reads.
"""

from __future__ import annotations

import pytest

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from parsers._pdf import MAX_PAGES
from parsers._pdf_budget import MAX_CONTENT_BYTES
from parsers._pdf_budget import MAX_GLYPHS
from tests.conftest import ROOT
from tests.security import _hostile as hostile
from tests.security._stored import assert_refused
from tests.security._stored import ingest


def _ingest_pdf(store_pipeline: Pipeline, data: bytes, name: str) -> storage.Document:
    return ingest(store_pipeline, data, filename=f"{name}.pdf", channel="drop", partner="acme")


def test_a_pdf_order_inside_the_budget_still_reads(store_pipeline: Pipeline) -> None:
    data = (ROOT / "fixtures" / "pdfs" / "multipage.pdf").read_bytes()
    document = _ingest_pdf(store_pipeline, data, "multipage")
    assert (document.status, document.error_code) == ("processed", None)


def test_more_pages_than_the_limit_are_refused_before_any_is_read(store_pipeline: Pipeline) -> None:
    document = _ingest_pdf(store_pipeline, hostile.pdf_pages([hostile.PDF_TEXT] * (MAX_PAGES + 1)), "pages")
    assert_refused(document, "pdf.too_many_pages", says=f"refused above {MAX_PAGES}")


def test_a_page_drawing_more_characters_than_the_budget_is_refused(store_pipeline: Pipeline) -> None:
    """150,000 characters in one string: 150 KB of content, some 13 s in pdfplumber before."""
    page = hostile.PDF_TEXT + b"BT /F1 1 Tf 10 20 Td (" + b"AB CD " * 25_000 + b") Tj ET"
    document = _ingest_pdf(store_pipeline, hostile.pdf_pages([page]), "dense")
    assert_refused(document, "pdf.too_complex", says=f"more than {MAX_GLYPHS:,} characters")


def _unreferenced_bomb() -> bytes:
    """65 MiB in a stream no page draws (as an object stream or a font would be): read when opened."""
    bomb = hostile.zlib_repeated(b"", b" " * hostile.MIB, 65)
    stream = hostile.pdf_stream(bomb, b"/Filter /FlateDecode")
    return hostile.pdf_pages([hostile.PDF_TEXT]).replace(
        b"xref", b"99 0 obj\n" + stream + b"\nendobj\nxref", 1
    )


def _content_bomb(*, damaged: bool) -> bytes:
    """A page whose 70 KB content stream inflates to 64 MiB; ``damaged``: a wrong checksum, which
    sent pdfminer to its byte-by-byte repair (quadratic: 8 MB took 4 s, 64 MB ran for minutes)."""
    content = hostile.zlib_repeated(hostile.PDF_TEXT, b" " * hostile.MIB, 64)
    if damaged:
        content = content[:-4] + b"\0\0\0\0"
    return hostile.pdf_pages([content], flate=True)


@pytest.mark.parametrize(
    ("build", "reason", "says"),
    [
        (lambda: _content_bomb(damaged=False), "pdf.too_large", "inflates beyond 64 MB"),
        (lambda: _content_bomb(damaged=True), "pdf.too_large", "inflates beyond 64 MB"),
        (_unreferenced_bomb, "pdf.too_large", "inflates beyond 64 MB"),
        (
            lambda: hostile.pdf_pages(
                [hostile.zlib_repeated(hostile.PDF_TEXT, b" " * hostile.MIB, 8)], flate=True
            ),
            "pdf.too_complex",
            f"exceed {MAX_CONTENT_BYTES >> 20} MB",
        ),
        (
            lambda: hostile.pdf_pages([hostile.PDF_TEXT + b"0 0 m 1 1 l S\n" * 250_000]),
            "pdf.too_complex",
            f"exceed {MAX_CONTENT_BYTES >> 20} MB",
        ),
        (lambda: hostile.pdf_form_fanout(4, 100), "pdf.too_complex", "draws more than"),
    ],
    ids=[
        "content-inflating-to-64-MiB",
        "same-with-a-bad-checksum",
        "a-stream-no-page-draws",
        "content-inflating-to-8-MiB",
        "3-MB-of-plain-drawing",
        "forms-drawing-forms-100-wide",
    ],
)
def test_enormous_content_is_refused_quickly(
    store_pipeline: Pipeline, build: object, reason: str, says: str
) -> None:
    data = build()  # type: ignore[operator]
    document = _ingest_pdf(store_pipeline, data, reason)
    assert_refused(document, reason, says=says)
