"""The order desk's source views over real fixtures: every kind highlights where the order came from."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.desk.sources import CannotShow
from gateway.desk.sources import Highlight
from gateway.desk.sources import JsonPane
from gateway.desk.sources import PdfPane
from gateway.desk.sources import PointerRef
from gateway.desk.sources import RenderedPage
from gateway.desk.sources import SegmentPane
from gateway.desk.sources import SheetPane
from gateway.desk.sources import SourceView
from gateway.desk.sources import TextPane
from gateway.desk.sources import build_view
from gateway.desk.sources import render_document_page
from gateway.desk.sources import render_pdf_page
from gateway.desk.sources import source_view
from gateway.desk.sources._email_view import part_payload
from gateway.inbound.pipeline import Pipeline
from parsers._pdf import parse_pdf_order
from parsers._values import parse_number
from tests.conftest import CORPUS
from tests.conftest import FIXED_NOW
from tests.conftest import ROOT
from tests.work import Calls
from tests.work import counted_calls

FIXTURES = ROOT / "fixtures"
SHEETS_AND_PDFS = sorted(
    [
        *(FIXTURES / "pdfs").glob("*.pdf"),
        *(FIXTURES / "sheets").glob("*.xlsx"),
        *(FIXTURES / "sheets").glob("*.csv"),
    ]
)
EMAILS = sorted(
    p for p in (FIXTURES / "emails").glob("*.eml") if p.stem not in ("broken-pdf", "unknown-sender")
)
EDI = sorted(p for p in (FIXTURES / "inbox").glob("*.edi") if p.stem != "unknown-sender")
CHANNEL_ORDERS = [
    FIXTURES / "channels" / "shopify" / "order-create-webhook.json",
    FIXTURES / "channels" / "woocommerce" / "order-727.json",
    FIXTURES / "channels" / "amazon" / "order-902-3159896-1390916.json",
    FIXTURES / "channels" / "walmart" / "order-1796277083968.json",
]
CORPUS_850 = [
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_850/Example1_PGWGlass.txt",
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_850/Example2_Adobe_TLP.txt",
    "aaronhuggins__node-x12/test/test-data/850_fat.edi",
]
ANCHOR = re.compile(r"^[A-Za-z0-9-]+$")
ITEM_FIELDS = ("vendor_sku", "buyer_part", "upc")


def _orders(sessions: sessionmaker[Session], document_id: int) -> list[dict[str, Any]]:
    with sessions() as session:
        query = select(storage.PurchaseOrder.canonical).where(
            storage.PurchaseOrder.document_id == document_id
        )
        return list(session.scalars(query.order_by(storage.PurchaseOrder.ordinal)))


def _view(sessions: sessionmaker[Session], document_id: int, canonical: dict[str, Any] | None) -> SourceView:
    with sessions() as session:
        return source_view(session, document_id, canonical)


def _key_paths(canonical: dict[str, Any]) -> list[tuple[str, str]]:
    """(field path, value) of the PO number and every line's item ids and quantity that have provenance."""
    paths = []
    if canonical.get("po_number") and "po_number" in canonical.get("provenance", {}):
        paths.append(("header.po_number", canonical["po_number"]))
    for index, line in enumerate(canonical["lines"]):
        for name in (*ITEM_FIELDS, "quantity"):
            if line.get(name) is not None and name in line.get("provenance", {}):
                value = line[name]["value"] if name == "quantity" else line[name]
                paths.append((f"lines[{index}].{name}", str(value)))
    return paths


def _same(shown: str, value: str) -> bool:
    """A shown source text holds the canonical value: equal text, or equal as numbers."""
    if value.casefold() in shown.casefold():
        return True
    number, expected = parse_number(shown.strip()), parse_number(value)
    return number is not None and expected is not None and number == expected


def _pane(view: SourceView, highlight: Highlight) -> Any:
    return next(p for p in view.panes if p.key == highlight.pane)


def _pdf_data(sessions: sessionmaker[Session], document_id: int, pane: PdfPane) -> bytes:
    with sessions() as session:
        data = storage.document_bytes(session, document_id)
    if pane.mime_part is None:
        return data
    part = part_payload(data, pane.mime_part)
    assert part is not None
    return part


@functools.lru_cache(maxsize=8)
def _words(pdf: bytes, page: int) -> list[dict[str, Any]]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return list(document.pages[page - 1].extract_words())


