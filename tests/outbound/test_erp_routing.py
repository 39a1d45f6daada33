"""ERP routing per customer: two ERPs at once, each a real HTTP server on 127.0.0.1.

acme's profile names its own target (NetSuite at one server) and a target for its bill-to account
AP02 (Fortnox at the other). Each server gets only its own payloads, in its own shape and with its
own token; one target failing (503 with Retry-After, a refusal for good, a credential missing)
never holds up or dead-letters the other's; a cancel goes to the target that had the create.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli import reports
from gateway.config import ErpSettings
from gateway.inbound.pipeline import Pipeline
from gateway.model.status import AlertKind
from gateway.model.status import OutboxStatus
from gateway.outbound.delivery import deliver_due
from gateway.outbound.transport_status import status_report
from partners import PROFILES_DIR
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import acme_850
from tests.inbound.test_order_changes import acme
from tests.servers.erp_server import ErpServer
from tests.servers.erp_server import Reply

T0 = FIXED_NOW
NS_TOKEN, FORTNOX_TOKEN = "ns-secret-1", "fortnox-secret-2"
BILL_TO_AP02 = (b"N1*BT*ACME RETAIL AP*92*AP01~", b"N1*BT*ACME RETAIL AP*92*AP02~")


@pytest.fixture
def servers() -> Iterator[tuple[ErpServer, ErpServer]]:
    netsuite, fortnox = ErpServer(), ErpServer()
    yield netsuite, fortnox
    netsuite.stop()
    fortnox.stop()


@pytest.fixture(autouse=True)
def tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_NS_TOKEN", NS_TOKEN)
    monkeypatch.setenv("ACME_FORTNOX_TOKEN", FORTNOX_TOKEN)
    for name in ("GATEWAY_ERP_URL", "GATEWAY_ERP_KIND", "GATEWAY_ERP_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def profiles(tmp_path: Path, erp_table: str) -> PartnerRegistry:
    """The demo profiles, acme's with ``erp_table`` appended."""
    folder = tmp_path / "profiles"
    folder.mkdir(exist_ok=True)
    for path in PROFILES_DIR.glob("*.toml"):
        text = path.read_text()
        (folder / path.name).write_text(text + "\n" + erp_table if path.name == "acme.toml" else text)
    registry = PartnerRegistry.from_directory(folder)
    assert not registry.refused, registry.refused
    return registry


def two_targets(netsuite: ErpServer, fortnox: ErpServer, *, fortnox_attempts: int = 8) -> str:
    return f"""
[erp]
name = "ns-us"
kind = "erp.netsuite"
url = "{netsuite.url}"
token_env = "ACME_NS_TOKEN"
backoff_seconds = 30

[erp.customers."AP02"]
name = "fortnox-se"
kind = "erp.fortnox"
url = "{fortnox.base}/3/orders"
token_env = "ACME_FORTNOX_TOKEN"
max_attempts = {fortnox_attempts}
backoff_seconds = 30
"""


def two_orders(sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path) -> tuple[int, int]:
    """acme's order billed to AP01 (its own target) and one billed to AP02, both accepted, no default ERP."""
    flow = Pipeline(sessions, partners, clock=lambda: T0, erp_kind=None)
    [first] = flow.ingest_path(acme(tmp_path, "4500070001", "000007001")).order_ids
    [second] = flow.ingest_path(acme_850(tmp_path, "4500070002", "000007002", BILL_TO_AP02)).order_ids
    return first, second


def payloads(sessions: sessionmaker[Session]) -> list[storage.OutboundRecord]:
    with sessions() as session:
        outbound = storage.OutboundRecord
        return list(
            session.scalars(select(outbound).where(outbound.kind.like("erp.%")).order_by(outbound.id))
        )


def alerts(sessions: sessionmaker[Session], kind: str) -> list[storage.Alert]:
    with sessions() as session:
        return list(session.scalars(select(storage.Alert).where(storage.Alert.kind == kind)))


def deliver(
    sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    at: timedelta = timedelta(0),
    default: ErpSettings | None = None,
) -> tuple[int, int, int]:
    with httpx.Client() as client:
        report = deliver_due(sessions, default, now=T0 + at, client=client, partners=partners)
    return report.delivered, report.retrying, report.dead


