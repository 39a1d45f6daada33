"""A loopback HTTP server standing in for Amazon (LWA and SP-API Orders v0) and Walmart Marketplace.

It serves the orders it is given, page by page (``NextToken``, ``nextCursor``), filtered by the
lower bound the client asks from; it issues tokens and refuses calls without a live one (401);
``fail_next`` scripts failures (429 with ``Retry-After``, 5xx) before the real answer. Every
request is kept in ``calls``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import unquote
from urllib.parse import urlsplit

AMAZON_CLIENT = ("amzn1.application-oa2-client.test", "lwa-secret", "Atzr|refresh-test")
WALMART_CLIENT = ("walmart-client-id", "walmart-client-secret")


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str


@dataclass
class Failure:
    prefix: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)


def json_text(value: Any) -> str:
    """JSON with each ``Decimal`` written with its own digits (``2.40``), as the vendors write amounts."""
    marked = json.dumps(value, default=lambda d: f"\0{d}\0" if isinstance(d, Decimal) else d)
    return re.sub(r'"\\u0000([-0-9.eE+]+)\\u0000"', r"\1", marked)


def _instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


class MarketplaceServer:
    """Both marketplaces on one loopback port; ``base`` is the URL of all of it."""

    def __init__(self) -> None:
        self.amazon_orders: list[dict[str, Any]] = []
        self.amazon_items: dict[str, list[dict[str, Any]]] = {}
        self.walmart_orders: list[dict[str, Any]] = []
        self._amazon_matching: list[dict[str, Any]] = []  # the orders the last first page's filter matched
        self.page_size = 2  # orders per page (Amazon and Walmart)
        self.items_page_size = 1
        self.expires_in = 3600
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.live_tokens: set[str] = set()
        self.issued = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                split = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
                with server.lock:
                    server.calls.append(
                        Call(self.command, split.path, query, dict(self.headers.items()), body)
                    )
                    failure = next((f for f in server.failures if split.path.startswith(f.prefix)), None)
                    if failure is not None:
                        server.failures.remove(failure)
                        self._answer(failure.status, {"errors": [{"code": "QuotaExceeded"}]}, failure.headers)
                        return
                    status, payload = server.route(self.command, split.path, query, self.headers, body)
                self._answer(status, payload, {})

            def _answer(self, status: int, payload: Any, headers: dict[str, str]) -> None:
                data = json_text(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail_next(
        self, prefix: str, status: int, headers: dict[str, str] | None = None, times: int = 1
    ) -> None:
        """The next ``times`` requests whose path starts with ``prefix`` get ``status``."""
        with self.lock:
            self.failures.extend(Failure(prefix, status, headers or {}) for _ in range(times))

    def revoke_tokens(self) -> None:
        with self.lock:
            self.live_tokens.clear()

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    # -- the routes (called under the lock) ------------------------------------------------------

    def route(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: str
    ) -> tuple[int, Any]:
        form = {k: v[0] for k, v in parse_qs(body).items()}
        if method == "POST" and path == "/auth/o2/token":
            return self._lwa(form)
        if method == "POST" and path == "/v3/token":
            return self._walmart_token(form, headers)
        if method == "GET" and path == "/orders/v0/orders":
            return self._amazon_orders(query, headers)
        if method == "GET" and path.startswith("/orders/v0/orders/") and path.endswith("/orderItems"):
            return self._amazon_items(unquote(path.split("/")[4]), query, headers)
        if method == "GET" and path == "/v3/orders":
            return self._walmart_orders(query, headers)
        return 404, {"errors": [{"code": "NotFound", "message": path}]}

    def _issue(self) -> dict[str, Any]:
        self.issued += 1
        token = f"token-{self.issued}"
        self.live_tokens.add(token)
        return {"access_token": token, "token_type": "bearer", "expires_in": self.expires_in}

    def _lwa(self, form: dict[str, str]) -> tuple[int, Any]:
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        if (form.get("client_id"), form.get("client_secret"), form.get("refresh_token")) != AMAZON_CLIENT:
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        return 200, self._issue() | {"refresh_token": AMAZON_CLIENT[2]}

    def _walmart_token(self, form: dict[str, str], headers: Any) -> tuple[int, Any]:
        if not headers.get("WM_SVC.NAME") or not headers.get("WM_QOS.CORRELATION_ID"):
            return 400, {"error": [{"code": "INVALID_REQUEST_HEADER.GMP_GATEWAY_API"}]}
        expected = "Basic " + base64.b64encode(":".join(WALMART_CLIENT).encode()).decode()
        if headers.get("Authorization") != expected:
            return 401, {"error": [{"code": "UNAUTHORIZED.GMP_GATEWAY_API"}]}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": [{"code": "INVALID_REQUEST"}]}
        return 200, self._issue()

    def _authorized(self, token: str | None) -> bool:
        return token is not None and token in self.live_tokens

    def _amazon_orders(self, query: dict[str, str], headers: Any) -> tuple[int, Any]:
        if not self._authorized(headers.get("x-amz-access-token")):
            return 401, {
                "errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied."}]
            }
        if not query.get("MarketplaceIds"):
            return 400, {"errors": [{"code": "InvalidInput", "message": "MarketplaceIds is required"}]}
        if "NextToken" in query:
            start = int(query["NextToken"].removeprefix("page-"))
            matching = self._amazon_matching
        else:
            if "LastUpdatedAfter" not in query:
                return 400, {
                    "errors": [{"code": "InvalidInput", "message": "LastUpdatedAfter or CreatedAfter"}]
                }
            since = _instant(query["LastUpdatedAfter"])
            self._amazon_matching = [o for o in self.amazon_orders if _instant(o["LastUpdateDate"]) >= since]
            matching, start = self._amazon_matching, 0
        page = matching[start : start + self.page_size]
        payload: dict[str, Any] = {"Orders": page}
        if start + self.page_size < len(matching):
            payload["NextToken"] = f"page-{start + self.page_size}"
        return 200, {"payload": payload}

    def _amazon_items(self, order_id: str, query: dict[str, str], headers: Any) -> tuple[int, Any]:
        if not self._authorized(headers.get("x-amz-access-token")):
            return 401, {"errors": [{"code": "Unauthorized"}]}
        items = self.amazon_items.get(order_id, [])
        start = int(query.get("NextToken", "items-0").removeprefix("items-"))
        payload: dict[str, Any] = {
            "AmazonOrderId": order_id,
            "OrderItems": items[start : start + self.items_page_size],
        }
        if start + self.items_page_size < len(items):
            payload["NextToken"] = f"items-{start + self.items_page_size}"
        return 200, {"payload": payload}

    def _walmart_orders(self, query: dict[str, str], headers: Any) -> tuple[int, Any]:
        if not self._authorized(headers.get("WM_SEC.ACCESS_TOKEN")):
            return 401, {"errors": {"error": [{"code": "UNAUTHORIZED.GMP_GATEWAY_API"}]}}
        if not headers.get("WM_SVC.NAME") or not headers.get("WM_QOS.CORRELATION_ID"):
            return 400, {"errors": {"error": [{"code": "INVALID_REQUEST_HEADER.GMP_GATEWAY_API"}]}}
        if "createdStartDate" not in query:
            return 400, {
                "errors": {"error": [{"code": "INVALID_REQUEST_PARAM", "field": "createdStartDate"}]}
            }
        since = _instant(query["createdStartDate"]).timestamp() * 1000
        limit = int(query.get("limit", "10"))
        start = int(query.get("soIndex", "0"))
        matching = [o for o in self.walmart_orders if o["orderDate"] >= since]
        page = matching[start : start + min(limit, self.page_size)]
        end = start + len(page)
        more = end < len(matching)
        cursor = (
            f"?limit={limit}&hasMoreElements=true&soIndex={end}&createdStartDate={query['createdStartDate']}"
            if more
            else None
        )
        meta = {"totalCount": len(matching), "limit": limit, "nextCursor": cursor}
        return 200, {"list": {"meta": meta, "elements": {"order": page}}}
