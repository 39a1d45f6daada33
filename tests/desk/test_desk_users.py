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
from gateway.cli.commands import main
from tests.conftest import FIXED_NOW


def test_a_user_is_stored_with_a_scrypt_hash_and_authenticates(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        user = desk.add_user(session, "alice", "correct horse battery", "clerk", actor="root", at=FIXED_NOW)
        assert user.id is not None
    with sessions() as session:
        stored = desk.find_user(session, "alice")
        assert stored is not None and stored.role == "clerk" and not stored.disabled
        assert (
            stored.password_hash.startswith("scrypt:") and "correct horse battery" not in stored.password_hash
        )
        assert desk.authenticate(session, "alice", "correct horse battery") is not None
        assert desk.authenticate(session, "alice", "wrong horse battery") is None
        assert desk.authenticate(session, "nobody", "correct horse battery") is None
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
        desk.add_user(session, "bob", "violet-kite-harbour", "credit")
        session.execute(update(storage.DeskUser).values(disabled=True))
    with sessions() as session:
        assert desk.authenticate(session, "bob", "violet-kite-harbour") is None


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("alice", "violet-kite-harbour", "boss", "role 'boss' is not one of clerk, credit, admin"),
        ("alice", "short", "clerk", "at least 12 characters"),
        ("", "violet-kite-harbour", "clerk", "username '' is not allowed"),
        ("al ice", "violet-kite-harbour", "clerk", "is not allowed"),
        ("../alice", "violet-kite-harbour", "clerk", "is not allowed"),
        ("taken", "violet-kite-harbour", "clerk", "there is already a user 'taken'"),
    ],
)
def test_bad_users_are_refused(
    sessions: sessionmaker[Session], username: str, password: str, role: str, message: str
) -> None:
    with sessions() as session, session.begin():
        desk.add_user(session, "taken", "violet-kite-harbour", "admin")
    with sessions() as session, session.begin(), pytest.raises(desk.InvalidUser, match=message):
        desk.add_user(session, username, password, role)


def test_require_role_names_the_roles_needed(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        clerk = desk.add_user(session, "alice", "violet-kite-harbour", "clerk")
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
        main, ["user", "add", "alice", "--role", "clerk", "--password-stdin"], input="s3cret-pw-long-one\n"
    )
    assert added.exit_code == 0, added.output
    assert added.output == "user alice added with role clerk\n"
    cli.invoke(
        main, ["user", "add", "carol", "--role", "credit", "--password-stdin"], input="other-pw-river-7\n"
    )
    listed = cli.invoke(main, ["user", "list"])
    assert listed.exit_code == 0
    assert [line.split()[:2] for line in listed.output.splitlines()] == [
        ["alice", "clerk"],
        ["carol", "credit"],
    ]
    assert "2026-11-23 09:30" in listed.output
    with home_sessions(tmp_path)() as session:
        assert desk.authenticate(session, "alice", "s3cret-pw-long-one") is not None
        assert desk.authenticate(session, "carol", "other-pw-river-7") is not None