def test_each_erp_gets_only_its_own_payloads_in_its_own_shape_and_auth(
    master_sessions: sessionmaker[Session], servers: tuple[ErpServer, ErpServer], tmp_path: Path
) -> None:
    netsuite, fortnox = servers
    partners = profiles(tmp_path, two_targets(netsuite, fortnox))
    first, second = two_orders(master_sessions, partners, tmp_path)
    ns_row, fx_row = payloads(master_sessions)
    assert (ns_row.order_id, ns_row.kind, ns_row.erp_target) == (first, "erp.netsuite", "ns-us")
    assert (fx_row.order_id, fx_row.kind, fx_row.erp_target) == (second, "erp.fortnox", "fortnox-se")

    assert deliver(master_sessions, partners) == (2, 0, 0)
    [(ns_headers, ns_body)] = netsuite.requests
    [(fx_headers, fx_body)] = fortnox.requests
    assert json.loads(ns_body)["otherRefNum"] == "4500070001" and "Order" not in json.loads(ns_body)
    assert ns_headers["Authorization"] == f"Bearer {NS_TOKEN}"
    assert ns_headers["X-NetSuite-Idempotency-Key"] == ns_row.idempotency_key
    order = json.loads(fx_body)["Order"]
    assert order["YourOrderNumber"] == "4500070002" and order["CustomerNumber"] == "C1001"
    assert fx_headers["Authorization"] == f"Bearer {FORTNOX_TOKEN}"
    assert fx_headers["Idempotency-Key"] == fx_row.idempotency_key
    assert [r.status for r in payloads(master_sessions)] == [OutboxStatus.SENT, OutboxStatus.SENT]

    with master_sessions() as session:
        rows = {(r["partner"], r["channel"]): r for r in status_report(session, partners)}
        listed = {r["id"]: r["erp_target"] for r in reports.outbox_list(session, now=T0)}
    assert rows["(erp:ns-us)", "erp"]["last_success"] == f"erp.netsuite {ns_row.id}"
    assert rows["(erp:fortnox-se)", "erp"]["last_success"] == f"erp.fortnox {fx_row.id}"
    assert ("(erp)", "erp") not in rows, "no default ERP was used"
    assert (listed[ns_row.id], listed[fx_row.id]) == ("ns-us", "fortnox-se")


def test_the_idempotency_key_is_stable_per_target_and_order(
    master_sessions: sessionmaker[Session], servers: tuple[ErpServer, ErpServer], tmp_path: Path
) -> None:
    import emitters

    netsuite, fortnox = servers
    partners = profiles(tmp_path, two_targets(netsuite, fortnox))
    first, _ = two_orders(master_sessions, partners, tmp_path)
    ns_row, _ = payloads(master_sessions)
    assert ns_row.idempotency_key == emitters.idempotency_key("erp.netsuite", "acme", first, target="ns-us")
    assert ns_row.idempotency_key != emitters.idempotency_key("erp.netsuite", "acme", first)


