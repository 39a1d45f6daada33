"""The mypyc build of the X12 reading path (``scripts/build_compiled.py``): an extension never
shadows a source edited since it was built, and the modules imported are the ones built.

The suite runs on what ``make test`` built just before it; a source edited since fails here
(``make compiled`` rebuilds). The check itself is proven on a copy of the tree, edited.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mypy.version import __version__ as mypy_version

from gateway._lazy import lazy_exports
from parsers._compiled import StaleBuild
from parsers._compiled import refuse_stale_build
from scripts import build_compiled
from scripts.build_compiled import COMPILED
from scripts.build_compiled import RECORD
from scripts.build_compiled import extension_of

ROOT = Path(__file__).resolve().parent.parent.parent


def test_no_compiled_module_is_older_than_its_source() -> None:
    problems = build_compiled.stale(ROOT, mypy_version=mypy_version)
    assert problems == [], "run `make compiled` (python scripts/build_compiled.py) to rebuild"


@pytest.mark.parametrize("source", COMPILED)
def test_a_built_module_is_imported_from_its_extension(source: str) -> None:
    """Built, the suite tests the extensions; not built, the pure Python modules. (A module another
    compiled module imports first is loaded from the shared library, which names its ``__file__``
    from its own folder: ``parsers/parsers/...``. Only the name is compared.)"""
    module = importlib.import_module(source.removesuffix(".py").replace("/", "."))
    if (ROOT / RECORD).exists():
        assert Path(module.__file__ or "").name == Path(extension_of(source)).name
    else:
        assert Path(module.__file__ or "") == ROOT / source


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the listed sources with stand-ins for their extensions and the shared library,
    recorded as a build records them."""
    for source in COMPILED:
        (tmp_path / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / source, tmp_path / source)
        (tmp_path / extension_of(source)).write_bytes(b"built from " + source.encode())
    (tmp_path / build_compiled.SHARED_LIBRARY).write_bytes(b"shared")
    build_compiled.record(
        tmp_path, {source: build_compiled._sha256(tmp_path / source) for source in COMPILED}
    )
    return tmp_path


def test_a_fresh_build_is_not_stale(tree: Path) -> None:
    assert build_compiled.stale(tree, mypy_version=mypy_version) == []
    written = json.loads((tree / RECORD).read_text())["written"]
    assert sorted(written) == sorted(
        [extension_of(source) for source in COMPILED] + [build_compiled.SHARED_LIBRARY]
    )


def test_an_edited_source_makes_its_extension_stale(tree: Path) -> None:
    source = tree / "parsers/x12/_850.py"
    source.write_text(source.read_text() + "\n# edited\n")
    assert build_compiled.stale(tree) == [
        "parsers/x12/_850.py changed since its extension "
        + extension_of("parsers/x12/_850.py")
        + " was built"
    ]


def test_a_replaced_missing_or_stray_extension_is_stale(tree: Path) -> None:
    (tree / extension_of("parsers/x12/_reader.py")).write_bytes(b"a hand-run mypyc's")
    (tree / extension_of("parsers/_pyx12.py")).unlink()
    (tree / "parsers/_values.py").write_text("")
    (tree / extension_of("parsers/_values.py")).write_bytes(b"not in the list")
    assert build_compiled.stale(tree) == [
        f"{extension_of('parsers/_values.py')} is not one this build wrote",
        f"{extension_of('parsers/x12/_reader.py')} was replaced since the build",
        f"{extension_of('parsers/_pyx12.py')}, written by the build, is missing",
    ]


def test_extensions_without_a_record_or_built_by_another_mypy_are_stale(tree: Path) -> None:
    assert build_compiled.stale(tree, mypy_version="0.0") == [
        f"built with mypy {mypy_version}, mypy 0.0 is installed"
    ]
    (tree / RECORD).unlink()
    assert len(build_compiled.stale(tree)) == len(COMPILED) + 1  # each extension and the shared library
    build_compiled.remove(tree)
    assert build_compiled.stale(tree) == []  # nothing built: the pure Python modules run


def test_importing_parsers_refuses_a_source_edited_after_the_build(tree: Path) -> None:
    """Outside the suite too: ``parsers`` will not run an extension older than its source."""
    refuse_stale_build(tree)  # as built
    source = tree / "parsers/x12/_reader.py"
    built_at = (tree / RECORD).stat().st_mtime_ns
    source.write_text(source.read_text() + "\n# edited\n")
    os.utime(source, ns=(built_at + 1_000_000_000, built_at + 1_000_000_000))
    with pytest.raises(StaleBuild, match=r"parsers/x12/_reader\.py changed after .*`make compiled`"):
        refuse_stale_build(tree)
    os.utime(tree / RECORD, ns=(built_at + 2_000_000_000, built_at + 2_000_000_000))  # a later build
    refuse_stale_build(tree)
    build_compiled.remove(tree)
    source.write_text(source.read_text() + "\n# edited again\n")
    refuse_stale_build(tree)  # nothing built: the pure Python modules run


