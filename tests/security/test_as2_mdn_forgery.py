"""MDNs for what we sent that do not come from the partner: they change nothing, and a person hears of them.

The gateway sends a document to a real pyas2lib partner, which answers with its signed
asynchronous MDN: the message is ``delivered``. Then someone posts another MDN for the same
Message-ID to ``/as2`` over HTTP: unsigned, or signed with a key that is not the partner's.
Neither may touch the message's status or its stored MDN: each is kept apart as a suspect
MDN, logged, and raised as an alert (``gateway alerts``). The partner's genuine MDN still
counts, and an unsigned one never does while the profile asks for signed MDNs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select

from gateway import storage
from gateway.cli import reports
from gateway.errors import TransportError
from gateway.model.status import OutboxStatus
from gateway.outbound.dispatch import send_due
from tests.conftest import FIXED_NOW
from tests.servers.as2_partner import KeyPair
from tests.transports.test_as2 import World


def _delivered(w: World) -> tuple[storage.As2Message, int]:
    """One document sent with an async MDN, which the partner answered (signed, positive)."""
    outbound_id = w.outbound()
    send_due(w.sessions, w.partners, {"as2": w.sender()}, now=FIXED_NOW)
    [answer] = w.partner.deliver_async_mdns()
    assert answer.status_code == 200, answer.text
    [row] = w.rows(storage.As2Message)
    assert row.status == "delivered" and row.mdn is not None and row.mdn_signature
    return row, outbound_id


def _post(w: World, headers: dict[str, str], body: bytes) -> httpx.Response:
    return httpx.post(f"{w.url}/as2", content=body, headers=headers, timeout=30)


def _unchanged(w: World, before: storage.As2Message, outbound_id: int) -> None:
    [row] = w.rows(storage.As2Message)
    assert (row.status, row.error, row.mdn, row.mdn_disposition) == (
        before.status,
        before.error,
        before.mdn,
        before.mdn_disposition,
    )
    assert (
        w.scalar(select(storage.OutboundRecord.status).where(storage.OutboundRecord.id == outbound_id))
        == OutboxStatus.SENT
    )


@pytest.mark.parametrize("forgery", ["unsigned", "signed-by-a-stranger"])
def test_a_forged_mdn_after_a_delivered_one_changes_nothing_and_is_kept_apart_with_an_alert(
    world: Callable[..., World],
    keys: dict[str, KeyPair],
    caplog: pytest.LogCaptureFixture,
    forgery: str,
) -> None:
    w = world(mdn_mode="async")
    before, outbound_id = _delivered(w)
    [received] = w.partner.received
    headers, body = w.partner.forged_mdn(
        received,
        "processed/Error",
        "authentication-failed",
        sign_with=keys["stranger"] if forgery != "unsigned" else None,
    )
    alerts_before = len(w.rows(storage.Alert))

    with caplog.at_level(logging.WARNING, logger="gateway.transports.as2_inbox"):
        response = _post(w, headers, body)

    assert response.status_code == 403, response.text
    assert "kept apart as suspect" in response.text and "nothing changed" in response.text
    _unchanged(w, before, outbound_id)
    [suspect] = w.rows(storage.As2SuspectMdn)
    assert suspect.raw.endswith(body) and suspect.original_message_id == before.message_id
    assert (suspect.partner, suspect.as2_message_id) == ("acme", before.id)
    why = "unsigned" if forgery == "unsigned" else "does not verify"
    assert why in suspect.reason
    assert any(why in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    with w.sessions() as session:
        [alert] = [a for a in reports.alert_list(session) if a["kind"] == "as2_suspect_mdn"]
    assert alert["partner"] == "acme" and before.message_id in alert["message"]
    assert f"suspect MDN {suspect.id}" in alert["message"] and alert["outbound_id"] == outbound_id
    assert len(w.rows(storage.Alert)) == alerts_before + 1
    listed = w.cli("alerts")
    assert "as2_suspect_mdn" in listed and f"suspect MDN {suspect.id}" in listed
    status_row = w.status("acme", "as2-out")
    assert status_row is not None and why in (status_row.last_error or "")


def test_an_unsigned_mdn_never_counts_while_the_profile_asks_for_signed_ones(
    world: Callable[..., World],
) -> None:
    """Before the genuine MDN: an unsigned positive one leaves the message waiting; the real one then counts."""
    w = world(mdn_mode="async")
    outbound_id = w.outbound()
    send_due(w.sessions, w.partners, {"as2": w.sender()}, now=FIXED_NOW)
    [received] = w.partner.received
    headers, body = w.partner.forged_mdn(received, "processed")

    forged = _post(w, headers, body)

    assert forged.status_code == 403 and "unsigned" in forged.text
    [row] = w.rows(storage.As2Message)
    assert row.status == "awaiting_mdn" and row.mdn is None
    status = select(storage.OutboundRecord.status).where(storage.OutboundRecord.id == outbound_id)
    assert w.scalar(status) == OutboxStatus.AWAITING_MDN
    assert len(w.rows(storage.As2SuspectMdn)) == 1

    [genuine] = w.partner.deliver_async_mdns()

    assert genuine.status_code == 200 and genuine.text.rstrip().endswith("; processed")
    [row] = w.rows(storage.As2Message)
    assert row.status == "delivered" and row.mdn_signature and w.scalar(status) == OutboxStatus.SENT


def test_the_genuine_mdn_posted_again_changes_nothing_and_raises_no_alert(
    world: Callable[..., World],
) -> None:
    w = world(mdn_mode="async")
    outbound_id = w.outbound()
    send_due(w.sessions, w.partners, {"as2": w.sender()}, now=FIXED_NOW)
    with w.partner._lock:
        held = list(w.partner.held_mdns)
    w.partner.deliver_async_mdns()
    before = w.rows(storage.As2Message)[0]
    alerts = len(w.rows(storage.Alert))
    [(url, headers, body)] = held

    again = httpx.post(url, content=body, headers=headers, timeout=30)

    assert again.status_code == 200 and "already" in again.text
    _unchanged(w, before, outbound_id)
    assert w.rows(storage.As2SuspectMdn) == [] and len(w.rows(storage.Alert)) == alerts


def test_a_genuinely_signed_mdn_contradicting_the_stored_one_is_kept_apart(
    world: Callable[..., World], keys: dict[str, KeyPair]
) -> None:
    """Signed with the partner's own key, but a second, different verdict: a person decides, not the post."""
    w = world(mdn_mode="async")
    before, outbound_id = _delivered(w)
    [received] = w.partner.received
    headers, body = w.partner.forged_mdn(
        received, "processed/Error", "unexpected-processing-error", sign_with=keys["partner"]
    )

    response = _post(w, headers, body)

    assert response.status_code == 409 and "contradicts" in response.text
    _unchanged(w, before, outbound_id)
    [suspect] = w.rows(storage.As2SuspectMdn)
    assert "contradicts" in suspect.reason


def test_a_sync_mdn_that_does_not_verify_is_kept_apart_and_the_send_fails(
    world: Callable[..., World],
) -> None:
    """The answer to our own POST, signed by a key the profile does not pin: not the message's MDN."""
    w = world(certificate="stranger", encrypt=False)
    w.partner.require_encrypted = False
    outbound_id = w.outbound()

    with pytest.raises(TransportError, match="does not verify") as failed:
        w.sender().send(content=b"ISA*x~", filename="x.edi", profile=w.acme(), outbound_id=outbound_id)

    assert failed.value.retryable is False
    [row] = w.rows(storage.As2Message)
    assert row.status == "failed" and row.mdn is None and "does not verify" in (row.error or "")
    [suspect] = w.rows(storage.As2SuspectMdn)
    assert suspect.as2_message_id == row.id and "does not verify" in suspect.reason
    with w.sessions() as session:
        [alert] = [a for a in reports.alert_list(session) if a["kind"] == "as2_suspect_mdn"]
    assert alert["outbound_id"] == outbound_id
