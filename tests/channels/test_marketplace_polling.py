"""Polling Amazon (LWA + SP-API Orders v0) and Walmart Marketplace against a loopback stand-in.

Paging, token reuse and renewal, 429 and 5xx retries, refused credentials recorded in
``gateway status``, nothing lost when the store fails between fetch and store, and the same
order polled twice stored once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.errors import ConfigError
from gateway.errors import TransportError
from gateway.inbound.pipeline import IngestOutcome
from gateway.inbound.pipeline import Pipeline
from gateway.outbound.transport_status import status_rows
from gateway.run.schedule import PollJob
from gateway.run.schedule import run_one
from gateway.transports._marketplace_http import MarketplaceAuthError
from gateway.transports.marketplace_channel import marketplace_channels
from gateway.transports.marketplaces import MarketplaceChannel
from gateway.transports.marketplaces import MarketplacePoller
from gateway.transports.marketplaces import poller_for
from partners import PartnerProfile
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import ROOT
from tests.servers.marketplace_server import AMAZON_CLIENT
from tests.servers.marketplace_server import WALMART_CLIENT
from tests.servers.marketplace_server import MarketplaceServer

FIXTURES = ROOT / "fixtures" / "channels"
SECRETS = {
    "TEST_LWA_CLIENT_ID": AMAZON_CLIENT[0],
    "TEST_LWA_CLIENT_SECRET": AMAZON_CLIENT[1],
    "TEST_LWA_REFRESH_TOKEN": AMAZON_CLIENT[2],
    "TEST_WALMART_CLIENT_ID": WALMART_CLIENT[0],
    "TEST_WALMART_CLIENT_SECRET": WALMART_CLIENT[1],
}


def fixture(path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / path).read_text(), parse_float=Decimal)
    return loaded


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[MarketplaceServer]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    server = MarketplaceServer()
    amazon = fixture("amazon/orders.json")
    server.amazon_orders = amazon["Orders"]
    server.amazon_items = amazon["OrderItems"]
    server.walmart_orders = fixture("walmart/orders.json")["order"]
    yield server
    server.stop()


def amazon_profile(server: MarketplaceServer) -> dict[str, Any]:
    """A partner profile for an Amazon seller account polled from ``server``."""
    poll = {
        "client_id_env": "TEST_LWA_CLIENT_ID",
        "client_secret_env": "TEST_LWA_CLIENT_SECRET",
        "refresh_token_env": "TEST_LWA_REFRESH_TOKEN",
        "marketplace_ids": ["ATVPDKIKX0DER"],
        "api_url": server.base,
        "lwa_url": server.base,
    }
    return {
        "name": "amazon-us",
        "customer_account": "C9101",
        "acks": [],
        "channel": {"kind": "amazon", "poll": poll},
    }


def walmart_profile(server: MarketplaceServer) -> dict[str, Any]:
    poll = {
        "client_id_env": "TEST_WALMART_CLIENT_ID",
        "client_secret_env": "TEST_WALMART_CLIENT_SECRET",
        "api_url": server.base,
    }
    return {
        "name": "walmart-us",
        "customer_account": "C9102",
        "acks": [],
        "channel": {"kind": "walmart", "poll": poll},
    }


def channel_of(profile: dict[str, Any]) -> MarketplaceChannel:
    (channel,) = marketplace_channels(PartnerRegistry([PartnerProfile.model_validate(profile)]))
    return channel


def amazon_channel(server: MarketplaceServer) -> MarketplaceChannel:
    return channel_of(amazon_profile(server))


def walmart_channel(server: MarketplaceServer) -> MarketplaceChannel:
    return channel_of(walmart_profile(server))


def documents(sessions: sessionmaker[Session]) -> list[storage.Document]:
    with sessions() as session:
        return list(session.scalars(select(storage.Document).order_by(storage.Document.id)))


def stored_json(sessions: sessionmaker[Session], document_id: int) -> Any:
    with sessions() as session:
        return json.loads(storage.document_bytes(session, document_id), parse_float=Decimal)


def cursor(sessions: sessionmaker[Session], partner: str, channel: str) -> str | None:
    with sessions() as session:
        return storage.poll_cursor(session, partner, channel)


def test_amazon_orders_are_stored_with_their_items_across_every_page(
    server: MarketplaceServer, pipeline: Pipeline
) -> None:
    sleeps: list[float] = []
    poller = poller_for(amazon_channel(server), pipeline, clock=lambda: FIXED_NOW, sleep=sleeps.append)
    report = poller.poll_once()

    fixture_orders = fixture("amazon/orders.json")
    assert [t.order_id for t in report.taken] == [o["AmazonOrderId"] for o in fixture_orders["Orders"]]
    assert report.new_documents == 3 and sleeps == []
    assert len(server.calls_to("/orders/v0/orders")) == 2, "three orders, two per page: NextToken followed"
    second_page = server.calls_to("/orders/v0/orders")[1].query
    assert second_page == {"MarketplaceIds": "ATVPDKIKX0DER", "NextToken": "page-2"}
    assert server.calls_to("/orders/v0/orders")[0].query["LastUpdatedAfter"] == "2026-11-22T09:25:00Z", (
        "first poll: 24 h back, less the 5 min overlap"
    )
    assert len(server.calls_to("/auth/o2/token")) == 1, "one LWA exchange serves the whole poll"

    stored = documents(pipeline.sessions)
    assert [(d.channel, d.filename, d.partner) for d in stored] == [
        ("amazon", f"amazon-{o['AmazonOrderId']}.json", "amazon-us") for o in fixture_orders["Orders"]
    ]
    first = stored_json(pipeline.sessions, stored[0].id)
    expected = dict(fixture_orders["Orders"][0]) | {
        "OrderItems": fixture_orders["OrderItems"]["902-3159896-1390916"]
    }
    assert first == expected, "the Order as listed plus OrderItems: both item pages (one item each)"
    assert first["OrderItems"][0]["ItemPrice"]["Amount"] == "25.99"
    assert cursor(pipeline.sessions, "amazon-us", "amazon") == "2026-11-23T07:45:55Z", "newest LastUpdateDate"


def test_the_same_orders_polled_again_are_the_same_documents(
    server: MarketplaceServer, pipeline: Pipeline
) -> None:
    poller = poller_for(amazon_channel(server), pipeline, clock=lambda: FIXED_NOW, sleep=lambda s: None)
    poller.poll_once()
    again = poller.poll_once()

    assert server.calls_to("/orders/v0/orders")[-1].query["LastUpdatedAfter"] == "2026-11-23T07:40:55Z", (
        "from the cursor, less the overlap"
    )
    assert [t.order_id for t in again.taken] == ["112-7628145-8392418"]
    assert again.new_documents == 0 and again.taken[0].duplicate
    assert len(documents(pipeline.sessions)) == 3


def test_an_expired_token_is_renewed_and_a_refused_one_is_renewed_once(
    server: MarketplaceServer, pipeline: Pipeline
) -> None:
    ticker = Ticker()
    poller = poller_for(
        amazon_channel(server), pipeline, clock=lambda: FIXED_NOW, monotonic=ticker, sleep=lambda s: None
    )
    poller.poll_once()
    ticker.now += 3000
    poller.poll_once()
    assert len(server.calls_to("/auth/o2/token")) == 1, "still valid (3600 s, renewed 60 s early)"
    ticker.now += 600
    poller.poll_once()
    assert len(server.calls_to("/auth/o2/token")) == 2, "expired: exchanged again before the call"

    server.revoke_tokens()  # refused before its time (rotated, revoked)
    poller.poll_once()
    assert len(server.calls_to("/auth/o2/token")) == 3
    refused = [
        c for c in server.calls_to("/orders/v0/orders") if c.headers["x-amz-access-token"] == "token-2"
    ]
    assert len(refused) == 2, "the revoked token was tried once, then renewed"


def test_429_waits_for_retry_after_and_5xx_backs_off(server: MarketplaceServer, pipeline: Pipeline) -> None:
    sleeps: list[float] = []
    poller = poller_for(amazon_channel(server), pipeline, clock=lambda: FIXED_NOW, sleep=sleeps.append)
    server.fail_next("/orders/v0/orders", 429, {"Retry-After": "7"})
    server.fail_next("/orders/v0/orders/", 503, times=2)  # the item calls
    report = poller.poll_once()

    assert report.new_documents == 3
    assert sleeps == [7.0, 1.0, 2.0], "Retry-After honoured; then exponential backoff"
    assert len(documents(pipeline.sessions)) == 3


@pytest.mark.parametrize("status", [408, 425])
def test_a_request_timeout_or_too_early_is_sent_again(
    server: MarketplaceServer, pipeline: Pipeline, status: int
) -> None:
    sleeps: list[float] = []
    poller = poller_for(amazon_channel(server), pipeline, clock=lambda: FIXED_NOW, sleep=sleeps.append)
    server.fail_next("/orders/v0/orders", status)
    report = poller.poll_once()

    assert report.new_documents == 3
    assert sleeps == [1.0], "sent again after the first backoff"


def test_a_quota_that_never_clears_fails_the_poll_and_moves_nothing(
    server: MarketplaceServer, pipeline: Pipeline
) -> None:
    poller = poller_for(amazon_channel(server), pipeline, clock=lambda: FIXED_NOW, sleep=lambda s: None)
    server.fail_next("/orders/v0/orders", 429, times=6)
    with pytest.raises(TransportError, match="HTTP 429 after 6 tries") as raised:
        poller.poll_once()
    assert raised.value.retryable
    assert documents(pipeline.sessions) == [] and cursor(pipeline.sessions, "amazon-us", "amazon") is None


def test_refused_credentials_are_an_error_in_gateway_status(
    server: MarketplaceServer, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_LWA_CLIENT_SECRET", "wrong")
    poller = poller_for(amazon_channel(server), pipeline, clock=lambda: FIXED_NOW, sleep=lambda s: None)
    with pytest.raises(MarketplaceAuthError, match="HTTP 401 \\(credentials refused\\)") as raised:
        poller.poll_once()
    assert not raised.value.retryable
    assert len(server.calls_to("/auth/o2/token")) == 1, "a refused login is not hammered"

    job = PollJob("amazon-us", poller.label, 300, poller.poll_once)
    assert not run_one(job, pipeline.sessions, clock=lambda: FIXED_NOW)
    with pipeline.sessions() as session:
        (row,) = status_rows(session)
    assert (row.partner, row.channel, row.failures_in_a_row) == ("amazon-us", "amazon", 1)
    assert row.last_error is not None and "LWA token exchange: HTTP 401" in row.last_error


def test_a_missing_secret_names_its_variable(server: MarketplaceServer, pipeline: Pipeline) -> None:
    channel = amazon_channel(server).model_copy(update={"refresh_token_env": "TEST_NOT_SET"})
    poller = poller_for(channel, pipeline, clock=lambda: FIXED_NOW, sleep=lambda s: None)
    with pytest.raises(ConfigError, match="TEST_NOT_SET is not set"):
        poller.poll_once()


class FailingStore(Pipeline):
    """A pipeline whose store fails at its ``fail_at``-th document: a crash between fetch and store."""

    fail_at = 2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored = 0

    def ingest_stream(
        self,
        source: IO[bytes],
        *,
        channel: str,
        filename: str | None,
        partner: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> IngestOutcome:
        self.stored += 1
        if self.stored == self.fail_at:
            raise OSError("disk gone")
        return super().ingest_stream(source, channel=channel, filename=filename, partner=partner, meta=meta)


def test_a_crash_between_fetch_and_store_loses_nothing(
    server: MarketplaceServer, sessions: sessionmaker[Session], partners: PartnerRegistry, pipeline: Pipeline
) -> None:
    failing = FailingStore(sessions, partners, clock=lambda: FIXED_NOW, validate=False)
    crashing = poller_for(walmart_channel(server), failing, clock=lambda: FIXED_NOW, sleep=lambda s: None)
    with pytest.raises(OSError, match="disk gone"):
        crashing.poll_once()
    assert len(documents(sessions)) == 1
    assert cursor(sessions, "walmart-us", "walmart") is None, (
        "the cursor moves only after every order is stored"
    )

    report = poller_for(
        walmart_channel(server), pipeline, clock=lambda: FIXED_NOW, sleep=lambda s: None
    ).poll_once()
    assert [t.duplicate for t in report.taken] == [True, False, False]
    assert [d.filename for d in documents(sessions)] == [
        "walmart-1796277083968.json",
        "walmart-109007446257350.json",
        "walmart-2856385712345.json",
    ]
    assert cursor(sessions, "walmart-us", "walmart") == "2026-11-23T02:00:00Z"


def test_a_stop_between_orders_keeps_the_cursor(server: MarketplaceServer, pipeline: Pipeline) -> None:
    stop = threading.Event()
    poller = poller_for(walmart_channel(server), pipeline, clock=lambda: FIXED_NOW, sleep=lambda s: None)
    stored: list[int] = []
    original = pipeline.ingest_stream

    def ingest_then_stop(source: IO[bytes], **kwargs: Any) -> IngestOutcome:
        outcome = original(source, **kwargs)
        stored.append(outcome.document_id)
        stop.set()
        return outcome

    pipeline.ingest_stream = ingest_then_stop  # type: ignore[method-assign]
    report = poller.poll_once(stop)
    assert report.stopped and len(stored) == 1
    assert cursor(pipeline.sessions, "walmart-us", "walmart") is None


def test_walmart_orders_are_stored_as_listed_across_every_page(
    server: MarketplaceServer, pipeline: Pipeline
) -> None:
    poller = poller_for(walmart_channel(server), pipeline, clock=lambda: FIXED_NOW, sleep=lambda s: None)
    report = poller.poll_once()

    listed = fixture("walmart/orders.json")["order"]
    assert [t.order_id for t in report.taken] == [o["purchaseOrderId"] for o in listed]
    (token_call,) = server.calls_to("/v3/token")
    assert token_call.body == "grant_type=client_credentials"
    assert token_call.headers["WM_SVC.NAME"] == "Walmart Marketplace"
    pages = server.calls_to("/v3/orders")
    assert [c.query.get("soIndex") for c in pages] == [None, "2"], "nextCursor followed"
    assert pages[0].query == {"createdStartDate": "2026-11-22T09:25:00Z", "limit": "100"}
    assert len({c.headers["WM_QOS.CORRELATION_ID"] for c in server.calls}) == len(server.calls), (
        "fresh per call"
    )

    stored = documents(pipeline.sessions)
    assert [(d.channel, d.partner) for d in stored] == [("walmart", "walmart-us")] * 3
    assert stored_json(pipeline.sessions, stored[0].id) == listed[0]
    with pipeline.sessions() as session:
        raw = storage.document_bytes(session, stored[0].id)
    assert b'"amount":2.40' in raw, "amounts keep their digits: never through float"
    assert cursor(pipeline.sessions, "walmart-us", "walmart") == "2026-11-23T02:00:00Z", "newest orderDate"

    again = poller.poll_once()
    assert [t.duplicate for t in again.taken] == [True], "the newest again (overlap), one document"
    assert server.calls_to("/v3/orders")[-1].query["createdStartDate"] == "2026-11-23T01:55:00Z"
    assert len(server.calls_to("/v3/token")) == 1, "the token (900 s) serves the second poll too"
    assert len(documents(pipeline.sessions)) == 3


def test_walmart_refused_token_is_renewed_once(server: MarketplaceServer, pipeline: Pipeline) -> None:
    poller = poller_for(walmart_channel(server), pipeline, clock=lambda: FIXED_NOW, sleep=lambda s: None)
    poller.poll_once()
    server.revoke_tokens()
    poller.poll_once()
    assert len(server.calls_to("/v3/token")) == 2


def test_the_polled_accounts_come_from_the_profiles_channel_tables(server: MarketplaceServer) -> None:
    amazon = amazon_profile(server)
    amazon["channel"]["poll"] |= {
        "marketplace_ids": ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
        "api_url": "http://127.0.0.1:9/",
    }
    shop: dict[str, Any] = {
        "name": "shop",
        "customer_account": "C1",
        "channel": {"kind": "shopify", "secret_env": "SHOP_SECRET"},
    }
    registry = PartnerRegistry(
        [PartnerProfile.model_validate(p) for p in (amazon, walmart_profile(server), shop)]
    )
    first, second = marketplace_channels(registry)  # the shop sends webhooks: it is not polled
    assert (first.kind, first.partner, first.marketplace_ids) == (
        "amazon",
        "amazon-us",
        ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
    )
    assert (first.base_url, first.refresh_token_env) == ("http://127.0.0.1:9", "TEST_LWA_REFRESH_TOKEN")
    assert (second.kind, second.poll_seconds, second.client_secret_env) == (
        "walmart",
        300,
        "TEST_WALMART_CLIENT_SECRET",
    )
    assert (
        channel_of(
            {
                **walmart_profile(server),
                "channel": {"kind": "walmart", "poll": {"client_id_env": "A", "client_secret_env": "B"}},
            }
        ).base_url
        == "https://marketplace.walmartapis.com"
    )
    refused: dict[str, dict[str, Any]] = {
        "marketplace_ids": {
            **amazon["channel"],
            "poll": {**amazon["channel"]["poll"], "marketplace_ids": []},
        },
        "it is not polled": {**shop["channel"], "poll": walmart_profile(server)["channel"]["poll"]},
        "client_secret_env": {
            "kind": "walmart",
            "poll": {"client_id_env": "A", "client_secret_env": "not a name"},
        },
    }
    for reason, channel in refused.items():
        with pytest.raises(ValidationError, match=reason):
            PartnerProfile.model_validate({**amazon, "channel": channel})


def test_gateway_run_schedules_a_poll_per_configured_marketplace(
    server: MarketplaceServer, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.run.roles import marketplace_jobs

    monkeypatch.setenv("GATEWAY_NOW", FIXED_NOW.isoformat())
    pipeline.partners.add(PartnerProfile.model_validate(walmart_profile(server)))
    (job,) = marketplace_jobs(pipeline, threading.Event())
    assert (job.partner, job.channel, job.every) == ("walmart-us", "walmart", 300)
    assert run_one(job, pipeline.sessions, clock=lambda: FIXED_NOW)
    with pipeline.sessions() as session:
        (row,) = status_rows(session)
    assert row.last_success == "3 orders read, 3 new documents; cursor 2026-11-23T02:00:00Z"


def test_poll_channel_command(
    server: MarketplaceServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.cli.commands import main

    monkeypatch.setenv("GATEWAY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GATEWAY_NOW", FIXED_NOW.isoformat())
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "amazon-us.toml").write_text(
        'name = "amazon-us"\ncustomer_account = "C9101"\nacks = []\n[channel]\nkind = "amazon"\n[channel.poll]\n'
        'client_id_env = "TEST_LWA_CLIENT_ID"\nclient_secret_env = "TEST_LWA_CLIENT_SECRET"\n'
        f'refresh_token_env = "TEST_LWA_REFRESH_TOKEN"\nmarketplace_ids = ["ATVPDKIKX0DER"]\n'
        f'api_url = "{server.base}"\nlwa_url = "{server.base}"\n'
    )
    monkeypatch.setenv("GATEWAY_PARTNERS_DIR", str(profiles))
    cli = CliRunner()

    result = cli.invoke(main, ["poll-channel", "amazon-us", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert [o["duplicate"] for o in answer["orders"]] == [False, False, False]
    assert answer["cursor"] == "2026-11-23T07:45:55+00:00"

    unknown = cli.invoke(main, ["poll-channel", "nobody"])
    assert unknown.exit_code == 2 and "[channel.poll]" in unknown.output

    monkeypatch.setenv("TEST_LWA_CLIENT_SECRET", "wrong")
    server.revoke_tokens()
    refused = cli.invoke(main, ["poll-channel", "amazon-us"])
    assert refused.exit_code == 1 and "credentials refused" in refused.output
    status = cli.invoke(main, ["status"])
    assert "amazon-us" in status.output and "credentials refused" in status.output


def test_poller_is_one_class_for_both(server: MarketplaceServer, pipeline: Pipeline) -> None:
    for channel in (amazon_channel(server), walmart_channel(server)):
        assert isinstance(poller_for(channel, pipeline, clock=lambda: FIXED_NOW), MarketplacePoller)


def test_a_lost_connection_is_tried_again_then_reported(
    server: MarketplaceServer, pipeline: Pipeline
) -> None:
    sleeps: list[float] = []
    closed = MarketplaceServer()
    closed.stop()  # nothing listens on its port any more
    channel = walmart_channel(server).model_copy(update={"api_url": closed.base, "max_attempts": 4})
    poller = poller_for(channel, pipeline, clock=lambda: FIXED_NOW, sleep=sleeps.append)
    with pytest.raises(TransportError, match="token request: ConnectError") as raised:
        poller.poll_once()
    assert raised.value.retryable and sleeps == [1.0, 2.0, 4.0]


def test_a_stop_during_a_backoff_ends_the_poll_at_once(server: MarketplaceServer, pipeline: Pipeline) -> None:
    stop = threading.Event()
    stop.set()
    poller = poller_for(amazon_channel(server), pipeline, clock=lambda: FIXED_NOW, stop=stop)
    server.fail_next("/orders/v0/orders", 429, {"Retry-After": "3600"})
    with pytest.raises(TransportError, match="stopped while waiting"):
        poller.poll_once(stop)
    assert documents(pipeline.sessions) == []
