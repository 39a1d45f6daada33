"""AS2 receive throughput: signed and encrypted messages through our endpoint, against pyas2lib alone.

Two payload sizes: about 1 KB (one 850 of 8 lines) and about 1 MB (an interchange of 1,500 850s).
A pyas2lib partner builds every message before the clock starts: signed (SHA-256), encrypted
(AES-256-CBC) and asking for a signed synchronous MDN; each payload differs (its own control
numbers), so none is a duplicate. They are posted one at a time over HTTP to ``create_app``
served on 127.0.0.1 by a threaded werkzeug server over a fresh SQLite store: the full path of
pyas2lib parse (decrypt, verify, MIC), durable store, processing (X12 parse and orders stored;
no business validation) and the signed MDN in the answer. The baseline is pyas2lib's own
``Message.parse``, which also builds and signs the MDN, on the same messages in this process,
with no HTTP, store or processing. The time the pipeline spends processing is also reported on
its own, and a second ratio leaves it out. Every MDN from the endpoint is checked after the timing.
"""

from __future__ import annotations

from gateway.transports import _oscrypto_compat  # noqa: F401 - before pyas2lib: see its docstring

# isort: split

import io
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path

import httpx
from pyas2lib import Message
from pyas2lib import Partner
from sqlalchemy.orm import Session

from bench._markdown import Headline
from bench._markdown import table
from bench.generate import write_interchange
from gateway import storage
from gateway.config import WebConfig
from gateway.inbound.pipeline import IngestOutcome
from gateway.inbound.pipeline import Pipeline
from gateway.transports.as2_identity import As2Identity
from gateway.transports.as2_messages import http_message
from gateway.web import create_app
from partners import PartnerRegistry
from tests.servers.as2_partner import As2Partner
from tests.servers.as2_partner import make_key_pair
from tests.servers.as2_partner import serve

GATEWAY_ID = "NORTHWIND"
PARTNER_ID = "ACMEAS2"
PROFILE = Path(__file__).resolve().parent.parent / "partners" / "profiles" / "acme.toml"
SIZES = (("1 KB", 1, 8), ("1 MB", 1_500, 5))  # label, orders, lines per order


@dataclass(slots=True)
class SizeResult:
    """One payload size: how long the endpoint and pyas2lib alone took for ``messages`` messages."""

    label: str
    messages: int
    payload_bytes: int
    wire_bytes: int
    endpoint_seconds: float
    processing_seconds: float
    baseline_seconds: float

    @property
    def endpoint_rate(self) -> float:
        return self.messages / self.endpoint_seconds

    @property
    def baseline_rate(self) -> float:
        return self.messages / self.baseline_seconds

    @property
    def transport_rate(self) -> float:
        """The endpoint without the X12 processing: HTTP, pyas2lib, store, bookkeeping, MDN."""
        return self.messages / (self.endpoint_seconds - self.processing_seconds)

    def lines(self) -> list[str]:
        megabytes = self.messages * self.payload_bytes / 1e6

        def row(label: str, seconds: float, rate: float | None = None) -> str:
            figures = f"  {rate:8.1f} msg/s  {megabytes / seconds:7.2f} MB/s" if rate else ""
            return f"    {label:<50}{seconds:8.2f} s{figures}"

        return [
            f"  {self.label} payloads: {self.messages:,} messages of {self.payload_bytes:,} bytes "
            f"({self.wire_bytes:,} on the wire)",
            row(
                "endpoint (HTTP + parse + store + process + MDN):", self.endpoint_seconds, self.endpoint_rate
            ),
            row("  of which X12 processing in the pipeline:", self.processing_seconds),
            row("pyas2lib Message.parse + MDN alone:", self.baseline_seconds, self.baseline_rate),
            f"    ratio endpoint / pyas2lib alone: {self.endpoint_rate / self.baseline_rate:.2f}x; "
            f"without the X12 processing: {self.transport_rate / self.baseline_rate:.2f}x",
        ]

    def row(self) -> list[str]:
        megabytes = self.messages * self.payload_bytes / 1e6
        return [
            self.label,
            f"{self.messages:,}",
            f"{self.payload_bytes:,} ({self.wire_bytes:,})",
            f"{self.endpoint_rate:,.1f} ({self.endpoint_seconds:.2f} s)",
            f"{megabytes / self.endpoint_seconds:.2f}",
            f"{self.processing_seconds:.2f}",
            f"{self.baseline_rate:,.1f} ({self.baseline_seconds:.2f} s)",
            f"{self.endpoint_rate / self.baseline_rate:.2f}x",
            f"{self.transport_rate / self.baseline_rate:.2f}x",
        ]

    def headline(self) -> Headline:
        return Headline(
            f"receive {self.label} messages",
            f"{self.endpoint_rate:,.1f} msg/s",
            f"{self.endpoint_rate / self.baseline_rate:.2f}x",
            f"pyas2lib parse + MDN alone, {self.baseline_rate:,.1f} msg/s",
        )


