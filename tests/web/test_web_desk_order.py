"""The order screen: findings beside their fields, the original with highlights, every fix by role, locking, approve."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import update
from werkzeug.test import TestResponse

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.web.desk_pages.filters import finding_hint
from gateway.web.desk_pages.filters import finding_title
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.inbound.test_order_changes import acme
from tests.web.test_web_desk_support import ROLE_USER
from tests.web.test_web_desk_support import UNKNOWN_SKU_PO
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import desk_store
from tests.web.test_web_desk_support import open_app
from tests.web.test_web_desk_support import post
from tests.web.test_web_desk_support import token

HOSTILE = '<script>alert("po")</script>'


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return desk_store(master_template, tmp_path_factory)


@pytest.fixture
def desk(store: Path, tmp_path: Path) -> Iterator[DeskApp]:
    opened, engine = open_app(store, tmp_path)
    yield opened
    engine.dispose()  # type: ignore[attr-defined]


def test_an_exception_from_edi_shows_the_finding_on_its_line_and_the_segments_highlighted(
    desk: DeskApp,
) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    page = desk.client("alice").get(f"/orders/{order_id}").text
    assert "Why it stopped" in page and "Line 3: Unknown item" in page
    line = page[page.index('data-line-no="3"') :]
    finding = line[line.index('data-testid="finding"') :]
    assert 'data-code="unknown_item"' in finding[:200]
    assert 'data-testid="pick-sku" data-sku="NW-30555"' in finding  # the suggestion, as a button
    assert 'data-testid="pane-segments"' in page
    assert re.search(
        r'<mark data-testid="highlight" data-field="header.po_number"[^>]*>4500040001</mark>', page
    )
    link = re.search(r'data-source="([^"]+)" data-testid="source-link" data-field="header.po_number"', page)
    assert link is not None
    assert f'id="{link.group(1)}"' in page  # the field links to a place that exists in the document view
    assert 'data-testid="approve"' in page


def test_a_pdf_exception_shows_the_page_image_with_boxes_and_the_image_route_serves_it(desk: DeskApp) -> None:
    order_id = desk.order_id("4500077001", status="exception")
    client = desk.client("alice")
    page = client.get(f"/orders/{order_id}").text
    assert 'data-testid="pane-pdf"' in page
    image = re.search(r'<img src="(/documents/\d+/pages/1\.png)"', page)
    assert image is not None
    boxes = re.findall(
        r'<rect id="([^"]+)" class="hl[^"]*" data-testid="highlight" data-field="([^"]+)"', page
    )
    assert ("header.po_number" in {field for _, field in boxes}) and len(boxes) >= 8
    anchor = dict((field, box) for box, field in boxes)["lines[0].quantity"]
    assert f'data-source="{anchor}"' in page  # the line's quantity scrolls to its box
    response = client.get(image.group(1))
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG") and response.headers["ETag"]
    assert "private" in response.headers["Cache-Control"]
    again = client.get(image.group(1), headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(image.group(1).replace("1.png", "99.png")).status_code == 404


def test_a_sheet_exception_shows_the_grid_with_the_source_cells_highlighted(desk: DeskApp) -> None:
    order_id = desk.order_id("GX-REPL-0042")
    page = desk.client("alice").get(f"/orders/{order_id}").text
    assert 'data-testid="pane-sheet"' in page
    cell = re.search(
        r'<td id="([^"]+)" class="hl" data-testid="highlight" data-field="header.po_number"', page
    )
    assert cell is not None and f'data-source="{cell.group(1)}"' in page
    assert "Line 1: Unknown item" in page and "Line 2: Price differs from the agreement" in page


@pytest.mark.parametrize("role", ["clerk", "credit", "admin"])
def test_forms_shown_follow_the_role(desk: DeskApp, role: str) -> None:
    client = desk.client(ROLE_USER[role])
    unknown = client.get(f"/orders/{desk.order_id(UNKNOWN_SKU_PO)}").text
    credit = client.get(f"/orders/{desk.order_id('INI-2026-0042')}").text
    fixes = role in ("clerk", "admin")
    assert ('data-testid="approve"' in unknown) is fixes
    assert ('data-testid="pick-sku"' in unknown) is fixes
    assert ('data-testid="release-credit"' in credit) is (role in ("credit", "admin"))
    if role == "clerk":
        assert (
            "Only a <strong>credit</strong> or <strong>admin</strong> user can release a credit hold"
            in credit
        )
    if role == "credit":
        assert "Only a clerk or an admin can approve or reject an order." in unknown


def test_fix_an_unknown_sku_from_the_suggestions_then_approve_produces_the_855_and_the_erp_payload(
    desk: DeskApp,
) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    client = desk.client("alice")
    page = f"/orders/{order_id}"
    response = post(client, f"{page}/pick-sku", {"version": 1, "line_no": "3", "sku": "NW-30555"}, page=page)
    assert response.status_code == 303 and response.headers["Location"].startswith(page)
    shown = client.get(page).text
    assert "Line 3 now orders NW-30555." in shown
    assert "1 change since the order was last checked" in shown
    assert desk.order(order_id).version == 2
    response = post(client, f"{page}/approve", {"version": 2, "note": "checked with buyer"}, page=page)
    assert response.status_code == 303
    stored = desk.order(order_id)
    assert stored.status == "accepted" and stored.decided_by == "alice"
    kinds = [o.kind for o in desk.outbound(order_id)]
    assert kinds == ["855", "erp.canonical"]
    shown = client.get(page).text
    assert "Approved: the order is accepted and 2 documents went to the outbox" in shown
    sent = shown[shown.index('data-testid="sent"') :]
    for record in desk.outbound(order_id):
        assert f'href="/outbound/{record.id}"' in sent
    assert 'data-testid="sent-855"' in sent and 'data-testid="sent-erp"' in sent
    assert 'data-testid="approve"' not in shown  # decided: no more forms
    ack = desk.outbound(order_id)[0]
    outbound = client.get(f"/outbound/{ack.id}")
    assert re.search(r"BAK\*00\*A[CD]\*4500040001", outbound.text)
    history = shown[shown.index('data-testid="history"') :]
    assert "Picked the SKU" in history and "Approved" in history


def test_approve_while_still_held_says_so_and_sends_nothing(desk: DeskApp) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    client = desk.client("root")
    page = f"/orders/{order_id}"
    response = post(client, f"{page}/approve", {"version": 1}, page=page)
    assert response.status_code == 303
    assert "still held" in client.get(page).text
    assert desk.order(order_id).status == "exception" and desk.outbound(order_id) == []


def test_a_stale_version_shows_who_changed_the_order_and_changes_nothing(desk: DeskApp) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    page = f"/orders/{order_id}"
    alice, bob = desk.client("alice"), desk.client("bob")
    assert 'data-version="1"' in alice.get(page).text and 'data-version="1"' in bob.get(page).text
    first = post(bob, f"{page}/quantity", {"version": 1, "line_no": "3", "quantity": "12"}, page=page)
    assert first.status_code == 303
    second = post(alice, f"{page}/pick-sku", {"version": 1, "line_no": "3", "sku": "NW-30555"}, page=page)
    assert second.status_code == 409
    text = html.unescape(second.text)
    assert "Someone else changed this order first." in text
    assert f"order {order_id} was changed by bob" in text and "you saw version 1, it is now version 2" in text
    assert 'data-version="2"' in second.text  # the page now shows the order as it stands
    stored = desk.order(order_id)
    assert stored.version == 2 and stored.canonical["lines"][2].get("sku") is None


ACTIONS = {
    "pick-sku": {"line_no": "3", "sku": "NW-30555"},
    "quantity": {"line_no": "3", "quantity": "12"},
    "date": {"qualifier": "002", "value": "2026-12-05"},
    "accept-price": {"line_no": "3", "reason": "agreed"},
    "release-credit": {"reason": "paid"},
    "dismiss-duplicate": {"reason": "new order"},
    "merge-duplicate": {},
    "approve": {},
    "reject": {"reason": "not ours"},
}


@pytest.mark.parametrize("role", ["clerk", "credit", "admin"])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_for_every_role(desk: DeskApp, action: str, role: str) -> None:
    """Credit releases credit holds (credit, admin); everything else is the desk's (clerk, admin)."""
    order_id = desk.order_id("INI-2026-0042" if action == "release-credit" else UNKNOWN_SKU_PO)
    page = f"/orders/{order_id}"
    response = post(
        desk.client(ROLE_USER[role]), f"{page}/{action}", {"version": 1, **ACTIONS[action]}, page=page
    )
    allowed = role in (("credit", "admin") if action == "release-credit" else ("clerk", "admin"))
    if allowed:
        assert response.status_code in (303, 422), response.status_code  # done, or refused for its content
    else:
        assert response.status_code == 403
        assert "may not" in html.unescape(response.text) and desk.order(order_id).version == 1


