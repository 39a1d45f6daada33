"""``gateway user add|list``: desk users, created from the command line only."""

from __future__ import annotations

import sys

import click
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.config import clock

from ._errors import InvalidUser
from ._users import ROLES
from ._users import add_user
from ._users import list_users


def _sessions() -> sessionmaker[Session]:
    engine = storage.make_engine(storage.database_url())
    storage.upgrade(engine)
    return storage.make_sessionmaker(engine)


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
    """Create USERNAME with ROLE; the password is prompted for twice, hidden, unless --password-stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with _sessions()() as session, session.begin():
            add_user(session, username, password, role, actor="cli", at=clock()())
    except InvalidUser as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {username} added with role {role}")


@user.command("list")
def list_() -> None:
    """Every desk user: name, role, created, and whether disabled."""
    with _sessions()() as session:
        users = list_users(session)
        if not users:
            click.echo("no users yet: add one with `gateway user add NAME --role clerk`")
            return
        for found in users:
            state = "  disabled" if found.disabled else ""
            click.echo(f"{found.username:<24} {found.role:<7} {found.created_at:%Y-%m-%d %H:%M}{state}")