def _text_at(view: SourceView, highlight: Highlight, pdf: bytes | None) -> str:
    """The source text under a highlight, read back from what the view shows."""
    pane = _pane(view, highlight)
    if isinstance(pane, SheetPane):
        return next(c.text for r in pane.rows for c in r.cells if highlight in c.highlights)
    if isinstance(pane, TextPane):
        return next(line.text for line in pane.lines if highlight in line.highlights)
    if isinstance(pane, JsonPane):
        return next(line.text for line in pane.lines if highlight in line.highlights)
    if isinstance(pane, SegmentPane):
        segment = next(s for s in pane.segments if highlight in s.highlights)
        position = highlight.target.position  # type: ignore[union-attr]
        return segment.elements[position].text if position is not None else segment.text
    assert isinstance(pane, PdfPane) and pdf is not None
    box = highlight.target
    page = pane.pages[box.page - 1]  # type: ignore[union-attr]
    words = _words(pdf, box.page)  # type: ignore[union-attr]
    inside = [
        w["text"]
        for w in words
        if box.x0 <= (w["x0"] + w["x1"]) / 2 * page.scale <= box.x1  # type: ignore[union-attr]
        and box.y0 <= (w["top"] + w["bottom"]) / 2 * page.scale <= box.y1  # type: ignore[union-attr]
    ]
    return " ".join(inside)


def _check_order(sessions: sessionmaker[Session], document_id: int, canonical: dict[str, Any]) -> SourceView:
    view = _view(sessions, document_id, canonical)
    assert view.ok, view.problem
    paths = _key_paths(canonical)
    assert paths, "the fixture's order records provenance for its key values"
    assert len(canonical["lines"]) >= 1
    assert any(path.endswith("quantity") for path, _ in paths)
    for path, value in paths:
        found = view.highlights_for(path)
        assert found, f"{path} is not highlighted: {[u for u in view.unplaced if u.field_path == path]}"
        for highlight in found:
            pane = _pane(view, highlight)
            pdf = _pdf_data(sessions, document_id, pane) if isinstance(pane, PdfPane) else None
            shown = _text_at(view, highlight, pdf)
            assert _same(shown, value), f"{path}: {value!r} highlighted on {shown!r}"
    for thing in _anchored(view):
        assert ANCHOR.match(thing), thing
    assert not [u for u in view.unplaced if "no source was recorded" not in u.reason], view.unplaced
    return view


def _checked_views(pipeline: Pipeline, path: Path, *, channel: str = "file") -> Iterator[SourceView]:
    """Ingest ``path``, then each of its orders' source view, its key values checked (``_check_order``);
    the document made at least one order."""
    outcome = pipeline.ingest_path(path, channel=channel)
    orders = _orders(pipeline.sessions, outcome.document_id)
    assert orders
    for canonical in orders:
        yield _check_order(pipeline.sessions, outcome.document_id, canonical)


def _anchored(view: SourceView) -> list[str]:
    found = [h.anchor for h in view.highlights] + [h.key for h in view.highlights]
    for pane in view.panes:
        found.append(pane.key)
        if isinstance(pane, PdfPane):
            found += [p.anchor for p in pane.pages]
        elif isinstance(pane, SheetPane):
            found += [r.anchor for r in pane.rows] + [c.anchor for r in pane.rows for c in r.cells]
        elif isinstance(pane, SegmentPane):
            found += [s.anchor for s in pane.segments]
        elif isinstance(pane, TextPane | JsonPane):
            found += [line.anchor for line in pane.lines]
    return found


@pytest.mark.parametrize("path", CHANNEL_ORDERS, ids=lambda p: p.parent.name)
def test_channel_orders_highlight_their_key_values_by_json_pointer(pipeline: Pipeline, path: Path) -> None:
    outcome = pipeline.ingest_path(path, partner="acme")
    [canonical] = _orders(pipeline.sessions, outcome.document_id)
    view = _check_order(pipeline.sessions, outcome.document_id, canonical)
    [pane] = view.panes
    assert isinstance(pane, JsonPane) and view.format == "json" and pane.note is None
    for highlight in view.highlights:  # each on the line that opens the value its pointer names
        target = highlight.target
        assert isinstance(target, PointerRef)
        [line] = [line for line in pane.lines if line.number == target.line]
        assert line.pointer == target.pointer and highlight in line.highlights
        assert line.anchor == highlight.anchor
    pointers = {h.field_path: h.target.pointer for h in view.highlights}  # type: ignore[union-attr]
    assert pointers["header.po_number"] == canonical["provenance"]["po_number"]["pointer"]


