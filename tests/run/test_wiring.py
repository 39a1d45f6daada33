"""The one wiring point: the app built from the environment by ``create_app()``, the engine built in
``gateway.config`` only, and helpers that write inside the caller's transaction without committing it.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import desk
from gateway import storage
from gateway.outbound.transport_status import record_outcome
from gateway.web import create_app
from tests.conftest import FIXED_NOW
from tests.conftest import ROOT

GATEWAY = ROOT / "gateway"
# Where the engine and sessionmaker may be built: the store's own package, and the one wiring point.
ENGINE_BUILDERS = {"make_engine", "create_engine", "make_sessionmaker", "sessionmaker"}
ALLOWED = (GATEWAY / "config" / "_store.py", GATEWAY / "storage")


def _calls(path: Path) -> list[tuple[int, str]]:
    """Each call in ``path`` to a function named in ``ENGINE_BUILDERS`` (``x.make_engine(...)`` too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ENGINE_BUILDERS:
                found.append((node.lineno, name))
    return found


def test_the_engine_and_sessionmaker_are_built_only_in_gateway_config() -> None:
    outside = [
        f"{path.relative_to(ROOT)}:{line} {name}()"
        for path in sorted(GATEWAY.rglob("*.py"))
        if not any(path == allowed or allowed in path.parents for allowed in ALLOWED)
        for line, name in _calls(path)
    ]
    assert outside == []
    assert _calls(GATEWAY / "config" / "_store.py")  # the probe does see a call where there is one


def test_the_cli_and_the_roles_take_the_store_from_the_one_function(
    tmp_path: Path, migrated_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI, the users CLI, the roles and the AS2 sender all open the store through
    ``gateway.config.sessions_from_environment``."""
    from gateway import config
    from gateway.cli.commands import _Context
    from gateway.cli.users import _sessions
    from gateway.config import _store
    from gateway.config import pipeline_from_environment
    from gateway.transports.as2_send import As2Sender

    shutil.copyfile(migrated_template, tmp_path / "gateway.db")
    monkeypatch.setenv("GATEWAY_DATABASE_URL", f"sqlite:///{tmp_path / 'gateway.db'}")
    monkeypatch.delenv("GATEWAY_AS2_ID", raising=False)
    built: list[sessionmaker[Session]] = []
    original = config.sessions_from_environment

    def counted(**kwargs: Any) -> sessionmaker[Session]:
        built.append(original(**kwargs))
        return built[-1]

    monkeypatch.setattr(config, "sessions_from_environment", counted)  # the front door's name
    monkeypatch.setattr(
        _store, "sessions_from_environment", counted
    )  # and its module's, which the pipeline calls
    opened = [
        _Context().sessions,
        _sessions(),
        pipeline_from_environment(queued=False).sessions,
        As2Sender.from_environment()._sessions,
    ]
    assert opened == built and len(built) == 4
    for made in built:
        made.kw["bind"].dispose()


def test_create_app_with_no_config_builds_everything_from_the_environment(
    tmp_path: Path, migrated_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store.db"
    shutil.copyfile(migrated_template, store)
    engine = storage.make_engine(f"sqlite:///{store}")
    with storage.make_sessionmaker(engine)() as session, session.begin():
        desk.add_user(session, "alice", "violet-kite-harbour-17", desk.CLERK, at=FIXED_NOW)
    engine.dispose()
    monkeypatch.setenv("GATEWAY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GATEWAY_DATABASE_URL", f"sqlite:///{store}")
    monkeypatch.setenv("GATEWAY_API_TOKEN", "token-from-the-environment")
    monkeypatch.setenv("GATEWAY_SECRET_KEY", "a-secret-from-the-environment-0123")
    monkeypatch.setenv("GATEWAY_SLA_HOURS", "7")
    monkeypatch.delenv("GATEWAY_AS2_ID", raising=False)
    monkeypatch.delenv("GATEWAY_ERP_URL", raising=False)

    from gateway.web.services import services

    app = create_app()

    bound = services(app)
    assert str(bound.sessions.kw["bind"].url) == f"sqlite:///{store}"
    assert bound.api_token == "token-from-the-environment" and bound.as2 is None
    assert app.config["SECRET_KEY"] == "a-secret-from-the-environment-0123"
    assert app.config["DESK_SLA_HOURS"] == 7.0
    client = app.test_client()
    assert client.get("/login").status_code == 200
    with bound.sessions() as session:  # the user stored above is found through the app's own store
        assert session.scalar(select(storage.DeskUser.username)) == "alice"
    refused = client.post("/api/shipments", json={}, headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401  # the token is set (unset, the API answers 503)
    assert client.post("/as2", data=b"x").status_code == 503  # no GATEWAY_AS2_ID
    bound.sessions.kw["bind"].dispose()


def _status(sessions: sessionmaker[Session]) -> list[tuple[str, str, str | None]]:
    with sessions() as session:
        rows = session.scalars(select(storage.TransportStatus)).all()
        return [(row.partner, row.channel, row.last_error) for row in rows]


def test_record_outcome_writes_in_the_callers_transaction_and_never_commits(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        record_outcome(session, partner="acme", channel="sftp-pull", at=FIXED_NOW, error="refused")
        session.rollback()  # the caller's rollback discards it
    assert _status(sessions) == []
    with sessions() as session:
        record_outcome(session, partner="acme", channel="sftp-pull", at=FIXED_NOW, error="refused")
        session.commit()  # the caller's commit keeps it
    assert _status(sessions) == [("acme", "sftp-pull", "refused")]


def test_a_failed_record_outcome_leaves_the_callers_transaction_usable(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        record_outcome(session, partner="acme", channel="drop", at=FIXED_NOW, error="first")
        record_outcome(session, partner="acme", channel="no-such-channel", at=FIXED_NOW, error="x")
        session.commit()
    assert _status(sessions) == [("acme", "drop", "first")]


def test_render_does_not_commit_what_the_view_wrote(tmp_path: Path, migrated_template: Path) -> None:
    """The view owns its transaction: rendering ends nothing, a rollback after it discards the write."""
    from gateway.config import WebConfig
    from gateway.web.desk_pages.context import db
    from gateway.web.desk_pages.context import discard
    from gateway.web.desk_pages.context import render
    from partners import PartnerRegistry

    shutil.copyfile(migrated_template, tmp_path / "gateway.db")
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    sessions = storage.make_sessionmaker(engine)
    app = create_app(
        WebConfig(sessions, PartnerRegistry(), lambda: FIXED_NOW, flask={"SECRET_KEY": "s" * 32})
    )
    with app.test_request_context("/"):
        desk.add_user(db(), "bob", "violet-kite-harbour-17", desk.CLERK, at=FIXED_NOW)
        render("error.html", 400, title="t", message=None, detail=None)
        discard()
    with sessions() as session:
        assert session.scalar(select(storage.DeskUser.username)) is None
    engine.dispose()