@pytest.mark.parametrize(
    ("role", "action", "data", "status"),
    [
        ("credit", "approve", {}, 403),
        ("credit", "pick-sku", {"line_no": "3", "sku": "NW-30555"}, 403),
        ("credit", "reject", {"reason": "no"}, 403),
        ("clerk", "release-credit", {"reason": "paid"}, 403),
        ("clerk", "accept-price", {"line_no": "3", "reason": "ok"}, 422),  # no price difference on it
        ("clerk", "dismiss-duplicate", {"reason": "new order"}, 422),
        ("clerk", "merge-duplicate", {}, 422),
        ("clerk", "date", {"qualifier": "002", "value": "2026-12-05"}, 303),
        ("clerk", "quantity", {"line_no": "3", "quantity": "abc"}, 422),
        ("clerk", "quantity", {"line_no": "9", "quantity": "5"}, 422),
        ("admin", "reject", {"reason": ""}, 422),
        ("admin", "pick-sku", {"line_no": "3", "sku": "NOT-A-SKU"}, 422),
    ],
)
def test_each_action_is_refused_with_a_reason_or_done(
    desk: DeskApp, role: str, action: str, data: dict[str, str], status: int
) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    page = f"/orders/{order_id}"
    response = post(desk.client(ROLE_USER[role]), f"{page}/{action}", {"version": 1, **data}, page=page)
    assert response.status_code == status, response.text[:500]
    if status == 303:
        assert desk.order(order_id).version == 2
        return
    assert 'data-testid="desk-error"' in response.text
    if status == 403:
        assert "role" in html.unescape(response.text)
    assert desk.order(order_id).version == 1