def test_the_json_pane_shows_numbers_as_the_document_wrote_them() -> None:
    raw = (
        b'{"name": "#7", "financial_status": "paid", "total_weight": 1.10, "big": 1E+2, "tiny": 0.000001,\n'
        b' "line_items": [{"sku": "A-1", "quantity": 3, "price": 19.990}], "a/b~c": {"x": "\\u00e9"}, "empty": {}}'
    )
    canonical = {
        "po_number": "#7",
        "provenance": {"po_number": {"pointer": "/name"}, "purpose": {"pointer": ""}},
        "lines": [
            {
                "line_no": "1",
                "quantity": {"value": "3"},
                "unit_price": "19.990",
                "provenance": {
                    "quantity": {"pointer": "/line_items/0/quantity"},
                    "unit_price": {"pointer": "/line_items/0/price"},
                },
            }
        ],
    }
    view = build_view(raw, canonical=canonical, document_id=9)
    [pane] = view.panes
    assert isinstance(pane, JsonPane)
    text = "\n".join(line.text for line in pane.lines)
    for literal in (
        '"total_weight": 1.10,',
        '"big": 1E+2,',
        '"tiny": 0.000001,',
        '"price": 19.990',
        '"empty": {}',
    ):
        assert literal in text, text
    by_pointer = {line.pointer: line for line in pane.lines if line.pointer is not None}
    assert by_pointer["/a~1b~0c/x"].text.strip() == '"x": "é"'  # RFC 6901 escapes; the string decoded
    [price] = view.highlights_for("lines[0].unit_price")
    assert price.anchor == by_pointer["/line_items/0/price"].anchor
    [purpose] = view.highlights_for("header.purpose")  # the pointer "" is the whole document: its first line
    assert purpose.target == PointerRef("", 1) and pane.lines[0].text == "{"
    assert not view.unplaced


def test_a_pointer_the_json_does_not_hold_is_reported_not_guessed() -> None:
    canonical = {
        "po_number": "1",
        "provenance": {"po_number": {"pointer": "/number"}, "currency": {"pointer": "/nope/0"}},
    }
    view = build_view(b'{"number": 1}', canonical=canonical, document_id=3)
    assert [h.field_path for h in view.highlights] == ["header.po_number"]
    [missing] = view.unplaced
    assert missing.field_path == "header.currency" and "/nope/0" in missing.reason


def test_broken_json_is_shown_as_its_text_with_a_note(sessions: sessionmaker[Session]) -> None:
    raw = b'{"name": "#1",\n "line_items": [{"sku": "X", "quantity": 1,}]}'
    document_id = _stored(sessions, raw, "broken.json")
    with sessions() as session:
        session.get(storage.Document, document_id).format = "json"  # type: ignore[union-attr]
        session.commit()
    view = _view(sessions, document_id, None)
    assert view.ok
    [pane] = view.panes
    assert isinstance(pane, JsonPane) and pane.note is not None and "line 2" in pane.note
    assert [line.text for line in pane.lines] == [
        '{"name": "#1",',
        ' "line_items": [{"sku": "X", "quantity": 1,}]}',
    ]


def test_a_long_json_order_shows_its_head_and_the_lines_around_a_late_value() -> None:
    items = ",".join(f'{{"sku": "S-{n}", "quantity": {n}, "price": "1.00"}}' for n in range(3000))
    raw = f'{{"name": "#8", "line_items": [{items}]}}'.encode()
    canonical = {
        "po_number": "#8",
        "provenance": {"po_number": {"pointer": "/name"}},
        "lines": [
            {
                "line_no": "2999",
                "quantity": {"value": "2999"},
                "provenance": {"quantity": {"pointer": "/line_items/2999/quantity"}},
            }
        ],
    }
    view = build_view(raw, canonical=canonical, document_id=4)
    [pane] = view.panes
    assert isinstance(pane, JsonPane) and len(pane.lines) < 400 and pane.more_lines
    [quantity] = view.highlights_for("lines[0].quantity")
    [line] = [line for line in pane.lines if quantity in line.highlights]
    assert line.text.strip() == '"quantity": 2999,'
    gap = next(
        shown for shown in pane.lines if shown.gap_before
    )  # the head, then a gap, then the value's lines
    assert gap.number < line.number <= gap.number + 3


