"""The queue, documents (downloads and reprocess), the dashboard, partners and outbound documents."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import update

from gateway import storage
from partners import PROFILES_DIR
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import load_profile
from tests.web.test_web_desk_support import NOW
from tests.web.test_web_desk_support import ROLE_USER
from tests.web.test_web_desk_support import UNKNOWN_SKU_PO
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import desk_store
from tests.web.test_web_desk_support import open_app
from tests.web.test_web_desk_support import post


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return desk_store(master_template, tmp_path_factory)


@pytest.fixture
def desk(store: Path, tmp_path: Path) -> Iterator[DeskApp]:
    opened, engine = open_app(store, tmp_path)
    yield opened
    engine.dispose()  # type: ignore[attr-defined]


def _rows(page: str) -> list[tuple[str, str]]:
    return re.findall(r'data-testid="queue-row" data-kind="(\w+)" data-id="(\d+)"', page)


# -- the queue --------------------------------------------------------------------------------------


def test_the_queue_lists_every_exception_and_waiting_document_oldest_first_with_overdue_marked(
    desk: DeskApp,
) -> None:
    page = desk.client("alice").get("/queue").text
    rows = _rows(page)
    with desk.sessions() as session:
        exceptions = set(
            session.scalars(
                select(storage.PurchaseOrder.id).where(storage.PurchaseOrder.status == "exception")
            )
        )
    assert {int(i) for kind, i in rows if kind == "order"} == exceptions
    kinds = {kind for kind, _ in rows}
    assert kinds == {"order", "document"}  # the unknown sender and the broken PDF wait too
    assert page.count('data-overdue="true"') == len(rows)  # all received 6 h ago; the SLA is 4 h
    assert f'href="/orders/{desk.order_id(UNKNOWN_SKU_PO)}" data-testid="queue-open"' in page
    assert f'href="/documents/{desk.document_id("unknown-sender.edi")}" data-testid="queue-open"' in page
    assert "overdue" in page and "Past 4 h an item is overdue." in page


def test_the_queue_filters_by_reason_partner_channel_and_age_and_searches_by_po(desk: DeskApp) -> None:
    client = desk.client("carol")
    credit = _rows(client.get("/queue?reason=credit").text)
    assert credit and all(kind == "order" for kind, _ in credit)
    assert {int(i) for _, i in credit} == {desk.order_id("INI-2026-0042")}
    search = _rows(client.get("/queue", query_string={"search": UNKNOWN_SKU_PO}).text)
    assert search == [("order", str(desk.order_id(UNKNOWN_SKU_PO)))]
    assert _rows(client.get("/queue?partner=initech&channel=x12").text) == credit
    assert _rows(client.get("/queue?older_than_hours=24").text) == []
    empty = client.get("/queue?older_than_hours=24").text
    assert "Nothing waiting matches these filters." in empty and "Clear filters" in empty
    bad = client.get("/queue?reason=bogus&page=zero").text
    assert "reason &#39;bogus&#39; is not one of" in bad and _rows(bad)


def test_the_queue_pages(desk: DeskApp) -> None:
    client = desk.client("alice")
    everything = _rows(client.get("/queue?per_page=200").text)
    first = client.get("/queue?per_page=2").text
    assert _rows(first) == everything[:2]
    assert "Page 1 of" in first and 'data-testid="next-page"' in first
    second = client.get("/queue?per_page=2&page=2").text
    assert _rows(second) == everything[2:4]


def test_the_sla_comes_from_the_config(store: Path, tmp_path: Path) -> None:
    opened, engine = open_app(store, tmp_path, config={"DESK_SLA_HOURS": 12.0})
    try:
        page = opened.client("alice").get("/queue").text
        assert 'data-overdue="true"' not in page and "Past 12 h an item is overdue." in page
    finally:
        engine.dispose()  # type: ignore[attr-defined]


# -- documents --------------------------------------------------------------------------------------


def test_documents_list_every_document_with_its_error_and_orders(desk: DeskApp) -> None:
    client = desk.client("carol")
    page = client.get("/documents").text
    with desk.sessions() as session:
        count = session.scalar(select(storage.Document.id).order_by(storage.Document.id.desc()).limit(1))
    assert page.count('data-testid="document-row"') == count
    assert "PDFSyntaxError" in page  # the broken PDF's error
    rejected = client.get("/documents?status=unknown_partner").text
    assert rejected.count('data-testid="document-row"') == 1 and "unknown-sender.edi" in rejected
    assert client.get("/documents?q=ruled").text.count('data-testid="document-row"') == 1
    # % and _ are what the clerk typed, as in the queue's search: no file name holds them
    assert client.get("/documents?q=%").text.count('data-testid="document-row"') == 0
    assert client.get("/documents?q=ruled_simple").text.count('data-testid="document-row"') == 0
    assert client.get("/documents?q=RULED-SIMPLE").text.count('data-testid="document-row"') == 1
    broken = desk.document_id("broken-pdf.eml")
    detail = client.get(f"/documents/{broken}").text
    assert 'data-testid="document-error"' in detail and "the PDF cannot be read" in detail
    assert 'data-testid="source-view"' in detail


def test_a_search_holding_percent_and_underscore_matches_them_literally_on_both_pages(desk: DeskApp) -> None:
    """``PO_45%7`` finds the order and the file named so, and not ``POX45Y7``, which a wildcard
    would match; nor does either page drop the two characters (``PO457`` would match then)."""
    order = storage.PurchaseOrder
    document = storage.Document
    with desk.sessions() as session, session.begin():
        held = list(session.scalars(select(order.id).where(order.status == "exception").order_by(order.id)))
        files = list(session.scalars(select(document.id).order_by(document.id)))
        assert len(held) >= 3 and len(files) >= 3
        named = {held[0]: "PO_45%7", held[1]: "POX45Y7", held[2]: "PO457"}
        for order_id, po_number in named.items():
            session.execute(update(order).where(order.id == order_id).values(po_number=po_number))
        files_named = {files[0]: "PO_45%7.edi", files[1]: "POX45Y7.edi", files[2]: "PO457.edi"}
        for document_id, filename in files_named.items():
            session.execute(update(document).where(document.id == document_id).values(filename=filename))
    client = desk.client("alice")
    for search in ("PO_45%", "po_45%7"):
        queue = _rows(client.get("/queue", query_string={"search": search}).text)
        assert [int(i) for kind, i in queue if kind == "order"] == [held[0]], search
        listing = client.get("/documents", query_string={"q": search}).text
        found = re.findall(r'data-testid="document-row" data-document-id="(\d+)"', listing)
        assert [int(i) for i in found] == [files[0]], search


def test_download_sends_the_raw_bytes_as_an_attachment_with_a_safe_name(desk: DeskApp) -> None:
    document_id = desk.document_id("acme-4500012345.edi")
    client = desk.client("alice")
    response = client.get(f"/documents/{document_id}/raw")
    with desk.sessions() as session:
        raw = storage.document_bytes(session, document_id)
    assert response.status_code == 200 and response.data == raw
    assert response.headers["Content-Disposition"] == "attachment; filename=acme-4500012345.edi"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    with desk.sessions() as session, session.begin():
        session.execute(
            update(storage.Document)
            .where(storage.Document.id == document_id)
            .values(filename='..\\../<script>"x".html\r\nSet-Cookie: a=b')
        )
    hostile = client.get(f"/documents/{document_id}/raw")
    disposition = hostile.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    for bad in ("/", "\\", "<", '"x"', "\r", "\n", ".."):
        assert bad not in disposition.removeprefix("attachment; filename=").strip('"'), (bad, disposition)
    assert "Set-Cookie" not in hostile.headers or "a=b" not in hostile.headers.get("Set-Cookie", "")
    with desk.sessions() as session, session.begin():
        session.execute(
            update(storage.Document).where(storage.Document.id == document_id).values(filename=None)
        )
    unnamed = client.get(f"/documents/{document_id}/raw")
    assert unnamed.headers["Content-Disposition"] == f"attachment; filename=document-{document_id}.edi"
    assert client.get("/documents/999999/raw").status_code == 404


def test_reprocess_a_document_from_an_unknown_sender_once_its_profile_exists(
    store: Path, tmp_path: Path
) -> None:
    opened, engine = open_app(store, tmp_path)
    try:
        document_id = opened.document_id("unknown-sender.edi")
        page = f"/documents/{document_id}"
        assert post(opened.client("carol"), f"{page}/reprocess", page=page).status_code == 403
        client = opened.client("alice")
        assert 'data-testid="reprocess"' in client.get(page).text
        response = post(client, f"{page}/reprocess", page=page)
        assert response.status_code == 303
        assert "Processed again: unknown partner, 0 orders." in client.get(page).text
        with opened.sessions() as session:
            entry = session.scalars(
                select(storage.AuditEntry).where(storage.AuditEntry.action == "document.reprocess")
            ).one()
        assert entry.actor == "alice" and entry.subject_id == str(document_id)
    finally:
        engine.dispose()  # type: ignore[attr-defined]


def test_reprocess_is_refused_when_it_would_replace_a_decided_order(desk: DeskApp) -> None:
    document_id = desk.document_id("acme-4500012345.edi")  # its order was accepted
    page = f"/documents/{document_id}"
    client = desk.client("root")
    shown = client.get(page).text
    assert 'data-testid="reprocess-refused"' in shown and 'data-testid="reprocess"' not in shown
    response = post(client, f"{page}/reprocess", page=page)
    assert response.status_code == 303
    assert "is already accepted; processing again would replace it" in html.unescape(client.get(page).text)
    with desk.sessions() as session:
        assert (
            session.scalar(
                select(storage.PurchaseOrder.status).where(storage.PurchaseOrder.document_id == document_id)
            )
            == "accepted"
        )


def test_reprocess_from_the_desk_does_not_answer_the_interchange_again(desk: DeskApp) -> None:
    with desk.sessions() as session:
        document_id = session.get(storage.PurchaseOrder, desk.order_id(UNKNOWN_SKU_PO)).document_id  # type: ignore[union-attr]
    acks = (
        select(
            storage.OutboundRecord.id,
            storage.OutboundRecord.kind,
            storage.OutboundRecord.interchange_control_number,
        )
        .where(storage.OutboundRecord.document_id == document_id)
        .order_by(storage.OutboundRecord.id)
    )
    with desk.sessions() as session:
        before = session.execute(acks).all()
    assert [kind for _, kind, _ in before] == ["997"]
    page = f"/documents/{document_id}"
    client = desk.client("alice")
    assert 'data-testid="reprocess-resend-acks"' in client.get(page).text
    assert post(client, f"{page}/reprocess", page=page).status_code == 303
    assert "Processed again: processed, 1 order." in client.get(page).text
    with desk.sessions() as session:
        assert session.execute(acks).all() == before
    assert post(client, f"{page}/reprocess", {"resend_acks": "y"}, page=page).status_code == 303
    with desk.sessions() as session:
        after = session.execute(acks).all()
    [(_, kind, number)] = after[len(before) :]
    assert after[: len(before)] == before and kind == "997" and number not in {n for *_, n in before}


@pytest.mark.parametrize("role", ["clerk", "credit", "admin"])
def test_reprocess_button_follows_the_role(desk: DeskApp, role: str) -> None:
    document_id = desk.document_id("broken-pdf.eml")
    page = desk.client(ROLE_USER[role]).get(f"/documents/{document_id}").text
    assert ('data-testid="reprocess"' in page) is (role != "credit")


# -- outbound, dashboard, partners ----------------------------------------------------------------


def test_outbound_documents_show_their_content_and_download(desk: DeskApp) -> None:
    with desk.sessions() as session:
        ack = session.scalars(
            select(storage.OutboundRecord).where(storage.OutboundRecord.kind == "997")
        ).first()
        assert ack is not None
    client = desk.client("carol")
    page = client.get(f"/outbound/{ack.id}").text
    assert "ISA*" in page and "AK1*PO*" in page
    response = client.get(f"/outbound/{ack.id}/raw")
    assert response.data == ack.content
    assert response.headers["Content-Disposition"] == f"attachment; filename=997-{ack.id}.edi"
    assert client.get("/outbound/999999").status_code == 404
    with desk.sessions() as session:
        answered = session.scalars(
            select(storage.OutboundRecord).where(storage.OutboundRecord.kind == "855")
        ).first()
        assert answered is not None and answered.delivered_at is None
    state = client.get(f"/outbound/{answered.id}").text
    assert 'data-testid="ack-state">997 not due: not sent yet' in state, "its clock starts when it is sent"


def test_the_dashboard_shows_the_figures_and_server_rendered_svg_charts(desk: DeskApp) -> None:
    page = desk.client("carol").get("/dashboard?days=7").text
    for testid in (
        "touchless-rate",
        "open-exceptions",
        "median-resolve",
        "overdue-acks",
        "failed-deliveries",
    ):
        assert f'data-testid="{testid}"' in page
    charts = re.findall(r'<svg class="chart" viewBox="0 0 \d+ \d+" role="img"', page)
    assert len(charts) >= 2
    assert page.count('<rect class="bar"') >= 2 and '<polyline class="line"' in page
    assert "Open exceptions by reason" in page and "Credit" in page
    assert "<strong>7 days</strong>" in page
    assert 'data-testid="median-precision">each time rounded down to the minute under 30 min' in page
    unoffered = desk.client("carol").get("/dashboard?days=5").text
    assert "<strong>30 days</strong>" in unoffered  # a window not offered falls back to the default


def test_partners_show_profiles_traffic_and_errors_but_no_secret(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_SFTP_PASSWORD", "hunter2-very-secret")
    acme = load_profile(PROFILES_DIR / "acme.toml").model_dump()
    acme["sftp_pull"] = {
        "host": "sftp.acme.example",
        "username": "northwind",
        "password_env": "ACME_SFTP_PASSWORD",
        "host_key_sha256": "SHA256:" + "A" * 43,
    }
    registry = PartnerRegistry([p for p in PartnerRegistry.from_directory() if p.name != "acme"])
    registry.add(PartnerProfile.model_validate(acme))
    opened, engine = open_app(store, tmp_path, partners=registry)
    try:
        with opened.sessions() as session, session.begin():
            session.add(
                storage.TransportStatus(
                    partner="acme",
                    channel="sftp-pull",
                    last_error_at=NOW,
                    last_error="connection refused by <sftp.acme.example>",
                    failures_in_a_row=3,
                )
            )
        client = opened.client("carol")
        listing = client.get("/partners").text
        assert listing.count('data-testid="partner-row"') == 4  # acme, globex, initech and the web shop
        assert "1 failing" in listing
        assert "shopify channel" in listing and "shopify-in" in listing
        shop = client.get("/partners/northwind-shop").text
        assert "SHOPIFY_SECRET_NORTHWIND" in shop
        page = client.get("/partners/acme").text
        assert "ACME_SFTP_PASSWORD" in page and "hunter2" not in page
        assert "connection refused by &lt;sftp.acme.example&gt;" in page and "3 in a row" in page
        assert "sftp_pull.host" in page and "customer_account" in page and "C1001" in page
        assert client.get("/partners/nobody").status_code == 404
    finally:
        engine.dispose()  # type: ignore[attr-defined]


def test_the_partners_page_shows_refused_profile_files_with_their_error(store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, folder)
    (folder / "brokenco.toml").write_text('name = "brokenco"\nacks = ["998"]\n')
    opened, engine = open_app(store, tmp_path / "app", partners=PartnerRegistry.from_directory(folder))
    try:
        page = opened.client("carol").get("/partners").text
    finally:
        engine.dispose()  # type: ignore[attr-defined]
    assert 'data-testid="refused-profiles"' in page and "brokenco.toml" in page and "998" in page
    assert page.count('data-testid="partner-row"') == 4, "the good profiles are listed as before"
