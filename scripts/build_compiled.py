"""Compiles the X12 reading and validating paths' own modules with mypyc, and tells whether a build is stale.

Each module in ``COMPILED`` becomes a C extension beside its source (plus one shared library,
``parsers/x12_compiled__mypyc``). An extension shadows the ``.py`` of the same
name, so a build records the SHA-256 of every source it compiled and of every file it wrote in
``RECORD``; an edited source then shows as stale here, in ``tests/x12/test_compiled_build.py``
and to ``make``, which rebuilds before the suite and the demo run.

The compiled modules reach every other module only at run time (no ``Final`` constants are
inlined from them), so their own sources are all a build depends on, with mypy's version.

Every extension loads the one shared library, which lives in ``parsers``: importing any compiled
module imports ``parsers`` first, whose stale check (``parsers/_compiled.py``) then covers them all.
A compiled module calls another compiled module's names from that module itself, never through a
lazy front door: mypyc would call the function without importing (initialising) its module.

    python scripts/build_compiled.py            # build if anything is stale or missing
    python scripts/build_compiled.py --check    # exit 1, saying what, when stale
    python scripts/build_compiled.py --if-possible  # build; without a C compiler, remove the
                                                    # extensions so the pure Python runs
    python scripts/build_compiled.py --remove   # back to the pure Python modules
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.machinery
import json
import os
import shutil
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# No pydantic models, no lazy front doors, nothing tests patch inside (issue 18): the reading path's
# leaf modules (sixth round), then the validating path's (seventh).
COMPILED = (
    "parsers/x12/_reader.py",
    "parsers/x12/_850.py",
    "parsers/x12/_850_fields.py",
    "parsers/x12/_prepass.py",
    "parsers/_pyx12.py",
    # The validating path (seventh round): the checks, and the finding rows' fitting and insert.
    "validators/_context.py",
    "validators/_rules.py",
    "validators/_pricing.py",
    "validators/_items.py",
    "validators/_stock.py",
    "validators/_credit.py",
    "validators/_validate.py",
    "gateway/model/truncation.py",
    "gateway/storage/_fit.py",
    "gateway/storage/_bulk.py",
    "gateway/inbound/rows.py",
)
# The modules' shared library, parsers/x12_compiled__mypyc: inside a package, since an installed
# gateway finds its packages, not the tree's root (the editable install maps packages only).
GROUP = "parsers.x12_compiled"
BUILD_DIR = "build/mypyc"
RECORD = "build/mypyc/built.json"
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]  # .cpython-311-x86_64-linux-gnu.so
SHARED_LIBRARY = GROUP.replace(".", "/") + "__mypyc" + SUFFIX


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def extension_of(source: str) -> str:
    """The extension module a source compiles to, relative to the root."""
    return source.removesuffix(".py") + SUFFIX


def _written(root: Path) -> list[Path]:
    """Every extension present that a build writes or that shadows a source: the listed modules',
    the shared library, and any other in the packages or a shared library of a hand-run mypyc."""
    found = sorted(root.glob("*__mypyc" + SUFFIX))
    for package in ("parsers", "gateway", "validators", "emitters", "partners"):
        found += sorted((root / package).rglob("*" + SUFFIX))
    return [path for path in dict.fromkeys(found) if path.exists()]


def _mypy_version() -> str:
    from mypy.version import __version__

    return __version__


def stale(root: Path = ROOT, *, mypy_version: str | None = None) -> list[str]:
    """What makes the extensions under ``root`` differ from their sources; [] when they match, or
    when nothing is built nor recorded (then the pure Python modules are what runs)."""
    written = _written(root)
    record_path = root / RECORD
    if not record_path.exists():
        return [
            f"{path.relative_to(root)} is not recorded by a build ({RECORD} is missing)" for path in written
        ]
    built = json.loads(record_path.read_text())
    problems: list[str] = []
    if mypy_version is not None and built.get("mypy") != mypy_version:
        problems.append(f"built with mypy {built.get('mypy')}, mypy {mypy_version} is installed")
    if built.get("suffix") != SUFFIX:
        problems.append(f"built for {built.get('suffix')}, this interpreter loads {SUFFIX}")
    for source, digest in built["sources"].items():
        if not (root / source).exists() or _sha256(root / source) != digest:
            problems.append(f"{source} changed since its extension {extension_of(source)} was built")
    if sorted(built["sources"]) != sorted(COMPILED):
        problems.append(f"the build compiled {sorted(built['sources'])}, the list is {sorted(COMPILED)}")
    recorded = built["written"]
    for path in written:
        name = str(path.relative_to(root))
        if name not in recorded:
            problems.append(f"{name} is not one this build wrote")
        elif _sha256(path) != recorded[name]:
            problems.append(f"{name} was replaced since the build")
    for name in recorded:
        if not (root / name).exists():
            problems.append(f"{name}, written by the build, is missing")
    return problems


def mark_checked(root: Path = ROOT) -> None:
    """Touch ``RECORD`` of a build found current: sources rewritten unchanged (a checkout) are then
    not refused by ``parsers._compiled``, which compares their times with the record's."""
    (root / RECORD).touch()


