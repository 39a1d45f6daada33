"""AS2 both ways against a real pyas2lib partner over HTTP on 127.0.0.1, with certificates made here.

The gateway runs as ``create_app`` behind a werkzeug server; the partner is a second pyas2lib
instance behind its own. Edge cases that need no partner server use the Flask test client.
"""

from __future__ import annotations

from gateway.model.status import OutboxStatus
from gateway.transports import _oscrypto_compat

# isort: split

import io
import re
import subprocess
import sys
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import IO
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli import reports
from gateway.cli.commands import main
from gateway.config import WebConfig
from gateway.config import as2_identity_from_environment
from gateway.desk.exception_queue import count_waiting_documents
from gateway.errors import ConfigError
from gateway.errors import TransportError
from gateway.inbound.pipeline import IngestOutcome
from gateway.inbound.pipeline import Pipeline
from gateway.outbound.dispatch import send_due
from gateway.transports.as2_courier import MdnCourier
from gateway.transports.as2_identity import As2Identity
from gateway.transports.as2_inbox import As2Inbox
from gateway.transports.as2_send import As2Sender
from gateway.web import create_app
from gateway.web.services import services
from partners import PartnerProfile
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.servers.as2_partner import As2Partner
from tests.servers.as2_partner import KeyPair
from tests.servers.as2_partner import make_key_pair
from tests.servers.as2_partner import raw_message
from tests.servers.as2_partner import serve

GATEWAY_ID = "NORTHWIND AS2"  # a space: AS2 names are quoted on the wire
PARTNER_ID = "ACMEAS2"
PO = (INBOX / "acme-4500012345.edi").read_bytes()
# Valid both at the tests' frozen clock and at the real time pyas2lib's partner checks against.
VALID_FROM = min(datetime.now(UTC), FIXED_NOW) - timedelta(days=1)
VALID_TO = max(datetime.now(UTC), FIXED_NOW) + timedelta(days=365)


@pytest.fixture(scope="module")
def keys() -> dict[str, KeyPair]:
    return {
        "gateway": make_key_pair("northwind-as2", not_before=VALID_FROM, not_after=VALID_TO),
        "partner": make_key_pair("acme-as2", not_before=VALID_FROM, not_after=VALID_TO),
        "stranger": make_key_pair("acme-as2", not_before=VALID_FROM, not_after=VALID_TO),
        "expired": make_key_pair(
            "acme-as2", not_before=VALID_FROM - timedelta(days=400), not_after=VALID_FROM - timedelta(days=1)
        ),
    }


def _inbox(app: Flask) -> As2Inbox:
    """The app's AS2 inbox (these apps all have an AS2 identity)."""
    found = services(app).as2
    assert found is not None
    return found


@dataclass
class World:
    """The gateway (served over HTTP), its store and profiles, and the partner (also served)."""

    sessions: sessionmaker[Session]
    partners: PartnerRegistry
    identity: As2Identity
    app: Flask
    partner: As2Partner
    url: str

    @property
    def inbox(self) -> As2Inbox:
        return _inbox(self.app)

    def post(self, headers: dict[str, str], body: bytes, path: str = "/as2") -> Any:
        """Through the Flask test client: for the edge cases."""
        return self.app.test_client().post(path, data=body, headers=headers)

    def scalar(self, statement: Any) -> Any:
        with self.sessions() as session:
            return session.scalar(statement)

    def rows(self, model: Any) -> list[Any]:
        with self.sessions() as session:
            return list(session.scalars(select(model).order_by(model.id)))

    def status(self, partner: str, channel: str) -> storage.TransportStatus | None:
        with self.sessions() as session:
            return session.get(storage.TransportStatus, (partner, channel))

    def cli(self, *args: str) -> str:
        """The ``gateway`` command over this store; its output."""
        engine = self.sessions.kw["bind"]
        url = engine.url.render_as_string(hide_password=False)
        result = CliRunner().invoke(main, list(args), env={"GATEWAY_DATABASE_URL": url})
        assert result.exit_code == 0, result.output
        return result.output

    def sender(self) -> As2Sender:
        return As2Sender(self.sessions, self.identity, clock=lambda: FIXED_NOW, timeout=30)

    def acme(self) -> PartnerProfile:
        profile = self.partners.get("acme")
        assert profile is not None
        return profile

    def outbound(self, content: bytes = b"ISA*outbound~") -> int:
        with self.sessions() as session, session.begin():
            row = storage.OutboundRecord(
                partner="acme",
                kind="856",
                content=content,
                status=OutboxStatus.PENDING,
                created_at=FIXED_NOW,
                attempts=0,
            )
            session.add(row)
            session.flush()
            return row.id


