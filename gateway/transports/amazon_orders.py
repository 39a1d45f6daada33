"""Amazon Selling Partner API, Orders v0: the orders changed since an instant, each with its items.

``getOrders`` (``GET /orders/v0/orders?MarketplaceIds=..&LastUpdatedAfter=..``, then by
``NextToken``) lists the orders; ``getOrderItems`` (``GET /orders/v0/orders/{id}/orderItems``, by
``NextToken`` too) their items. What is stored per order is the ``Order`` object exactly as
``getOrders`` gave it plus one key, ``"OrderItems"``: every page of ``payload.OrderItems``.
Calls carry ``x-amz-access-token``, an LWA access token (``POST {lwa}/auth/o2/token``,
``grant_type=refresh_token``) kept until shortly before it expires and fetched anew when the API
refuses it. ``gateway.transports.marketplaces.poller_for`` wires it into a poller.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from emitters import json_bytes
from gateway.errors import TransportError
from gateway.transports._marketplace_http import MarketplaceReader
from gateway.transports._marketplace_http import response_object
from gateway.transports._marketplace_http import token_reply
from gateway.transports._marketplace_poll import MarketplaceOrder
from gateway.transports._marketplace_poll import iso
from gateway.transports._marketplace_poll import parse_instant


class AmazonOrders(MarketplaceReader):
    """Reads one seller's orders from SP-API Orders v0."""

    kind = "amazon"

    def orders(self, since: datetime) -> Iterator[MarketplaceOrder]:
        ids = ",".join(self._channel.marketplace_ids)
        params = {"MarketplaceIds": ids, "LastUpdatedAfter": iso(since)}
        while True:
            payload = response_object(
                self._get("/orders/v0/orders", params, "getOrders"), "getOrders", "payload"
            )
            for order in _list(payload, "Orders", "getOrders"):
                order_id = order.get("AmazonOrderId") if isinstance(order, dict) else None
                if not isinstance(order_id, str) or not order_id:
                    raise TransportError("getOrders: an order without AmazonOrderId", retryable=False)
                stored = dict(order)
                stored["OrderItems"] = self._items(order_id)
                yield MarketplaceOrder(order_id, json_bytes(stored), _changed_at(order, since))
            token = payload.get("NextToken")
            if not token:
                return
            params = {"MarketplaceIds": ids, "NextToken": token}

    def _items(self, order_id: str) -> list[Any]:
        path = f"/orders/v0/orders/{quote(order_id, safe='')}/orderItems"
        doing = f"getOrderItems {order_id}"
        items: list[Any] = []
        params: dict[str, str] = {}
        while True:
            payload = response_object(self._get(path, params, doing), doing, "payload")
            items.extend(_list(payload, "OrderItems", doing))
            token = payload.get("NextToken")
            if not token:
                return items
            params = {"NextToken": token}

    def _get(self, path: str, params: dict[str, str], doing: str) -> httpx.Response:
        return self._http.get_authorized(
            self._channel.base_url + path,
            doing=doing,
            token=self._token,
            headers=lambda token: {"x-amz-access-token": token, "Accept": "application/json"},
            params=params,
        )

    def fetch_token(self) -> tuple[str, float]:
        channel = self._channel
        assert channel.refresh_token_env is not None  # the channel's validator requires it
        doing = "LWA token exchange"
        response = self._http.send(
            "POST",
            channel.lwa_url.rstrip("/") + "/auth/o2/token",
            doing=doing,
            data={
                "grant_type": "refresh_token",
                "refresh_token": channel.secret(channel.refresh_token_env),
                "client_id": channel.secret(channel.client_id_env),
                "client_secret": channel.secret(channel.client_secret_env),
            },
        )
        return token_reply(response, doing)


def _list(payload: dict[str, Any], key: str, doing: str) -> list[Any]:
    found = payload.get(key, [])
    if not isinstance(found, list):
        raise TransportError(f"{doing}: payload.{key} is not a list", retryable=False)
    return found


def _changed_at(order: dict[str, Any], since: datetime) -> datetime:
    """``LastUpdateDate`` (else ``PurchaseDate``); an order that has neither leaves the cursor alone."""
    for key in ("LastUpdateDate", "PurchaseDate"):
        text = order.get(key)
        if isinstance(text, str):
            try:
                return parse_instant(text)
            except ValueError:
                continue
    return since