def test_release_a_credit_hold_as_credit_then_approve_as_clerk(desk: DeskApp) -> None:
    order_id = desk.order_id("INI-2026-0042")
    page = f"/orders/{order_id}"
    carol = desk.client("carol")
    response = post(
        carol, f"{page}/release-credit", {"version": 1, "reason": "paid by wire today"}, page=page
    )
    assert response.status_code == 303
    shown = html.unescape(carol.get(page).text)  # checked at once: the hold is answered, and shows who did it
    assert "Accepted on the desk by carol: paid by wire today" in shown
    assert "The credit hold is released. Nothing holds the order any more" in shown
    alice = desk.client("alice")
    response = post(alice, f"{page}/approve", {"version": 2}, page=page)
    assert response.status_code == 303
    assert desk.order(order_id).status == "accepted"


def test_a_credit_release_reopens_for_the_credit_user_when_a_clerk_grows_the_order(desk: DeskApp) -> None:
    """Issue 14, item 9, through the screens: released at 133.00, raised to 1,000,000, approved."""
    order_id = desk.order_id("INI-2026-0042")
    page = f"/orders/{order_id}"
    carol, alice = desk.client("carol"), desk.client("alice")
    assert (
        post(carol, f"{page}/release-credit", {"version": 1, "reason": "paid"}, page=page).status_code == 303
    )
    raised = post(alice, f"{page}/quantity", {"version": 2, "line_no": "1", "quantity": "1000000"}, page=page)
    assert raised.status_code == 303
    assert post(alice, f"{page}/approve", {"version": 3}, page=page).status_code == 303
    assert desk.order(order_id).status == "exception" and desk.outbound(order_id) == []
    shown = html.unescape(carol.get(page).text)
    assert 'data-testid="override"' not in shown  # the old release no longer answers it
    assert 'data-testid="release-credit"' in shown
    assert (
        'data-testid="outgrown-release"' in shown
        and "released by carol for an order of 133.00 (exposure 5033.00)" in shown
    )
    assert (
        post(carol, f"{page}/release-credit", {"version": 4, "reason": "prepaid"}, page=page).status_code
        == 303
    )
    assert post(alice, f"{page}/approve", {"version": 5}, page=page).status_code == 303
    assert desk.order(order_id).status == "accepted"