def write_profile(folder: Path, *, url: str | None, certificate: str, **as2: Any) -> None:
    settings = {
        "as2_id": PARTNER_ID,
        "url": url,
        "certificate": certificate,
        "mdn_url": None,
        **as2,
    }
    lines = ["", "[as2]"]
    for name, value in settings.items():
        if value is not None:
            lines.append(f"{name} = {_toml(value)}")
    lines += ["", "[delivery]", 'via = "as2"', "max_attempts = 3", "backoff_seconds = 60"]
    folder.mkdir(parents=True, exist_ok=True)
    base = (ROOT / "partners" / "profiles" / "acme.toml").read_text(encoding="utf-8")
    (folder / "acme.toml").write_text(base + "\n".join(lines) + "\n", encoding="utf-8")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return f'"{value}"'


@pytest.fixture
def world(
    tmp_path: Path,
    master_sessions: sessionmaker[Session],
    keys: dict[str, KeyPair],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., World]]:
    """Builds a world: ``certificate`` names the key pair the profile pins, ``as2`` its [as2] settings."""
    with ExitStack() as stack:

        def build(
            *,
            certificate: str = "partner",
            pipeline: Callable[[PartnerRegistry], Pipeline] | None = None,
            **as2: Any,
        ) -> World:
            partner = As2Partner(PARTNER_ID, keys["partner"], GATEWAY_ID, keys["gateway"].cert_pem)
            stack.enter_context(partner.running())
            profiles = tmp_path / "profiles"
            keys[certificate].write(profiles / "certs", "acme")
            write_profile(profiles, url=f"{partner.url}/as2", certificate="certs/acme.pem", **as2)
            monkeypatch.setenv("GATEWAY_PARTNERS_DIR", str(profiles))  # the relative certificate path
            registry = PartnerRegistry.from_directory(profiles)
            apps: list[Flask] = []
            url = stack.enter_context(serve(lambda environ, start: apps[0](environ, start)))
            key_file, cert_file = keys["gateway"].write(tmp_path / "ours", "gateway")
            identity = As2Identity.from_files(
                GATEWAY_ID, key_file, cert_file, mdn_url=f"{url}/as2", domain="gateway.test", at=FIXED_NOW
            )
            app = create_app(
                WebConfig(
                    master_sessions,
                    registry,
                    lambda: FIXED_NOW,
                    as2_identity=identity,
                    pipeline=pipeline(registry) if pipeline else None,
                )
            )
            _inbox(app).courier = MdnCourier(master_sessions, lambda: FIXED_NOW, retry_delays=(0.05, 0.05))
            apps.append(app)
            partner.gateway_url = url
            return World(master_sessions, registry, identity, app, partner, url)

        yield build


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they were stored in UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _disposition(mdn_bytes: bytes) -> str:
    text = mdn_bytes.decode("utf-8", "replace")
    return next(line for line in text.splitlines() if line.startswith("Disposition:"))


# -- the compat hook ------------------------------------------------------------------------------


