"""The desk's safety: login, every route behind it for every role, CSRF, cookies, redirects, headers, secret key."""

from __future__ import annotations

import html
import re
import stat
from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from gateway import desk as gateway_desk
from gateway import storage
from gateway.config import WebConfig
from gateway.web import create_app
from gateway.web.desk_pages import security
from gateway.web.services import services
from partners import PartnerRegistry
from tests.security._routes import desk_routes
from tests.servers.postgres import Postgres
from tests.web.test_web_desk_support import NOW
from tests.web.test_web_desk_support import ROLE_USER
from tests.web.test_web_desk_support import SECRET
from tests.web.test_web_desk_support import UNKNOWN_SKU_PO
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import desk_store
from tests.web.test_web_desk_support import open_app
from tests.web.test_web_desk_support import password
from tests.web.test_web_desk_support import post
from tests.web.test_web_desk_support import token


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return desk_store(master_template, tmp_path_factory)


@pytest.fixture
def desk(store: Path, tmp_path: Path) -> Iterator[DeskApp]:
    opened, engine = open_app(store, tmp_path)
    yield opened
    engine.dispose()  # type: ignore[attr-defined]


def _pages(desk: DeskApp) -> list[str]:
    """Every GET page of the desk (from the app's url_map, with real ids), plus filtered views."""
    pages = [r.url for r in desk_routes(desk) if r.method == "GET" and r.endpoint != "desk.home"]
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    return [*pages, "/queue?reason=price&search=45", f"/orders/{order_id}?q=hex&line=3", "/dashboard?days=7"]


@pytest.mark.parametrize("role", ["clerk", "credit", "admin"])
def test_every_page_opens_for_every_role(desk: DeskApp, role: str) -> None:
    """That none opens without a login, and no form posts without a CSRF token: tests/security/test_web_routes.py."""
    client = desk.client(ROLE_USER[role])
    for page in _pages(desk):
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
    assert client.get("/").headers["Location"] == "/queue"


