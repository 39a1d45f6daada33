"""Documents that made no order, resolved from their page: assign the customer, key the order in,
create an unknown X12 sender's profile (admin), dismiss with a reason. Each by role, audited, and a
bad input answers 422 with its message, never a 5xx."""

from __future__ import annotations

import html
import io
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from fpdf import FPDF
from sqlalchemy import func
from sqlalchemy import select

from gateway import storage
from gateway.desk import InvalidChange
from gateway.desk import keyed_order_from_form
from gateway.desk._documents import place_regions
from gateway.desk.dashboard import dashboard
from gateway.desk.exception_queue import QueueFilter
from gateway.desk.exception_queue import count_waiting_documents
from gateway.desk.exception_queue import exception_queue
from gateway.inbound.pipeline import Pipeline
from gateway.inbound.provisional import x12_preview
from gateway.model.order import Order
from partners import PROFILES_DIR
from partners import PartnerRegistry
from partners import load_profile
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.web.test_web_desk_support import FIXTURES
from tests.web.test_web_desk_support import NOW
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import open_app
from tests.web.test_web_desk_support import own_desk_store
from tests.web.test_web_desk_support import post

NO_CUSTOMER_PDF = FIXTURES / "pdfs" / "quantity-first.pdf"
NOTE = "note-from-jo.pdf"
UNKNOWN_X12 = "unknown-sender.edi"
REGION = "1:0.1,0.05,0.45,0.0625"  # fractions of the page image, as the page's script sends them


def unreadable_pdf() -> bytes:
    """A PDF order written as a note: no line table, so no reader makes an order of it."""
    pdf = FPDF()
    pdf.set_creation_date(FIXED_NOW)
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(
        0,
        8,
        "Hi team, as discussed on the phone please send us 12 cases of NW-10042 blue widgets at the usual "
        "price. Our reference is HAND-0042 from 20 Nov 2026. Thanks, Jo",
    )
    return bytes(pdf.output())


def page_size(data: bytes) -> tuple[float, float]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        x0, top, x1, bottom = pdf.pages[0].cropbox
    assert (x0, top) == (0, 0)
    return float(x1), float(bottom)


def points(fractions: tuple[float, float, float, float], width: float, height: float) -> tuple[float, ...]:
    x0, y0, x1, y1 = fractions
    return (round(x0 * width, 2), round(y0 * height, 2), round(x1 * width, 2), round(y1 * height, 2))


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("desk-resolve")
    path = own_desk_store(master_template, tmp_path_factory, folder)
    engine = storage.make_engine(f"sqlite:///{path}")
    pipeline = Pipeline(
        storage.make_sessionmaker(engine), PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW
    )
    assert pipeline.ingest_path(NO_CUSTOMER_PDF, channel="demo").status == "unknown_partner"
    note = pipeline.ingest_stream(io.BytesIO(unreadable_pdf()), channel="demo", filename=NOTE)
    assert note.status == "rejected" and not note.order_ids
    engine.dispose()
    return path


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    folder = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, folder)
    return folder


@pytest.fixture
def desk(store: Path, tmp_path: Path, profiles: Path) -> Iterator[DeskApp]:
    opened, engine = open_app(
        store,
        tmp_path / "app",
        config={"DESK_PARTNERS_DIR": str(profiles)},
        partners=PartnerRegistry.from_directory(profiles),
    )
    yield opened
    engine.dispose()  # type: ignore[attr-defined]


def document(desk: DeskApp, document_id: int) -> storage.Document:
    with desk.sessions() as session:
        found = session.get(storage.Document, document_id)
        assert found is not None
        return found


def orders_of(desk: DeskApp, document_id: int) -> list[storage.PurchaseOrder]:
    with desk.sessions() as session:
        return list(
            session.scalars(
                select(storage.PurchaseOrder).where(storage.PurchaseOrder.document_id == document_id)
            )
        )


def audit(desk: DeskApp, action: str) -> list[storage.AuditEntry]:
    with desk.sessions() as session:
        return list(session.scalars(select(storage.AuditEntry).where(storage.AuditEntry.action == action)))


def outbound_count(desk: DeskApp, document_id: int) -> int:
    with desk.sessions() as session:
        record = storage.OutboundRecord
        return (
            session.scalar(select(func.count()).select_from(record).where(record.document_id == document_id))
            or 0
        )


