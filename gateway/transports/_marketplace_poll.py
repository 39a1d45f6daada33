"""One poll of a marketplace: read its orders from the cursor on, store each, only then move the cursor.

A marketplace's own module (``amazon_orders``, ``walmart_orders``) says how orders are read:
``MarketplaceOrders.orders(since)`` yields each order's id, its JSON bytes and the instant it
moves the cursor to. ``MarketplacePoller.poll_once`` stores every order through the pipeline (the
same bytes twice are one document, by content hash) and saves the cursor, the newest instant
seen, only after the last one is stored. A crash, a stop or an API failure before that leaves the
cursor where it was: the next poll asks again, and what was stored already comes back a
duplicate. Each poll asks ``overlap_seconds`` before its cursor, so an order that became
visible late is still read.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Protocol

from gateway import storage
from gateway.errors import TransportError
from gateway.inbound.pipeline import Pipeline
from gateway.transports.marketplace_channel import MarketplaceChannel


@dataclass(frozen=True, slots=True)
class MarketplaceOrder:
    """One order as read: its marketplace id, the bytes to store, and when it was last changed or made."""

    order_id: str
    raw: bytes
    at: datetime


class MarketplaceOrders(Protocol):
    """Reads one marketplace's orders changed (or made) since an instant, every page of them."""

    def orders(self, since: datetime) -> Iterator[MarketplaceOrder]: ...


@dataclass(frozen=True, slots=True)
class TakenOrder:
    order_id: str
    document_id: int
    duplicate: bool


@dataclass(slots=True)
class MarketplacePollReport:
    """One poll: the orders stored (new or already there) and the cursor it started from and left."""

    since: datetime
    cursor: datetime
    taken: list[TakenOrder] = field(default_factory=list)
    stopped: bool = False

    @property
    def new_documents(self) -> int:
        return sum(not t.duplicate for t in self.taken)

    def __str__(self) -> str:
        text = f"{len(self.taken)} orders read, {self.new_documents} new documents; cursor {iso(self.cursor)}"
        if self.stopped:
            text += " (stopped early: cursor not moved)"
        return text


def iso(instant: datetime) -> str:
    """UTC ISO 8601 with a Z, the form both marketplaces take: ``2026-11-23T09:30:00Z``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant as the APIs write them (``Z`` or an offset); a naive one is UTC."""
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


class MarketplacePoller:
    """Takes one marketplace account's new and changed orders into the pipeline."""

    def __init__(
        self,
        channel: MarketplaceChannel,
        source: MarketplaceOrders,
        pipeline: Pipeline,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.channel = channel
        self._source = source
        self._pipeline = pipeline
        self._clock = clock

    @property
    def label(self) -> str:
        """The stored documents' channel and the transport status row: ``amazon`` or ``walmart``."""
        return self.channel.kind

    def poll_once(self, stop: threading.Event | None = None) -> MarketplacePollReport:
        """One pass over every page, ended early between orders once ``stop`` is set.

        Raises ``TransportError`` (``MarketplaceAuthError`` for refused credentials) when the
        marketplace cannot be read; what was stored before stays stored, the cursor stays put.
        """
        cursor = self._cursor()
        since = cursor - timedelta(seconds=self.channel.overlap_seconds)
        report = MarketplacePollReport(since=since, cursor=cursor)
        newest = cursor
        for order in self._source.orders(since):
            if stop is not None and stop.is_set():
                report.stopped = True
                return report
            outcome = self._pipeline.ingest_stream(
                io.BytesIO(order.raw),
                channel=self.label,
                filename=f"{self.label}-{order.order_id}.json",
                partner=self.channel.partner,
            )
            report.taken.append(TakenOrder(order.order_id, outcome.document_id, outcome.duplicate))
            newest = max(newest, order.at)
        if newest != cursor:  # only now: every order up to it is stored
            with self._pipeline.sessions() as session, session.begin():
                storage.save_poll_cursor(
                    session, self.channel.partner, self.label, iso(newest), at=self._clock()
                )
        report.cursor = newest
        return report

    def _cursor(self) -> datetime:
        with self._pipeline.sessions() as session:
            saved = storage.poll_cursor(session, self.channel.partner, self.label)
        if saved is None:
            return self._clock() - timedelta(hours=self.channel.lookback_hours)
        try:
            return parse_instant(saved)
        except ValueError as exc:
            raise TransportError(
                f"{self.label} cursor of {self.channel.partner} is not an instant: {saved!r}", retryable=False
            ) from exc
