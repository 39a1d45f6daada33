"""Lazy front doors: a package's exports are imported on first use, not with the package (PEP 562).

A package whose modules pull in heavy libraries (openpyxl, pdfplumber, Tesseract's wrappers,
SQLAlchemy's ORM) lists its exports once, as explicit re-exports under ``if TYPE_CHECKING:``, so
mypy sees each one typed, and ends with::

    __getattr__, __dir__ = front_door(__name__, __file__)

``front_door`` reads that block from the package's source and imports an export's module when
the name is first looked up: ``parsers.parse_pdf_order`` imports pdfplumber only when a PDF
arrives, and ``gateway --help`` imports neither. A submodule can be an export too
(``from . import x12_856 as x12_856``): ``emitters.x12_856`` is imported when an 856 is written. This is the pattern of Scientific Python's
SPEC 1 (lazy_loader's ``attach_stub``), with the list kept in the ``__init__`` itself.

``built_on_look_up`` is the same hook for values a module builds itself, one by one: the store's
tables and mapped classes (``gateway.storage.tables``, ``_models``).
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from collections.abc import Collection
from pathlib import Path
from typing import Any


def front_door(package: str, init_file: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, from the re-exports in its ``TYPE_CHECKING`` block."""
    exports = lazy_exports(Path(init_file).read_text(encoding="utf-8"))

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if module.strip("."):
            value = getattr(importlib.import_module(module, package), name)
        else:  # `from . import module as module`: the submodule itself
            value = importlib.import_module(module + name, package)
        setattr(sys.modules[package], name, value)  # every later use is a plain attribute lookup
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__


def built_on_look_up(
    module: str,
    names: Collection[str],
    build: Callable[[str], Any],
    whole: str,
    build_whole: Callable[[], Any],
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``module``, whose ``names`` are each built on their first
    look-up by ``build`` (which also sets the name on the module, so a later look-up is a plain
    attribute); ``whole`` builds them all and is ``build_whole()``'s value."""

    def __getattr__(name: str) -> Any:
        if name == whole:
            for each in names:
                build(each)
            value = build_whole()
            setattr(sys.modules[module], name, value)  # every later look-up is a plain attribute
            return value
        if name not in names:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        return build(name)

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[module]), whole, *names})

    return __getattr__, __dir__


def lazy_exports(source: str) -> dict[str, str]:
    """Exported name -> relative module, from ``from .module import name as name`` under ``if TYPE_CHECKING:``.

    A submodule exported as itself (``from . import module as module``) maps to the dots alone.
    """
    exports: dict[str, str] = {}
    for node in ast.parse(source).body:
        if not (
            isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        ):
            continue
        for statement in node.body:
            if not isinstance(statement, ast.ImportFrom) or not statement.level:
                raise ValueError(
                    f"line {statement.lineno}: a lazy export is a `from .module import name as name`"
                )
            module = "." * statement.level + (statement.module or "")
            for alias in statement.names:
                if alias.asname != alias.name:
                    raise ValueError(
                        f"line {statement.lineno}: write `{alias.name} as {alias.name}` (a re-export)"
                    )
                exports[alias.name] = module
    return exports