@pytest.mark.parametrize("path", SHEETS_AND_PDFS, ids=lambda p: p.name)
def test_pdf_and_sheet_orders_highlight_their_key_values(pipeline: Pipeline, path: Path) -> None:
    outcome = pipeline.ingest_path(path, partner="acme")
    [canonical] = _orders(pipeline.sessions, outcome.document_id)
    view = _check_order(pipeline.sessions, outcome.document_id, canonical)
    [pane] = view.panes
    assert isinstance(pane, PdfPane if path.suffix == ".pdf" else SheetPane)


@pytest.mark.parametrize("path", EMAILS, ids=lambda p: p.name)
def test_email_orders_highlight_their_key_values(pipeline: Pipeline, path: Path) -> None:
    for view in _checked_views(pipeline, path, channel="email"):
        assert view.email is not None and [n for n, _ in view.email.headers][:1] == ["From"]
        assert isinstance(view.panes[0], TextPane)  # the message body comes first


@pytest.mark.parametrize("path", EDI, ids=lambda p: p.name)
def test_edi_orders_highlight_their_key_values(pipeline: Pipeline, path: Path) -> None:
    for view in _checked_views(pipeline, path):
        [pane] = view.panes
        assert isinstance(pane, SegmentPane)
        ids = [s.segment_id for s in pane.segments]
        assert ids[:3] == ["ISA", "GS", "ST"] and ids[-3:] == ["SE", "GE", "IEA"]
        [po] = view.highlights_for("header.po_number")
        assert po.target.segment_id == "BEG" and po.target.position == 3  # type: ignore[union-attr]


@pytest.mark.parametrize("relative", CORPUS_850, ids=lambda p: Path(p).name)
def test_corpus_850s_with_odd_separators_show_their_segments(
    corpus_pipeline: Pipeline, relative: str
) -> None:
    for view in _checked_views(corpus_pipeline, CORPUS / relative):
        [pane] = view.panes
        assert isinstance(pane, SegmentPane)
        [po] = view.highlights_for("header.po_number")
        segment = next(s for s in pane.segments if s.index == po.target.segment_index)  # type: ignore[union-attr]
        assert segment.segment_id == "BEG" and segment.separator in segment.text


def test_two_interchanges_in_one_file_each_show_their_own_transaction(corpus_pipeline: Pipeline) -> None:
    outcome = corpus_pipeline.ingest_path(CORPUS / "aaronhuggins__node-x12/test/test-data/850_fat.edi")
    first, second = _orders(corpus_pipeline.sessions, outcome.document_id)
    one = _view(corpus_pipeline.sessions, outcome.document_id, first).panes[0]
    two = _view(corpus_pipeline.sessions, outcome.document_id, second).panes[0]
    assert isinstance(one, SegmentPane) and isinstance(two, SegmentPane)
    assert one.more_after and not two.more_after
    assert max(s.index for s in one.segments) < min(s.index for s in two.segments if s.segment_id == "ST")
    assert two.segments[0].segment_id == "ISA" and two.segments[0].gap_before > 0


def test_pdf_pages_render_to_pngs_with_the_boxes_inside(pipeline: Pipeline) -> None:
    outcome = pipeline.ingest_path(FIXTURES / "pdfs" / "multipage.pdf", partner="acme")
    [canonical] = _orders(pipeline.sessions, outcome.document_id)
    view = _view(pipeline.sessions, outcome.document_id, canonical)
    [pane] = view.panes
    assert isinstance(pane, PdfPane) and pane.page_count == len(pane.pages) == 2
    with pipeline.sessions() as session:
        for page in pane.pages:
            rendered = render_document_page(session, outcome.document_id, page.number, scale=page.scale)
            assert isinstance(rendered, RenderedPage)
            assert rendered.png.startswith(b"\x89PNG\r\n\x1a\n")
            image = Image.open(io.BytesIO(rendered.png))
            assert image.size == (page.width, page.height) == (rendered.width, rendered.height)
            assert 500 < page.width < 3000 and 500 < page.height < 3000
            assert page.highlights
            for highlight in page.highlights:
                box = highlight.target
                assert 0 <= box.x0 < box.x1 <= page.width and 0 <= box.y0 < box.y1 <= page.height  # type: ignore[union-attr]
                assert box.left >= 0 and box.left + box.width <= 100.001  # type: ignore[union-attr]
            again = render_document_page(session, outcome.document_id, page.number, scale=page.scale)
            assert (
                isinstance(again, RenderedPage) and again.png == rendered.png and again.etag == rendered.etag
            )
    assert [h.target.page for h in view.highlights_for("lines[44].quantity")] == [2]  # type: ignore[union-attr]


