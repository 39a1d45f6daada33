"""Desk users: created with a hashed password (Werkzeug's scrypt), authenticated, checked for a role.

Roles: ``clerk`` works the queue (fixes, approves, rejects), ``credit`` releases credit holds,
``admin`` may do both. Passwords follow the rule in ``_passwords``. A new password, disabling
(``disable_user``) and logout (``end_sessions``) raise the user's session generation, which
ends every session made before. Functions take a session and never commit.
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from gateway import storage
from gateway.storage import DeskUser

from ._errors import InvalidUser
from ._errors import PermissionDenied
from ._passwords import password_problem
from ._roles import ADMIN as ADMIN
from ._roles import CLERK as CLERK
from ._roles import CREDIT as CREDIT
from ._roles import ROLES as ROLES

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@cache
def _dummy_hash() -> str:
    """Checked against when the username is unknown, so a wrong name costs as long as a wrong password.

    Made on first use, not at import: an scrypt hash takes a noticeable moment."""
    return generate_password_hash("not a password of anyone")


def add_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    actor: str = "system",
    at: datetime | None = None,
) -> DeskUser:
    """Create a desk user; raises ``InvalidUser`` for a bad or taken name, an unknown role or a weak password
    (see ``_passwords``)."""
    if not _USERNAME.match(username):
        raise InvalidUser(
            f"username {username!r} is not allowed: use 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    if role not in ROLES:
        raise InvalidUser(f"role {role!r} is not one of {', '.join(ROLES)}")
    _require_good_password(username, password)
    if find_user(session, username) is not None:
        raise InvalidUser(f"there is already a user {username!r}")
    when = at or datetime.now(UTC)
    user = DeskUser(
        username=username,
        password_hash=generate_password_hash(password),
        role=role,
        created_at=when,
        disabled=False,
    )
    session.add(user)
    session.flush()
    storage.record_audit(
        session,
        actor=actor,
        action="user.add",
        subject_type="desk_user",
        subject_id=username,
        after={"username": username, "role": role},
        at=when,
    )
    return user


def set_password(
    session: Session, username: str, password: str, *, actor: str = "system", at: datetime | None = None
) -> DeskUser:
    """Give an existing user a new password, ending their sessions; raises ``InvalidUser`` for an unknown
    name or a weak password."""
    user = _existing(session, username)
    _require_good_password(username, password)
    user.password_hash = generate_password_hash(password)
    user.session_generation += 1
    storage.record_audit(
        session,
        actor=actor,
        action="user.password",
        subject_type="desk_user",
        subject_id=username,
        at=at or datetime.now(UTC),
    )
    return user


def disable_user(
    session: Session, username: str, *, actor: str = "system", at: datetime | None = None
) -> DeskUser:
    """Disable a user: they can no longer log in, and every session of theirs ends at once."""
    user = _existing(session, username)
    user.disabled = True
    user.session_generation += 1
    storage.record_audit(
        session,
        actor=actor,
        action="user.disable",
        subject_type="desk_user",
        subject_id=username,
        before={"disabled": False},
        after={"disabled": True},
        at=at or datetime.now(UTC),
    )
    return user


def end_sessions(user: DeskUser) -> None:
    """End every session of ``user`` (logout): a session is valid only with the current generation."""
    user.session_generation += 1


def find_user(session: Session, username: str) -> DeskUser | None:
    return session.scalars(select(DeskUser).where(DeskUser.username == username)).first()


def find_user_by_id(session: Session, user_id: int) -> DeskUser | None:
    """The user a desk session names (its cookie holds the id)."""
    return session.get(DeskUser, user_id)


def list_users(session: Session) -> list[DeskUser]:
    return list(session.scalars(select(DeskUser).order_by(DeskUser.username)))


def authenticate(session: Session, username: str, password: str) -> DeskUser | None:
    """The user whose name and password these are, or None (unknown, wrong password, or disabled)."""
    user = find_user(session, username)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or user.disabled:
        return None
    return user


def _existing(session: Session, username: str) -> DeskUser:
    user = find_user(session, username)
    if user is None:
        raise InvalidUser(f"there is no user {username!r}")
    return user


def _require_good_password(username: str, password: str) -> None:
    problem = password_problem(username, password)
    if problem is not None:
        raise InvalidUser(problem)


def require_role(user: DeskUser, *roles: str, doing: str = "do this") -> None:
    """Raise ``PermissionDenied`` unless ``user`` is enabled and has one of ``roles``."""
    if user.disabled:
        raise PermissionDenied(f"user {user.username} is disabled and may not {doing}")
    if user.role not in roles:
        raise PermissionDenied(
            f"{user.username} ({user.role}) may not {doing}: that needs the {' or '.join(roles)} role"
        )