def keyed_form(**overrides: str) -> dict[str, object]:
    form: dict[str, object] = {
        "partner": "acme",
        "po_number": "HAND-0042",
        "po_date": "2026-11-20",
        "region-po_number": REGION,
        "line-0-part": "NW-10042",
        "line-0-quantity": "12",
        "line-0-uom": "CA",
        "line-0-price": "",
        "region-line-0-quantity": "1:0.5,0.1,0.55,0.125",
    }
    form.update(overrides)
    return form


def test_a_no_customer_pdf_is_assigned_a_customer_and_processed(desk: DeskApp) -> None:
    document_id = desk.document_id(NO_CUSTOMER_PDF.name)
    client = desk.client("alice")
    page = client.get(f"/documents/{document_id}").text
    assert 'data-testid="assign-form"' in page and '<option value="acme">' in page
    response = post(
        client, f"/documents/{document_id}/assign", {"partner": "acme"}, page=f"/documents/{document_id}"
    )
    assert response.status_code == 303
    stored = document(desk, document_id)
    assert stored.partner == "acme" and stored.status == "processed"
    [order] = orders_of(desk, document_id)
    assert order.partner == "acme" and order.po_number
    [entry] = audit(desk, "document.assign_customer")
    assert entry.before is not None and entry.after is not None
    assert entry.actor == "alice" and entry.subject_id == str(document_id)
    assert entry.before["status"] == "unknown_partner"
    assert entry.after["partner"] == "acme" and entry.after["order_ids"] == [order.id]
    shown = client.get(f"/documents/{document_id}").text
    assert "Customer acme assigned and the document processed." in shown
    assert 'data-testid="assign-form"' not in shown  # resolved: it made an order


@pytest.mark.parametrize(
    ("partner", "message"),
    [("", "there is no partner &#39;&#39;"), ("nobody", "there is no partner &#39;nobody&#39;")],
)
def test_assigning_an_unknown_customer_is_a_422_with_the_message(
    desk: DeskApp, partner: str, message: str
) -> None:
    document_id = desk.document_id(NO_CUSTOMER_PDF.name)
    client = desk.client("alice")
    page = f"/documents/{document_id}"
    response = post(client, f"{page}/assign", {"partner": partner}, page=page)
    assert response.status_code == 422
    assert 'data-testid="resolve-error"' in response.text and message in response.text
    assert document(desk, document_id).status == "unknown_partner"
    assert audit(desk, "document.assign_customer") == []


def test_an_x12_document_is_not_assigned_a_customer(desk: DeskApp) -> None:
    document_id = desk.document_id(UNKNOWN_X12)
    client = desk.client("alice")
    page = f"/documents/{document_id}"
    assert 'data-testid="assign-form"' not in client.get(page).text
    response = post(client, f"{page}/assign", {"partner": "acme"}, page=page)
    assert response.status_code == 422 and "names its own sender in the ISA" in response.text


def test_only_clerks_and_admins_resolve_documents(desk: DeskApp) -> None:
    document_id = desk.document_id(NO_CUSTOMER_PDF.name)
    client = desk.client("carol")  # credit
    page = f"/documents/{document_id}"
    shown = client.get(page).text
    assert (
        "Only a clerk or an admin can resolve a document." in shown
        and 'data-testid="assign-form"' not in shown
    )
    assert post(client, f"{page}/assign", {"partner": "acme"}, page=page).status_code == 403
    assert post(client, f"{page}/dismiss", {"reason": "spam"}, page=page).status_code == 403
    note = desk.document_id(NOTE)
    assert post(client, f"/documents/{note}/key-in", keyed_form(), page=page).status_code == 403
    assert document(desk, document_id).status == "unknown_partner" and orders_of(desk, note) == []


