"""What the order desk refuses, each with a message a clerk can act on::

GatewayError
└── DeskError
    ├── PermissionDenied   the user's role may not do this (or the user is disabled)
    ├── OrderNotFound      no such order
    ├── StaleOrder         someone changed the order since this user opened it
    ├── NotInException     the order is already decided
    ├── InvalidChange      the change itself is wrong: unknown line, SKU, quantity, reason...
    ├── AlertNotOpen       no open alert has that id (never raised, or resolved already)
    └── InvalidUser        a user that cannot be created: bad name, role or password, taken name
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from gateway.errors import GatewayError


class DeskError(GatewayError):
    """Base of everything the order desk refuses."""


class AlertNotOpen(DeskError):
    """No open alert has that id (never raised, or resolved already)."""


class PermissionDenied(DeskError):
    pass


class OrderNotFound(DeskError, LookupError):
    def __init__(self, order_id: int) -> None:
        self.order_id = order_id
        super().__init__(f"there is no order {order_id}")


class StaleOrder(DeskError):
    """Optimistic locking lost: ``expected`` is the version the user saw, ``current`` the one stored."""

    def __init__(
        self,
        order_id: int,
        *,
        expected: int,
        current: int,
        changed_by: str | None,
        changed_at: datetime | None,
    ) -> None:
        self.order_id = order_id
        self.expected = expected
        self.current = current
        self.changed_by = changed_by
        self.changed_at = changed_at
        who = changed_by or "someone else"
        when = f" at {_utc(changed_at):%Y-%m-%d %H:%M:%S} UTC" if changed_at else ""
        super().__init__(
            f"order {order_id} was changed by {who}{when} since you opened it "
            f"(you saw version {expected}, it is now version {current}); "
            "reload it and make your change again"
        )


class NotInException(DeskError):
    def __init__(self, order_id: int, status: str) -> None:
        self.order_id = order_id
        self.status = status
        super().__init__(
            f"order {order_id} is {status}, not in exception; only orders in exception can be changed on the desk"
        )


class InvalidChange(DeskError, ValueError):
    pass


class InvalidUser(DeskError, ValueError):
    pass


def _utc(moment: datetime) -> datetime:
    """The store keeps UTC; SQLite hands it back without a zone."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