def remove(root: Path = ROOT) -> None:
    for path in _written(root):
        path.unlink()
    (root / RECORD).unlink(missing_ok=True)


def can_compile() -> str | None:
    """Why this machine cannot build the extensions (no C compiler, no Python.h), or None."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler}); install gcc"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return "no Python.h; install python3-dev"
    return None


def build(root: Path = ROOT) -> None:
    """Compile ``COMPILED`` in place, then record what was compiled and written."""
    from mypyc.build import mypycify
    from setuptools import setup  # type: ignore[import-untyped]  # the venv's setuptools 65 ships no types

    remove(root)
    sources = {source: _sha256(root / source) for source in COMPILED}
    os.environ["MYPY_CACHE_DIR"] = str(
        root / BUILD_DIR / "cache"
    )  # not the project mypy's, which may run beside
    here = Path.cwd()
    os.chdir(root)
    try:
        setup(
            name="gateway-compiled",
            # gcc -O1, not mypyc's -O3: the build took 81 s of CPU against 120 s, and the validating
            # path's instructions per PO were within the noise (5.81 against 5.99 million).
            ext_modules=mypycify(list(COMPILED), group_name=GROUP, target_dir=BUILD_DIR, opt_level="1"),
            script_args=["--quiet", "build_ext", "--inplace", "--build-temp", BUILD_DIR],
            py_modules=[],
        )
    finally:
        os.chdir(here)
    record(root, sources)


def record(root: Path, sources: dict[str, str]) -> None:
    """Write ``RECORD``: the sources' digests as they were compiled, and every file the build wrote."""
    for source, digest in sources.items():  # a source edited during the build is stale at once
        if _sha256(root / source) != digest:
            sources[source] = "changed during the build"
    written = {str(path.relative_to(root)): _sha256(path) for path in _written(root)}
    content = {"mypy": _mypy_version(), "suffix": SUFFIX, "sources": sources, "written": written}
    (root / RECORD).parent.mkdir(parents=True, exist_ok=True)
    (root / RECORD).write_text(json.dumps(content, indent=1, sort_keys=True) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="say what is stale; exit 1 if anything is")
    mode.add_argument(
        "--if-possible", action="store_true", help="without a C compiler, remove the extensions"
    )
    mode.add_argument("--remove", action="store_true", help="remove the extensions and their record")
    args = parser.parse_args()
    if args.remove:
        remove()
        return 0
    problems = stale(mypy_version=_mypy_version())
    built = (ROOT / RECORD).exists()
    if args.check:
        for problem in problems:
            print(f"stale: {problem}", file=sys.stderr)
        return 1 if problems else 0
    if built and not problems:
        mark_checked()
        return 0
    missing = can_compile()
    if missing is not None:
        if args.if_possible:
            remove()
            print(f"compiled modules removed, running the pure Python ones: {missing}", file=sys.stderr)
            return 0
        print(f"cannot compile the X12 modules: {missing} (scripts/system-packages.sh)", file=sys.stderr)
        return 1
    print(f"== compiling {len(COMPILED)} modules with mypyc (about a minute or two)", flush=True)
    build()
    problems = stale(mypy_version=_mypy_version())
    for problem in problems:
        print(f"stale after the build: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