def test_one_erp_answering_503_with_retry_after_never_holds_up_the_other(
    master_sessions: sessionmaker[Session], servers: tuple[ErpServer, ErpServer], tmp_path: Path
) -> None:
    netsuite, fortnox = servers
    partners = profiles(tmp_path, two_targets(netsuite, fortnox))
    two_orders(master_sessions, partners, tmp_path)
    flow = Pipeline(master_sessions, partners, clock=lambda: T0, erp_kind=None)
    flow.ingest_path(acme_850(tmp_path, "4500070003", "000007003", BILL_TO_AP02))  # Fortnox's second
    fortnox.replies = [Reply(503, {"Retry-After": "120"}), Reply(201)]

    assert deliver(master_sessions, partners) == (1, 1, 0)
    assert len(fortnox.requests) == 1, "a target that is down is tried once per run, not once per payload"
    ns_row, fx_first, fx_second = payloads(master_sessions)
    assert ns_row.status == OutboxStatus.SENT
    assert (fx_first.status, fx_first.attempts) == (OutboxStatus.PENDING, 1)
    assert fx_first.next_attempt_at is not None
    assert fx_first.next_attempt_at.replace(tzinfo=None) == (T0 + timedelta(seconds=120)).replace(
        tzinfo=None
    ), "Retry-After (120 s) beats the 30 s backoff"
    assert (fx_second.status, fx_second.attempts) == (OutboxStatus.PENDING, 0)

    assert deliver(master_sessions, partners, timedelta(seconds=60)) == (1, 0, 0)  # only the untried one
    assert deliver(master_sessions, partners, timedelta(seconds=121)) == (1, 0, 0)
    assert [r.status for r in payloads(master_sessions)] == [OutboxStatus.SENT] * 3
    assert len(netsuite.requests) == 1
    with master_sessions() as session:
        rows = {(r["partner"], r["channel"]): r for r in status_report(session, partners)}
    assert "HTTP 503" in rows["(erp:fortnox-se)", "erp"]["last_error"]
    assert rows["(erp:ns-us)", "erp"]["last_error"] is None


def test_a_dead_letter_on_one_target_leaves_the_other_delivering(
    master_sessions: sessionmaker[Session], servers: tuple[ErpServer, ErpServer], tmp_path: Path
) -> None:
    netsuite, fortnox = servers
    partners = profiles(tmp_path, two_targets(netsuite, fortnox, fortnox_attempts=2))
    two_orders(master_sessions, partners, tmp_path)
    fortnox.replies = [Reply(503)]
    assert deliver(master_sessions, partners) == (1, 1, 0)
    assert deliver(master_sessions, partners, timedelta(seconds=31)) == (0, 0, 1), "fortnox-se's 2 attempts"
    ns_row, fx_row = payloads(master_sessions)
    assert (ns_row.status, fx_row.status) == (OutboxStatus.SENT, OutboxStatus.DEAD)
    [dead] = alerts(master_sessions, AlertKind.DELIVERY_DEAD)
    assert dead.outbound_id == fx_row.id


