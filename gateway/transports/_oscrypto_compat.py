"""Lets oscrypto 1.3.0 (pyas2lib's crypto backend) read an OpenSSL version with a two-digit part (3.0.19).

oscrypto 1.3.0 finds the libcrypto version with the regex ``\\b(\\d\\.\\d\\.\\d[a-z]*)\\b``,
which matches one digit per part: "OpenSSL 3.0.19" fails and importing oscrypto raises
``LibraryNotFoundError: Error detecting the version of libcrypto``. Upstream fixed the regex
to ``\\b(\\d+\\.\\d+\\.\\d+[a-z]*)\\b`` on master (commit d5f3437) but never released it:
https://github.com/wbond/oscrypto/issues/78 (first reported as #75).

``install()`` puts a meta-path finder in front of the normal ones. It answers only for
``oscrypto._openssl._libcrypto_cffi`` and ``oscrypto._openssl._libcrypto_ctypes``, loads
their source from the installed package, replaces that one regex, and compiles the result
(no bytecode cache, so the installed files and their .pyc stay untouched). When the source
does not hold the old regex (a fixed oscrypto), the module is compiled unchanged. Import
this module before pyas2lib or oscrypto; importing it installs the hook. Remove it once an
oscrypto release with the fix is pinned.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import CodeType
from types import ModuleType

PATCHED_MODULES = frozenset({"oscrypto._openssl._libcrypto_cffi", "oscrypto._openssl._libcrypto_ctypes"})
# As the regexes are written in oscrypto's source: plain strings with doubled backslashes.
OLD_PATTERN = rb"'\\b(\\d\\.\\d\\.\\d[a-z]*)\\b'"
NEW_PATTERN = rb"'\\b(\\d+\\.\\d+\\.\\d+[a-z]*)\\b'"


def patch_source(source: bytes) -> bytes:
    """``source`` with the version regex fixed; unchanged when the old regex is not in it."""
    return source.replace(OLD_PATTERN, NEW_PATTERN, 1)


class _PatchingLoader(importlib.machinery.SourceFileLoader):
    """Loads one oscrypto module from its source with the version regex fixed."""

    def get_source(self, fullname: str) -> str:
        return patch_source(self.get_data(self.path)).decode("utf-8")

    def get_code(self, fullname: str) -> CodeType:
        return self.source_to_code(patch_source(self.get_data(self.path)), self.path)


class _OscryptoVersionFinder(importlib.abc.MetaPathFinder):
    """Finds the two libcrypto modules through the normal path finder, then swaps in our loader."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in PATCHED_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            return spec
        loader = _PatchingLoader(fullname, spec.origin)
        return importlib.util.spec_from_file_location(fullname, spec.origin, loader=loader)


_FINDER = _OscryptoVersionFinder()


def install() -> None:
    """Put the finder first on ``sys.meta_path``; calling it again does nothing."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


install()