def test_a_keyed_in_order_is_made_from_an_unreadable_pdf_with_provenance_and_validated(desk: DeskApp) -> None:
    document_id = desk.document_id(NOTE)
    client = desk.client("alice")
    page = f"/documents/{document_id}"
    shown = client.get(page).text
    assert 'data-testid="key-in-form"' in shown and 'data-testid="pdf-page"' in shown
    response = post(client, f"{page}/key-in", keyed_form(**{"line-0-price": "9.99"}), page=page)
    assert response.status_code == 303, response.text
    [stored] = orders_of(desk, document_id)
    assert stored.po_number == "HAND-0042" and stored.partner == "acme" and stored.channel == "pdf"
    assert stored.status in ("accepted", "exception")
    order = Order.model_validate(stored.canonical)
    keyed = order.provenance["po_number"]
    assert keyed.keyed_by == "alice" and keyed.keyed_at == "2026-11-23T15:30:00+00:00"
    width, height = page_size(unreadable_pdf())  # the region in the page's points, as readers' boxes are
    assert keyed.page == 1 and keyed.bbox == points((0.1, 0.05, 0.45, 0.0625), width, height)
    [line] = order.lines
    assert line.vendor_sku == "NW-10042" and line.quantity is not None and line.quantity.uom == "CA"
    assert line.provenance["quantity"].bbox == points((0.5, 0.1, 0.55, 0.125), width, height)
    assert line.provenance["vendor_sku"].keyed_by == "alice" and line.provenance["vendor_sku"].page is None
    with desk.sessions() as session:  # validated as the pipeline validates: the price is not acme's
        codes = set(
            session.scalars(select(storage.Finding.code).where(storage.Finding.order_id == stored.id))
        )
    assert stored.status == "exception" and "price_mismatch" in codes, codes
    assert document(desk, document_id).status == "processed"
    [entry] = audit(desk, "order.keyed_in")
    assert entry.after is not None
    assert (entry.subject_type, entry.subject_id) == ("purchase_order", str(stored.id))
    assert entry.actor == "alice" and entry.after["po_number"] == "HAND-0042"
    assert entry.after["document_id"] == document_id and entry.after["order_ids"] == [stored.id]
    order_page = client.get(f"/orders/{stored.id}").text
    assert "HAND-0042" in order_page and "Keyed in by hand from its document" in order_page
    assert 'data-field="po_number">keyed by alice at 2026-11-23T15:30:00+00:00</span>' in order_page


def test_a_keyed_order_with_bad_values_is_a_422_naming_each_one(desk: DeskApp) -> None:
    document_id = desk.document_id(NOTE)
    client = desk.client("alice")
    page = f"/documents/{document_id}"
    bad = keyed_form(
        po_number="",
        po_date="20/11/2026",
        **{"line-0-quantity": "-3", "line-0-uom": "e a", "region-po_number": "1:50,50,10,10"},
    )
    response = post(client, f"{page}/key-in", bad, page=page)
    assert response.status_code == 422
    text = html.unescape(response.text)
    for message in (
        "PO number: type the PO number",
        "PO date: '20/11/2026' is not a date",
        "line 1: quantity -3 must be a number above zero",
        "line 1: the unit must be a code",
        "the region marked for po_number is not a box on a page",
    ):
        assert message in text
    assert 'value="NW-10042"' in response.text  # what was typed is kept
    assert orders_of(desk, document_id) == [] and audit(desk, "order.keyed_in") == []
    empty = post(client, f"{page}/key-in", {"partner": "acme", "po_number": "X1"}, page=page)
    assert empty.status_code == 422 and "key in at least one line" in empty.text


def test_a_document_that_made_an_order_is_not_resolved_again(desk: DeskApp) -> None:
    document_id = desk.document_id("ruled-simple.pdf")
    client = desk.client("alice")
    page = f"/documents/{document_id}"
    assert 'data-testid="resolve"' not in client.get(page).text
    response = post(client, f"{page}/key-in", keyed_form(), page=page)
    assert response.status_code == 422 and "already made order" in response.text
    assert post(client, f"{page}/dismiss", {"reason": "x"}, page=page).status_code == 422


def test_a_dismissed_document_is_kept_audited_and_out_of_the_queue(desk: DeskApp) -> None:
    document_id = desk.document_id(NOTE)
    client = desk.client("alice")
    page = f"/documents/{document_id}"
    with desk.sessions() as session:
        waiting = count_waiting_documents(session)
        overdue = exception_queue(session, QueueFilter(), now=NOW).overdue
    queue = client.get("/queue?reason=parse_confidence").text
    assert f'href="/documents/{document_id}"' in queue
    empty = post(client, f"{page}/dismiss", {"reason": "  "}, page=page)
    assert empty.status_code == 422 and "give a reason for dismissing the document" in empty.text
    response = post(client, f"{page}/dismiss", {"reason": "a note, not an order; Jo phoned it in"}, page=page)
    assert response.status_code == 303
    stored = document(desk, document_id)
    assert stored.status == "dismissed"
    assert stored.meta["dismissed"]["reason"] == "a note, not an order; Jo phoned it in"
    assert client.get(f"{page}/raw").data == unreadable_pdf()
    with desk.sessions() as session:  # received 6 h ago: it was overdue, and counts no more
        assert count_waiting_documents(session) == waiting - 1
        assert exception_queue(session, QueueFilter(), now=NOW).overdue == overdue - 1
        assert dashboard(session, now=NOW).waiting_documents == waiting - 1
    assert f'href="/documents/{document_id}"' not in client.get("/queue").text
    [entry] = audit(desk, "document.dismiss")
    assert entry.actor == "alice" and entry.before == {"status": "rejected"}
    shown = client.get(page).text
    assert "Dismissed by alice" in shown and 'data-testid="resolve"' not in shown
    again = post(client, f"{page}/dismiss", {"reason": "again"}, page=page)
    assert again.status_code == 422 and "is dismissed" in again.text