def test_a_missing_credential_raises_the_erp_alert_and_the_payload_waits(
    master_sessions: sessionmaker[Session],
    servers: tuple[ErpServer, ErpServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    netsuite, fortnox = servers
    partners = profiles(tmp_path, two_targets(netsuite, fortnox))
    two_orders(master_sessions, partners, tmp_path)
    monkeypatch.delenv("ACME_FORTNOX_TOKEN")
    assert deliver(master_sessions, partners) == (1, 1, 0)
    assert fortnox.calls == [], "nothing is sent without its credential"
    _, fx_row = payloads(master_sessions)
    assert fx_row.status == OutboxStatus.PENDING and "ACME_FORTNOX_TOKEN" in (fx_row.last_error or "")
    [alert] = alerts(master_sessions, AlertKind.ERP_PAYLOAD)
    assert alert.partner == "acme" and alert.order_id == fx_row.order_id
    assert "ERP target 'fortnox-se' needs ACME_FORTNOX_TOKEN, which is not set" in alert.message

    monkeypatch.setenv("ACME_FORTNOX_TOKEN", FORTNOX_TOKEN)  # set, and the deliverer restarted
    assert deliver(master_sessions, partners, timedelta(seconds=31)) == (1, 0, 0)
    assert fortnox.requests[0][0]["Authorization"] == f"Bearer {FORTNOX_TOKEN}"
    [resolved] = alerts(master_sessions, AlertKind.ERP_PAYLOAD)
    assert resolved.resolved_at is not None, "the target resolves again: its alert says so"


def test_a_target_the_profile_no_longer_names_raises_the_erp_alert(
    master_sessions: sessionmaker[Session], servers: tuple[ErpServer, ErpServer], tmp_path: Path
) -> None:
    netsuite, fortnox = servers
    two_orders(master_sessions, profiles(tmp_path, two_targets(netsuite, fortnox)), tmp_path)
    own_only = two_targets(netsuite, fortnox).split('[erp.customers."AP02"]')[0]
    assert deliver(master_sessions, profiles(tmp_path, own_only)) == (1, 1, 0)
    [alert] = alerts(master_sessions, AlertKind.ERP_PAYLOAD)
    assert "ERP target 'fortnox-se' is not named in the [erp] table of acme's profile" in alert.message


def test_a_cancel_goes_to_the_target_that_received_the_create(
    master_sessions: sessionmaker[Session], servers: tuple[ErpServer, ErpServer], tmp_path: Path
) -> None:
    """The create went to ns-eu (bill-to AP02's target then); the profile now sends AP02 elsewhere,
    and the partner's cancel still goes to ns-eu, as NetSuite's own cancel."""
    netsuite, other = servers
    before = f"""
[erp]
name = "canonical-hq"
kind = "erp.canonical"
url = "{other.base}/orders"

[erp.customers."AP02"]
name = "ns-eu"
kind = "erp.netsuite"
url = "{netsuite.url}"
token_env = "ACME_NS_TOKEN"
"""
    flow = Pipeline(master_sessions, profiles(tmp_path, before), clock=lambda: T0, erp_kind=None)
    [order_id] = flow.ingest_path(acme_850(tmp_path, "4500070009", "000007009", BILL_TO_AP02)).order_ids
    after = before.replace("ns-eu", "ns-eu-old").replace('name = "canonical-hq"', 'name = "ns-eu"')
    after = after.replace('kind = "erp.canonical"', 'kind = "erp.netsuite"\ntoken_env = "ACME_NS_TOKEN"')
    after = after.replace(f"{other.base}/orders", netsuite.url)
    changed = profiles(tmp_path, after)
    flow = Pipeline(master_sessions, changed, clock=lambda: T0, erp_kind=None)
    cancel = acme_850(tmp_path, "4500070009", "000007010", BILL_TO_AP02, (b"BEG*00*", b"BEG*01*"))
    flow.ingest_path(cancel)
    create, cancelled = payloads(master_sessions)
    assert (create.erp_target, cancelled.erp_target) == ("ns-eu", "ns-eu")
    assert cancelled.order_id == order_id and cancelled.erp_request is not None
    assert cancelled.idempotency_key != create.idempotency_key
    assert deliver(master_sessions, changed) == (2, 0, 0)
    assert [c.method for c in netsuite.calls] == ["POST", "PATCH"] and other.calls == []


def test_the_field_map_chooses_the_customer_reference_and_refuses_a_missing_item_code(
    master_sessions: sessionmaker[Session], servers: tuple[ErpServer, ErpServer], tmp_path: Path
) -> None:
    netsuite, fortnox = servers
    table = two_targets(netsuite, fortnox).replace(
        'backoff_seconds = 30\n\n[erp.customers."AP02"]',
        'backoff_seconds = 30\nfield_map = { customer_reference = "bill_to" }\n\n[erp.customers."AP02"]',
    )
    table += 'field_map = { item_code = "buyer_part" }\n'
    first, second = two_orders(master_sessions, profiles(tmp_path, table), tmp_path)
    [ns_row] = payloads(master_sessions)
    assert ns_row.order_id == first
    assert json.loads(ns_row.content)["entity"] == {"externalId": "AP01"}, "the bill-to party's id"
    [alert] = alerts(master_sessions, AlertKind.ERP_PAYLOAD)
    assert alert.order_id == second and "line 3 has no buyer_part for the ERP's item code" in alert.message


def test_a_partner_without_a_target_still_goes_to_the_default_erp(
    master_sessions: sessionmaker[Session], servers: tuple[ErpServer, ErpServer], tmp_path: Path
) -> None:
    """Only AP02 is routed: AP01's order goes to GATEWAY_ERP_* as before, under its old key."""
    import emitters

    default, fortnox = servers
    table = two_targets(default, fortnox)
    table = '[erp]\n[erp.customers."AP02"]' + table.split('[erp.customers."AP02"]')[1]
    partners = profiles(tmp_path, table)
    flow = Pipeline(master_sessions, partners, clock=lambda: T0, erp_kind="erp.canonical")
    [first] = flow.ingest_path(acme(tmp_path, "4500070001", "000007001")).order_ids
    (canonical,) = payloads(master_sessions)
    assert canonical.erp_target == "default"
    assert canonical.idempotency_key == emitters.idempotency_key("erp.canonical", "acme", first)
    settings = ErpSettings(url=f"{default.base}/orders", kind="erp.canonical")
    assert deliver(master_sessions, partners, default=settings) == (1, 0, 0)
    with master_sessions() as session:
        rows = {(r["partner"], r["channel"]): r for r in status_report(session, partners)}
    assert rows["(erp)", "erp"]["last_success"] == f"erp.canonical {canonical.id}"
    assert (
        rows["(erp:fortnox-se)", "erp"]["configured"]
        and rows["(erp:fortnox-se)", "erp"]["last_success"] is None
    )


def test_gateway_deliver_status_and_outbox_show_each_target(
    master_sessions: sessionmaker[Session],
    servers: tuple[ErpServer, ErpServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from gateway.cli.commands import main

    netsuite, fortnox = servers
    partners = profiles(tmp_path, two_targets(netsuite, fortnox))
    two_orders(master_sessions, partners, tmp_path)
    fortnox.replies = [Reply(503, {"Retry-After": "600"})]
    for name, value in {"HOME": str(tmp_path), "PARTNERS_DIR": str(tmp_path / "profiles"), "NOW": T0.isoformat()}.items():  # fmt: skip
        monkeypatch.setenv(f"GATEWAY_{name}", value)
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)

    delivered = CliRunner().invoke(main, ["deliver", "--once"])
    assert delivered.exit_code == 0, delivered.output
    assert "delivered 1, retrying 1, dead-lettered 0" in delivered.stdout
    status = CliRunner().invoke(main, ["status"])
    assert status.exit_code == 0, status.output
    lines = status.stdout.splitlines()
    assert any(line.startswith("(erp:ns-us)") and " ok " in line for line in lines), status.stdout
    assert any(line.startswith("(erp:fortnox-se)") for line in lines) and "HTTP 503" in status.stdout
    outbox = CliRunner().invoke(main, ["outbox"])
    assert outbox.exit_code == 0, outbox.output
    assert "to ERP target ns-us" in outbox.stdout and "to ERP target fortnox-se" in outbox.stdout


def test_a_cancel_routed_to_fortnox_is_looked_up_and_sent_there_with_its_token_and_field_map(
    master_sessions: sessionmaker[Session], servers: tuple[ErpServer, ErpServer], tmp_path: Path
) -> None:
    """The AP02 order went to Fortnox (its customer reference the bill-to id, by the target's field map):
    the partner's cancel finds it there by PO and that customer, and cancels it there; NetSuite hears nothing."""
    netsuite, fortnox = servers
    table = two_targets(netsuite, fortnox) + 'field_map = { customer_reference = "bill_to" }\n'
    partners = profiles(tmp_path, table)
    flow = Pipeline(master_sessions, partners, clock=lambda: T0, erp_kind=None)
    flow.ingest_path(acme_850(tmp_path, "4500070011", "000007011", BILL_TO_AP02))
    flow.ingest_path(acme_850(tmp_path, "4500070011", "000007012", BILL_TO_AP02, (b"BEG*00*", b"BEG*01*")))
    create, cancel = payloads(master_sessions)
    assert (create.erp_target, cancel.erp_target) == ("fortnox-se", "fortnox-se")
    record = {
        "DocumentNumber": "41",
        "YourOrderNumber": "4500070011",
        "CustomerNumber": "AP02",
        "Cancelled": False,
    }
    fortnox.listing = lambda: json.dumps({"Orders": [record]}).encode()
    fortnox.replies = [Reply(201), Reply(200)]

    assert deliver(master_sessions, partners) == (2, 0, 0)

    assert [(c.method, c.path.split("?")[0]) for c in fortnox.calls] == [
        ("POST", "/3/orders"),
        ("GET", "/3/orders"),
        ("PUT", "/3/orders/41/cancel"),
    ]
    assert all(c.headers["Authorization"] == f"Bearer {FORTNOX_TOKEN}" for c in fortnox.calls)
    assert netsuite.calls == []
