"""A channel order on the order desk: its page and its document's page render (no ISA, JSON pointers)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from pathlib import Path

import pytest

from partners import PartnerProfile
from partners import PartnerRegistry
from tests.conftest import ROOT
from tests.web.test_web_desk_support import desk_store
from tests.web.test_web_desk_support import open_app

SECRET = "desk test secret"


def test_a_shopify_order_is_shown_on_the_desk(
    master_template: Path,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "DESK_SHOP_SECRET", SECRET
    )  # the default: a channel's secret is read from the environment
    registry = PartnerRegistry.from_directory()
    registry.add(
        PartnerProfile.model_validate(
            {
                "name": "deskshop",
                "customer_account": "C1001",
                "channel": {"kind": "shopify", "secret_env": "DESK_SHOP_SECRET"},
            }
        )
    )
    store = desk_store(master_template, tmp_path_factory)
    opened, engine = open_app(store, tmp_path / "app", partners=registry)
    try:
        raw = (ROOT / "fixtures" / "channels" / "shopify" / "order-create-webhook.json").read_bytes()
        signature = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
        answer = opened.client().post(
            "/channels/deskshop/shopify", data=raw, headers={"X-Shopify-Hmac-Sha256": signature}
        )
        assert answer.status_code == 200 and answer.json is not None
        [order_id] = answer.json["order_ids"]
        carol = opened.client("carol")
        page = carol.get(f"/orders/{order_id}")
        assert page.status_code == 200 and "#9999" in page.text and "IPOD2008PINK" in page.text
        # the source pane is the JSON as sent, pretty-printed; each field links to its line by pointer
        assert 'data-testid="pane-json"' in page.text
        links = dict(
            re.findall(
                r'href="#([^"]+)" data-source="[^"]+" data-testid="source-link" data-field="([^"]+)"',
                page.text,
            )
        )
        by_field = {field: anchor for anchor, field in links.items()}
        lines = dict(re.findall(r'<li value="\d+" id="([^"]+)" data-pointer="([^"]*)"', page.text))
        assert by_field["header.po_number"] in lines and lines[by_field["header.po_number"]] == "/name"
        assert lines[by_field["lines[0].quantity"]] == "/line_items/0/quantity"
        assert all(anchor in lines for anchor in links), set(links) - set(lines)
        document = carol.get(f"/documents/{answer.json['document_id']}")
        assert document.status_code == 200 and 'data-testid="pane-json"' in document.text
        assert carol.get("/queue").status_code == 200
    finally:
        engine.dispose()  # type: ignore[attr-defined]