def test_a_pdf_attached_to_an_email_renders_from_its_mime_part(pipeline: Pipeline) -> None:
    outcome = pipeline.ingest_path(FIXTURES / "emails" / "pdf-attachment.eml", channel="email")
    [canonical] = _orders(pipeline.sessions, outcome.document_id)
    view = _view(pipeline.sessions, outcome.document_id, canonical)
    pane = next(p for p in view.panes if isinstance(p, PdfPane))
    assert pane.mime_part is not None
    with pipeline.sessions() as session:
        rendered = render_document_page(session, outcome.document_id, 1, mime_part=pane.mime_part)
        missing = render_document_page(session, outcome.document_id, 1, mime_part="9.9")
        no_page = render_document_page(session, outcome.document_id, 7, mime_part=pane.mime_part)
    assert isinstance(rendered, RenderedPage) and rendered.png.startswith(b"\x89PNG")
    assert isinstance(missing, CannotShow) and missing.code == "email.no_part"
    assert isinstance(no_page, CannotShow) and no_page.code == "pdf.no_page"


def _rotated_cropped_pdf() -> bytes:
    pdf = FPDF(unit="pt", format=(400, 300))
    pdf.add_page()
    pdf.set_font("Helvetica", size=20)
    pdf.text(50, 80, "PO-778812")
    pdf.text(230, 250, "QTY-48")
    document = pdfium.PdfDocument(bytes(pdf.output()))
    page = document[0]
    page.set_cropbox(20, 20, 380, 280)
    page.set_rotation(90)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_boxes_land_on_their_words_on_a_rotated_and_cropped_page() -> None:
    data = _rotated_cropped_pdf()
    with pdfplumber.open(io.BytesIO(data)) as document:
        words = document.pages[0].extract_words()
    provenance = {w["text"]: {"page": 1, "bbox": [w["x0"], w["top"], w["x1"], w["bottom"]]} for w in words}
    canonical = {"po_number": "PO-778812", "provenance": {"po_number": provenance["PO-778812"]}, "lines": []}
    view = build_view(data, canonical=canonical)
    [box] = [h.target for h in view.highlights]
    rendered = render_pdf_page(data, 1, view.panes[0].pages[0].scale)  # type: ignore[union-attr]
    assert isinstance(rendered, RenderedPage)
    image = Image.open(io.BytesIO(rendered.png)).convert("L")
    dark = [(x, y) for x in range(image.width) for y in range(image.height) if image.getpixel((x, y)) < 128]  # type: ignore[operator]  # Pillow types every mode's pixel; "L" gives int
    inside = [(x, y) for x, y in dark if box.x0 - 1 <= x <= box.x1 + 1 and box.y0 - 1 <= y <= box.y1 + 1]  # type: ignore[union-attr]
    assert image.size == (390, 540)
    assert 0.3 < len(inside) / len(dark) < 0.7  # one of the two words, all of it


def _stored(sessions: sessionmaker[Session], data: bytes, name: str) -> int:
    with sessions() as session, session.begin():
        document, _ = storage.store_document(
            session, io.BytesIO(data), channel="file", filename=name, received_at=FIXED_NOW
        )
        return document.id


def _encrypted_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.text(20, 20, "PO Number: SECRET-1")
    pdf.set_encryption(owner_password="owner", user_password="user", encryption_method=EncryptionMethod.RC4)
    return bytes(pdf.output())


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "pdf.corrupt"),
        (_encrypted_pdf(), "pdf.encrypted"),
        (b"\x00\x01\x02\x03 binary that is no known format \xff\xfe", "format.unknown"),
        (b"PK\x03\x04 not really a workbook" + bytes(64), "sheet.corrupt"),
    ],
    ids=["corrupt-pdf", "encrypted-pdf", "unknown-format", "broken-zip"],
)
def test_unreadable_documents_give_a_clear_cannot_show(
    sessions: sessionmaker[Session], data: bytes, code: str
) -> None:
    document_id = _stored(sessions, data, "bad.bin")
    canonical = {
        "po_number": "X1",
        "provenance": {"po_number": {"page": 1, "bbox": [1, 1, 9, 9]}},
        "lines": [],
    }
    view = _view(sessions, document_id, canonical)
    assert not view.ok and view.problem is not None and view.problem.code == code
    assert view.problem.message and not view.panes and not view.highlights
    if code.startswith("pdf."):
        with sessions() as session:
            rendered = render_document_page(session, document_id, 1)
        assert isinstance(rendered, CannotShow) and rendered.code == code