def test_an_unknown_x12_sender_is_shown_read_provisionally_and_nothing_is_sent(desk: DeskApp) -> None:
    document_id = desk.document_id(UNKNOWN_X12)
    sent_before = outbound_count(desk, document_id)
    shown = desk.client("alice").get(f"/documents/{document_id}").text
    preview = shown[shown.index('data-testid="x12-preview"') :]
    assert "ZZ/STRANGERCO · GS02 STRANGERCO" in preview and "ZZ/NORTHWINDDIST · GS03 NORTHWIND" in preview
    assert '<span class="mono" data-testid="x12-po">UNK-1</span>' in preview and "NW-10042" in preview
    assert 'data-testid="profile-form"' not in preview  # a clerk sees the draft, not the form
    assert "Only an admin can create the partner" in preview and "name = &#34;strangerco&#34;" in preview
    assert outbound_count(desk, document_id) == sent_before == 0
    assert document(desk, document_id).status == "unknown_partner"


def test_an_unknown_x12_senders_syntax_problems_are_named_on_the_page(desk: DeskApp) -> None:
    raw = (INBOX / UNKNOWN_X12).read_bytes()
    broken = raw.replace(b"UNK-1**20261119", b"UNK-1**20261399").replace(b"000000009", b"000000019")
    pipeline = Pipeline(desk.sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW)
    outcome = pipeline.ingest_stream(io.BytesIO(broken), channel="demo", filename="stranger-broken.edi")
    assert outcome.status == "unknown_partner" and outcome.outbound_ids == [] and outcome.order_ids == []
    shown = desk.client("alice").get(f"/documents/{outcome.document_id}").text
    preview = shown[shown.index('data-testid="x12-preview"') :]
    problems = preview[preview.index('data-testid="x12-problems"') :]
    assert "segment 4 (BEG), element 05" in problems and "invalid date (20261399)" in problems
    assert '<span class="mono" data-testid="x12-po">UNK-1</span>' in preview


def test_an_admin_creates_the_senders_profile_and_the_document_is_processed(
    desk: DeskApp, profiles: Path
) -> None:
    document_id = desk.document_id(UNKNOWN_X12)
    page = f"/documents/{document_id}"
    clerk = desk.client("alice")
    admin = desk.client("root")
    shown = admin.get(page).text
    assert 'data-testid="profile-form"' in shown
    draft = html.unescape(shown.split('data-testid="profile-text">', 1)[1].split("</textarea>", 1)[0])
    assert 'isa = { qualifier = "ZZ", id = "STRANGERCO", gs_id = "STRANGERCO" }' in draft
    assert post(clerk, f"{page}/partner-profile", {"profile": draft}, page=page).status_code == 403
    missing = post(admin, f"{page}/partner-profile", {"profile": draft}, page=page)
    assert missing.status_code == 422 and "customer_account: give the customer" in missing.text
    broken = post(admin, f"{page}/partner-profile", {"profile": "name = [oops"}, page=page)
    assert broken.status_code == 422 and "not valid TOML" in broken.text
    wrong = draft.replace('customer_account = ""', 'customer_account = "C9009"').replace(
        'acks = ["997"]', 'acks = ["998"]'
    )
    invalid = post(admin, f"{page}/partner-profile", {"profile": wrong}, page=page)
    assert invalid.status_code == 422 and "acks.0" in html.unescape(invalid.text)
    other = draft.replace('customer_account = ""', 'customer_account = "C9009"').replace(
        '"STRANGERCO", gs_id', '"SOMEONEELSE", gs_id'
    )
    mismatch = post(admin, f"{page}/partner-profile", {"profile": other}, page=page)
    assert mismatch.status_code == 422 and "does not match the document" in mismatch.text
    assert sorted(p.name for p in profiles.iterdir()) == [
        "acme.toml",
        "globex.toml",
        "initech.toml",
        "northwind-shop.toml",
    ]
    good = draft.replace('customer_account = ""', 'customer_account = "C9009"')
    response = post(admin, f"{page}/partner-profile", {"profile": good}, page=page)
    assert response.status_code == 303, response.text
    assert (profiles / "strangerco.toml").read_text() == good
    stored = document(desk, document_id)
    assert stored.status == "processed" and stored.partner == "strangerco"
    [order] = orders_of(desk, document_id)
    assert order.po_number == "UNK-1" and order.customer_account == "C9009"
    with desk.sessions() as session:
        kinds = list(
            session.scalars(
                select(storage.OutboundRecord.kind).where(storage.OutboundRecord.document_id == document_id)
            )
        )
    assert kinds == ["997"]  # answered once the sender is a partner
    [entry] = audit(desk, "partner.create")
    assert entry.after is not None
    assert entry.actor == "root" and entry.after["profile"] == "strangerco" and entry.after["toml"] == good
    assert PartnerRegistry.from_directory(profiles).get("strangerco") is not None


