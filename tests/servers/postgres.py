"""A real PostgreSQL server on 127.0.0.1 for tests, in its own folder, started from Debian's binaries.

Under pytest-xdist the run's controller starts one server (tests/conftest.py) and each test
process uses it through ``Postgres.shared``: its databases carry the process's prefix, and the
migrated and seeded templates are built once per run under a file lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gateway import storage
from gateway.inbound.master_data import load_demo_master_data
from tests.servers.dovecot import free_port

USER = "gateway"
MIGRATED = "gateway_migrated"  # the template a test's migrated database is cloned from
SEEDED = "gateway_seeded"  # the same with the demo master data, for a test's seeded database
MASTER = Path(__file__).resolve().parents[2] / "fixtures" / "master"


def _binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: `make test` installs Debian's postgresql (needs root)"
        )
    return found[-1].parent


class Postgres:
    """initdb + postgres on a free loopback port; as root the server runs as the ``postgres`` user.

    A test names its databases as it likes; on a server shared by the run's processes each name
    is given the process's ``prefix`` (``dsn`` and the ``*_database`` methods do it alike)."""

    def __init__(self, home: Path | None = None, port: int | None = None, prefix: str = "") -> None:
        """A new server in a folder of its own, or (``home`` and ``port`` given) the one another
        process started there (``shared``)."""
        self.bin = _binaries()
        self._owned = home is None  # this object starts the server and stops it
        self.home = home or Path(tempfile.mkdtemp(prefix="gateway-postgres-"))
        self.data = self.home / "data"
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.prefix = prefix
        self._user = "postgres" if os.geteuid() == 0 else None
        if self._user and self._owned:
            shutil.chown(self.home, self._user)
            self.home.chmod(0o755)

    @classmethod
    def shared(cls, home: Path, port: int, prefix: str) -> Postgres:
        """The server another process started in ``home`` on ``port`` (``started_by`` below); this
        process's databases are named ``prefix`` + the test's name, and ``stop`` leaves it running."""
        return cls(home, port, prefix)

    def sharing(self) -> dict[str, str]:
        """What ``shared`` needs to reach this server from another process."""
        return {"home": str(self.home), "port": str(self.port)}

    def start_for_others(self) -> None:
        """``start``, in a thread of the process that shares the server: a failure is written to
        the server's folder for the others' ``wait_until_up``."""
        try:
            self.start()
        except BaseException as error:
            (self.home / "failed").write_text(f"PostgreSQL did not start: {error}")
            raise

    def wait_until_up(self) -> Postgres:
        """Waits until the shared server accepts connections (another process is starting it)."""
        failed = self.home / "failed"
        return self._accepting(lambda: failed.read_text() if failed.exists() else None)

    def _accepting(self, failure: Callable[[], str | None]) -> Postgres:
        """Returns once the server accepts connections; raises when ``failure`` names one."""
        deadline = time.monotonic() + 600  # only ends a hung start: a loaded machine may take minutes
        while True:
            try:
                psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
                return self
            except psycopg.OperationalError:
                if (why := failure()) is not None:
                    raise RuntimeError(why) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not start within 600 s") from None
                time.sleep(0.2)

    def _run(self, *args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, user=self._user)

    def start(self) -> Postgres:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            USER,
            "-E",
            "UTF8",
            "--no-sync",
        )
        return self._launch()

    def _launch(self) -> Postgres:
        log = (self.home / "postgres.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.home}",
                "-c", "fsync=off", "-c", "max_connections=400",  # three test processes' pools
            ],
            stdout=log, stderr=subprocess.STDOUT, user=self._user,
        )  # fmt: skip
        return self._accepting(self._exited)

    def _exited(self) -> str | None:
        """Why the server this object launched is not running, or None while it is."""
        assert self.process is not None
        if self.process.poll() is None:
            return None
        return "PostgreSQL did not start: " + (self.home / "postgres.log").read_text()[-2000:]

    def restart(self, down_seconds: float = 1.0) -> None:
        """A fast shutdown (every client disconnected, as in a real restart), a pause, and up again."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=600)  # only ends a hung shutdown: a loaded machine may take minutes
        time.sleep(down_seconds)
        self._launch()

    def database(self, name: str) -> str:
        """The server's name for a test's database ``name`` (the templates and ``postgres`` are the
        server's own)."""
        return name if name in ("postgres", MIGRATED, SEEDED) else self.prefix + name

    def dsn(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{self.database(database)}"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database``."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{self.database(database)}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.database(name)}"')
        return self.url(name)

    @contextlib.contextmanager
    def _templates_locked(self) -> Iterator[None]:
        """Held while a template is looked for and built: the run's processes share the server's."""
        with (self.home / "templates.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # no deadline: a loaded machine may build for minutes
            yield

    def _clone(self, name: str, template: str) -> str:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.database(name)}" TEMPLATE "{template}"')
        return self.url(name)

    def migrated_database(self, name: str) -> str:
        """A new database at the newest schema; returns its SQLAlchemy URL.

        The first call on a server migrates a template; the others clone it (CREATE DATABASE
        ... TEMPLATE copies the files: milliseconds, where migrating takes seconds).
        """
        with self._templates_locked():
            self._build_migrated()
        return self._clone(name, MIGRATED)

    def _build_migrated(self) -> None:
        """The migrated template, unless it exists (called with the templates' lock held)."""
        if not self._exists(MIGRATED):
            engine = storage.make_engine(self.create_database(MIGRATED))
            storage.upgrade(engine)
            engine.dispose()  # a template must have no connections when it is cloned

    def _exists(self, database: str) -> bool:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            return found.fetchone() is not None

    def seeded_database(self, name: str) -> str:
        """A new database at the newest schema holding the demo master data; returns its
        SQLAlchemy URL.

        The first call on a server builds a template from a migrated database and the master data
        (about 10,000 rows through the ORM: seconds of CPU); the others clone it in milliseconds.
        """
        with self._templates_locked():
            self._build_seeded()
        return self._clone(name, SEEDED)

    def _build_seeded(self) -> None:
        """The seeded template, unless it exists (called with the templates' lock held)."""
        if not self._exists(SEEDED):
            self._build_migrated()
            engine = storage.make_engine(self._clone(SEEDED, MIGRATED))
            with storage.make_sessionmaker(engine)() as session, session.begin():
                load_demo_master_data(session, MASTER)
            engine.dispose()  # a template must have no connections when it is cloned

    def seeded_copy_of(self, source: Postgres, name: str) -> str:
        """A new database on this server holding what ``source``'s seeded template holds (as
        ``seeded_database`` there); returns its SQLAlchemy URL. For a test with a server of its own:
        pg_dump | pg_restore takes a fraction of a second of CPU, where migrating and seeding on a
        new server take about 6."""
        with source._templates_locked():
            source._build_seeded()
        url = self.create_database(name)
        dump = subprocess.Popen(
            [str(source.bin / "pg_dump"), "-Fc", "-d", source.dsn(SEEDED)], stdout=subprocess.PIPE
        )
        restored = subprocess.run(
            [str(self.bin / "pg_restore"), "--no-owner", "--exit-on-error", "-d", self.dsn(name)],
            stdin=dump.stdout,
            capture_output=True,
        )
        assert dump.stdout is not None
        dump.stdout.close()
        dumped = dump.wait()
        assert dumped == 0 and restored.returncode == 0, f"pg_dump {dumped}, pg_restore: {restored.stderr!r}"
        return url

    def stop(self) -> None:
        """Stops the server this object started; a shared one is stopped by the process that started it."""
        if not self._owned:
            return
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)


def store_url(
    backend: str,
    request: pytest.FixtureRequest,
    folder: Path,
    name: str,
    *,
    migrated: bool = False,
    seeded: bool = False,
) -> str:
    """The URL of a new store for a test that runs on each backend (``sqlite`` or ``postgresql``):
    a SQLite file in ``folder``, or the session's PostgreSQL database ``name``; empty, or with
    ``migrated`` at the newest schema, or with ``seeded`` at the newest schema and holding the
    demo master data. Migrated and seeded stores are copies of templates built once per run
    (tests/conftest.py's ``migrated_template`` and ``master_template``, ``Postgres``'s templates)."""
    if backend == "sqlite":
        path = folder / "gateway.db"
        if seeded or migrated:
            template = request.getfixturevalue("master_template" if seeded else "migrated_template")
            shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    server: Postgres = request.getfixturevalue("postgres")
    if seeded:
        return server.seeded_database(name)
    return server.migrated_database(name) if migrated else server.create_database(name)