def test_duplicates_merge_into_the_first_order_and_nothing_is_sent(desk: DeskApp) -> None:
    order_id = desk.order_id("4500077001", status="exception")
    page = f"/orders/{order_id}"
    client = desk.client("alice")
    shown = client.get(page).text
    first = desk.order_id("4500077001", status="accepted")
    assert f'<option value="{first}">' in shown
    response = post(client, f"{page}/merge-duplicate", {"version": 1, "into": first}, page=page)
    assert response.status_code == 303
    stored = desk.order(order_id)
    assert stored.status == "rejected" and stored.duplicate_of == first
    assert desk.outbound(order_id) == []
    assert f'a duplicate of <a href="/orders/{first}">' in client.get(page).text


def test_reject_an_emailed_order_drafts_a_reply(desk: DeskApp) -> None:
    order_id = desk.order_id("GX-REPL-0042")
    page = f"/orders/{order_id}"
    client = desk.client("alice")
    response = post(client, f"{page}/reject", {"version": 1, "reason": "we do not sell these"}, page=page)
    assert response.status_code == 303
    assert desk.order(order_id).status == "rejected"
    assert [o.kind for o in desk.outbound(order_id)] == ["email.reply"]
    assert "the reply to the customer is drafted below" in html.unescape(client.get(page).text)


def test_a_partners_held_change_is_rejected_as_a_change_or_with_its_whole_order(
    desk: DeskApp, tmp_path: Path
) -> None:
    """The form says it refuses the change; ticked, the whole order goes and the ERP hears its cancel."""
    flow = Pipeline(
        desk.sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW, erp_kind="erp.canonical"
    )
    price = (b"PO1*1*24*EA*4.50*", b"PO1*1*24*EA*9.99*")
    ids = []
    for po in ("4500099001", "4500099002"):
        [order_id] = flow.ingest_path(acme(tmp_path, po, po[-4:] + "00001")).order_ids
        change = acme(tmp_path, po, po[-4:] + "00002", purpose="04")
        change.write_bytes(change.read_bytes().replace(*price))
        flow.ingest_path(change)
        ids.append(order_id)
    client = desk.client("alice")
    kept, whole = (f"/orders/{i}" for i in ids)
    shown = client.get(kept).text
    assert 'data-testid="reject-whole-order"' in shown and "Reject the change" in shown

    version = desk.order(ids[0]).version
    assert (
        post(client, f"{kept}/reject", {"version": version, "reason": "price"}, page=kept).status_code == 303
    )
    version = desk.order(ids[1]).version
    data = {"version": version, "reason": "no", "whole_order": "y"}
    assert post(client, f"{whole}/reject", data, page=whole).status_code == 303

    assert [desk.order(i).status for i in ids] == ["accepted", "rejected"]
    erp = [
        [json.loads(o.content).get("action") for o in desk.outbound(i) if o.kind.startswith("erp.")]
        for i in ids
    ]
    assert erp == [[None], [None, "cancel"]]


