"""Settings read from the environment (besides the store's, which gateway.storage reads)."""

from __future__ import annotations

import os
from pathlib import Path

from partners import PROFILES_DIR


def partners_dir() -> Path:
    """``$GATEWAY_PARTNERS_DIR``, else the profiles shipped in partners/profiles/."""
    configured = os.environ.get("GATEWAY_PARTNERS_DIR")
    return Path(configured) if configured else PROFILES_DIR