def test_a_missing_document_is_a_cannot_show(sessions: sessionmaker[Session]) -> None:
    view = _view(sessions, 404, None)
    assert view.problem == CannotShow("document.missing", "document 404 is not stored")
    with sessions() as session:
        assert isinstance(render_document_page(session, 404, 1), CannotShow)


def test_an_email_with_a_broken_pdf_still_shows_its_body_and_lists_the_attachment(pipeline: Pipeline) -> None:
    outcome = pipeline.ingest_path(FIXTURES / "emails" / "broken-pdf.eml", channel="email")
    view = _view(pipeline.sessions, outcome.document_id, None)
    assert view.ok and isinstance(view.panes[0], TextPane) and view.panes[0].lines
    assert view.email is not None
    [attachment] = [a for a in view.email.attachments if a.format == "pdf"]
    with pipeline.sessions() as session:
        rendered = render_document_page(session, outcome.document_id, 1, mime_part=attachment.mime_part)
    assert isinstance(rendered, CannotShow) and rendered.code == "pdf.corrupt"


def _strip_provenance(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_provenance(v) for k, v in value.items() if k != "provenance"}
    if isinstance(value, list):
        return [_strip_provenance(v) for v in value]
    return value


def test_missing_provenance_shows_the_document_and_says_what_cannot_be_pointed_at(pipeline: Pipeline) -> None:
    outcome = pipeline.ingest_path(FIXTURES / "sheets" / "plain-export.xlsx", partner="acme")
    [canonical] = _orders(pipeline.sessions, outcome.document_id)
    view = _view(pipeline.sessions, outcome.document_id, _strip_provenance(canonical))
    assert view.ok and view.panes and not view.highlights
    assert any("records where it came from" in n for n in view.notices)
    reasons = {u.field_path: u.reason for u in view.unplaced}
    assert reasons["header.po_number"] == "no source was recorded"
    assert {f"lines[{i}].quantity" for i in range(len(canonical["lines"]))} <= reasons.keys()


def test_inconsistent_provenance_is_reported_per_value(pipeline: Pipeline) -> None:
    outcome = pipeline.ingest_path(FIXTURES / "inbox" / "acme-4500012345.edi")
    [canonical] = _orders(pipeline.sessions, outcome.document_id)
    canonical["provenance"]["po_number"] = "BEG03@5"  # segment 5 is CUR
    canonical["provenance"]["po_date"] = {"sheet": "PO", "cell": "B2"}  # a cell, in an X12 document
    canonical["lines"][0]["provenance"]["quantity"] = "PO102@99999"
    canonical["lines"][1]["provenance"]["quantity"] = {"segment_index": "x"}
    view = _view(pipeline.sessions, outcome.document_id, canonical)
    reasons = {u.field_path: u.reason for u in view.unplaced}
    assert reasons["header.po_number"] == "segment 5 is CUR, not the BEG its source names"
    assert reasons["header.po_date"] == "its source is a sheet cell, but the document is X12"
    assert reasons["lines[0].quantity"] == "segment 99999 is not among the segments shown"
    assert reasons["lines[1].quantity"].startswith("its recorded source cannot be read")
    assert view.highlights_for("lines[2].quantity")


def test_text_from_documents_stays_plain_data(sessions: sessionmaker[Session]) -> None:
    hostile = '<img src=x onerror="alert(1)">'
    data = f"PO Number;{hostile}\nItem;Qty\nNW-1;5\n".encode()
    canonical = {
        "po_number": hostile,
        "provenance": {"po_number": {"sheet": "csv", "cell": "B1"}},
        "lines": [
            {
                "line_no": "3",
                "vendor_sku": "NW-1",
                "provenance": {"vendor_sku": {"sheet": "csv", "cell": "A3"}},
            }
        ],
    }
    view = build_view(data, fmt="csv", canonical=canonical, document_id=1, filename=hostile)
    [po] = view.highlights_for("header.po_number")
    pane = view.panes[0]
    assert isinstance(pane, SheetPane)
    assert next(c.text for r in pane.rows for c in r.cells if po in c.highlights) == hostile
    assert po.value == hostile and po.anchor == "src-1-B1"


