"""A real AS2 trading partner for tests and the benchmark: pyas2lib behind an HTTP server on 127.0.0.1.

Certificates are made at run time with ``cryptography`` (self-signed RSA, one per side). The
partner sends to the gateway (``send``), takes what the gateway sends it (``POST /as2``,
answering with a signed MDN, synchronously or later with ``deliver_async_mdns``), and takes the
gateway's asynchronous MDNs (``POST /mdn``). ``serve`` runs any WSGI app, the gateway's
included, on a loopback port in a thread.
"""

from __future__ import annotations

from gateway.transports import _oscrypto_compat  # noqa: F401 - before pyas2lib: see its docstring

# isort: split

import copy
import threading
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyas2lib import Mdn
from pyas2lib import Message
from pyas2lib import Organization
from pyas2lib import Partner
from werkzeug.serving import make_server
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

WsgiApp = Callable[..., Any]


@dataclass(frozen=True)
class KeyPair:
    """An RSA key and its self-signed certificate, both PEM."""

    key_pem: bytes
    cert_pem: bytes

    def write(self, folder: Path, name: str) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        key, cert = folder / f"{name}.key", folder / f"{name}.pem"
        key.write_bytes(self.key_pem)
        cert.write_bytes(self.cert_pem)
        return key, cert


def make_key_pair(
    common_name: str, *, not_before: datetime | None = None, not_after: datetime | None = None
) -> KeyPair:
    """A 2048-bit RSA key and a self-signed certificate, valid from a day ago for a year unless told."""
    now = datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return KeyPair(key_pem, certificate.public_bytes(serialization.Encoding.PEM))


