"""The document beside the order: the PDF viewer's markup, sharp page images and OCR words, and the
EDI view with each syntax finding marked on its segment and element, in plain words, and the
997/855 that answered the document beside it."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import select

from gateway import storage
from gateway.desk.sources import build_view
from gateway.desk.sources import mark_findings
from gateway.desk.sources import plain_message
from gateway.inbound.pipeline import Pipeline
from parsers import parse_pdf_order
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import ROOT
from tests.web.test_web_desk_support import ERP
from tests.web.test_web_desk_support import UNKNOWN_SKU_PO
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import open_app
from tests.web.test_web_desk_support import own_desk_store
from tests.web.test_web_desk_support import post

ERRORS_PO = "4500012399"  # acme-errors.edi's first set: PO102 missing, PO103 not agreed, a ZZZ segment
PDF_PO = "4500077001"  # ruled-simple.pdf
FAX = ROOT / "fixtures" / "scans" / "fax-po.tif"


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("desk-viewer")
    path = own_desk_store(master_template, tmp_path_factory, folder)
    engine = storage.make_engine(f"sqlite:///{path}")
    pipeline = Pipeline(
        storage.make_sessionmaker(engine),
        PartnerRegistry.from_directory(),
        clock=lambda: FIXED_NOW,
        erp_kind=ERP,
    )
    pipeline.ingest_path(FAX, channel="demo", partner="acme")
    engine.dispose()
    return path


@pytest.fixture
def desk(store: Path, tmp_path: Path) -> Iterator[DeskApp]:
    opened, engine = open_app(store, tmp_path)
    yield opened
    engine.dispose()  # type: ignore[attr-defined]


def _findings(desk: DeskApp, order_id: int) -> list[storage.Finding]:
    with desk.sessions() as session:
        return list(
            session.scalars(
                select(storage.Finding)
                .where(storage.Finding.order_id == order_id)
                .order_by(storage.Finding.id)
            )
        )


def _segment(page: str, number: int) -> str:
    """The ``<li>`` of segment ``number`` in the EDI view, up to its end."""
    start = page.index(f'<li value="{number}"')
    return page[start : page.index("</li>\n", start)]


@pytest.mark.parametrize(
    ("message", "plain"),
    [
        (
            "Segment ZZZ*junk not found.  Started at /ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/PO1_LOOP/PO1",
            "The ZZZ segment does not belong here: the transaction set has no place for a ZZZ at this point.",
        ),
        (
            "Syntax Error (C0302): If PO103 is present, then PO102 is required",
            "If PO103 is present, then PO102 is required.",
        ),
        (
            'Mandatory segment "Beginning Segment for Purchase Order" (BEG) missing',
            "The required BEG segment (Beginning Segment for Purchase Order) is missing.",
        ),
        (
            'Mandatory data element "Quantity Ordered" (PO102) is missing',
            "PO102 (Quantity Ordered) is required but empty.",
        ),
        (
            "(XX) is not a valid code for Unit or Basis for Measurement Code (PO103)",
            'PO103 (Unit or Basis for Measurement Code): "XX" is not one of its codes.',
        ),
        (
            'Data element "Purchase Order Number" (BEG03) is too long: len("1234567890123456789012345") = 25 > 22 (max_len)',
            'BEG03 (Purchase Order Number) "1234567890123456789012345" is too long: 25 characters, at most 22 allowed.',
        ),
        (
            "Segment CTT exceeded max count.  Found 2, should have 1",
            "The CTT segment is repeated 2 times here; at most 1 are allowed.",
        ),
    ],
)
def test_validator_messages_are_said_plainly_and_the_original_kept_for_a_tooltip(
    message: str, plain: str
) -> None:
    said, technical = plain_message(message, {"loop_id": "PO1"})
    assert said == plain
    assert "Started at" not in said and "_LOOP" not in said
    assert technical is not None and message in technical


def test_a_message_already_plain_is_kept_with_no_tooltip() -> None:
    message = "PO103 'XX' is not one of the codes agreed with Acme Retail: EA, CA, BX, PK, DZ"
    assert plain_message(message, {}) == (message, None)


def test_the_edi_view_marks_each_syntax_finding_on_its_segment_and_element_and_links_them(
    desk: DeskApp,
) -> None:
    order_id = desk.order_id(ERRORS_PO)
    findings = {f.field: f for f in _findings(desk, order_id)}
    page = desk.client("alice").get(f"/orders/{order_id}").text
    assert 'data-testid="pane-segments"' in page

    # ZZZ (segment 7): the segment is red, and its finding in plain words links to the finding box.
    junk = _segment(page, 7)
    anchor = re.search(r'id="([^"]+)"', junk)
    assert anchor is not None and "x12-error" in junk and 'data-testid="x12-error-segment"' in junk
    link = re.search(r'<a href="([^"]+)" title="([^"]+)" data-testid="x12-finding-link">([^<]+)</a>', junk)
    assert link is not None
    assert link.group(1) == f"#finding-{findings['ZZZ'].id}"
    assert "Started at /ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/PO1_LOOP/PO1" in html.unescape(link.group(2))
    assert "Started at" not in link.group(3) and "ZZZ segment does not belong here" in link.group(3)

    # PO102 (segment 5, element 2) is empty and required: the element itself is marked red.
    po1 = _segment(page, 5)
    assert "x12-error" in po1
    element = re.search(
        r'<span class="x12-bad" data-testid="x12-error-element" title="([^"]+)">([^<]*)</span>', po1
    )
    assert element is not None and "PO102 is required" in element.group(1)
    assert po1.index("PO1*") < po1.index('class="x12-bad"') < po1.index("*EA*")  # the second element, empty
    # PO103 (segment 6, element 3) holds a code not agreed with the partner: marked in red too.
    assert re.search(r'<span class="x12-bad"[^>]*>XX</span>', _segment(page, 6))

    # The finding box says it plainly, keeps the loop path in its tooltip, and links to its segment.
    box = page[page.index(f'id="finding-{findings["ZZZ"].id}"') :]
    box = box[: box.index("</div>")]
    message = re.search(r'<p data-testid="finding-message" title="([^"]+)">(.*?)</p>', box, re.S)
    assert message is not None
    assert "Started at /ISA_LOOP" in html.unescape(message.group(1)) and "Started at" not in message.group(2)
    assert f'href="#{anchor.group(1)}" data-source="{anchor.group(1)}" data-testid="finding-source"' in box
    assert "segment 7 (ZZZ)" in box


def test_the_edi_view_shows_the_997_that_answered_the_document_beside_it(desk: DeskApp) -> None:
    page = desk.client("alice").get(f"/orders/{desk.order_id(ERRORS_PO)}").text
    source = page[page.index('data-testid="source-view"') :]
    answers = source[source.index('data-testid="answers"') :]
    answer = re.search(r'data-testid="answer" data-kind="997".*?</details>', answers, re.S)
    assert answer is not None
    text = html.unescape(answer.group(0))
    assert re.search(r'href="/outbound/\d+" data-testid="answer-link">997 #\d+</a>', answer.group(0))
    assert "transaction set 0001 rejected" in text and "AK2*850*0001" in text and "AK5*R" in text
    assert "AK2*850*0002" not in text  # the other set of the interchange is another order's


def test_an_approved_edi_order_shows_its_855_beside_the_document(desk: DeskApp) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    client = desk.client("alice")
    page = f"/orders/{order_id}"
    post(client, f"{page}/pick-sku", {"version": 1, "line_no": "3", "sku": "NW-30555"}, page=page)
    response = post(client, f"{page}/approve", {"version": 2, "note": "checked"}, page=page)
    assert response.status_code == 303
    shown = client.get(page).text
    answers = shown[shown.index('data-testid="answers"') :]
    kinds = re.findall(r'data-testid="answer" data-kind="(\w+)"', answers)
    assert kinds[:1] == ["997"] and "855" in kinds
    sent = answers[answers.index('data-kind="855"') :]
    assert "BAK*00*A" in html.unescape(sent[: sent.index("</details>")])


def test_a_value_with_a_finding_is_red_on_the_pdf_page_and_its_finding_links_to_its_box(
    desk: DeskApp,
) -> None:
    order_id = desk.order_id(PDF_PO, status="exception")
    page = desk.client("alice").get(f"/orders/{order_id}").text
    boxes = re.findall(
        r'<rect id="([^"]+)" class="hl([^"]*)" data-testid="highlight" data-field="([^"]+)"', page
    )
    red = {field for _, classes, field in boxes if " bad" in classes}
    [held] = [f for f in _findings(desk, order_id) if f.action == "hold"]
    assert (held.code, held.field) == ("duplicate_po", "po_number")
    assert red == {"header.po_number"}  # the value the finding is about, and no other
    anchor = {field: box for box, _, field in boxes}["header.po_number"]
    finding = page[page.index(f'id="finding-{held.id}"') :]
    assert (
        f'href="#{anchor}" data-source="{anchor}" data-testid="finding-source"'
        in finding[: finding.index("</div>")]
    )
    assert 'data-testid="zoom-in"' in page and 'data-testid="zoom-fit"' in page
    assert re.search(r'data-sharp="/documents/\d+/pages/1\.png\?scale=3\.0"', page)


def test_a_page_is_drawn_sharp_for_zooming_at_an_allowed_scale_only(desk: DeskApp) -> None:
    order_id = desk.order_id(PDF_PO, status="exception")
    client = desk.client("alice")
    page = client.get(f"/orders/{order_id}").text
    found = re.search(r'<img src="(/documents/\d+/pages/1\.png)"', page)
    assert found is not None
    plain = client.get(found.group(1))
    sharp = client.get(found.group(1) + "?scale=3.0")
    assert plain.status_code == sharp.status_code == 200 and sharp.data.startswith(b"\x89PNG")
    small, large = (Image.open(io.BytesIO(r.data)).size for r in (plain, sharp))
    assert large[0] >= 1.8 * small[0] and max(large) <= 2400  # bounded by the long side (MAX_SIDE)
    assert sharp.headers["ETag"] != plain.headers["ETag"]
    for bad in ("7", "0.01", "nan", "x"):
        assert client.get(found.group(1) + f"?scale={bad}").status_code == 404


def test_a_scanned_page_offers_its_ocr_words_placed_on_the_image(desk: DeskApp) -> None:
    document_id = desk.document_id(FAX.name)
    with desk.sessions() as session:
        [order] = session.scalars(
            select(storage.PurchaseOrder).where(storage.PurchaseOrder.document_id == document_id)
        )
        po_box = order.canonical["provenance"]["po_number"]
    client = desk.client("alice")
    page = client.get(f"/orders/{order.id}").text
    assert 'data-testid="ocr-toggle"' in page and "scanned, read by OCR" in page
    words_url = re.search(r'data-scanned data-words="([^"]+)"', page)
    assert words_url is not None
    response = client.get(html.unescape(words_url.group(1)))
    assert response.status_code == 200
    words = response.get_json()["words"]
    assert len(words) > 20 and all(0 <= w["left"] <= 100 and 0 <= w["top"] <= 100 for w in words)
    assert all(0 <= w["confidence"] <= 1 for w in words)
    # the PO number's word lies where the order's PO number box is drawn
    boxes = re.findall(
        r'<rect id="[^"]+" class="hl[^"]*" data-testid="highlight" data-field="header.po_number"[^>]*'
        r'x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"',
        page,
    )
    assert boxes and po_box
    svg = re.search(r'<svg class="boxes" viewBox="0 0 (\d+) (\d+)"', page)
    assert svg is not None
    width, height = int(svg.group(1)), int(svg.group(2))
    x, y, w, h = (float(v) for v in boxes[0])
    centre = ((x + w / 2) * 100 / width, (y + h / 2) * 100 / height)
    inside = [
        word["text"]
        for word in words
        if word["left"] <= centre[0] <= word["left"] + word["width"]
        and word["top"] - 1 <= centre[1] <= word["top"] + word["height"] + 1
    ]
    po_number = order.po_number or ""
    assert po_number and any(
        po_number in text or (len(text) >= 4 and text in po_number) for text in inside
    ), inside
    text_pdf = client.get(f"/documents/{desk.document_id('ruled-simple.pdf')}/pages/1/words.json")
    assert text_pdf.status_code == 200 and text_pdf.get_json()["words"] == []
    assert text_pdf.get_json()["problem"]["code"] == "ocr.text_layer"  # read as text: no OCR words
    assert client.get(f"/documents/{document_id}/pages/9/words.json").status_code == 404


def test_a_finding_marks_the_value_it_concerns_and_only_one_that_holds_the_order_is_red() -> None:
    data = (ROOT / "fixtures" / "pdfs" / "ruled-simple.pdf").read_bytes()
    [order] = parse_pdf_order(data, partner="acme", document_id="1").orders
    view = build_view(data, canonical=order.model_dump(mode="json", exclude_none=True), document_id=1)
    line_no = str(order.lines[0].line_no)

    def finding(number: int, action: str, field: str) -> SimpleNamespace:
        return SimpleNamespace(
            id=number,
            order_id=7,
            code="x",
            action=action,
            message="m",
            field=field,
            line_no=line_no,
            details={},
        )

    marked = mark_findings(view, [finding(1, "warn", "uom"), finding(2, "hold", "unit_price")])
    [quantity] = marked.highlights_for("lines[0].quantity")
    [price] = marked.highlights_for("lines[0].unit_price")
    assert [m.holds for m in marked.marks_at(quantity.key)] == [False]  # a warning: marked, not red
    assert [m.holds for m in marked.marks_at(price.key)] == [True]
    assert not any(marked.marks_at(h.key) for h in marked.highlights if h.field_path.startswith("lines[1]"))
    mark = marked.mark_for(2)
    assert mark is not None and mark.anchor == price.anchor
