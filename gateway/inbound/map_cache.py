"""Parsed pyx12 maps kept between processes, so a command does not parse the 850 map's XML each time.

Parsing the envelope and 850 maps costs about 0.15-0.3 s of CPU at every `gateway ingest`;
reading them back pickled costs about 0.02 s. A map is kept under the data home
(``$GATEWAY_HOME/cache/x12-maps/``), in a file named after the SHA-256 of everything it was
made from: pyx12's version, the Python version, and the bytes of the map file and of the files
pyx12 reads beside it. A changed map, pyx12 or Python makes a new name, so a stale map is never
read; an unreadable file is parsed again and rewritten. Loading a pickle runs code, so a kept map
is read, and one is written, only in a folder this user owns that nobody else may write to.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
import sys
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def map_store_from_environment() -> PickledMaps | None:
    """Maps kept under the data home, when there is one (a store on PostgreSQL may have none)."""
    from gateway.storage import data_home

    home = data_home(create=False)
    return PickledMaps(home / "cache" / "x12-maps") if home.is_dir() else None


class PickledMaps:
    """A ``parsers.MapStore`` over a folder of pickled maps."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def load(self, sources: Sequence[Path], version: str, parse: Callable[[], Any]) -> Any:
        path = self._folder / f"{sources[0].name}.{_digest(sources, version)}.pickle"
        try:
            if _private(self._folder):
                with path.open("rb") as kept:
                    return pickle.load(kept)
        except FileNotFoundError:
            pass
        except Exception as exc:  # a torn or foreign file: parse the XML and write it again
            log.warning("parsed X12 map %s unreadable (%s); parsing the XML again", path, exc)
        parsed = parse()
        self._keep(path, sources[0].name, parsed)
        return parsed

    def _keep(self, path: Path, name: str, parsed: Any) -> None:
        try:
            import tempfile  # only to write: reading commands do without it

            data = pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL)
            self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not _private(self._folder):
                log.warning(
                    "%s is not private to this user: parsed X12 maps are not kept there", self._folder
                )
                return
            # written aside, then renamed: a process reading at the same time sees all of it or nothing
            fd, temporary = tempfile.mkstemp(dir=self._folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(temporary, path)
            finally:
                Path(temporary).unlink(missing_ok=True)
            for stale in self._folder.glob(f"{name}.*.pickle"):
                if stale != path:  # made from an older map, pyx12 or Python
                    stale.unlink(missing_ok=True)
        except (OSError, pickle.PicklingError, RecursionError) as exc:  # the map still serves this process
            log.warning("could not keep the parsed X12 map %s: %s", path, exc)


def _private(folder: Path) -> bool:
    """A folder this user owns, that neither its group nor others may write to."""
    try:
        info = folder.stat()
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISDIR(info.st_mode) and mine and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _digest(sources: Sequence[Path], version: str) -> str:
    digest = hashlib.sha256(f"pyx12 {version}; python {sys.version_info[:3]}".encode())
    for source in sources:
        digest.update(b"\0" + source.name.encode() + b"\0")
        try:
            digest.update(source.read_bytes())
        except FileNotFoundError:
            digest.update(b"(none)")
    return digest.hexdigest()[:32]