def test_a_source_touched_unchanged_is_refused_until_the_script_checks_the_build(tree: Path) -> None:
    """A checkout rewrites sources unchanged: the script finds the build current and marks its record
    checked, and importing ``parsers`` agrees."""
    earlier = (tree / RECORD).stat().st_mtime_ns - 10_000_000_000  # the sources now look newer
    os.utime(tree / RECORD, ns=(earlier, earlier))
    with pytest.raises(StaleBuild):
        refuse_stale_build(tree)
    assert build_compiled.stale(tree) == []
    build_compiled.mark_checked(tree)
    refuse_stale_build(tree)


def test_the_installed_gateway_imports_its_compiled_modules_from_any_folder(tmp_path: Path) -> None:
    """As the ``gateway`` command runs them: from another folder, without this tree on the path (the
    editable install finds packages, not the tree's root, so the shared library lives in ``parsers``)."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import parsers.x12._850 as m, parsers._pyx12 as p; print(m.__file__, p.__file__)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert child.returncode == 0, child.stderr


def _lazy_packages() -> dict[str, dict[str, str]]:
    """Every lazy front door (``gateway._lazy``) of the tree: its exports, name -> absolute module."""
    doors: dict[str, dict[str, str]] = {}
    for init in sorted(ROOT.glob("*/**/__init__.py")):
        source = init.read_text(encoding="utf-8")
        if "front_door(__name__" not in source:
            continue
        package = ".".join(init.relative_to(ROOT).parent.parts)
        doors[package] = {
            name: importlib.util.resolve_name(module + name if not module.strip(".") else module, package)
            for name, module in lazy_exports(source).items()
        }
    return doors


def _front_doors_used(tree: ast.Module, doors: dict[str, dict[str, str]]) -> dict[str, str]:
    """The names a module binds to a lazy package (``import validators``, ``from gateway import storage``)."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in doors:
                    bound[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in doors:
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


@pytest.mark.parametrize("source", COMPILED)
def test_a_compiled_module_reaches_no_other_compiled_module_through_a_lazy_front_door(source: str) -> None:
    """mypyc calls a name that a front door re-exports under ``TYPE_CHECKING`` straight in its compiled
    module, without importing that module: ``storage.fit_to_columns(...)`` in a compiled module ran
    ``_fit`` uninitialised (a segmentation fault) whenever nothing had imported ``gateway.storage._fit``
    yet. A compiled module imports what it calls of another compiled module from that module itself."""
    doors = _lazy_packages()
    compiled = {name.removesuffix(".py").replace("/", ".") for name in COMPILED}
    tree = ast.parse((ROOT / source).read_text(encoding="utf-8"))
    bound = _front_doors_used(tree, doors)
    reached = sorted(
        f"{node.value.id}.{node.attr} ({doors[bound[node.value.id]][node.attr]})"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in bound
        and doors[bound[node.value.id]].get(node.attr) in compiled
    )
    assert reached == []


def test_the_front_door_check_finds_a_compiled_function_reached_through_storage() -> None:
    """The control: the way rows.py first called ``_fit`` is found."""
    doors = _lazy_packages()
    tree = ast.parse("from gateway import storage\nstorage.fit_to_columns(table, row)\n")
    bound = _front_doors_used(tree, doors)
    assert bound == {"storage": "gateway.storage"}
    assert doors["gateway.storage"]["fit_to_columns"] == "gateway.storage._fit"


@pytest.mark.parametrize("source", [source for source in COMPILED if not source.startswith("parsers/")])
def test_a_compiled_module_outside_parsers_is_guarded_whichever_package_comes_first(source: str) -> None:
    """Every extension loads the build's shared library, which lives in ``parsers``: importing a
    validator or a storage module first (in a process that never names ``parsers``) imports ``parsers``,
    whose stale check refuses an edited source, before the extension runs."""
    module = source.removesuffix(".py").replace("/", ".")
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, {module} as m; print(m.__file__); print('parsers._compiled' in sys.modules)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert child.returncode == 0, child.stderr
    loaded, guarded = child.stdout.split()
    if (ROOT / RECORD).exists():
        assert Path(loaded).name == Path(extension_of(source)).name
        assert guarded == "True"
    else:
        assert Path(loaded) == ROOT / source  # nothing built: the source runs, nothing to guard
