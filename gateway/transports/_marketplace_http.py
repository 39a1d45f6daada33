"""The HTTP side every marketplace poller shares: retries on 429 and 5xx, a refused login, a cached token.

``MarketplaceHttp.send`` repeats a request that got 429 (after its ``Retry-After``, else an
exponential backoff), a 5xx or a lost connection, up to ``max_attempts`` tries; a 401 or 403 is
``MarketplaceAuthError`` (the credentials are wrong or revoked: not retried, alert-worthy); any
other 4xx is a ``TransportError`` naming the status and the vendor's message. ``AccessToken``
holds one access token until shortly before it expires.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from typing import ClassVar

import httpx

from gateway.errors import TransportError
from gateway.outbound.http_status import worth_retrying
from gateway.transports.marketplace_channel import MarketplaceChannel

_FIRST_BACKOFF_SECONDS = 1.0
_EARLY_SECONDS = 60.0  # a token is renewed this long before its stated expiry
_MESSAGE_LIMIT = 300


class MarketplaceAuthError(TransportError):
    """The marketplace refused our credentials or token (401/403): repeating cannot help."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class MarketplaceHttp:
    """Requests to one marketplace, repeated while repeating can help."""

    def __init__(
        self,
        name: str,
        client: httpx.Client,
        *,
        max_attempts: int,
        max_backoff_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``sleep`` waits between tries (a stop-aware wait in the poller; a recorder in tests)."""
        self._name = name
        self._client = client
        self._max_attempts = max_attempts
        self._max_backoff = max_backoff_seconds
        self._sleep = sleep

    def send(
        self,
        method: str,
        url: str,
        *,
        doing: str,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """The response of a request that succeeded (2xx); ``doing`` names it in errors."""
        for attempt in range(1, self._max_attempts + 1):
            last = attempt == self._max_attempts
            try:
                response = self._client.request(
                    method, url, headers=headers, params=params, data=data, auth=auth
                )
            except httpx.TransportError as exc:  # refused, reset, timed out: the request may go again
                if last:
                    raise TransportError(f"{self._name}: {doing}: {type(exc).__name__}: {exc}") from exc
                self._sleep(self._backoff(attempt))
                continue
            status = response.status_code
            if status < 300:
                return response
            if status in (401, 403):
                raise MarketplaceAuthError(
                    f"{self._name}: {doing}: HTTP {status} (credentials refused): {_message(response)}"
                )
            if worth_retrying(status):
                if last:
                    raise TransportError(
                        f"{self._name}: {doing}: HTTP {status} after {attempt} tries: {_message(response)}"
                    )
                self._sleep(self._delay(response, attempt))
                continue
            raise TransportError(
                f"{self._name}: {doing}: HTTP {status}: {_message(response)}", retryable=False
            )
        raise AssertionError("unreachable: the last try returns or raises")

    def get_authorized(
        self,
        url: str,
        *,
        doing: str,
        token: AccessToken,
        headers: Callable[[str], Mapping[str, str]],
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """GET with ``headers(access token)``; a token refused before its time is renewed once."""
        for renewed in (False, True):
            sent = headers(token.get())  # a token endpoint refusing our credentials is not tried twice
            try:
                return self.send("GET", url, doing=doing, headers=sent, params=params)
            except MarketplaceAuthError:
                if renewed:
                    raise
                token.forget()
        raise AssertionError("unreachable: the second try returns or raises")

    def _delay(self, response: httpx.Response, attempt: int) -> float:
        """``Retry-After`` in seconds when the server gives one, else the backoff; never above the cap."""
        given = response.headers.get("Retry-After", "").strip()
        try:
            seconds = float(given)
        except ValueError:
            return self._backoff(attempt)
        return min(max(seconds, 0.0), self._max_backoff)

    def _backoff(self, attempt: int) -> float:
        return float(min(_FIRST_BACKOFF_SECONDS * 2 ** (attempt - 1), self._max_backoff))


def _message(response: httpx.Response) -> str:
    return " ".join(response.text.split())[:_MESSAGE_LIMIT] or "(no body)"


def response_json(response: httpx.Response, doing: str) -> Any:
    """The body as JSON, numbers with a fraction as ``Decimal`` (never float); not JSON is a ``TransportError``."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise TransportError(f"{doing}: the answer is not JSON: {exc}", retryable=False) from exc


def response_object(response: httpx.Response, doing: str, key: str) -> dict[str, Any]:
    """The JSON object under ``key`` of the body (``payload``, ``list``); anything else is a ``TransportError``."""
    body = response_json(response, doing)
    found = body.get(key) if isinstance(body, dict) else None
    if not isinstance(found, dict):
        raise TransportError(f"{doing}: the answer has no {key} object", retryable=False)
    return found


class AccessToken:
    """One access token, fetched by ``fetch`` (token, seconds valid) and kept until shortly before expiry."""

    def __init__(
        self, fetch: Callable[[], tuple[str, float]], monotonic: Callable[[], float] = time.monotonic
    ):
        self._fetch = fetch
        self._monotonic = monotonic
        self._token: str | None = None
        self._until = 0.0

    def get(self) -> str:
        if self._token is None or self._monotonic() >= self._until:
            asked = self._monotonic()
            token, seconds = self._fetch()
            self._token, self._until = token, asked + max(seconds - _EARLY_SECONDS, 0.0)
        return self._token

    def forget(self) -> None:
        """Drop the token (the API refused it before its time): the next ``get`` fetches one."""
        self._token = None


def token_reply(response: httpx.Response, doing: str) -> tuple[str, float]:
    """``access_token`` and ``expires_in`` of an OAuth token endpoint's answer (LWA and Walmart alike)."""
    body = response_json(response, doing)
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise TransportError(f"{doing}: the answer holds no access_token", retryable=False)
    expires = body.get("expires_in", 0)
    try:
        seconds = float(expires)
    except (TypeError, ValueError):
        seconds = 0.0
    return token, seconds


def stop_aware_sleep(stop: threading.Event | None) -> Callable[[float], None]:
    """Waits out a backoff, or raises ``TransportError`` at once when ``stop`` is set."""

    def wait(seconds: float) -> None:
        if stop is None:
            time.sleep(seconds)
        elif stop.wait(seconds):
            raise TransportError("stopped while waiting to try again")

    return wait


class MarketplaceReader:
    """What a marketplace's order reader holds: its channel, its HTTP with retries, its access token.

    A subclass sets ``kind`` and says how a token is fetched (``fetch_token``).
    """

    kind: ClassVar[str]

    def __init__(
        self,
        channel: MarketplaceChannel,
        client: httpx.Client,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if channel.kind != self.kind:
            raise ValueError(f"{channel.partner}: a {channel.kind} channel, not {self.kind}")
        self._channel = channel
        self._http = MarketplaceHttp(
            f"{channel.kind} ({channel.partner})",
            client,
            max_attempts=channel.max_attempts,
            max_backoff_seconds=channel.max_backoff_seconds,
            sleep=sleep,
        )
        self._token = AccessToken(self.fetch_token, monotonic)

    def fetch_token(self) -> tuple[str, float]:
        """A new access token and how many seconds it is valid."""
        raise NotImplementedError