def test_catalog_search_offers_items_to_pick_without_javascript(desk: DeskApp) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    page = desk.client("alice").get(f"/orders/{order_id}", query_string={"q": "hex key", "line": "3"}).text
    results = page[page.index('data-testid="catalog-results"') :]
    assert 'data-testid="pick-sku" data-sku="NW-30555"' in results[:3000]


def test_a_decided_order_refuses_changes_with_a_clear_message(desk: DeskApp) -> None:
    order_id = desk.order_id("4500077001", status="accepted")
    page = f"/orders/{order_id}"
    response = post(desk.client("alice"), f"{page}/approve", {"version": 1}, page=page)
    assert response.status_code == 409
    assert "is accepted, not in exception" in html.unescape(response.text)


def test_unknown_order_and_action_are_404(desk: DeskApp) -> None:
    client = desk.client("alice")
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    assert client.get("/orders/999999").status_code == 404
    assert post(client, "/orders/999999/approve", {"version": 1}, page="/queue").status_code == 404
    assert post(client, f"/orders/{order_id}/explode", {"version": 1}, page="/queue").status_code == 404


def test_values_from_documents_are_escaped_everywhere(desk: DeskApp) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    with desk.sessions() as session, session.begin():
        stored = session.get(storage.PurchaseOrder, order_id)
        assert stored is not None
        canonical = dict(stored.canonical)
        canonical["po_number"] = HOSTILE
        lines = [dict(line) for line in canonical["lines"]]
        lines[0]["description"] = '<img src=x onerror="alert(1)">'
        canonical["lines"] = lines
        stored.canonical, stored.po_number = canonical, HOSTILE
        session.execute(
            update(storage.Document)
            .where(storage.Document.id == stored.document_id)
            .values(filename='<svg onload="alert(2)">.edi', error="<b>bad</b>")
        )
        session.execute(
            update(storage.Finding).where(storage.Finding.order_id == order_id).values(message="<i>held</i>")
        )
        document_id = stored.document_id
    client = desk.client("alice")
    for path in (
        f"/orders/{order_id}",
        "/queue",
        "/documents",
        f"/documents/{document_id}",
        "/queue?search=%3Cscript",
    ):
        text = client.get(path).text
        for raw in ("<script>alert", "<img src=x", "<svg onload", "<b>bad</b>", "<i>held</i>"):
            assert raw not in text, (path, raw)
    order_page = client.get(f"/orders/{order_id}").text
    assert "&lt;script&gt;alert(&#34;po&#34;)&lt;/script&gt;" in order_page
    assert "&lt;i&gt;held&lt;/i&gt;" in order_page
    assert "&lt;svg onload=&#34;alert(2)&#34;&gt;.edi" in client.get(f"/documents/{document_id}").text


def test_the_history_lists_every_desk_action_with_before_and_after(desk: DeskApp) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    page = f"/orders/{order_id}"
    client = desk.client("alice")
    post(client, f"{page}/quantity", {"version": 1, "line_no": "3", "quantity": "20", "uom": "ea"}, page=page)
    with desk.sessions() as session:
        entry = session.scalars(
            select(storage.AuditEntry).where(storage.AuditEntry.action == "order.correct_quantity")
        ).one()
    assert entry.after is not None
    assert entry.actor == "alice" and entry.after["lines[3].quantity"] == "20"
    history = client.get(page).text
    assert "Corrected a quantity" in history and "lines[3].quantity</span>: 10 → 20" in history


HX = {"HX-Request": "true"}


