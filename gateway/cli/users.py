"""``gateway user add|password|disable|list``: desk users, created and managed from the command line.

As in ``gateway.cli.commands``, a command imports the store and the users module in its body: ``gateway
--help`` loads this module, and neither.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from gateway.desk._errors import InvalidUser
from gateway.desk._roles import ROLES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from sqlalchemy.orm import sessionmaker


def _sessions() -> sessionmaker[Session]:
    """The store, closed when the command ends (as ``gateway.cli.commands._Context`` closes its own)."""
    from gateway import config
    from gateway import storage

    sessions = config.sessions_from_environment(migrate=storage.upgrade)
    context = click.get_current_context(silent=True)
    if context is not None:  # outside a command (a test calling this), the caller disposes it
        context.call_on_close(sessions.kw["bind"].dispose)
    return sessions


@click.group()
def user() -> None:
    """Order desk users: who may log in to the queue, and with which role."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="clerk, credit or admin.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin instead of prompting for it.",
)
def add(username: str, role: str, password_stdin: bool) -> None:
    """Create USERNAME with ROLE; the password is prompted for twice, hidden, unless --password-stdin.

    A password has at least 12 characters, is hard to guess and is not built from the user name."""
    from gateway.config import clock
    from gateway.desk._users import add_user

    password = _read_password(password_stdin)
    try:
        with _sessions()() as session, session.begin():
            add_user(session, username, password, role, actor="cli", at=clock()())
    except InvalidUser as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {username} added with role {role}")


@user.command("password")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin instead of prompting for it.",
)
def password(username: str, password_stdin: bool) -> None:
    """Give USERNAME a new password (same rule as `user add`); every session of theirs ends."""
    from gateway.config import clock
    from gateway.desk._users import set_password

    new = _read_password(password_stdin)
    try:
        with _sessions()() as session, session.begin():
            set_password(session, username, new, actor="cli", at=clock()())
    except InvalidUser as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"new password set for {username}; their sessions are ended")


@user.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable USERNAME: no more logins, and every session of theirs ends at once."""
    from gateway.config import clock
    from gateway.desk._users import disable_user

    try:
        with _sessions()() as session, session.begin():
            disable_user(session, username, actor="cli", at=clock()())
    except InvalidUser as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {username} disabled; their sessions are ended")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@user.command("list")
def list_() -> None:
    """Every desk user: name, role, created, and whether disabled."""
    from gateway.desk._users import list_users

    with _sessions()() as session:
        users = list_users(session)
        if not users:
            click.echo("no users yet: add one with `gateway user add NAME --role clerk`")
            return
        for found in users:
            state = "  disabled" if found.disabled else ""
            click.echo(f"{found.username:<24} {found.role:<7} {found.created_at:%Y-%m-%d %H:%M}{state}")
