"""The password rule for desk users, one for every way a password is set (CLI, form, demo user).

At least 12 and at most 256 characters; not only whitespace; no control or other invisible
character (Unicode category C: NUL, tab, format marks...); not built from the user name; and
not easy to guess by zxcvbn's estimate (score 3 of 4 or more), which knows common passwords,
keyboard walks, repeats, dates and l33t spellings. Pure: no I/O.
"""

from __future__ import annotations

import unicodedata

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # zxcvbn's time grows with the length; nobody types more
MIN_SCORE = 3
_MIN_NAME_MATCH = 3  # shorter user names are not looked for inside the password


def password_problem(username: str, password: str) -> str | None:
    """Why ``password`` may not be ``username``'s password, or None when it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must have at most {MAX_PASSWORD_LENGTH} characters"
    if not password.strip():
        return "the password may not be only spaces"
    if any(unicodedata.category(c).startswith("C") for c in password):
        return "the password may not hold a control character (NUL, tab, newline and the like)"
    name = username.casefold()
    folded = password.casefold()
    if len(name) >= _MIN_NAME_MATCH and (name in folded or name[::-1] in folded):
        return "the password may not be built from the user name"
    from zxcvbn import zxcvbn  # its word lists take 0.1 s to load: only when a password is set

    verdict = zxcvbn(password, user_inputs=[username])
    if verdict["score"] < MIN_SCORE:
        hint = verdict["feedback"]["warning"] or "use a few unrelated words, or a password manager"
        return f"the password is too easy to guess ({hint.rstrip('.')})"
    return None