def hx_post(client: FlaskClient, path: str, data: dict[str, object], *, page: str) -> TestResponse:
    """Send a form as htmx sends a boosted one: the same fields, with ``HX-Request``."""
    return client.post(path, data={**data, "csrf_token": token(client, page)}, headers=HX)


def test_a_fix_sent_in_place_answers_the_order_as_it_now_stands_with_what_still_holds_it(
    desk: DeskApp,
) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    page = f"/orders/{order_id}"
    client = desk.client("alice")
    assert 'hx-boost="true"' in client.get(page).text and "htmx.min.js" in client.get(page).text
    response = hx_post(
        client, f"{page}/pick-sku", {"version": 1, "line_no": "3", "sku": "NW-30555"}, page=page
    )
    assert response.status_code == 200  # no redirect: htmx swaps the order in place
    assert response.headers["HX-Replace-Url"] == page  # a reload shows the order, never posts again
    text = html.unescape(response.text)
    assert 'id="order-region"' in text and 'data-version="2"' in text
    assert "Line 3 now orders NW-30555. Nothing holds the order any more: approve it to send it on." in text
    assert "Nothing holds this order any more." in text and 'data-code="unknown_item"' not in text
    assert "Line 3 now orders" not in client.get(page).text  # said once, not flashed for later
    refused = hx_post(
        client, f"{page}/pick-sku", {"version": 1, "line_no": "3", "sku": "NW-30555"}, page=page
    )
    assert refused.status_code == 409 and 'data-testid="desk-error"' in refused.text
    assert 'id="order-region"' in refused.text


def test_without_javascript_a_fix_still_redirects_and_says_what_still_holds(desk: DeskApp) -> None:
    order_id = desk.order_id("GX-REPL-0042")
    page = f"/orders/{order_id}"
    client = desk.client("alice")
    response = post(client, f"{page}/accept-price", {"version": 1, "line_no": "2", "reason": "ok"}, page=page)
    assert response.status_code == 303
    shown = html.unescape(client.get(page).text)
    assert re.search(r"The price on line 2 is accepted\. \d+ findings? still holds? it\.", shown)


def test_bulk_actions_are_offered_and_each_is_one_action(desk: DeskApp) -> None:
    order_id = desk.order_id("GX-REPL-0042")
    page = f"/orders/{order_id}"
    client = desk.client("alice")
    shown = client.get(page).text
    assert 'data-testid="bulk-accept-prices-form"' in shown
    assert 'data-testid="bulk-round-packs-form"' not in shown  # no pack finding holds this order
    response = hx_post(
        client, f"{page}/accept-prices", {"version": 1, "reason": "agreed by sales"}, page=page
    )
    assert response.status_code == 200
    text = html.unescape(response.text)
    assert re.search(r"Accepted the customer's price on \d+ lines?\.", text)
    assert 'data-testid="bulk-accept-prices-form"' not in text
    empty = hx_post(client, f"{page}/accept-prices", {"version": 2, "reason": "again"}, page=page)
    assert empty.status_code == 422 and "no price difference holds" in html.unescape(empty.text)
    low = hx_post(client, f"{page}/use-suggestions", {"version": 2, "min_score": "140"}, page=page)
    assert low.status_code == 422 and 'data-testid="desk-error"' in low.text


def _queue_order(desk: DeskApp) -> list[int]:
    purchase_order = storage.PurchaseOrder
    with desk.sessions() as session:
        return list(
            session.scalars(
                select(purchase_order.id)
                .where(purchase_order.status == "exception")
                .order_by(purchase_order.created_at, purchase_order.id)
            )
        )


