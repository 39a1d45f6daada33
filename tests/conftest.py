"""Shared test fixtures: a fresh SQLite store per test, partner registries, a pipeline."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.inbound.master_data import load_demo_master_data
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from partners import load_profile
from tests.servers.postgres import Postgres
from tests.slow_first import slow_first

if TYPE_CHECKING:
    from bench import extraction

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
INBOX = ROOT / "fixtures" / "inbox"
TEST_PROFILES = Path(__file__).parent / "profiles"
FIXED_NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def gateway_command(*args: str) -> list[str]:
    """The ``gateway`` command as a child process; run with ``cwd=ROOT``, it imports this checkout's code."""
    return [sys.executable, "-c", "from gateway.cli.commands import main; main()", *args]


def allocated(sessions: sessionmaker[Session], sku: str) -> Decimal:
    """How much of ``sku`` the store holds for orders, over every warehouse."""
    with sessions() as session:
        total = session.scalar(
            select(func.sum(storage.InventoryLevel.allocated)).where(storage.InventoryLevel.sku == sku)
        )
    assert total is not None
    return Decimal(total)


def acme_changed(folder: Path, changes: dict[str, str]) -> Path:
    """Write ``folder/acme.toml``: the shipped acme profile with each text ``old`` in ``changes``
    (which must be in it) replaced by its ``new``; returns ``folder`` (made if need be)."""
    folder.mkdir(exist_ok=True)
    acme = (ROOT / "partners" / "profiles" / "acme.toml").read_text()
    for old, new in changes.items():
        assert old in acme, old
        acme = acme.replace(old, new)
    (folder / "acme.toml").write_text(acme)
    return folder


def acme_with(tmp_path: Path, **changes: str) -> PartnerRegistry:
    """A registry of acme alone, its profile changed as ``acme_changed`` says."""
    return PartnerRegistry.from_directory(acme_changed(tmp_path / "profiles", changes))


def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's long write transaction on a SQLite store: its write lock, held until COMMIT."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE document SET status = status WHERE id < 0")
    return holder


def acme_850(
    folder: Path, po: str, control: str, *changes: tuple[bytes, bytes], name: str | None = None
) -> Path:
    """The demo acme 850 under PO ``po`` and interchange number ``control``, each (old, new) of
    ``changes`` replaced (old must be in it), written to ``folder/name`` (default PO-CONTROL.edi)."""
    data = (INBOX / "acme-4500012345.edi").read_bytes()
    data = data.replace(b"4500012345", po.encode()).replace(b"000001001", control.encode())
    for old, new in changes:
        assert old in data, old
        data = data.replace(old, new)
    path = folder / (name or f"{po}-{control}.edi")
    path.write_bytes(data)
    return path


def three_po_interchange() -> bytes:
    """acme's clean 850 three times in one interchange (POs 4500012346-48): three orders accepted at FIXED_NOW."""
    text = (INBOX / "acme-4500012345.edi").read_text()
    head, rest = text.split("ST*850*0001~\n", 1)
    body, tail = rest.split("SE*22*0001~\n", 1)
    sets = "".join(
        f"ST*850*000{n}~\n" + body.replace("4500012345", f"45000123{45 + n}") + f"SE*22*000{n}~\n"
        for n in (1, 2, 3)
    )
    return (head + sets + tail.replace("GE*1*", "GE*3*")).encode("ascii")


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary folder: under pytest-xdist every process's own is a subfolder of it."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """The folder ``run_folder/name`` that ``build(folder)`` filled, once per run however many
    xdist processes ask: the first builds it under a lock on the run's folder, the others wait on
    that lock (no deadline), then use it. Tests copy what it holds, never change it."""
    folder = run_folder(tmp_path_factory) / name
    built = folder.parent / f"{name}.built"  # written last: the folder is complete
    if not built.exists():
        with (folder.parent / f"{name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not built.exists():
                shutil.rmtree(folder, ignore_errors=True)  # a build that failed in another process
                folder.mkdir()
                build(folder)
                built.touch()
    return folder


def _migrate(folder: Path) -> None:
    engine = storage.make_engine(f"sqlite:///{folder / 'gateway.db'}")
    storage.upgrade(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite store migrated to the newest schema, built once per run; tests copy it (a
    copy takes milliseconds, migrating a store a second or more)."""
    return built_once(tmp_path_factory, "migrated", _migrate) / "gateway.db"


@pytest.fixture
def sessions(tmp_path: Path, migrated_template: Path) -> Iterator[sessionmaker[Session]]:
    """A fresh, empty store at the newest schema."""
    yield from copy_of(migrated_template, tmp_path / "gateway.db")