def test_anonymous_is_sent_to_login_and_back_to_the_page_asked_for(desk: DeskApp) -> None:
    client = desk.client()
    response = client.get("/documents?status=failed")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/documents?status%3Dfailed"
    login = client.get(response.headers["Location"])
    assert 'value="/documents?status=failed"' in login.text
    response = client.post(
        "/login",
        data={
            "username": "alice",
            "password": password("alice"),
            "next": "/documents?status=failed",
            "csrf_token": token(client, "/login"),
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/documents?status=failed"


def test_a_form_sent_after_the_session_ended_returns_to_its_page_after_login(desk: DeskApp) -> None:
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    client = desk.client()
    csrf = token(client, "/login")  # a session with a token, but nobody logged in (e.g. it expired)
    response = client.post(
        f"/orders/{order_id}/approve",
        data={"version": 1, "csrf_token": csrf},
        headers={"Referer": f"http://localhost/orders/{order_id}"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/orders/{order_id}"
    elsewhere = client.post(
        f"/orders/{order_id}/approve",
        data={"version": 1, "csrf_token": csrf},
        headers={"Referer": "https://evil.example/orders/1"},
    )
    assert elsewhere.headers["Location"] == "/login"
    assert desk.order(order_id).version == 1


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/ok\r\nLocation: https://evil.example",
        "evil.example",
    ],
)
def test_no_open_redirect_after_login(desk: DeskApp, target: str) -> None:
    client = desk.client()
    response = client.post(
        "/login",
        data={
            "username": "alice",
            "password": password("alice"),
            "next": target,
            "csrf_token": token(client, "/login"),
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/queue"
    # Once logged in, /login?next= is a redirect too: it must not leave the site either.
    assert client.get("/login", query_string={"next": target}).headers["Location"] == "/queue"


def test_safe_next_keeps_only_paths_on_this_site() -> None:
    assert security.safe_next("/orders/3?q=a#top") == "/orders/3?q=a#top"
    for bad in ("", None, "//x", "/\\x", "https://x", "x", "/a b", "/a\x00", "/" + "a" * 3000):
        assert security.safe_next(bad) is None, bad


def test_wrong_password_unknown_user_and_disabled_user_cannot_log_in(desk: DeskApp) -> None:
    client = desk.client()
    for username, secret in (("alice", "wrong-password"), ("nobody", "whatever-it-is"), ("", "")):
        response = client.post(
            "/login", data={"username": username, "password": secret, "csrf_token": token(client, "/login")}
        )
        assert response.status_code in (400, 401)
        assert client.get("/queue").status_code == 302
    with desk.sessions() as session, session.begin():
        session.execute(
            update(storage.DeskUser).where(storage.DeskUser.username == "bob").values(disabled=True)
        )
    response = client.post(
        "/login", data={"username": "bob", "password": password("bob"), "csrf_token": token(client, "/login")}
    )
    assert response.status_code == 401
    assert "Wrong username or password" in response.text


def test_disabling_a_user_or_changing_the_password_ends_their_session(desk: DeskApp) -> None:
    alice = desk.client("alice")
    bob = desk.client("bob")
    assert alice.get("/queue").status_code == 200
    with desk.sessions() as session, session.begin():
        session.execute(
            update(storage.DeskUser).where(storage.DeskUser.username == "alice").values(disabled=True)
        )
        session.execute(
            update(storage.DeskUser)
            .where(storage.DeskUser.username == "bob")
            .values(password_hash="scrypt:changed")
        )
    assert alice.get("/queue").status_code == 302
    assert bob.get("/queue").status_code == 302


def test_login_writes_the_audit_log_and_logout_ends_the_session(desk: DeskApp) -> None:
    client = desk.client("alice")
    with desk.sessions() as session:
        entry = session.scalars(
            select(storage.AuditEntry).where(storage.AuditEntry.action == "user.login")
        ).one()
        assert entry.actor == "alice"
    response = post(client, "/logout", page="/queue")
    assert response.status_code == 303
    assert client.get("/queue").status_code == 302
    assert client.get("/logout").status_code == 405  # logging out is a POST with a CSRF token


def test_a_cookie_copied_before_logout_opens_nothing_afterwards(desk: DeskApp) -> None:
    """Issue 14, item 10: logout ends the session on the server, not only in the browser."""
    client = desk.client("alice")
    elsewhere = desk.client("alice")  # the same user in another browser
    copied = client.get_cookie("gateway_desk")
    assert copied is not None
    assert post(client, "/logout", page="/queue").status_code == 303
    replay = desk.app.test_client()
    replay.set_cookie("gateway_desk", copied.value)
    assert replay.get("/queue").status_code == 302
    assert elsewhere.get("/queue").status_code == 302  # logout ends every session of the user
    assert desk.client("alice").get("/queue").status_code == 200  # logging in again works


def test_disabling_or_a_new_password_through_the_desk_functions_revokes_sessions(desk: DeskApp) -> None:
    alice = desk.client("alice")
    bob = desk.client("bob")
    carol = desk.client("carol")
    with desk.sessions() as session, session.begin():
        gateway_desk.disable_user(session, "alice", actor="root")
        gateway_desk.set_password(session, "bob", "amber-otter-meadow-2", actor="root")
    assert alice.get("/queue").status_code == 302
    assert bob.get("/queue").status_code == 302
    assert carol.get("/queue").status_code == 200  # others keep theirs


def test_the_session_is_new_after_login_and_the_old_csrf_token_is_dead(desk: DeskApp) -> None:
    client = desk.client()
    before_token = token(client, "/login")
    before_cookie = client.get_cookie("gateway_desk")
    assert before_cookie is not None
    response = client.post(
        "/login", data={"username": "alice", "password": password("alice"), "csrf_token": before_token}
    )
    assert response.status_code == 303
    after_cookie = client.get_cookie("gateway_desk")
    assert after_cookie is not None and after_cookie.value != before_cookie.value
    order_id = desk.order_id(UNKNOWN_SKU_PO)
    stale = client.post(f"/orders/{order_id}/approve", data={"version": "1", "csrf_token": before_token})
    assert stale.status_code == 400
    assert desk.order(order_id).status == "exception"


def test_session_cookie_is_httponly_lax_and_secure_when_asked_or_on_https(
    store: Path, tmp_path: Path
) -> None:
    plain, engine = open_app(store, tmp_path / "plain")
    try:
        client = plain.app.test_client()
        cookie = _login_cookie(client, "http://localhost")
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
        cookie = _login_cookie(plain.app.test_client(), "https://localhost")
        assert "Secure" in cookie
    finally:
        engine.dispose()  # type: ignore[attr-defined]
    secure, engine = open_app(store, tmp_path / "secure", config={"SESSION_COOKIE_SECURE": True})
    try:
        assert "Secure" in _login_cookie(secure.app.test_client(), "http://localhost")
    finally:
        engine.dispose()  # type: ignore[attr-defined]


def _login_cookie(client: Any, base_url: str) -> str:
    page = client.get("/login", base_url=base_url)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login",
        base_url=base_url,
        data={"username": "alice", "password": password("alice"), "csrf_token": csrf},
        headers={"Referer": f"{base_url}/login"},
    )
    assert response.status_code == 303, response.text
    [cookie] = [v for v in response.headers.getlist("Set-Cookie") if v.startswith("gateway_desk=")]
    return cookie


def test_settings_from_the_environment() -> None:
    from gateway.config import desk_settings_from_environment

    assert desk_settings_from_environment({}) == {}
    assert desk_settings_from_environment({"GATEWAY_SLA_HOURS": "2.5", "GATEWAY_SECURE_COOKIES": "1"}) == {
        "DESK_SLA_HOURS": 2.5,
        "SESSION_COOKIE_SECURE": True,
    }
    for bad in (
        {"GATEWAY_SLA_HOURS": "soon"},
        {"GATEWAY_SLA_HOURS": "-1"},
        {"GATEWAY_SECURE_COOKIES": "maybe"},
    ):
        with pytest.raises(ValueError, match="GATEWAY_"):
            desk_settings_from_environment(bad)


# -- CSRF -----------------------------------------------------------------------------------------


def test_the_api_and_as2_stay_csrf_exempt_and_sessionless(desk: DeskApp) -> None:
    client = desk.app.test_client()
    response = client.post("/api/shipments", json={}, headers={"Authorization": "Bearer api-token"})
    assert response.status_code == 422  # refused for its content, not for CSRF
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("gateway_desk=")]
    response = client.post("/as2", data=b"x", headers={"Content-Type": "application/pkcs7-mime"})
    assert response.status_code == 503  # no AS2 identity configured; not a CSRF 400
    assert not response.headers.getlist("Set-Cookie")


# -- headers -------------------------------------------------------------------------------------


def test_security_headers_and_no_inline_script_or_style(desk: DeskApp) -> None:
    client = desk.client("alice")
    for page in _pages(desk):
        response = client.get(page)
        headers = response.headers
        assert headers["X-Frame-Options"] == "DENY", page
        assert headers["X-Content-Type-Options"] == "nosniff", page
        policy = headers["Content-Security-Policy"]
        assert (
            "script-src 'self'" in policy
            and "unsafe-inline" not in policy
            and "frame-ancestors 'none'" in policy
        )
        if response.mimetype == "text/html":
            assert headers["Cache-Control"] == "no-store", page
            assert not re.search(r"<script(?![^>]*\ssrc=)", response.text), page
            assert not re.search(r"\sstyle=", response.text), page
            assert not re.search(r"\son[a-z]+=", response.text), page


# -- the secret key -------------------------------------------------------------------------------


def test_secret_key_is_made_once_per_install_private_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GATEWAY_SECRET_KEY", raising=False)
    first = security.load_secret_key(tmp_path)
    path = tmp_path / security.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and security.load_secret_key(tmp_path) == first
    path.chmod(0o644)
    assert security.load_secret_key(tmp_path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [security.SECRET_FILE]  # no temporary file left
    monkeypatch.setenv("GATEWAY_SECRET_KEY", "k" * 40)
    assert security.load_secret_key(tmp_path) == "k" * 40
    monkeypatch.setenv("GATEWAY_SECRET_KEY", "short")
    with pytest.raises(ValueError, match="too short"):
        security.load_secret_key(tmp_path)


def test_the_app_takes_its_secret_key_from_the_data_home_only_when_the_desk_needs_one(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("GATEWAY_HOME", str(home))
    monkeypatch.delenv("GATEWAY_SECRET_KEY", raising=False)
    opened, engine = open_app(store, tmp_path, config={"SECRET_KEY": None})
    try:
        client = opened.app.test_client()
        client.post("/api/shipments", json={}, headers={"Authorization": "Bearer api-token"})
        assert not (home / security.SECRET_FILE).exists()
        assert client.get("/login").status_code == 200
        assert stat.S_IMODE((home / security.SECRET_FILE).stat().st_mode) == 0o600
        assert opened.app.secret_key == (home / security.SECRET_FILE).read_text().strip()
    finally:
        engine.dispose()  # type: ignore[attr-defined]


# -- failed-login throttle (issue 14, item 11) -----------------------------------------------------


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> datetime:
        return self.at

    def wait(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed_desk(store: Path, tmp_path: Path, clock: Clock) -> Iterator[DeskApp]:
    opened, engine = open_app(store, tmp_path, clock=clock)
    yield opened
    engine.dispose()  # type: ignore[attr-defined]


def _try(desk: DeskApp, username: str, secret: str, address: str = "192.0.2.10") -> Any:
    client = desk.app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client.post(
        "/login", data={"username": username, "password": secret, "csrf_token": token(client, "/login")}
    )


def test_five_failures_then_429_with_a_retry_after_that_grows(
    timed_desk: DeskApp, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(5):
        assert _try(timed_desk, "alice", "wrong-password-guess").status_code == 401
    refused = _try(timed_desk, "alice", password("alice"))  # the right password is not even checked
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert "Too many failed logins" in refused.text
    assert "desk login throttled" in caplog.text and "'alice'" in caplog.text
    for wait in (60, 120, 240):
        clock.wait(wait - 1)
        assert _try(timed_desk, "alice", password("alice")).headers["Retry-After"] == "1"
        clock.wait(1)
        assert _try(timed_desk, "alice", "wrong-password-guess").status_code == 401
        assert _try(timed_desk, "alice", password("alice")).headers["Retry-After"] == str(wait * 2)
    clock.wait(480)  # the first five are 15 minutes old: three failures are recent
    for _ in range(2):
        assert _try(timed_desk, "alice", "wrong-password-guess").status_code == 401
    # five recent again: the wait grows with the day's failures (ten), 60 s * 2**5
    assert _try(timed_desk, "alice", password("alice")).headers["Retry-After"] == "1920"
    clock.wait(1920)
    for _ in range(5):
        assert _try(timed_desk, "alice", "wrong-password-guess").status_code == 401
    assert _try(timed_desk, "alice", password("alice")).headers["Retry-After"] == "3600"  # the cap
    clock.wait(3600)
    for _ in range(2):  # a success clears this name's failures from this address
        for _ in range(4):
            assert _try(timed_desk, "alice", "wrong-password-guess").status_code == 401
        assert _try(timed_desk, "alice", password("alice")).status_code == 303


def test_the_throttle_counts_per_address_across_names_and_per_name_across_addresses(
    timed_desk: DeskApp,
) -> None:
    for name in ("nobody", "mallory", "carol", "root", "eve"):
        assert _try(timed_desk, name, "wrong-password-guess", "198.51.100.7").status_code == 401
    assert _try(timed_desk, "alice", password("alice"), "198.51.100.7").status_code == 429
    assert _try(timed_desk, "alice", password("alice"), "192.0.2.10").status_code == 303
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"):
        assert _try(timed_desk, "bob", "wrong-password-guess", address).status_code == 401
    assert _try(timed_desk, "bob", password("bob"), "192.0.2.99").status_code == 429


def test_a_success_does_not_reset_the_address_count_for_other_names(timed_desk: DeskApp) -> None:
    for _ in range(4):
        assert _try(timed_desk, "bob", "wrong-password-guess").status_code == 401
    assert _try(timed_desk, "alice", password("alice")).status_code == 303
    assert _try(timed_desk, "bob", "wrong-password-guess").status_code == 401
    assert _try(timed_desk, "carol", password("carol")).status_code == 429  # five from this address
    assert _try(timed_desk, "carol", password("carol"), "192.0.2.11").status_code == 303


def test_the_throttle_holds_across_app_processes_sharing_the_store(timed_desk: DeskApp, clock: Clock) -> None:
    """Two apps over one store stand for two web workers: the failures are counted in the store."""
    other = create_app(
        WebConfig(
            timed_desk.sessions,
            services(timed_desk.app).partners,
            clock,
            api_token="api-token",
            flask={"SECRET_KEY": "another-worker-secret-0123456789"},
        )
    )
    second = DeskApp(other, timed_desk.sessions)
    for desk in (timed_desk, second, timed_desk, second, timed_desk):
        assert _try(desk, "alice", "wrong-password-guess").status_code == 401
    assert _try(second, "alice", password("alice")).status_code == 429
    with timed_desk.sessions() as session:
        assert session.scalar(select(func.count()).select_from(storage.LoginFailure)) == 5


# -- the password form (issue 14, items 10 and 12) -------------------------------------------------


def _change(client: Any, current: str, new: str, repeat: str | None = None) -> Any:
    return post(
        client,
        "/password",
        {"current": current, "new": new, "repeat": new if repeat is None else repeat},
        page="/password",
    )


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("password", "at least 12 characters"),
        ("12345678", "at least 12 characters"),
        (" " * 8, "at least 12 characters"),
        ("\x00" * 8, "at least 12 characters"),
        ("root", "at least 12 characters"),
        (" " * 14, "only spaces"),
        ("\x00" * 14, "control character"),
        ("passwordpassword", "too easy to guess"),
        ("rootrootroot", "built from the user name"),
    ],
)
def test_the_password_form_applies_the_same_rule_as_the_cli(desk: DeskApp, new: str, message: str) -> None:
    admin = desk.client("root")
    response = _change(admin, password("root"), new)
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert desk.client("root").get("/queue").status_code == 200  # the old password still works


def test_the_password_form_changes_it_and_ends_the_other_sessions(desk: DeskApp) -> None:
    here, elsewhere = desk.client("alice"), desk.client("alice")
    assert "The current password is wrong" in _change(here, "not-my-password", "amber-otter-meadow-2").text
    assert "differ" in _change(here, password("alice"), "amber-otter-meadow-2", "amber-otter-meadow-3").text
    response = _change(here, password("alice"), "amber-otter-meadow-2")
    assert response.status_code == 303 and response.headers["Location"] == "/queue"
    assert here.get("/queue").status_code == 200  # this browser stays in
    assert elsewhere.get("/queue").status_code == 302  # every other session ended
    assert _try(desk, "alice", password("alice")).status_code == 401
    assert _try(desk, "alice", "amber-otter-meadow-2").status_code == 303
    with desk.sessions() as session:
        entry = session.scalars(
            select(storage.AuditEntry).where(storage.AuditEntry.action == "user.password")
        ).one()
        assert (entry.actor, entry.subject_id) == ("alice", "alice")


def test_the_throttle_holds_across_workers_on_postgresql(postgres: Postgres, clock: Clock) -> None:
    """Two apps over one PostgreSQL store, as two web workers or two machines: one count."""
    engine = storage.make_engine(postgres.migrated_database("desk_throttle"))
    try:
        storage.upgrade(engine)
        sessions = storage.make_sessionmaker(engine)
        with sessions() as session, session.begin():
            gateway_desk.add_user(session, "alice", password("alice"), "clerk")
        workers = [
            DeskApp(
                create_app(
                    WebConfig(
                        sessions,
                        PartnerRegistry.from_directory(),
                        clock,
                        api_token="api-token",
                        flask={"SECRET_KEY": SECRET},
                    )
                ),
                sessions,
            )
            for _ in range(2)
        ]
        for attempt in range(5):
            assert _try(workers[attempt % 2], "alice", "wrong-password-guess").status_code == 401
        refused = _try(workers[1], "alice", password("alice"))
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
        clock.wait(60)
        assert _try(workers[0], "alice", password("alice")).status_code == 303
    finally:
        engine.dispose()