def _big_pdf(pages: int, rows: int) -> bytes:
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    number = 0
    columns = [("Item", 28), ("Description", 72), ("Qty", 18), ("UoM", 14), ("Unit Price", 26)]
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 6, "PURCHASE ORDER  PO Number: BIG-5000", new_x="LMARGIN", new_y="NEXT")
        for title, width in columns:
            pdf.cell(width, 7, title)
        pdf.ln()
        for _ in range(rows):
            number += 1
            for value, (_, width) in zip(
                [f"NW-{10000 + number}", f"WIDGET {number}", str(number), "EA", "2.00"], columns, strict=True
            ):
                pdf.cell(width, 7, value)
            pdf.ln()
        pdf.set_y(280)
        pdf.cell(0, 6, f"Page {page + 1} of {pages}")
    return bytes(pdf.output())


def _pdf_view_work(pages: int) -> tuple[bytes, SourceView, int, Calls]:
    """A ``pages``-page PDF order's view and the calls building it took, and the calls drawing its last page."""
    data = _big_pdf(pages, 30)
    [order] = parse_pdf_order(data, partner="acme", document_id="1").orders
    canonical = order.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    with counted_calls() as building:
        view = build_view(data, canonical=canonical, document_id=1)
    with counted_calls() as drawing:
        rendered = render_pdf_page(data, pages)
    assert isinstance(rendered, RenderedPage)
    assert drawing.of("pypdfium2/_helpers/page.py", "render") == 1  # that page alone is drawn
    return data, view, building.total, drawing


@pytest.mark.slow
def test_a_fifty_page_pdf_shows_every_page_with_its_boxes_in_work_linear_in_its_pages() -> None:
    """Counted, not timed (``tests.work``): ten times the pages cost at most 15 times the calls
    (measured: 8.4), so no page's boxes are found by going over every other page; drawing page
    50 costs at most 4 times drawing page 5 of the 5-page copy (measured: 2.1)."""
    _, _, small_build, small_draw = _pdf_view_work(5)
    _, view, build, draw = _pdf_view_work(50)
    [pane] = view.panes
    assert isinstance(pane, PdfPane) and len(pane.pages) == 50
    assert all(page.highlights for page in pane.pages)
    assert not view.unplaced and len(view.highlights_for("lines[1499].quantity")) == 1
    assert build <= 15 * small_build, (build, small_build)
    assert draw.total <= 4 * small_draw.total, (draw, small_draw)


def _big_interchange(transactions: int) -> bytes:
    lines = (FIXTURES / "inbox" / "acme-4500012345.edi").read_text().split("~")
    segments = [s.strip() for s in lines if s.strip()]
    isa, gs, body, iea = segments[0], segments[1], segments[2:-2], segments[-1]
    sets = []
    for number in range(1, transactions + 1):
        for segment in body:
            segment = segment.replace("ST*850*0001", f"ST*850*{number:04d}").replace(
                "SE*22*0001", f"SE*22*{number:04d}"
            )
            sets.append(segment.replace("BEG*00*SA*4500012345", f"BEG*00*SA*45{number:08d}"))
    return ("~\n".join([isa, gs, *sets, f"GE*{transactions}*1001", iea]) + "~\n").encode()


def _canonical_of_order(order: int) -> dict[str, object]:
    """The canonical of the ``order``-th 850 of ``_big_interchange``: each set is 22 segments
    after the two of the envelope, BEG is its 3rd and the PO1 its 14th."""
    start = 2 + (order - 1) * 22
    return {
        "po_number": f"45000{order:05d}",
        "control_number": f"{order:04d}",
        "provenance": {"po_number": f"BEG03@{start + 2}"},
        "lines": [
            {
                "line_no": "1",
                "quantity": {"value": "24", "uom": "EA"},
                "provenance": {"quantity": f"PO102@{start + 13}"},
            }
        ],
    }