def test_oscrypto_compat_lets_pyas2lib_import_and_sign(keys: dict[str, KeyPair]) -> None:
    from oscrypto import asymmetric
    from pyas2lib.cms import sign_message
    from pyas2lib.cms import verify_message

    assert _oscrypto_compat._FINDER in sys.meta_path
    loaded = [sys.modules[n] for n in _oscrypto_compat.PATCHED_MODULES if n in sys.modules]
    assert loaded  # the cffi or the ctypes backend, loaded through our loader
    for module in loaded:
        assert module.__spec__ is not None
        assert isinstance(module.__spec__.loader, _oscrypto_compat._PatchingLoader)
        assert module.__file__ and module.__file__.endswith(".py")
    fresh = subprocess.run(  # a new interpreter: the hook works when imported first
        [
            sys.executable,
            "-c",
            "import gateway.transports._oscrypto_compat, pyas2lib;"
            "from oscrypto._openssl._libcrypto import libcrypto_version_info as v;"
            "print(*v[:3], sep='.')",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.fullmatch(r"\d+\.\d+\.\d+", fresh.stdout.strip())  # e.g. 3.0.19, which 1.3.0 cannot read
    old = b"version_match = re.search(" + _oscrypto_compat.OLD_PATTERN + b", version_string)"
    assert _oscrypto_compat.patch_source(old).count(b"\\\\d+") == 3
    fixed = _oscrypto_compat.patch_source(old)
    assert _oscrypto_compat.patch_source(fixed) == fixed  # a fixed oscrypto is left alone
    key = asymmetric.load_private_key(keys["partner"].key_pem)
    certificate = asymmetric.load_certificate(keys["partner"].cert_pem)
    signature = sign_message(b"ISA*payload~", "sha256", (key, certificate))
    assert verify_message(b"ISA*payload~", signature, certificate) == "sha256"


# -- receiving ------------------------------------------------------------------------------------


def test_signed_encrypted_compressed_850_is_stored_answered_and_becomes_an_order(
    world: Callable[..., World],
) -> None:
    w = world()
    response, status, detail, message = w.partner.send(PO, compress=True)

    assert response.status_code == 200 and response.headers["content-type"].startswith("multipart/signed")
    assert (status, detail) == ("processed", None)  # pyas2lib verified our signature and MIC
    [document] = w.rows(storage.Document)
    assert (document.channel, document.partner, document.filename) == ("as2", "acme", "po.edi")
    with w.sessions() as session:
        assert storage.document_bytes(session, document.id).replace(b"\r\n", b"\n") == PO
    [order] = w.rows(storage.PurchaseOrder)
    assert (order.po_number, order.partner, order.document_id) == ("4500012345", "acme", document.id)
    [row] = w.rows(storage.As2Message)
    assert (row.direction, row.status, row.message_id, row.document_id) == (
        "in",
        "processed",
        message.message_id,
        document.id,
    )
    assert row.signed and row.encrypted and row.compressed and row.mdn_mode == "sync"
    assert row.mic == f"{w.partner.sent_mic(message.message_id)}, sha256"
    assert row.mdn_mic and row.mdn_mic.split(",")[0] == w.partner.sent_mic(message.message_id)
    assert row.mdn is not None and row.mdn_signature and _utc(row.mdn_at) == FIXED_NOW
    assert "processed" in _disposition(row.mdn) and row.mdn_message_id
    status_row = w.status("acme", "as2-in")
    assert (
        status_row is not None
        and status_row.last_success
        and f"document {document.id}" in status_row.last_success
    )


def test_async_mdn_goes_to_the_partners_url_after_the_answer(world: Callable[..., World]) -> None:
    w = world()
    response, _, _, message = w.partner.send(PO, mdn_mode="ASYNC")

    assert response.status_code == 200 and "the MDN follows to" in response.text
    assert w.inbox.courier.drain(10)
    assert w.partner.mdns == [("processed", None)]
    [row] = w.rows(storage.As2Message)
    assert row.mdn_mode == "async" and row.mdn_url == f"{w.partner.url}/mdn"
    assert row.mdn is not None and _utc(row.mdn_at) == FIXED_NOW and row.error is None
    assert row.message_id == message.message_id and len(w.rows(storage.Document)) == 1


def test_async_mdn_that_cannot_be_delivered_is_retried_then_recorded(world: Callable[..., World]) -> None:
    w = world(require_signed=False)
    message = w.partner.build(PO, mdn_mode="ASYNC")
    headers, body = raw_message(message)
    headers = {k: v for k, v in headers.items() if k.lower() != "receipt-delivery-option"}
    headers["Receipt-Delivery-Option"] = "http://127.0.0.1:9/nothing-listens-here"

    assert w.post(headers, body).status_code == 200
    assert w.inbox.courier.drain(10)
    [row] = w.rows(storage.As2Message)
    assert row.status == "processed" and row.mdn_at is None and "gave up after 3 tries" in (row.error or "")
    status_row = w.status("acme", "as2-in")
    assert status_row is not None and "async MDN" in (status_row.last_error or "")
    assert w.inbox.redeliver_mdns() == 1  # still pending: a restart would try again
    assert w.inbox.courier.drain(10)


@pytest.mark.parametrize(
    ("case", "modifier", "why"),
    [
        ("tampered", "authentication-failed", "Message Digest does not match"),
        ("wrong-key", "authentication-failed", "Signature is invalid"),
        ("unsigned", "insufficient-message-security", "must be signed"),
        ("unencrypted", "insufficient-message-security", "must be encrypted"),
    ],
)
def test_refused_messages_get_a_negative_mdn_that_says_why(
    world: Callable[..., World], keys: dict[str, KeyPair], case: str, modifier: str, why: str
) -> None:
    w = world(require_encrypted=case != "tampered")
    if case == "tampered":  # signed, not encrypted, and one byte of the payload changed in transit
        headers, body = raw_message(w.partner.build(PO, encrypt=False))
        body = body.replace(b"4500012345", b"4500012346")
    elif case == "wrong-key":
        headers, body = raw_message(w.partner.build(PO, sign_with=keys["stranger"]))
    elif case == "unsigned":
        headers, body = raw_message(w.partner.build(PO, sign=False))
    else:
        headers, body = raw_message(w.partner.build(PO, encrypt=False))
    response = httpx.post(f"{w.url}/as2", content=body, headers=headers)
    status, detail = w.partner.verify_mdn(response)

    assert response.status_code == 200 and status == "processed/Error" and detail == modifier
    assert f"processed/Error: {modifier}" in response.text and why in response.text  # the text part says why
    assert w.rows(storage.Document) == [] and w.rows(storage.PurchaseOrder) == []
    [row] = w.rows(storage.As2Message)
    assert row.status == "refused" and why in (row.error or "") and row.mdn is not None and row.mdn_signature
    status_row = w.status("acme", "as2-in")
    assert (
        status_row is not None and why in (status_row.last_error or "") and status_row.failures_in_a_row == 1
    )


def test_partner_certificate_expired_is_refused_both_ways(
    world: Callable[..., World], keys: dict[str, KeyPair]
) -> None:
    w = world(certificate="expired")
    w.partner.keys = keys["expired"]
    response, status, detail, _ = w.partner.send(PO)

    assert (status, detail) == ("failed/Failure", "invalid-certificate")
    assert "expired on" in response.text and w.rows(storage.Document) == []
    with pytest.raises(TransportError, match="expired on") as refused:
        w.sender().send(content=PO, filename="x.edi", profile=w.acme(), outbound_id=w.outbound())
    assert refused.value.retryable is False and w.partner.received == []


def test_our_own_expired_certificate_is_refused_when_loaded(tmp_path: Path, keys: dict[str, KeyPair]) -> None:
    key_file, cert_file = keys["expired"].write(tmp_path, "ours")
    with pytest.raises(ConfigError, match=r"our AS2 certificate .* expired on"):
        As2Identity.from_files(GATEWAY_ID, key_file, cert_file, at=FIXED_NOW)
    _, other_cert = keys["partner"].write(tmp_path, "other")
    good_key, _ = keys["gateway"].write(tmp_path, "gw")
    with pytest.raises(ConfigError, match="does not hold the key"):
        As2Identity.from_files(GATEWAY_ID, good_key, other_cert, at=FIXED_NOW)
    assert as2_identity_from_environment({}) is None
    env = {"GATEWAY_AS2_ID": GATEWAY_ID, "GATEWAY_AS2_KEY_FILE": str(good_key)}
    with pytest.raises(ConfigError, match="no PEM certificate"):
        as2_identity_from_environment(env, at=FIXED_NOW)
    _, gw_cert = keys["gateway"].write(tmp_path, "gw")
    loaded = as2_identity_from_environment({**env, "GATEWAY_AS2_CERT_FILE": str(gw_cert)}, at=FIXED_NOW)
    assert loaded is not None and loaded.as2_id == GATEWAY_ID


def test_replayed_message_id_gets_a_duplicate_mdn_and_is_not_stored_twice(
    world: Callable[..., World],
) -> None:
    w = world()
    message = w.partner.build(PO)
    first = w.partner.post(*raw_message(message))
    again = w.partner.post(*raw_message(message))

    assert w.partner.verify_mdn(first) == ("processed", None)
    assert w.partner.verify_mdn(again) == ("processed/Warning", "duplicate-document")
    assert len(w.rows(storage.Document)) == 1 and len(w.rows(storage.PurchaseOrder)) == 1
    [row] = w.rows(storage.As2Message)
    assert row.attempts == 1 and row.status == "processed"


def test_reused_message_id_with_other_content_is_stored_held_for_a_person_and_answered(
    world: Callable[..., World],
) -> None:
    """RFC 4130 wants Message-IDs unique: a second payload under a processed id is stored, not dropped,
    held (processing it could double an order), marked ``as2.duplicate_message_id`` and alerted; the
    MDN is ``processed/warning: duplicate-document`` with the MIC of what did arrive, and says so."""
    w = world()
    first = w.partner.build(PO)
    assert w.partner.verify_mdn(w.partner.post(*raw_message(first))) == ("processed", None)
    outbound_before = len(w.rows(storage.OutboundRecord))
    other = PO.replace(b"4500012345", b"4500012399")
    second = w.partner.build(other, message_id=first.message_id)
    assert second.message_id == first.message_id

    response = w.partner.post(*raw_message(second))

    assert response.status_code == 200
    assert w.partner.verify_mdn(response) == ("processed/Warning", "duplicate-document")
    mic = w.partner.sent_mic(second.message_id)
    assert mic is not None and mic in response.text  # proof of receipt of the new bytes
    assert "stored" in response.text and "held" in response.text
    original, held = w.rows(storage.Document)
    assert (held.status, held.error_code, held.partner, held.channel) == (
        "held",
        "as2.duplicate_message_id",
        "acme",
        "as2",
    )
    assert first.message_id in (held.error or "") and f"document {original.id}" in (held.error or "")
    assert held.meta["as2_message_id"] == first.message_id
    with w.sessions() as session:
        assert storage.document_bytes(session, held.id).replace(b"\r\n", b"\n") == other
        assert count_waiting_documents(session) == 1  # on the desk's queue
        [alert] = reports.alert_list(session)
    assert alert["kind"] == "as2_duplicate_id" and f"document {held.id}" in alert["message"]
    [order] = w.rows(storage.PurchaseOrder)  # not processed: no second order, no second 997
    assert order.document_id == original.id and len(w.rows(storage.OutboundRecord)) == outbound_before
    [row] = w.rows(storage.As2Message)  # the first message's record and MDN stay as they were
    assert (row.status, row.document_id, row.attempts) == ("processed", original.id, 1)

    again = w.partner.post(*raw_message(second))  # the same second payload once more: one document
    assert w.partner.verify_mdn(again) == ("processed/Warning", "duplicate-document")
    assert len(w.rows(storage.Document)) == 2

    listed = w.cli("alerts")  # what a person sees, and does once they know it is a new PO
    assert "as2_duplicate_id" in listed and f"document {held.id}" in listed
    assert w.cli("reprocess", str(held.id)).startswith(f"document {held.id}: processed, 1 orders")
    assert len(w.rows(storage.PurchaseOrder)) == 2


def test_a_forged_message_reusing_a_processed_id_is_refused_and_touches_nothing(
    world: Callable[..., World], keys: dict[str, KeyPair]
) -> None:
    w = world()
    first = w.partner.build(PO)
    w.partner.post(*raw_message(first))
    [before] = w.rows(storage.As2Message)
    forged = w.partner.build(PO.replace(b"4500012345", b"4500066666"), sign_with=keys["stranger"])
    headers, body = raw_message(forged)
    headers["Message-ID"] = f"<{first.message_id}>"

    response = w.partner.post(headers, body)

    assert "processed/Error: authentication-failed" in response.text
    assert len(w.rows(storage.Document)) == 1
    [row] = w.rows(storage.As2Message)
    assert (row.status, row.mdn, row.attempts, row.error) == ("processed", before.mdn, 1, None)


class _FlakyPipeline(Pipeline):
    """Fails the first ``ingest_stream``: before storing, or after the store committed."""

    def __init__(self, *args: Any, after_store: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after_store = after_store
        self.calls = 0

    def ingest_stream(self, source: IO[bytes], **kwargs: Any) -> IngestOutcome:
        self.calls += 1
        if self.calls > 1:
            return super().ingest_stream(source, **kwargs)
        if self.after_store:
            super().ingest_stream(io.BytesIO(source.read()), **kwargs)
            raise RuntimeError("crashed after the store, before the MDN")
        raise OSError("disk full")


@pytest.mark.parametrize("after_store", [False, True], ids=["store-failed", "crash-before-mdn"])
def test_resend_after_a_failed_first_attempt_is_accepted(
    world: Callable[..., World], master_sessions: sessionmaker[Session], after_store: bool
) -> None:
    w = world(
        pipeline=lambda partners: _FlakyPipeline(
            master_sessions, partners, lambda: FIXED_NOW, after_store=after_store
        )
    )
    message = w.partner.build(PO)

    first = w.partner.post(*raw_message(message))
    assert first.status_code == 503 and "send it again" in first.text
    assert w.partner.verify_mdn(first) == (None, None)  # no MDN: the partner must not think it delivered
    [row] = w.rows(storage.As2Message)
    assert row.status == "failed" and row.mdn is None
    status_row = w.status("acme", "as2-in")
    assert status_row is not None and "could not be stored" in (status_row.last_error or "")

    again = w.partner.post(*raw_message(message))
    assert w.partner.verify_mdn(again) == ("processed", None)
    assert len(w.rows(storage.Document)) == 1 and len(w.rows(storage.PurchaseOrder)) == 1
    [row] = w.rows(storage.As2Message)
    assert row.status == "processed" and row.attempts == 2 and row.mdn is not None


def test_bad_requests_get_a_clear_4xx_and_are_recorded(world: Callable[..., World]) -> None:
    w = world()
    headers, body = raw_message(w.partner.build(PO))

    garbage = w.post({"Content-Type": "application/octet-stream"}, b"\x00\xffnot AS2 at all")
    assert garbage.status_code == 400 and "no AS2-From, AS2-To, Message-ID header" in garbage.text
    unknown = w.post({**headers, "AS2-From": "NOBODY"}, body)
    assert unknown.status_code == 403 and "unknown AS2-From 'NOBODY'" in unknown.text
    not_us = w.post({**headers, "AS2-To": "SOMEONE-ELSE"}, body)
    assert not_us.status_code == 403 and "is not us" in not_us.text
    empty = w.post(headers, b"")
    assert empty.status_code == 400 and "empty body" in empty.text
    broken = w.post(headers, b"\x30\x82garbage that is no CMS")
    assert broken.status_code == 200 and "processed/Error: unexpected-processing-error" in broken.text
    assert "cannot read it: ValueError" in broken.text

    unknown_row = w.status("(unknown)", "as2-in")
    assert unknown_row is not None and unknown_row.failures_in_a_row == 2  # no headers, unknown AS2-From
    acme_row = w.status("acme", "as2-in")
    assert acme_row is not None and acme_row.failures_in_a_row == 3
    assert w.rows(storage.Document) == []


def test_the_endpoint_says_what_to_set_when_as2_is_not_configured(
    master_sessions: sessionmaker[Session],
) -> None:
    app = create_app(WebConfig(master_sessions, PartnerRegistry(), lambda: FIXED_NOW))
    response = app.test_client().post("/as2", data=b"x", headers={"AS2-From": "A"})
    assert response.status_code == 503 and "GATEWAY_AS2_ID" in response.text


# -- sending --------------------------------------------------------------------------------------


def test_send_with_a_sync_mdn_is_confirmed_once_the_mdn_verifies(world: Callable[..., World]) -> None:
    w = world(compress=True)
    outbound_id = w.outbound()
    sent = w.sender().send(content=PO, filename="acme-856.edi", profile=w.acme(), outbound_id=outbound_id)

    assert sent.confirmed and "MDN" in sent.detail
    [received] = w.partner.received
    assert received.status == "processed" and received.message.compressed and received.message.signed
    assert received.message.content.replace(b"\r\n", b"\n") == PO
    [row] = w.rows(storage.As2Message)
    assert (row.direction, row.status, row.outbound_id) == ("out", "delivered", outbound_id)
    assert row.mdn is not None and row.mdn_signature and _utc(row.mdn_at) == FIXED_NOW
    assert row.mic and row.mdn_mic and row.mdn_mic.split(",")[0] == row.mic.split(",")[0]


def test_async_mdn_is_matched_to_the_outbound_document(world: Callable[..., World]) -> None:
    w = world(mdn_mode="async")
    outbound_id = w.outbound()
    report = send_due(w.sessions, w.partners, {"as2": w.sender()}, now=FIXED_NOW)

    assert report.awaiting_mdn == 1
    assert (
        w.scalar(select(storage.OutboundRecord.status).where(storage.OutboundRecord.id == outbound_id))
        == OutboxStatus.AWAITING_MDN
    )
    [answer] = w.partner.deliver_async_mdns()
    assert answer.status_code == 200 and answer.text.rstrip().endswith("; processed")
    assert (
        w.scalar(select(storage.OutboundRecord.status).where(storage.OutboundRecord.id == outbound_id))
        == OutboxStatus.SENT
    )
    [row] = w.rows(storage.As2Message)
    assert (
        row.status == "delivered"
        and row.mdn is not None
        and row.mdn_signature
        and _utc(row.mdn_at) == FIXED_NOW
    )
    status_row = w.status("acme", "as2-out")
    assert status_row is not None and (status_row.last_success or "").endswith("; processed")


def test_negative_mdns_raise_transport_errors_that_say_whether_to_retry(world: Callable[..., World]) -> None:
    w = world(encrypt=False)  # the partner requires encryption: its MDN refuses the message
    profile = w.acme()
    with pytest.raises(TransportError, match="insufficient-message-security") as refused:
        w.sender().send(content=PO, filename="a.edi", profile=profile, outbound_id=w.outbound())
    assert refused.value.retryable is False

    w.partner.fail_next = 1
    w2_outbound = w.outbound(b"ISA*second~")
    w.partner.require_encrypted = False
    with pytest.raises(TransportError, match="HTTP 500") as down:
        w.sender().send(content=b"ISA*second~", filename="b.edi", profile=profile, outbound_id=w2_outbound)
    assert down.value.retryable is True
    sent = w.sender().send(content=b"ISA*second~", filename="b.edi", profile=profile, outbound_id=w2_outbound)
    assert sent.confirmed
    rows = [r for r in w.rows(storage.As2Message) if r.outbound_id == w2_outbound]
    assert len(rows) == 1 and rows[0].attempts == 2  # the resend kept the unanswered Message-ID

    assert profile.as2 is not None
    nowhere = profile.model_copy(
        update={"as2": profile.as2.model_copy(update={"url": "http://127.0.0.1:9/as2"})}
    )
    with pytest.raises(TransportError, match="cannot reach") as unreachable:
        w.sender().send(content=PO, filename="c.edi", profile=nowhere, outbound_id=w.outbound(b"ISA*third~"))
    assert unreachable.value.retryable is True


def test_negative_async_mdn_dead_letters_the_document_at_once(world: Callable[..., World]) -> None:
    w = world(mdn_mode="async", sign=False)  # the partner requires signed messages
    outbound_id = w.outbound()
    send_due(w.sessions, w.partners, {"as2": w.sender()}, now=FIXED_NOW)
    [answer] = w.partner.deliver_async_mdns()

    assert answer.status_code == 200 and "insufficient-message-security" in answer.text
    row = w.rows(storage.OutboundRecord)[0]
    assert (
        row.id == outbound_id
        and row.status == OutboxStatus.DEAD
        and "insufficient-message-security" in (row.last_error or "")
    )
    [message] = w.rows(storage.As2Message)
    assert message.status == "refused" and message.mdn is not None
    status_row = w.status("acme", "as2-out")
    assert status_row is not None and "insufficient-message-security" in (status_row.last_error or "")
    assert w.scalar(select(func.count()).select_from(storage.Alert)) == 1


def test_an_mdn_for_a_message_we_never_sent_is_refused(world: Callable[..., World]) -> None:
    w = world()
    report = (
        b"--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
        b"Original-Message-ID: <never@sent>\r\n"
        b"Disposition: automatic-action/MDN-sent-automatically; processed\r\n\r\n--b--\r\n"
    )
    headers = {
        "AS2-From": PARTNER_ID,
        "AS2-To": GATEWAY_ID,
        "Message-ID": "<mdn-1@acme.test>",
        "Content-Type": 'multipart/report; report-type=disposition-notification; boundary="b"',
    }
    response = w.post(headers, report, path="/as2/mdn")

    assert response.status_code == 404 and "never@sent, which we never sent to acme" in response.text
    status_row = w.status("acme", "as2-out")
    assert status_row is not None and "never sent" in (status_row.last_error or "")


def test_sender_from_an_environment_without_as2_refuses_each_send_saying_why(
    world: Callable[..., World], tmp_path: Path
) -> None:
    w = world()
    profile = w.partners.get("acme")
    assert profile is not None
    sender = As2Sender.from_environment(w.sessions, {})
    with pytest.raises(TransportError, match="AS2 is not configured") as off:
        sender.send(content=PO, filename="a.edi", profile=profile, outbound_id=w.outbound())
    assert off.value.retryable is False
    broken = As2Sender.from_environment(
        w.sessions, {"GATEWAY_AS2_ID": GATEWAY_ID, "GATEWAY_AS2_KEY_FILE": str(tmp_path / "missing.key")}
    )
    with pytest.raises(TransportError, match="AS2 is misconfigured: cannot read AS2 key file"):
        broken.send(content=PO, filename="a.edi", profile=profile, outbound_id=w.outbound(b"ISA*x~"))
