"""Fixtures of the ERP payload tests: the acme profile and its demo order as validation leaves it."""

from __future__ import annotations

import pytest

from gateway.model.order import Order
from parsers import parse
from partners import PartnerProfile
from partners import PartnerRegistry
from tests.conftest import INBOX


@pytest.fixture
def acme(partners: PartnerRegistry) -> PartnerProfile:
    profile = partners.get("acme")
    assert profile is not None
    return profile


@pytest.fixture
def order(partners: PartnerRegistry) -> Order:
    """The demo PO 4500012345, as stored document 7, after validation resolved every line's SKU."""
    result = parse((INBOX / "acme-4500012345.edi").read_bytes(), partners=partners, document_id="7")
    [parsed] = result.orders
    assert not parsed.rejected
    for line in parsed.order.lines:
        line.sku = line.vendor_sku  # what validators/_validate.py does for a catalog match
    return parsed.order