@dataclass(slots=True)
class Report:
    results: list[SizeResult]
    mdns_verified: int

    def lines(self) -> list[str]:
        return [
            "AS2 receive: signed (sha256) + encrypted (aes_256_cbc), signed sync MDN, SQLite store",
            *(line for result in self.results for line in result.lines()),
            f"  MDNs verified by the partner: {self.mdns_verified:,} processed",
        ]

    def markdown(self) -> str:
        header = [
            "payload", "messages", "bytes (on the wire)", "endpoint msg/s", "endpoint MB/s",
            "of which X12 processing s", "pyas2lib alone msg/s", "ratio", "ratio without X12 processing",
        ]  # fmt: skip
        return "\n\n".join(
            [
                "Signed (sha256) and encrypted (aes_256_cbc) messages with a signed synchronous MDN, "
                "posted to the endpoint (HTTP, pyas2lib, SQLite store, X12 processing, MDN).",
                table(header, [result.row() for result in self.results]),
                f"MDNs verified by the partner: {self.mdns_verified:,} processed.",
            ]
        )

    def headlines(self) -> list[Headline]:
        return [result.headline() for result in self.results]


def run(messages: int = 200) -> Report:
    """``messages`` 1 KB messages and a twentieth as many (at least 2) 1 MB ones."""
    counts = {"1 KB": messages, "1 MB": max(2, messages // 20)}
    requests_log = logging.getLogger("werkzeug")
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)  # no line per request
    try:
        return _run(counts)
    finally:
        requests_log.setLevel(level)


def _run(counts: dict[str, int]) -> Report:
    now = datetime.now(UTC)
    ours, theirs = make_key_pair("northwind-as2"), make_key_pair("acme-as2")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        profiles = folder / "profiles"
        _, partner_cert = theirs.write(profiles, "acme")
        (profiles / "acme.toml").write_text(
            PROFILE.read_text(encoding="utf-8")
            + f'\n[as2]\nas2_id = "{PARTNER_ID}"\ncertificate = "{partner_cert}"\n',
            encoding="utf-8",
        )
        registry = PartnerRegistry.from_directory(profiles)
        key_file, cert_file = ours.write(folder, "gateway")
        identity = As2Identity.from_files(GATEWAY_ID, key_file, cert_file, domain="bench.test", at=now)
        engine = storage.make_engine(f"sqlite:///{folder / 'bench.db'}")
        storage.upgrade(engine)
        sessions = storage.make_sessionmaker(engine)
        clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
        pipeline = _TimedPipeline(sessions, registry, clock, validate=False)
        app = create_app(WebConfig(sessions, registry, clock, as2_identity=identity, pipeline=pipeline))
        partner = As2Partner(PARTNER_ID, theirs, GATEWAY_ID, ours.cert_pem)
        results, verified, control = [], 0, 0
        with serve(app) as url, httpx.Client(timeout=120) as client:
            partner.gateway_url = url
            for label, orders, lines in SIZES:
                built = []
                for _ in range(counts[label]):
                    control += 1
                    payload = _interchange(orders, lines, control)
                    message = partner.build(payload, filename=f"po-{control}.edi")
                    built.append((payload, dict(message.headers), message.content))
                started, pipeline.seconds = time.perf_counter(), 0.0
                responses = [
                    client.post(f"{url}/as2", content=body, headers=headers) for _, headers, body in built
                ]
                endpoint_seconds = time.perf_counter() - started
                baseline_seconds = _baseline(built, identity, theirs.cert_pem)
                for response in responses:
                    if partner.verify_mdn(response) != ("processed", None):
                        raise RuntimeError(f"the endpoint did not process a message: {response.text[:300]}")
                    verified += 1
                results.append(
                    SizeResult(
                        label,
                        len(built),
                        len(built[0][0]),
                        len(built[0][2]),
                        endpoint_seconds,
                        pipeline.seconds,
                        baseline_seconds,
                    )
                )
        engine.dispose()
    return Report(results, verified)


class _TimedPipeline(Pipeline):
    """The pipeline, adding up the time it spends processing stored documents."""

    seconds = 0.0

    def process(
        self,
        document_id: int,
        *,
        again: bool,
        resend_acks: bool = False,
        refuse: Callable[[Session, int], str | None] | None = None,
    ) -> IngestOutcome:
        started = time.perf_counter()
        try:
            return super().process(document_id, again=again, resend_acks=resend_acks, refuse=refuse)
        finally:
            self.seconds += time.perf_counter() - started


def _interchange(orders: int, lines: int, control: int) -> bytes:
    out = io.StringIO()
    write_interchange(out, orders=orders, lines=lines, control=control)
    return out.getvalue().encode("ascii")


def _baseline(
    built: list[tuple[bytes, dict[str, str], bytes]], identity: As2Identity, partner_cert: bytes
) -> float:
    """pyas2lib alone: parse (decrypt, verify, MIC) and build the signed MDN for each message."""
    organization = identity.organization()
    sender = Partner(
        as2_name=PARTNER_ID, verify_cert=partner_cert, encrypt_cert=partner_cert, sign=True, encrypt=True
    )
    started = time.perf_counter()
    for _, headers, body in built:
        status, _, mdn = Message().parse(
            http_message(headers.items(), body),
            find_org_cb=lambda _to: organization,
            find_partner_cb=lambda _from: sender,
        )
        if status != "processed" or mdn is None or not mdn.content:
            raise RuntimeError(f"pyas2lib alone did not process a message: {status}")
    return time.perf_counter() - started


def main() -> None:
    for line in run().lines():
        print(line, flush=True)


if __name__ == "__main__":
    main()