@contextmanager
def serve(app: WsgiApp) -> Iterator[str]:
    """Serve ``app`` over HTTP on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="as2-test-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def raw_message(message: Message) -> tuple[dict[str, str], bytes]:
    """The HTTP headers and body pyas2lib built for ``message``."""
    return dict(message.headers), message.content


@dataclass
class Sending:
    """How the partner sends to the gateway; any field can be changed per message."""

    sign: bool = True
    encrypt: bool = True
    compress: bool = False
    mdn_mode: str | None = "SYNC"
    mdn_signed: bool = True
    digest_alg: str = "sha256"
    enc_alg: str = "aes_256_cbc"


@dataclass
class Received:
    """One message the gateway sent the partner, and how the partner judged it."""

    status: str
    message: Message
    error: str | None


@dataclass
class As2Partner:
    """The partner: its AS2 id and keys, what it knows of the gateway, and its HTTP server."""

    as2_id: str
    keys: KeyPair
    gateway_id: str
    gateway_cert: bytes
    gateway_url: str = ""
    sending: Sending = field(default_factory=Sending)
    require_signed: bool = True
    require_encrypted: bool = True
    fail_next: int = 0  # answer this many incoming messages with HTTP 500
    received: list[Received] = field(default_factory=list)
    mdns: list[tuple[str, str | None]] = field(default_factory=list)
    held_mdns: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        key = self.keys.key_pem + self.keys.cert_pem
        self.organization = Organization(as2_name=self.as2_id, sign_key=key, decrypt_key=key)
        self._sent: dict[str, Message] = {}
        self._lock = threading.Lock()

    # -- sending to the gateway -----------------------------------------------------------------

    def build(
        self,
        payload: bytes,
        *,
        filename: str = "po.edi",
        sign_with: KeyPair | None = None,
        message_id: str | None = None,
        **how: Any,
    ) -> Message:
        """A message to the gateway; ``how`` overrides ``sending``; ``sign_with`` signs with other keys.

        ``message_id`` reuses an id already sent.
        """
        sending = replace(self.sending, **how)
        receiver = Partner(
            as2_name=self.gateway_id,
            verify_cert=self.gateway_cert,
            encrypt_cert=self.gateway_cert,
            sign=sending.sign,
            encrypt=sending.encrypt,
            compress=sending.compress,
            digest_alg=sending.digest_alg,
            enc_alg=sending.enc_alg,
            mdn_mode=sending.mdn_mode,
            mdn_digest_alg=sending.digest_alg if sending.mdn_signed else None,
        )
        organization = self.organization
        if sign_with is not None:
            key = sign_with.key_pem + sign_with.cert_pem
            organization = Organization(as2_name=self.as2_id, sign_key=key, decrypt_key=key)
        organization.mdn_url = f"{self.url}/mdn" if self.url else None
        local = None
        if message_id is not None:
            organization = copy.copy(organization)
            local, _, organization.domain = message_id.rpartition("@")
        message = Message(sender=organization, receiver=receiver)
        message.build(payload, filename=filename, content_type="application/edi-x12", message_id=local)
        with self._lock:
            self._sent[message.message_id] = message
        return message

    def post(self, headers: dict[str, str], body: bytes, *, path: str = "/as2") -> httpx.Response:
        return httpx.post(f"{self.gateway_url}{path}", content=body, headers=headers, timeout=30)

    def send(self, payload: bytes, **how: Any) -> tuple[httpx.Response, str | None, str | None, Message]:
        """Build, post, and verify the synchronous MDN: (response, MDN status, detail, message)."""
        message = self.build(payload, **how)
        response = self.post(*raw_message(message))
        status, detail = self.verify_mdn(response)
        return response, status, detail, message

    def verify_mdn(self, response: httpx.Response) -> tuple[str | None, str | None]:
        """pyas2lib's verdict on the MDN in ``response`` (None, None when it holds none)."""
        if not response.headers.get("content-type", "").startswith(("multipart/report", "multipart/signed")):
            return None, None
        raw = _http_message(response.headers.multi_items(), response.content)
        return Mdn().parse(raw, find_message_cb=self._find_sent)

    def sent_mic(self, message_id: str) -> str | None:
        message = self._sent.get(message_id)
        return message.mic.decode() if message is not None and message.mic else None

    def _find_sent(self, message_id: str, _recipient: str | None) -> Message | None:
        with self._lock:
            return self._sent.get(message_id)

    # -- the partner's server ---------------------------------------------------------------------

    @contextmanager
    def running(self) -> Iterator[As2Partner]:
        with serve(Request.application(self.answer)) as url:
            self.url = url
            yield self

    def answer(self, request: Request) -> Response:
        raw = _http_message(request.headers.items(), request.get_data())
        if request.path == "/mdn":
            verdict = Mdn().parse(raw, find_message_cb=self._find_sent)
            with self._lock:
                self.mdns.append(verdict)
            return Response("MDN taken", 200)
        if self.fail_next > 0:
            self.fail_next -= 1
            return Response("partner is down", 500)
        message = Message()
        sender = Partner(
            as2_name=self.gateway_id,
            verify_cert=self.gateway_cert,
            encrypt_cert=self.gateway_cert,
            sign=self.require_signed,
            encrypt=self.require_encrypted,
        )
        status, (error, _), mdn = message.parse(
            raw,
            find_org_cb=lambda as2_id: self.organization if as2_id == self.as2_id else None,
            find_partner_cb=lambda as2_id: sender if as2_id == self.gateway_id else None,
        )
        with self._lock:
            self.received.append(Received(status, message, str(error) if error else None))
        if mdn is None:
            return Response("received", 200)
        if mdn.mdn_mode == "ASYNC":  # held until deliver_async_mdns()
            with self._lock:
                self.held_mdns.append((mdn.mdn_url, dict(mdn.headers), mdn.content))
            return Response("", 200)
        return Response(mdn.content, 200, headers=dict(mdn.headers))

    def forged_mdn(
        self, received: Received, status: str, detail: str | None = None, *, sign_with: KeyPair | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Another MDN for a message the gateway sent us: unsigned, or signed with ``sign_with``'s key.

        What someone who is not the partner could post to the gateway's MDN URL.
        """
        forger = copy.copy(received.message)
        key = sign_with.key_pem + sign_with.cert_pem if sign_with is not None else None
        forger.receiver = Organization(as2_name=self.as2_id, sign_key=key)
        mdn = Mdn(mdn_mode="ASYNC", mdn_url=received.message.headers.get("receipt-delivery-option"))
        mdn.build(message=forger, status=status, detailed_status=detail)
        return dict(mdn.headers), mdn.content

    def deliver_async_mdns(self) -> list[httpx.Response]:
        """Post every held MDN to the URL the gateway asked for."""
        with self._lock:
            held, self.held_mdns = self.held_mdns, []
        return [httpx.post(url, content=body, headers=headers, timeout=30) for url, headers, body in held]


def _http_message(headers: Any, body: bytes) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in headers).encode() + b"\r\n" + body