# -- the desk's logic alone -----------------------------------------------------------------


def test_a_keyed_form_reads_lines_skips_empty_rows_and_places_regions_in_page_points() -> None:
    keyed = keyed_order_from_form(
        {
            **{k: str(v) for k, v in keyed_form().items()},
            "currency": "usd",
            "line-1-part": "",  # an empty row between two lines is skipped
            "line-2-part": "ACME-55",
            "line-2-quantity": "1,200",
            "line-2-uom": "ea",
            "line-2-price": "0.0125",
        },
        PartnerRegistry.from_directory(),
    )
    assert keyed.currency == "USD" and [line.part for line in keyed.lines] == ["NW-10042", "ACME-55"]
    assert keyed.lines[1].quantity == Decimal("1200") and keyed.lines[1].uom == "EA"
    assert keyed.lines[1].unit_price == Decimal("0.0125") and keyed.lines[0].unit_price is None
    placed = place_regions(keyed, lambda page: (10.0, 20.0, 210.0, 420.0))
    assert placed.regions["po_number"].bbox == (30.0, 40.0, 100.0, 45.0)
    assert placed.lines[0].regions["quantity"].bbox == (110.0, 60.0, 120.0, 70.0)
    with pytest.raises(InvalidChange, match="page 1 of the document cannot be read"):
        place_regions(keyed, lambda page: None)


def test_the_drafted_profile_is_one_the_loader_takes(tmp_path: Path) -> None:
    with (INBOX / UNKNOWN_X12).open("rb") as stream:
        preview = x12_preview(stream, PartnerRegistry.from_directory(), document_id=7)
    [interchange] = preview.unknown
    assert interchange.sender == ("ZZ", "STRANGERCO") and interchange.receiver == ("ZZ", "NORTHWINDDIST")
    [one] = interchange.sets
    assert one.po_number == "UNK-1" and [line.part for line in one.lines] == ["NW-10042"]
    assert preview.draft is not None and "from document 7" in preview.draft
    (tmp_path / "strangerco.toml").write_text(
        preview.draft.replace('customer_account = ""', 'customer_account = "C1"')
    )
    profile = load_profile(tmp_path / "strangerco.toml")
    assert profile.isa is not None and profile.us is not None
    assert (
        profile.isa.id == "STRANGERCO"
        and profile.isa.gs_id == "STRANGERCO"
        and profile.us.gs_id == "NORTHWIND"
    )
    assert profile.acks == ["997"] and profile.version == "004010"


def test_an_order_is_keyed_in_from_an_email_that_made_none_without_regions(desk: DeskApp) -> None:
    document_id = desk.document_id("broken-pdf.eml")
    assert document(desk, document_id).status == "rejected" and orders_of(desk, document_id) == []
    client = desk.client("root")
    page = f"/documents/{document_id}"
    shown = client.get(page).text
    assert 'data-testid="key-in-form"' in shown and 'data-testid="mark-po_number"' not in shown
    form = {k: v for k, v in keyed_form().items() if not k.startswith("region-")}
    assert post(client, f"{page}/key-in", form, page=page).status_code == 303
    [stored] = orders_of(desk, document_id)
    order = Order.model_validate(stored.canonical)
    assert stored.channel == "email" and order.provenance["po_number"].keyed_by == "root"
    assert order.provenance["po_number"].page is None
