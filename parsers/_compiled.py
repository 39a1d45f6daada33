"""Refuses to run compiled modules built before their sources last changed.

``scripts/build_compiled.py`` compiles the X12 reading and validating paths with mypyc into C extensions beside the
sources, where an extension shadows the ``.py`` of its name, and records the build in
``build/mypyc/built.json``; the script touches that record whenever it finds the build current. A
listed source modified after the record is refused when ``parsers`` is imported, instead of being
run from the old build. Every extension, a validator's or a storage module's too, imports the build's
shared library in ``parsers`` before it runs, so this check comes first whichever package is imported first.
"""

from __future__ import annotations

import json
from pathlib import Path

from gateway.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
RECORD = "build/mypyc/built.json"


class StaleBuild(ConfigError):
    """A compiled module older than its source; ``make compiled`` rebuilds it."""


def refuse_stale_build(root: Path = ROOT) -> None:
    """Raise ``StaleBuild`` when a compiled source changed after the build's record; nothing built is fine."""
    record = root / RECORD
    try:
        built_at = record.stat().st_mtime_ns
    except FileNotFoundError:
        return  # nothing built: the pure Python modules run
    edited = [
        source
        for source in sorted(json.loads(record.read_text())["sources"])
        if not (root / source).exists() or (root / source).stat().st_mtime_ns > built_at
    ]
    if edited:
        raise StaleBuild(
            f"{', '.join(edited)} changed after the compiled modules were built ({RECORD}), and an "
            "extension would run in place of the source: run `make compiled` to rebuild them, or "
            "`python scripts/build_compiled.py --remove` to run the pure Python modules"
        )
