"""A loopback HTTP server standing in for the ERP: scripted replies, every request kept."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Call:
    """One request as the server saw it."""

    method: str
    path: str  # with its query, percent-encoded as sent
    headers: dict[str, str]
    body: bytes


class ErpServer:
    """A loopback HTTP server answering POST, PATCH and DELETE with scripted replies (the last one
    repeats), and GET (a look-up by ``$filter``) with ``{"value": found}``."""

    def __init__(self) -> None:
        self.replies: list[Reply] = [Reply(201)]
        self.requests: list[tuple[dict[str, str], bytes]] = []  # the POSTs
        self.calls: list[Call] = []  # every request, look-ups too
        self.found: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _scripted(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                server.calls.append(Call(self.command, self.path, dict(self.headers.items()), body))
                if self.command == "POST":
                    server.requests.append((dict(self.headers.items()), body))
                reply = server.replies.pop(0) if len(server.replies) > 1 else server.replies[0]
                time.sleep(reply.delay)
                self._answer(reply.status, json.dumps({"status": reply.status}).encode(), reply.headers)

            def _answer(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except BrokenPipeError:  # the client timed out on purpose
                    pass

            do_POST = do_PATCH = do_DELETE = _scripted

            def do_GET(self) -> None:
                server.calls.append(Call("GET", self.path, dict(self.headers.items()), b""))
                self._answer(200, json.dumps({"value": server.found}).encode(), {})

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.url = f"{self.base}/services/rest/record/v1/salesOrder"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
