"""The desk's web safety: the secret key, the session cookie, CSRF, security headers and safe redirects.

- The secret key is ``$GATEWAY_SECRET_KEY``, else a random key made once per install and kept
  in ``<data home>/desk-secret-key`` (mode 0600). It is read when the first desk request needs
  a session, so building the app (for the API or AS2 alone) writes nothing.
- The session cookie is HttpOnly, SameSite=Lax, and Secure when ``SESSION_COOKIE_SECURE`` is set
  (``GATEWAY_SECURE_COOKIES=1``) or the request came over https. The API and the AS2 endpoint
  get no session at all, and are exempt from CSRF (they authenticate otherwise).
- Every response says ``nosniff`` and ``DENY`` framing; the CSP allows scripts and styles only
  from our own static files, so no inline script or style attribute runs, and requests from
  scripts (htmx) only to ourselves.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask
from flask import Request
from flask import Response
from flask import has_request_context
from flask import request
from flask.sessions import SecureCookieSession
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from gateway import storage

if TYPE_CHECKING:
    from flask import Blueprint

SECRET_FILE = "desk-secret-key"
MIN_SECRET_LENGTH = 16
SESSIONLESS_PREFIXES = ("/api/", "/as2/", "/static/")
SESSIONLESS_PATHS = ("/as2",)
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",  # htmx's answers and a scanned page's OCR words, from our own server
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
_MAX_NEXT = 2000


def load_secret_key(home: Path | None = None) -> str:
    """``$GATEWAY_SECRET_KEY``, else this install's key under ``home`` (the data home), made on first use."""
    configured = os.environ.get("GATEWAY_SECRET_KEY")
    if configured:
        if len(configured) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"GATEWAY_SECRET_KEY is too short ({len(configured)} characters): use at least "
                f"{MIN_SECRET_LENGTH}, e.g. the output of `python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        return configured
    path = (home or storage.data_home()) / SECRET_FILE
    with contextlib.suppress(FileNotFoundError):
        return _read_key(path)
    _create_key(path)
    return _read_key(path)


def _read_key(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a key others can read is no secret; take it back
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_SECRET_LENGTH:
        raise ValueError(f"{path} holds no usable secret key; delete it and a new one is made")
    return key


def _create_key(path: Path) -> None:
    """Write a new key to a private temporary file, then link it into place: readers never see half a key,
    and of two processes starting at once, the first link wins and both read its key."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


class DeskSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions for the desk; none for the API, AS2 and static files.

    The secret key is resolved on the first request that needs one (see the module docstring).
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_sessionless(request.path):
            return None
        if not app.secret_key:
            app.secret_key = load_secret_key()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def is_sessionless(path: str) -> bool:
    return path in SESSIONLESS_PATHS or path.startswith(SESSIONLESS_PREFIXES)


def init_security(app: Flask, *, exempt: tuple[Blueprint, ...]) -> CSRFProtect:
    """Sessions, CSRF on every form (``exempt`` blueprints aside) and the security headers."""
    app.session_interface = DeskSessionInterface()
    csrf = CSRFProtect(app)
    for blueprint in exempt:
        csrf.exempt(blueprint)
    app.after_request(security_headers)
    return csrf


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def no_store(response: Response) -> Response:
    """Desk pages show customers' orders: no cache keeps them, and Back after logout shows nothing."""
    if response.mimetype == "text/html" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (``/queue?page=2``), else None: never another host.

    Refused: absolute URLs, scheme-relative ``//host``, backslashes (``/\\host`` is a host to some
    browsers), and any control character or space.
    """
    if not target or len(target) > _MAX_NEXT or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def password_fingerprint(secret_key: str | bytes, password_hash: str) -> str:
    """A short keyed digest of the user's password hash, kept in the session: a changed password
    ends every session made with the old one."""
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:32]
