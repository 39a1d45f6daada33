"""The marketplace pollers' front door: a poller for a ``MarketplaceChannel``, whichever its kind."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

import httpx

from gateway.inbound.pipeline import Pipeline
from gateway.transports._marketplace_http import stop_aware_sleep
from gateway.transports._marketplace_poll import MarketplaceOrders
from gateway.transports._marketplace_poll import MarketplacePoller as MarketplacePoller
from gateway.transports._marketplace_poll import MarketplacePollReport as MarketplacePollReport
from gateway.transports.amazon_orders import AmazonOrders
from gateway.transports.marketplace_channel import MarketplaceChannel as MarketplaceChannel
from gateway.transports.walmart_orders import WalmartOrders


def poller_for(
    channel: MarketplaceChannel,
    pipeline: Pipeline,
    *,
    clock: Callable[[], datetime],
    stop: threading.Event | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
) -> MarketplacePoller:
    """A poller with its own HTTP client; waits between tries end early once ``stop`` is set."""
    client = httpx.Client(timeout=channel.timeout_seconds)
    wait = sleep or stop_aware_sleep(stop)
    reader: MarketplaceOrders
    if channel.kind == "amazon":
        reader = AmazonOrders(channel, client, sleep=wait, monotonic=monotonic)
    else:
        reader = WalmartOrders(channel, client, sleep=wait, monotonic=monotonic)
    return MarketplacePoller(channel, reader, pipeline, clock=clock)
