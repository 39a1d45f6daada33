"""AS2 from a partner whose profile requires signed messages: whatever arrives without a valid
signature gets a negative MDN saying why, and nothing is stored, processed or answered with a 997.

Cases beyond ``tests/transports/test_as2.py``'s encrypted-but-unsigned one: plain EDI with AS2 headers,
compressed only, encrypted and compressed, a multipart/signed whose signature part is missing
or garbage. A message nesting thousands of multiparts is refused as unreadable, not a 500, and
a payload's file name only ever names the stored document.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway import storage
from tests.security import _hostile as hostile
from tests.servers.as2_partner import raw_message
from tests.transports.test_as2 import GATEWAY_ID
from tests.transports.test_as2 import PARTNER_ID
from tests.transports.test_as2 import PO
from tests.transports.test_as2 import World

_SIGNATURE_PART = re.compile(
    rb"(--[^\r\n]+)\r?\nContent-Type: application/(?:x-)?pkcs7-signature.*?(?=\r?\n--)",
    re.DOTALL | re.IGNORECASE,
)


def _plain(w: World) -> tuple[dict[str, str], bytes]:
    """What anyone can send: the EDI itself with AS2 headers naming the partner."""
    headers = {
        "AS2-From": PARTNER_ID,
        "AS2-To": f'"{GATEWAY_ID}"',
        "AS2-Version": "1.2",
        "Message-ID": "<forged-1@attacker.example>",
        "Content-Type": "application/edi-x12",
        "Disposition-Notification-To": "attacker@example.com",
        "Disposition-Notification-Options": "signed-receipt-protocol=optional, pkcs7-signature; "
        "signed-receipt-micalg=optional, sha256",
    }
    return headers, PO


def _without_signature_part(w: World) -> tuple[dict[str, str], bytes]:
    headers, body = raw_message(w.partner.build(PO, encrypt=False))
    stripped = _SIGNATURE_PART.sub(b"", body)
    assert stripped != body
    return headers, stripped


def _garbage_signature(w: World) -> tuple[dict[str, str], bytes]:
    headers, body = raw_message(w.partner.build(PO, encrypt=False))
    garbage = base64.encodebytes(b"\x30\x82" + b"not a CMS signature" * 20)
    forged = re.sub(
        rb"(Content-Type: application/(?:x-)?pkcs7-signature[^\r\n]*(?:\r?\n[^\r\n]+)*\r?\n\r?\n)[A-Za-z0-9+/=\r\n]+",
        lambda m: m.group(1) + garbage,
        body,
        flags=re.IGNORECASE,
    )
    assert forged != body
    return headers, forged


CASES: dict[str, tuple[dict[str, Any], Callable[[World], tuple[dict[str, str], bytes]], str]] = {
    "plain-edi": ({"require_encrypted": False}, _plain, "insufficient-message-security"),
    "compressed-only": (
        {"require_encrypted": False},
        lambda w: raw_message(w.partner.build(PO, sign=False, encrypt=False, compress=True)),
        "insufficient-message-security",
    ),
    "encrypted-and-compressed": (
        {},
        lambda w: raw_message(w.partner.build(PO, sign=False, compress=True)),
        "insufficient-message-security",
    ),
    "signature-part-removed": ({"require_encrypted": False}, _without_signature_part, ""),
    "garbage-signature": ({"require_encrypted": False}, _garbage_signature, ""),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_message_without_a_valid_signature_gets_a_negative_mdn_and_nothing_is_processed(
    world: Callable[..., World], case: str
) -> None:
    settings, build, modifier = CASES[case]
    w = world(**settings)
    headers, body = build(w)
    response = httpx.post(f"{w.url}/as2", content=body, headers=headers, timeout=30)

    assert response.status_code == 200, response.text
    assert "processed/Error" in response.text and modifier in response.text
    if case != "plain-edi":  # the partner can verify our negative MDN (the forger asked for it unsigned)
        status, detail = w.partner.verify_mdn(response)
        assert status == "processed/Error" and (detail == modifier or not modifier)
    assert w.rows(storage.Document) == [] and w.rows(storage.PurchaseOrder) == []
    assert w.rows(storage.OutboundRecord) == []  # no 997, no 855
    [row] = w.rows(storage.As2Message)
    assert row.status == "refused" and row.document_id is None and row.error
    assert w.status("acme", "as2-in").failures_in_a_row == 1  # type: ignore[union-attr]


def test_thousands_of_nested_multiparts_are_refused_as_unreadable(world: Callable[..., World]) -> None:
    w = world()
    headers, _ = raw_message(w.partner.build(PO))
    nested = hostile.nested_mime(5000).split(b"\r\n\r\n", 1)[1]  # the body: 5,000 multiparts deep
    headers = {
        **headers,
        "Content-Type": 'multipart/signed; protocol="application/pkcs7-signature"; boundary="b0"',
    }
    response = w.post(headers, b'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n' + nested)
    assert response.status_code == 400 and "refused unread" in response.text
    assert w.rows(storage.Document) == []
    assert "refused unread" in (w.status("acme", "as2-in").last_error or "")  # type: ignore[union-attr]


def test_a_signed_message_naming_a_path_is_stored_under_its_base_name(world: Callable[..., World]) -> None:
    """The payload's Content-Disposition file name comes from the partner: it only ever names the document."""
    w = world()
    _, status, _, _ = w.partner.send(PO, filename="../../etc/cron.d/evil.edi")
    assert status == "processed"
    [document] = w.rows(storage.Document)
    assert document.filename == "evil.edi" and "../../etc" in document.meta["original_filename"]