@pytest.mark.slow
def test_a_ten_thousand_segment_interchange_shows_a_window_around_the_order(pipeline: Pipeline) -> None:
    """The window costs work linear in the interchange, counted (``tests.work``): at most 15 times
    the calls for ten times the segments (measured: 8.5), not a pass over it per segment."""
    small = _big_interchange(46)
    small_id = _stored(pipeline.sessions, small, "small.edi")
    small_canonical = _canonical_of_order(40)
    with counted_calls() as small_calls:
        assert len(_view(pipeline.sessions, small_id, small_canonical).panes[0].segments) == 26  # type: ignore[union-attr]
    data = _big_interchange(460)
    document_id = _stored(pipeline.sessions, data, "big.edi")
    canonical = _canonical_of_order(400)
    with counted_calls() as calls:
        view = _view(pipeline.sessions, document_id, canonical)
    [pane] = view.panes
    assert isinstance(pane, SegmentPane)
    assert [s.segment_id for s in pane.segments][:3] == ["ISA", "GS", "ST"] and len(pane.segments) == 26
    assert pane.segments[-1].index == 460 * 22 + 4 and pane.segments[2].gap_before == 399 * 22
    [po] = view.highlights_for("header.po_number")
    segment = next(s for s in pane.segments if s.index == po.target.segment_index)  # type: ignore[union-attr]
    assert segment.elements[3].text == "4500000400" and segment.elements[3].highlights == (po,)
    assert view.highlights_for("lines[0].quantity")
    assert calls.total <= 15 * small_calls.total, (calls, small_calls)
    by_control = _view(
        pipeline.sessions, document_id, {**_strip_provenance(canonical), "control_number": "0007"}
    )
    st = next(s for s in by_control.panes[0].segments if s.segment_id == "ST")  # type: ignore[union-attr]
    assert st.elements[2].text == "0007"


def test_a_page_that_claims_to_be_huge_renders_bounded() -> None:
    pdf = FPDF(unit="pt", format=(14400, 14400))
    pdf.add_page()
    pdf.set_font("Helvetica", size=400)
    pdf.text(1000, 2000, "PO-1")
    data = bytes(pdf.output())
    with pdfplumber.open(io.BytesIO(data)) as document:
        [word] = document.pages[0].extract_words()
    canonical = {
        "po_number": "PO-1",
        "provenance": {
            "po_number": {"page": 1, "bbox": [word["x0"], word["top"], word["x1"], word["bottom"]]}
        },
    }
    view = build_view(data, canonical=canonical)
    [page] = view.panes[0].pages  # type: ignore[union-attr]
    rendered = render_pdf_page(data, 1, 3.0)
    assert isinstance(rendered, RenderedPage) and (rendered.width, rendered.height) == (
        page.width,
        page.height,
    )
    assert max(page.width, page.height) <= 2400 and page.width * page.height <= 6_000_000
    [po] = view.highlights_for("header.po_number")
    assert 0 < po.target.x0 < po.target.x1 <= page.width  # type: ignore[union-attr]


def test_a_long_sheet_shows_its_head_and_the_rows_around_the_order_with_gaps() -> None:
    rows = ["PO Number,LONG-1", "Item,Qty", *[f"NW-{n},{n}" for n in range(3, 5001)]]
    canonical = {
        "po_number": "LONG-1",
        "provenance": {"po_number": {"sheet": "csv", "cell": "B1"}},
        "lines": [
            {
                "line_no": "4000",
                "vendor_sku": "NW-4000",
                "provenance": {"vendor_sku": {"sheet": "csv", "cell": "A4000"}},
            }
        ],
    }
    view = build_view("\n".join(rows).encode(), fmt="csv", canonical=canonical)
    [pane] = view.panes
    assert isinstance(pane, SheetPane) and pane.more_rows
    numbers = [r.number for r in pane.rows]
    assert numbers[:30] == list(range(1, 31)) and numbers[30:] == [3998, 3999, 4000, 4001, 4002]
    assert pane.rows[30].gap_before == 3998 - 31
    [sku] = view.highlights_for("lines[0].vendor_sku")
    assert sku.anchor == "src-1-A4000" and pane.rows[32].cells[0].highlights == (sku,)


def test_json_nested_deeper_than_an_order_is_shown_as_its_text() -> None:
    raw = b'{"a": ' + b"[" * 300 + b"]" * 300 + b"}"
    view = build_view(raw, fmt="json", document_id=5)
    [pane] = view.panes
    assert isinstance(pane, JsonPane) and pane.note is not None and "too deeply" in pane.note
    assert [line.text for line in pane.lines] == [raw.decode()]
