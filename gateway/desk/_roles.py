"""The desk's roles: ``clerk`` works the queue, ``credit`` releases credit holds, ``admin`` may do both.

Plain names, apart from ``_users``, so ``gateway user add --role`` offers them without loading the store.
"""

from __future__ import annotations

CLERK = "clerk"
CREDIT = "credit"
ADMIN = "admin"
ROLES = (CLERK, CREDIT, ADMIN)
