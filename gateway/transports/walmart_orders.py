"""Walmart Marketplace Orders API: the purchase orders created since an instant, every page.

``GET /v3/orders?createdStartDate=..&limit=..`` answers ``list.elements.order[]`` and, when more
wait, ``list.meta.nextCursor``: a query string (``?limit=..&hasMoreElements=true&soIndex=..``)
appended to ``/v3/orders`` for the next page. What is stored per order is one ``order`` object
exactly as listed. Calls carry ``WM_SEC.ACCESS_TOKEN`` (from ``POST /v3/token``,
``grant_type=client_credentials`` with the client id and secret as basic auth), ``WM_SVC.NAME``
and a fresh ``WM_QOS.CORRELATION_ID``; the token is kept until shortly before it expires (Walmart
gives 900 s) and fetched anew when the API refuses it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from emitters import json_bytes
from gateway.errors import TransportError
from gateway.transports._marketplace_http import MarketplaceReader
from gateway.transports._marketplace_http import response_object
from gateway.transports._marketplace_http import token_reply
from gateway.transports._marketplace_poll import MarketplaceOrder
from gateway.transports._marketplace_poll import iso

ORDERS_PATH = "/v3/orders"


class WalmartOrders(MarketplaceReader):
    """Reads one seller's purchase orders from the Walmart Marketplace Orders API."""

    kind = "walmart"

    def orders(self, since: datetime) -> Iterator[MarketplaceOrder]:
        url = self._channel.base_url + ORDERS_PATH
        params: dict[str, str] | None = {
            "createdStartDate": iso(since),
            "limit": str(self._channel.page_size),
        }
        while True:
            listing = response_object(self._get(url, params), "list orders", "list")
            for order in _orders(listing):
                order_id = order.get("purchaseOrderId") if isinstance(order, dict) else None
                if not isinstance(order_id, str | int) or not str(order_id):
                    raise TransportError("list orders: an order without purchaseOrderId", retryable=False)
                yield MarketplaceOrder(str(order_id), json_bytes(order), _created_at(order, since))
            meta = listing.get("meta")
            cursor = meta.get("nextCursor") if isinstance(meta, dict) else None
            if not isinstance(cursor, str) or not cursor:
                return
            url = self._channel.base_url + ORDERS_PATH + (cursor if cursor.startswith("?") else "?" + cursor)
            params = None

    def _get(self, url: str, params: dict[str, str] | None) -> httpx.Response:
        return self._http.get_authorized(
            url,
            doing="list orders",
            token=self._token,
            headers=lambda token: self._headers() | {"WM_SEC.ACCESS_TOKEN": token},
            params=params,
        )

    def _headers(self) -> dict[str, str]:
        return {
            "WM_SVC.NAME": self._channel.service_name,
            "WM_QOS.CORRELATION_ID": str(uuid.uuid4()),
            "Accept": "application/json",
        }

    def fetch_token(self) -> tuple[str, float]:
        channel = self._channel
        doing = "token request"
        response = self._http.send(
            "POST",
            channel.base_url + "/v3/token",
            doing=doing,
            headers=self._headers(),
            data={"grant_type": "client_credentials"},
            auth=(channel.secret(channel.client_id_env), channel.secret(channel.client_secret_env)),
        )
        return token_reply(response, doing)


def _orders(listing: dict[str, Any]) -> list[Any]:
    elements = listing.get("elements") or {}
    found = elements.get("order", []) if isinstance(elements, dict) else None
    if not isinstance(found, list):
        raise TransportError("list orders: list.elements.order is not a list", retryable=False)
    return found


def _created_at(order: dict[str, Any], since: datetime) -> datetime:
    """``orderDate`` (milliseconds since 1970, UTC); an order without one leaves the cursor alone."""
    millis = order.get("orderDate")
    if isinstance(millis, int | Decimal) and not isinstance(millis, bool):
        return datetime.fromtimestamp(int(millis) / 1000, tz=UTC)
    return since
