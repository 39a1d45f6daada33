"""Desk users: hashed passwords, authentication, roles, and ``gateway user add|list``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import desk
from gateway import storage
from gateway.cli import main
from tests.conftest import FIXED_NOW


def test_a_user_is_stored_with_a_scrypt_hash_and_authenticates(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        user = desk.add_user(session, "alice", "correct horse", "clerk", actor="root", at=FIXED_NOW)
        assert user.id is not None
    with sessions() as session:
        stored = desk.find_user(session, "alice")
        assert stored is not None and stored.role == "clerk" and not stored.disabled
        assert stored.password_hash.startswith("scrypt:") and "correct horse" not in stored.password_hash
        assert desk.authenticate(session, "alice", "correct horse") is not None
        assert desk.authenticate(session, "alice", "wrong horse") is None
        assert desk.authenticate(session, "nobody", "correct horse") is None
        [entry] = session.scalars(select(storage.AuditEntry)).all()
        assert (entry.actor, entry.action, entry.subject_type, entry.subject_id) == (
            "root",
            "user.add",
            "desk_user",
            "alice",
        )
        assert entry.after == {"username": "alice", "role": "clerk"} and entry.before is None


def test_a_disabled_user_cannot_log_in(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        desk.add_user(session, "bob", "password-1", "credit")
        session.execute(update(storage.DeskUser).values(disabled=True))
    with sessions() as session:
        assert desk.authenticate(session, "bob", "password-1") is None


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("alice", "password-1", "boss", "role 'boss' is not one of clerk, credit, admin"),
        ("alice", "short", "clerk", "at least 8 characters"),
        ("", "password-1", "clerk", "username '' is not allowed"),
        ("al ice", "password-1", "clerk", "is not allowed"),
        ("../alice", "password-1", "clerk", "is not allowed"),
        ("taken", "password-1", "clerk", "there is already a user 'taken'"),
    ],
)
def test_bad_users_are_refused(
    sessions: sessionmaker[Session], username: str, password: str, role: str, message: str
) -> None:
    with sessions() as session, session.begin():
        desk.add_user(session, "taken", "password-1", "admin")
    with sessions() as session, session.begin(), pytest.raises(desk.InvalidUser, match=message):
        desk.add_user(session, username, password, role)


def test_require_role_names_the_roles_needed(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        clerk = desk.add_user(session, "alice", "password-1", "clerk")
        desk.require_role(clerk, "clerk", "admin")
        with pytest.raises(desk.PermissionDenied) as denied:
            desk.require_role(clerk, "credit", "admin", doing="release a credit hold")
        assert str(denied.value) == (
            "alice (clerk) may not release a credit hold: that needs the credit or admin role"
        )
        clerk.disabled = True
        with pytest.raises(desk.PermissionDenied, match="alice is disabled"):
            desk.require_role(clerk, "clerk")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("GATEWAY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GATEWAY_NOW", FIXED_NOW.isoformat())
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    return CliRunner()


def home_sessions(tmp_path: Path) -> sessionmaker[Session]:
    return storage.make_sessionmaker(storage.make_engine(f"sqlite:///{tmp_path / 'home' / 'gateway.db'}"))


def test_gateway_user_add_from_stdin_and_list(cli: CliRunner, tmp_path: Path) -> None:
    empty = cli.invoke(main, ["user", "list"])
    assert empty.exit_code == 0 and "no users yet" in empty.output
    added = cli.invoke(
        main, ["user", "add", "alice", "--role", "clerk", "--password-stdin"], input="s3cret-pw\n"
    )
    assert added.exit_code == 0, added.output
    assert added.output == "user alice added with role clerk\n"
    cli.invoke(main, ["user", "add", "carol", "--role", "credit", "--password-stdin"], input="other-pw-1\n")
    listed = cli.invoke(main, ["user", "list"])
    assert listed.exit_code == 0
    assert [line.split()[:2] for line in listed.output.splitlines()] == [
        ["alice", "clerk"],
        ["carol", "credit"],
    ]
    assert "2026-11-23 09:30" in listed.output
    with home_sessions(tmp_path)() as session:
        assert desk.authenticate(session, "alice", "s3cret-pw") is not None
        assert desk.authenticate(session, "carol", "other-pw-1") is not None


def test_gateway_user_add_prompts_twice_hidden(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(
        main,
        ["user", "add", "root", "--role", "admin"],
        input="first-try\nsecond-try\nadmin-pw-1\nadmin-pw-1\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Password:") == 2 and result.output.count("Repeat for confirmation:") == 2
    assert "do not match" in result.output
    assert "admin-pw-1" not in result.output and "first-try" not in result.output
    with home_sessions(tmp_path)() as session:
        user = desk.authenticate(session, "root", "admin-pw-1")
        assert user is not None and user.role == "admin"


def test_gateway_user_add_refuses_bad_input_clearly(cli: CliRunner) -> None:
    ok = cli.invoke(
        main, ["user", "add", "alice", "--role", "clerk", "--password-stdin"], input="s3cret-pw\n"
    )
    assert ok.exit_code == 0
    again = cli.invoke(
        main, ["user", "add", "alice", "--role", "admin", "--password-stdin"], input="s3cret-pw\n"
    )
    assert again.exit_code == 1 and "there is already a user 'alice'" in again.output
    short = cli.invoke(main, ["user", "add", "bob", "--role", "clerk", "--password-stdin"], input="abc\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    role = cli.invoke(main, ["user", "add", "bob", "--role", "boss", "--password-stdin"], input="s3cret-pw\n")
    assert role.exit_code == 2 and "'boss' is not one of" in role.output