def test_next_and_previous_follow_the_queue_and_approve_and_next_opens_the_next(desk: DeskApp) -> None:
    queue = _queue_order(desk)
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    at = queue.index(order_id)
    page = f"/orders/{order_id}"
    client = desk.client("alice")
    shown = client.get(page).text
    if at > 0:
        assert f'href="/orders/{queue[at - 1]}" data-testid="queue-previous"' in shown
    middle = client.get(f"/orders/{queue[1]}").text
    assert f'href="/orders/{queue[0]}" data-testid="queue-previous"' in middle
    assert f'href="/orders/{queue[2]}" data-testid="queue-next"' in middle
    post(client, f"{page}/pick-sku", {"version": 1, "line_no": "3", "sku": "NW-30555"}, page=page)
    following = queue[at + 1] if at + 1 < len(queue) else None
    response = hx_post(client, f"{page}/approve", {"version": 2, "then": "next"}, page=page)
    assert response.status_code == 200 and desk.order(order_id).status == "accepted"
    assert response.headers["HX-Redirect"] == (f"/orders/{following}" if following else "/queue")
    held = desk.order_id("GX-REPL-0042")
    plain = post(client, f"/orders/{held}/approve", {"version": 1, "then": "next"}, page=f"/orders/{held}")
    assert plain.status_code == 303 and plain.headers["Location"].startswith(
        f"/orders/{held}"
    )  # still held: stays


def test_suggestions_show_price_pack_and_stock_to_tell_same_named_items_apart(desk: DeskApp) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    client = desk.client("alice")
    shown = html.unescape(client.get(f"/orders/{order_id}").text)
    finding = shown[shown.index('data-code="unknown_item"') :]
    facts = dict(re.findall(r'data-sku="([^"]+)".*?data-testid="suggestion-facts">([^<]+)<', finding, re.S))
    assert re.fullmatch(r"HEX KEY SET METRIC · 12\.00 USD list · pack of 1 EA · \d+ free", facts["NW-30555"])
    # two catalog items named alike: the price, the pack and the stock tell them apart
    searched = client.get(f"/orders/{order_id}", query_string={"q": "WIDGET BLUE 10MM", "line": "3"}).text
    results = html.unescape(searched[searched.index('data-testid="catalog-results"') :])
    facts = dict(re.findall(r'data-sku="([^"]+)".*?data-testid="suggestion-facts">([^<]+)<', results, re.S))
    assert re.fullmatch(r"WIDGET BLUE 10MM · 4\.50 USD list · pack of 12 EA · \d+ free", facts["NW-10042"])
    assert re.fullmatch(r"WIDGET BLUE 10MM · 134\.51 USD list · pack of 100 EA · \d+ free", facts["NW-60025"])


def test_a_readers_finding_is_titled_a_reading_problem_and_an_x12_one_a_syntax_error() -> None:
    assert finding_title("syntax", "pdf.missing_value") == "Reading problem"
    assert "check it against the document" in finding_hint("syntax", "ocr.low_confidence")
    assert finding_title("syntax", "x12.ctt_count") == "Syntax error"
    assert finding_title("syntax") == "Syntax error" and finding_title("short_stock") == "Not enough stock"


def test_a_partners_change_to_an_invoiced_order_shows_on_the_desk_with_what_it_changes(
    desk: DeskApp, partners: PartnerRegistry, tmp_path: Path
) -> None:
    pipeline = Pipeline(desk.sessions, partners, clock=lambda: FIXED_NOW)
    first = pipeline.ingest_path(acme(tmp_path, "4500039901", "000009901"))
    with desk.sessions() as session, session.begin():
        session.execute(
            update(storage.PurchaseOrder)
            .where(storage.PurchaseOrder.id == first.order_ids[0])
            .values(invoiced_at=FIXED_NOW)
        )
    pipeline.ingest_path(acme(tmp_path, "4500039901", "000009902", purpose="04", line1="48"))

    page = html.unescape(desk.client("alice").get(f"/orders/{desk.order_id('4500039901')}").text)

    assert "Changed after shipping or invoicing" in page and "line 1: 24 EA -> 48 EA" in page
    assert "agree it with the partner" in page