@pytest.fixture(scope="session")
def master_template(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    """A SQLite store holding the demo master data, built once per run (about 4 s of CPU); tests
    copy it."""

    def build(folder: Path) -> None:
        shutil.copyfile(migrated_template, folder / "gateway.db")
        engine = storage.make_engine(f"sqlite:///{folder / 'gateway.db'}")
        with storage.make_sessionmaker(engine)() as session, session.begin():
            load_demo_master_data(session, ROOT / "fixtures" / "master")
        engine.dispose()

    return built_once(tmp_path_factory, "master", build) / "gateway.db"


@pytest.fixture
def master_sessions(tmp_path: Path, master_template: Path) -> Iterator[sessionmaker[Session]]:
    """A fresh store with the demo master data loaded."""
    yield from copy_of(master_template, tmp_path / "gateway.db")


def copy_of(template: Path, path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on a copy of the SQLite store ``template`` at ``path``, its engine disposed after."""
    shutil.copyfile(template, path)
    engine = storage.make_engine(f"sqlite:///{path}")
    yield storage.make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def postgres(request: pytest.FixtureRequest) -> Iterator[Postgres]:
    """A PostgreSQL server; each test makes its own database. Under pytest-xdist it is the run's one
    server, which the controller started (``pytest_configure_node``), and this process's databases
    carry its name as a prefix; a run in one process starts its own."""
    shared = getattr(request.config, "workerinput", {}).get("postgres")
    if shared is not None:
        worker = request.config.workerinput["workerid"]  # type: ignore[attr-defined]
        yield Postgres.shared(Path(shared["home"]), int(shared["port"]), prefix=f"{worker}_").wait_until_up()
        return
    server = Postgres().start()
    yield server
    server.stop()


# What a long-running process's warm-up loads first (gateway.inbound.pipeline.Pipeline.warm_up):
# the X12 maps of the shipped profiles' versions, kept pickled under GATEWAY_HOME as it runs.
_KEEP_X12_MAPS = """
from gateway.inbound.map_cache import map_store_from_environment
from parsers.x12 import MAP_DIR
from parsers import preload_x12_maps, use_map_store
from partners import PartnerRegistry
use_map_store(map_store_from_environment())
preload_x12_maps(MAP_DIR, {profile.version for profile in PartnerRegistry.from_directory()})
"""


@pytest.fixture(scope="session")
def x12_maps(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], None]:
    """Gives a data home the parsed X12 maps that its first `gateway worker` or `gateway run`
    would otherwise parse from pyx12's XML at warm-up: 19 maps, about 4 s of CPU in every such
    process, 0.4 s read back pickled (gateway/inbound/map_cache.py; a pickle's name is the hash
    of the map, pyx12 and Python, so a copy is never stale). Kept once per run (``built_once``)
    by a child, as a first worker keeps them; each home gets its own copy."""

    def keep(home: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        env.update(GATEWAY_HOME=str(home), PYTHONPATH=str(ROOT))  # this checkout's code and profiles
        subprocess.run([sys.executable, "-c", _KEEP_X12_MAPS], env=env, cwd=ROOT, check=True)
        assert any((home / "cache" / "x12-maps").glob("*.pickle")), "no X12 map was kept"

    kept = built_once(tmp_path_factory, "x12-maps", keep) / "cache" / "x12-maps"

    def give(data_home: Path) -> None:
        shutil.copytree(kept, data_home / "cache" / "x12-maps", dirs_exist_ok=True)  # private, as kept

    return give


@pytest.fixture(scope="session")
def extraction_result() -> extraction.Result:
    """``bench.extraction.score()`` once per run (the real corpus, the fixtures, OCR: half a minute
    of CPU), read by the benchmark's own tests and by the report test that runs it through
    ``python -m bench``."""
    from bench import extraction  # pdfplumber and the OCR reader: only for the tests that score

    return extraction.score()


@pytest.fixture
def partners() -> PartnerRegistry:
    return PartnerRegistry.from_directory()


@pytest.fixture
def corpus_partners() -> PartnerRegistry:
    registry = PartnerRegistry.from_directory()
    for path in sorted(TEST_PROFILES.glob("*.toml")):
        registry.add(load_profile(path))
    return registry


@pytest.fixture
def pipeline(sessions: sessionmaker[Session], partners: PartnerRegistry) -> Pipeline:
    """Parse-only: these tests are about reading documents; validation has its own tests."""
    return Pipeline(sessions, partners, clock=lambda: FIXED_NOW, validate=False)


@pytest.fixture
def corpus_pipeline(sessions: sessionmaker[Session], corpus_partners: PartnerRegistry) -> Pipeline:
    return Pipeline(sessions, corpus_partners, clock=lambda: FIXED_NOW, validate=False)


@pytest.fixture(autouse=True)
def _no_map_store_after_the_test() -> Iterator[None]:
    """A test that wires a pipeline from the environment gives this process a map store under its
    temporary data home; the next test starts without one, as a fresh command would."""
    yield
    from parsers import use_map_store

    use_map_store(None)


_RUN_POSTGRES = pytest.StashKey[tuple[Postgres, threading.Thread] | None]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist's controller tells each process how tests are handed out (a process sees its
    own ``--dist`` as "no") and where the run's PostgreSQL server is.

    The controller starts that one server, in a thread while the processes start and collect
    (about a second of CPU, paid by a run that never uses it); each process starting and seeding
    its own cost about 8 s of CPU. A process's ``postgres`` fixture waits for it to accept
    connections. The controller stops it, and so counts its CPU, at the end of the run."""
    config = node.config
    node.workerinput["dist"] = config.getoption("dist")
    if _RUN_POSTGRES not in config.stash:
        try:
            server = Postgres()  # its folder and port, known before it starts
        except RuntimeError:  # not installed: each process's postgres fixture says so to its tests
            config.stash[_RUN_POSTGRES] = None
        else:
            starting = threading.Thread(target=server.start_for_others, name="postgres", daemon=True)
            starting.start()
            config.stash[_RUN_POSTGRES] = (server, starting)
    if (run := config.stash[_RUN_POSTGRES]) is not None:
        node.workerinput["postgres"] = run[0].sharing()


def pytest_unconfigure(config: pytest.Config) -> None:
    if (run := config.stash.get(_RUN_POSTGRES, None)) is not None:
        server, starting = run
        starting.join()
        server.stop()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--dist worksteal``, each xdist process's run starts with its share of the known
    slow files (tests/slow_first.py); a run in one process keeps the collection order."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None or workerinput.get("dist") != "worksteal":
        return
    files = [item.nodeid.split("::", 1)[0] for item in items]
    items[:] = slow_first(items, files, int(workerinput["workercount"]))