def test_gateway_user_add_prompts_twice_hidden(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(
        main,
        ["user", "add", "root", "--role", "admin"],
        input="first-try\nsecond-try\nadmin-pw-lantern-9\nadmin-pw-lantern-9\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Password:") == 2 and result.output.count("Repeat for confirmation:") == 2
    assert "do not match" in result.output
    assert "admin-pw-lantern-9" not in result.output and "first-try" not in result.output
    with home_sessions(tmp_path)() as session:
        user = desk.authenticate(session, "root", "admin-pw-lantern-9")
        assert user is not None and user.role == "admin"


def test_gateway_user_add_refuses_bad_input_clearly(cli: CliRunner) -> None:
    ok = cli.invoke(
        main, ["user", "add", "alice", "--role", "clerk", "--password-stdin"], input="s3cret-pw-long-one\n"
    )
    assert ok.exit_code == 0
    again = cli.invoke(
        main, ["user", "add", "alice", "--role", "admin", "--password-stdin"], input="s3cret-pw-long-one\n"
    )
    assert again.exit_code == 1 and "there is already a user 'alice'" in again.output
    short = cli.invoke(main, ["user", "add", "bob", "--role", "clerk", "--password-stdin"], input="abc\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    role = cli.invoke(
        main, ["user", "add", "bob", "--role", "boss", "--password-stdin"], input="s3cret-pw-long-one\n"
    )
    assert role.exit_code == 2 and "'boss' is not one of" in role.output


# -- the password rule (issue 14, item 12) ---------------------------------------------------------

WEAK = [
    ("password", "at least 12 characters"),
    ("12345678", "at least 12 characters"),
    (" " * 8, "at least 12 characters"),
    ("\x00" * 8, "at least 12 characters"),
    ("{u}", "at least 12 characters"),
    (" " * 16, "only spaces"),
    ("\x00" * 16, "control character"),
    ("good-words-here\x07", "control character"),
    ("tab\tinside-the-password", "control character"),
    ("passwordpassword", "too easy to guess"),
    ("123456789012", "too easy to guess"),
    ("qwertyuiop123", "too easy to guess"),
    ("{u}{u}{u}", "user name"),
    ("{U}-password-2026", "user name"),
    ("{r}-{u}ed-{r}", "user name"),
    ("x" * 300, "at most 256 characters"),
]


@pytest.mark.parametrize(("password", "message"), WEAK)
def test_weak_passwords_are_refused_for_a_new_user_and_a_new_password(
    sessions: sessionmaker[Session], password: str, message: str
) -> None:
    with sessions() as session, session.begin():
        desk.add_user(session, "root", "violet-kite-harbour", "admin")
    with sessions() as session, session.begin(), pytest.raises(desk.InvalidUser, match=message):
        desk.add_user(session, "other", _for("other", password), "admin")
    with sessions() as session, session.begin(), pytest.raises(desk.InvalidUser, match=message):
        desk.set_password(session, "root", _for("root", password))
    assert desk.password_problem("root", _for("root", password)) is not None


def _for(username: str, template: str) -> str:
    """A password made from ``username``: ``{u}`` is the name, ``{U}`` capitalised, ``{r}`` reversed."""
    return (
        template.replace("{u}", username).replace("{U}", username.capitalize()).replace("{r}", username[::-1])
    )


def test_strong_passwords_pass_the_rule() -> None:
    for good in ("violet-kite-harbour", "correct horse battery", "Tr0ub4dor&3xyz", "säkert lösenord 9"):
        assert desk.password_problem("root", good) is None, good


def test_the_cli_applies_the_password_rule_to_add_and_to_a_new_password(
    cli: CliRunner, tmp_path: Path
) -> None:
    for weak in ("password", "12345678", " " * 8, "\x00" * 8, "root", "rootrootroot"):
        refused = cli.invoke(
            main, ["user", "add", "root", "--role", "admin", "--password-stdin"], input=weak + "\n"
        )
        assert refused.exit_code == 1, (weak, refused.output)
        assert "password" in refused.output
    added = cli.invoke(
        main, ["user", "add", "root", "--role", "admin", "--password-stdin"], input="violet-kite-harbour\n"
    )
    assert added.exit_code == 0, added.output
    short = cli.invoke(main, ["user", "password", "root", "--password-stdin"], input="12345678\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    changed = cli.invoke(main, ["user", "password", "root", "--password-stdin"], input="amber-otter-meadow\n")
    assert changed.exit_code == 0, changed.output
    assert changed.output == "new password set for root; their sessions are ended\n"
    unknown = cli.invoke(
        main, ["user", "password", "nobody", "--password-stdin"], input="amber-otter-meadow\n"
    )
    assert unknown.exit_code == 1 and "there is no user 'nobody'" in unknown.output
    with home_sessions(tmp_path)() as session:
        assert desk.authenticate(session, "root", "amber-otter-meadow") is not None
        assert desk.authenticate(session, "root", "violet-kite-harbour") is None


# -- revoking sessions (issue 14, item 10) ----------------------------------------------------------


def test_gateway_user_disable_disables_and_revokes(cli: CliRunner, tmp_path: Path) -> None:
    cli.invoke(
        main, ["user", "add", "alice", "--role", "clerk", "--password-stdin"], input="s3cret-pw-long-one\n"
    )
    with home_sessions(tmp_path)() as session:
        user = desk.find_user(session, "alice")
        assert user is not None and user.session_generation == 0
    disabled = cli.invoke(main, ["user", "disable", "alice"])
    assert disabled.exit_code == 0, disabled.output
    assert disabled.output == "user alice disabled; their sessions are ended\n"
    with home_sessions(tmp_path)() as session:
        user = desk.find_user(session, "alice")
        assert user is not None and user.disabled and user.session_generation == 1
        assert desk.authenticate(session, "alice", "s3cret-pw-long-one") is None
        entry = session.scalars(
            select(storage.AuditEntry).where(storage.AuditEntry.action == "user.disable")
        ).one()
        assert (entry.actor, entry.subject_id) == ("cli", "alice")
    listed = cli.invoke(main, ["user", "list"])
    assert "disabled" in listed.output
    unknown = cli.invoke(main, ["user", "disable", "nobody"])
    assert unknown.exit_code == 1 and "there is no user 'nobody'" in unknown.output
