"""Which HTTP answers are worth sending the same request again for: one rule for every HTTP client here."""

from __future__ import annotations

# The server timed out waiting for the request (408), will not risk a replay yet (425), or asks the
# client to slow down (429); any 5xx is the server's own trouble, which may pass.
_TRANSIENT = frozenset({408, 425, 429})


def worth_retrying(status: int) -> bool:
    """Whether an answer with HTTP ``status`` may turn out otherwise if the request is sent again later."""
    return status >= 500 or status in _TRANSIENT
