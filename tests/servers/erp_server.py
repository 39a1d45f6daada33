"""A loopback HTTP server standing in for the ERP: scripted replies, every request kept.

It can also play SAP Business One's Service Layer session: with ``sap_login`` set, ``POST
.../Login`` with those credentials opens a session (a ``B1SESSION`` cookie), and any other request
without a live session is answered 401 as the Service Layer does.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes | None = None  # None: {"status": <status>}
    content_type: str = "application/json"


@dataclass
class Call:
    """One request as the server saw it."""

    method: str
    path: str  # with its query, percent-encoded as sent
    headers: dict[str, str]
    body: bytes


SAP_INVALID_SESSION = json.dumps(
    {
        "error": {
            "code": 301,
            "message": {"lang": "en-us", "value": "Invalid session or session already timeout."},
        }
    }
).encode()


class ErpServer:
    """A loopback HTTP server answering POST, PATCH, PUT and DELETE with scripted replies (the last one
    repeats), and GET (a look-up) with ``listing`` when set, else ``{"value": found}``."""

    def __init__(self) -> None:
        self.reset()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _scripted(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                server.calls.append(Call(self.command, self.path, dict(self.headers.items()), body))
                if server.sap_login is not None and self._sap_session(body):
                    return
                if self.command == "POST":
                    server.requests.append((dict(self.headers.items()), body))
                reply = server.replies.pop(0) if len(server.replies) > 1 else server.replies[0]
                time.sleep(reply.delay)
                payload = (
                    reply.body if reply.body is not None else json.dumps({"status": reply.status}).encode()
                )
                self._answer(reply.status, payload, reply.headers, reply.content_type)

            def _sap_session(self, body: bytes) -> bool:
                """Answer a login, or a request outside a live session; False lets the script answer."""
                if self.path.split("?")[0].endswith("/Login"):
                    if json.loads(body or b"{}") != server.sap_login:
                        self._answer(
                            401, SAP_INVALID_SESSION.replace(b"Invalid session", b"Fail to login"), {}
                        )
                        return True
                    session = str(uuid.uuid4())
                    server.sessions.add(session)
                    server.logins += 1
                    cookie = {"Set-Cookie": f"B1SESSION={session}; HttpOnly; Path=/b1s/v1"}
                    self._answer(
                        200, json.dumps({"SessionId": session, "SessionTimeout": 30}).encode(), cookie
                    )
                    return True
                if server.expire_next:
                    server.expire_next -= 1
                    server.sessions.clear()
                jar: SimpleCookie = SimpleCookie(self.headers.get("Cookie", ""))
                if "B1SESSION" not in jar or jar["B1SESSION"].value not in server.sessions:
                    self._answer(401, SAP_INVALID_SESSION, {})
                    return True
                return False

            def _answer(
                self,
                status: int,
                payload: bytes,
                headers: dict[str, str],
                content_type: str = "application/json",
            ) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except BrokenPipeError:  # the client timed out on purpose
                    pass

            do_POST = do_PATCH = do_PUT = do_DELETE = _scripted

            def do_GET(self) -> None:
                server.calls.append(Call("GET", self.path, dict(self.headers.items()), b""))
                if server.sap_login is not None and self._sap_session(b""):
                    return
                listing = server.listing() if server.listing else json.dumps({"value": server.found}).encode()
                self._answer(200, listing, {})

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.url = f"{self.base}/services/rest/record/v1/salesOrder"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        """As new: one server can serve a whole test module."""
        self.replies: list[Reply] = [Reply(201)]
        self.requests: list[tuple[dict[str, str], bytes]] = []  # the POSTs (not the logins)
        self.calls: list[Call] = []  # every request, look-ups and logins too
        self.found: list[dict[str, Any]] = []
        self.listing: Callable[[], bytes] | None = None  # a vendor's own look-up answer, made when asked
        self.sap_login: dict[str, str] | None = None  # the credentials that open a session
        self.sessions: set[str] = set()  # the live B1SESSION ids
        self.logins = 0  # accepted logins
        self.expire_next = 0  # this many of the next requests find their session timed out

    def end_sessions(self) -> None:
        """Every SAP session times out (the next request is answered 401)."""
        self.sessions.clear()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
