"""Start-up loads only what a command uses: checked through ``sys.modules`` of a real child process.

No timing: a module that is not imported costs nothing, whatever the machine's load. Each
check has a control that the same probe does see the library when the command needs it.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway._lazy import lazy_exports
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.workers.probe import run_probe

# Runs `gateway ARGS...` as a user does, then writes the exit code and every module it imported.
# Also the pydantic models whose schema was built (a deferred one is built on first use), and the
# store's tables built (``gateway.storage.tables`` builds each on first use).
_PROBE = """
import json, sys
from gateway.cli.commands import main
try:
    main(sys.argv[2:], prog_name="gateway")
except SystemExit as exc:
    code = exc.code
built = []
if "pydantic" in sys.modules:
    todo = list(sys.modules["pydantic"].BaseModel.__subclasses__())
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        if model.__module__.split(".")[0] in ("gateway", "parsers", "validators", "emitters", "partners"):
            if model.__pydantic_complete__:
                built.append(model.__module__ + "." + model.__qualname__)
schema = sys.modules.get("gateway.storage.tables")
tables = sorted(schema._metadata.tables) if schema else []
with open(sys.argv[1], "w") as out:
    json.dump({"exit": code, "modules": sorted(sys.modules), "built": sorted(set(built)), "tables": tables}, out)
"""

# Document readers and the libraries they read with.
READERS = (
    "openpyxl",
    "pdfplumber",
    "pdfminer",
    "pypdfium2",
    "PIL",
    "pytesseract",
    "parsers._excel",
    "parsers._pdf",
    "parsers._image",
    "parsers._ocr",
    "parsers._email",
)
# Libraries of other commands and roles: the web desk, the job queue, IMAP, HTTP delivery.
OTHER_ROLES = ("flask", "werkzeug", "jinja2", "procrastinate", "psycopg", "imapclient", "httpx", "zxcvbn")
# What a command that opens the store needs, and `--help` does not.
STORE = (
    "sqlalchemy",
    "alembic",
    "pydantic",
    "pyx12",
    "rapidfuzz",
    "gateway.storage",
    "gateway.inbound.pipeline",
)
LAZY_PACKAGES = (
    "parsers",
    "gateway.desk",
    "gateway.jobs",
    "emitters",
    "gateway.storage",
    "gateway.config",
    "validators",
    "partners",
)
# What a store on SQLite has no use for: PostgreSQL's dialect (its package imports every driver's
# module).
POSTGRESQL = ("sqlalchemy.dialects.postgresql",)
# What only `gateway run`, `worker` and `init --demo` use: the supervisor's processes and the
# demo's dated copies (with the email package).
OTHER_COMMANDS = ("gateway.run.supervisor", "multiprocessing", "gateway.cli.demo")


def _gateway(tmp_path: Path, *args: str) -> tuple[Any, set[str], str]:
    """Exit code, imported modules and output of `gateway ARGS` in a child, on a store under tmp_path."""
    code, modules, output, _, _ = _probe(tmp_path, *args)
    return code, modules, output


def _probe(tmp_path: Path, *args: str) -> tuple[Any, set[str], str, list[str], set[str]]:
    """`_gateway`, plus the pydantic models of ours whose schema the command built and the tables it built."""
    env = {**os.environ, "GATEWAY_HOME": str(tmp_path / "home")}
    found, done = run_probe(_PROBE, tmp_path / "modules.json", *args, env=env)
    return (
        found["exit"],
        set(found["modules"]),
        done.stdout + done.stderr,
        found["built"],
        set(found["tables"]),
    )


@pytest.mark.parametrize("args", [("--help",), ("ingest", "--help"), ("user", "add", "--help")])
def test_help_loads_no_store_no_reader_and_no_web_framework(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, modules, output = _gateway(tmp_path, *args)
    assert code == 0 and "Usage: gateway" in output, output
    assert "gateway.cli.commands" in modules and "click" in modules  # the probe did run the command
    assert (
        sorted(modules & {*READERS, *OTHER_ROLES, *STORE, *OTHER_COMMANDS, "email", "secrets", "getpass"})
        == []
    )
    assert not (tmp_path / "home").exists()  # nor does it make a store


@dataclass(frozen=True, slots=True)
class FirstIngest:
    """`gateway ingest` of acme's PO into a new store: where (its ``home`` under ``tmp``), and what it loaded."""

    tmp: Path
    modules: set[str]


@pytest.fixture(scope="module")
def first_ingest(tmp_path_factory: pytest.TempPathFactory) -> FirstIngest:
    """One child per module for what the X12 checks below read from the same command: each asks
    its own question of the modules it imported, and the store it leaves is ``current_store``."""
    tmp = tmp_path_factory.mktemp("store")
    code, modules, output = _gateway(tmp, "ingest", str(INBOX / "acme-4500012345.edi"))
    assert code == 0 and "processed; 1 orders; 997" in output, output
    return FirstIngest(tmp, modules)


def test_x12_ingest_loads_no_pdf_or_sheet_reader(first_ingest: FirstIngest) -> None:
    modules = first_ingest.modules
    assert {
        "pyx12",
        "parsers.x12",
        "sqlalchemy.orm",
        "gateway.inbound.pipeline",
        "gateway.config._senders",  # the pipeline's ERP settings: the control for the listings' check below
    } <= modules  # it did read and store
    assert set(NOT_FOR_PROFILES[:4]) <= modules  # it validated: the control for the profiles' check below
    assert sorted(modules & {*READERS, *OTHER_ROLES, *OTHER_COMMANDS}) == []  # (Alembic loads every dialect)


# What an X12 ingest answered with a 997 has no use for: the emitters of other kinds (imported when
# one is first written), the mailer and the outbound dispatcher, the pollers' scheduler.
NOT_FOR_AN_X12_INGEST = (
    "emitters.x12_810",
    "emitters.x12_856",
    "emitters.x12_865",
    "emitters.erp_canonical",
    "emitters.erp_netsuite",
    "emitters.erp_business_central",
    "emitters.erp_sap_business_one",
    "emitters.erp_quickbooks_online",
    "emitters.erp_sage_intacct",
    "emitters.erp_fortnox",
    "emitters.erp_visma_net",
    "gateway.outbound.mailer",
    "smtplib",
    "gateway.outbound.dispatch",
    "gateway.run.schedule",
    # the reading of an unknown sender's X12, and replies to orders that came by email, PDF or sheet
    # (with the email package's parser): imported where first used (``gateway.inbound._warm.RARE``)
    "gateway.inbound.provisional",
    "gateway.outbound.replies",
    "email.parser",
)


def test_x12_ingest_loads_only_the_emitters_it_writes(first_ingest: FirstIngest) -> None:
    modules = first_ingest.modules
    assert "emitters.x12_997" in modules  # the control: the 997 it wrote
    assert sorted(modules & set(NOT_FOR_AN_X12_INGEST)) == []


# What only suggestions for a line that matches no item need: the fuzzy matcher.
SUGGESTIONS = ("rapidfuzz", "validators._suggest")


@pytest.fixture
def demo_master_home(tmp_path: Path, master_template: Path) -> Path:
    """A data home whose store holds the demo master data (``fixtures/master``), at the newest
    schema: a copy of the run's ``master_template``, loaded once per run by the same
    ``import_file`` that `gateway import` runs."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(master_template, home / "gateway.db")
    return home


@pytest.mark.parametrize(("sku", "suggests"), [("NW-30555", False), ("NW-99999", True)])
def test_x12_ingest_loads_the_fuzzy_matcher_only_for_an_unknown_item(
    demo_master_home: Path, tmp_path: Path, sku: str, suggests: bool
) -> None:
    """Against the demo master data, acme's PO, whose lines are all in the catalog, loads no rapidfuzz;
    the same PO with a SKU the catalog does not know (the control) does, for its suggestions."""
    document = tmp_path / "po.edi"
    document.write_bytes(
        (INBOX / "acme-4500012345.edi").read_bytes().replace(b"*VN*NW-30555", b"*VN*" + sku.encode())
    )
    code, modules, output = _gateway(tmp_path, "ingest", "--json", str(document))
    assert code == 0 and '"processed"' in output, output
    assert "validators._master" in modules  # it did validate against the master data
    assert sorted(modules & set(SUGGESTIONS)) == (sorted(SUGGESTIONS) if suggests else [])
    assert ("unknown_item" in output) is suggests


# Commands that read a store that is already at the newest schema, what each prints, the modules
# whose pydantic models it may build (status reads the partner profiles), and the tables it may
# build: those it queries and those their foreign keys name (not the other 25 or more).
ORDERS = {"purchase_order", "document"}
STORE_READERS = [
    (("orders",), "4500012345", (), {*ORDERS, "finding"}),
    (("show", "1"), "4500012345", (), {*ORDERS, "finding"}),
    (("show", "--document", "1"), "processed", (), {*ORDERS, "outbound_document"}),
    (("alerts", "--all"), "", (), {*ORDERS, "alert", "outbound_document"}),
    (("outbox",), "997", (), {*ORDERS, "outbound_document"}),
    (("status",), "", ("partners.", "validators._policy."), {"transport_status"}),
    (("report",), "997 turnaround", (), {"order_day_tally", "kpi_day_tally"}),
]
# What a command that lists the store's rows has no use for: the profiles, the canonical model,
# the validators and pydantic under them.
CANONICAL = ("pydantic", "partners", "validators", "gateway.model.order", "gateway.model.receipts")
# What a command that lists the store's rows (`status`: its transports'; `report`: the KPI tallies) reads
# them without: SQLAlchemy's ORM and our mapped classes (it queries the Core tables of
# gateway.storage.tables, read-only).
ORM = ("sqlalchemy.orm", "gateway.storage._models")
LISTINGS = ("orders", "show", "alerts", "outbox", "status", "report")
# The settings a listing has no use for (each frozen dataclass costs about 2 ms to define): it reads
# the alert thresholds (every command does) and opens the store, nothing else of gateway.config.
OTHER_SETTINGS = (
    "gateway.config._web",
    "gateway.config._roles",
    "gateway.config._senders",
    "gateway.config._imap",
)


@pytest.fixture(scope="module")
def current_store(first_ingest: FirstIngest) -> Path:
    """A store holding acme's PO 4500012345, at the newest schema (made by `gateway ingest`)."""
    assert "alembic" in first_ingest.modules  # the control: a new store is migrated, with Alembic
    return first_ingest.tmp


@pytest.mark.parametrize(
    ("args", "expect", "builds", "reads"), STORE_READERS, ids=[" ".join(a) for a, _, _, _ in STORE_READERS]
)
def test_a_store_at_its_newest_schema_is_opened_without_alembic(
    current_store: Path, args: tuple[str, ...], expect: str, builds: tuple[str, ...], reads: set[str]
) -> None:
    """Alembic's machinery loads only to migrate; reading commands load no X12 maps, reader or web
    framework, and build no pydantic schema and no table they do not use."""
    code, modules, output, built, tables = _probe(current_store, *args)
    assert code == 0 and expect in output, output
    assert {"sqlalchemy.engine", "gateway.storage.tables"} <= modules  # it did open the store
    assert sorted(modules & {"alembic", "pyx12", "parsers.x12", *READERS, *OTHER_ROLES, *POSTGRESQL}) == []
    assert sorted(modules & {*OTHER_COMMANDS, "getpass"}) == []  # (getpass: who resolves an alert)
    assert [model for model in built if not model.startswith(builds)] == []
    if args[0] in ("orders", "alerts", "outbox", "report"):
        assert sorted(modules & set(CANONICAL)) == []
    if args[0] in LISTINGS:
        assert sorted(modules & set(ORM)) == []
        assert {"gateway.config._alerts", "gateway.config._store"} <= modules
        assert sorted(modules & set(OTHER_SETTINGS)) == []
    assert tables and sorted(tables - reads) == []  # it built what it queried, and no other table


# What loading the partner profiles has no use for: the validators' checks and master data (with
# python-stdnum and rapidfuzz), the canonical order, and the layouts learned on the desk.
NOT_FOR_PROFILES = (
    "validators._validate",
    "validators._master",
    "rapidfuzz",
    "stdnum",
    "gateway.model.order",
    "partners._learned",
)


@pytest.mark.parametrize("args", [("status",), ("partners", "check")])
def test_loading_the_profiles_loads_only_the_policy_of_validators(
    current_store: Path, args: tuple[str, ...]
) -> None:
    """A profile holds two policy models of ``validators``: the lazy front door loads their module
    alone. (The X12 ingest above is the control: it loads each of the first four.)"""
    code, modules, output = _gateway(current_store, *args)
    assert code == 0 and ("4 profiles ok" in output or "shopify-in" in output), output
    assert {"partners._registry", "partners._profile", "validators._policy"} <= modules  # it loaded them
    assert sorted(modules & set(NOT_FOR_PROFILES)) == []


# Runs `gateway ARGS...` with the collector off (so nothing is collected by chance), then counts the
# SQLite connections still open; at exit, after the CLI's own exit handler (last in, first out),
# writes them with how many objects were frozen. ``control`` (the first argument) turns both the
# closing (every engine's ``dispose``) and the freezing off, to show the probe sees an open
# connection and an unfrozen exit.
_EXIT_PROBE = """
import atexit, gc, json, sqlite3, sys
gc.disable()
from gateway.cli import commands
report = {}
def write():
    report["frozen"] = gc.get_freeze_count()
    with open(sys.argv[1], "w") as out:
        json.dump(report, out)
atexit.register(write)
if sys.argv[2] == "control":
    from sqlalchemy import Engine
    Engine.dispose = lambda self, close=True: None
    commands._end_without_collection = lambda: None
try:
    commands.main(sys.argv[3:], prog_name="gateway")
except SystemExit as exc:
    report["exit"] = exc.code
def is_open(connection):
    try:
        return connection.total_changes >= 0
    except sqlite3.ProgrammingError:  # closed
        return False
report["open"] = sum(1 for o in gc.get_objects() if isinstance(o, sqlite3.Connection) and is_open(o))
"""


@pytest.mark.parametrize(
    "args", [("orders",), ("alerts", "--resolve", "999", "--note", "probe"), ("user", "list")]
)
def test_a_command_closes_the_store_and_ends_without_collecting(
    current_store: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    """The store's connections are closed when the command ends (a listing's read-only one, a
    session's, the users' commands' own), and the objects alive at exit are frozen, so the
    interpreter's last collections skip them; the control, with both turned off, sees an open
    connection and nothing frozen."""
    shutil.copytree(current_store / "home", tmp_path / "home")
    env = {**os.environ, "GATEWAY_HOME": str(tmp_path / "home")}
    found, done = run_probe(_EXIT_PROBE, tmp_path / "exit.json", "real", *args, env=env)
    control, _ = run_probe(_EXIT_PROBE, tmp_path / "exit.json", "control", *args, env=env)
    assert found["exit"] == control["exit"] == (1 if args[0] == "alerts" else 0), done.stderr
    assert (found["open"], control["open"]) == (0, 1)
    assert found["frozen"] > 20_000 and control["frozen"] == 0  # `import sqlalchemy` alone leaves 31,000


def test_the_same_probe_sees_the_orm_where_a_command_uses_it(current_store: Path, tmp_path: Path) -> None:
    """The control for the listings above: a command that writes (here resolving an alert by hand,
    which goes through the desk's ORM code) does load it, and maps the class it queries, so their
    absence there means something."""
    shutil.copytree(current_store / "home", tmp_path / "home")
    code, modules, output, _, tables = _probe(tmp_path, "alerts", "--resolve", "999", "--note", "probe")
    assert code != 0 and "999" in output, output  # no such alert: refused, after opening the store
    assert {*ORM, "getpass"} <= modules
    assert "alert" in tables


# The tables of classes an X12 ingest into a current store has no use for: each ORM class is mapped,
# with its table built, on its first look-up (``gateway.storage._models``), and mapping the 32 of
# them cost about a tenth of a one-PO ingest.
NOT_MAPPED_BY_AN_X12_INGEST = (
    "shipment",
    "sscc",
    "shipped_line",
    "invoice",
    "alert_notification",
    "as2_message",
    "as2_suspect_mdn",
    "desk_user",
    "login_failure",
    "poll_cursor",
    "transport_status",
    "order_override",
)


def test_x12_ingest_into_a_current_store_loads_no_alembic(current_store: Path, tmp_path: Path) -> None:
    shutil.copytree(current_store / "home", tmp_path / "home")
    code, modules, output, _, tables = _probe(tmp_path, "ingest", str(INBOX / "globex-GX-778812.edi"))
    assert code == 0 and "processed" in output, output
    assert "pyx12" in modules and "alembic" not in modules
    assert sorted(modules & set(POSTGRESQL)) == []
    assert {"document", "purchase_order", "order_line", "finding", "outbound_document"} <= tables  # it stored
    assert sorted(tables & set(NOT_MAPPED_BY_AN_X12_INGEST)) == []


def test_a_mapped_class_is_mapped_on_first_look_up(tmp_path: Path) -> None:
    """In a fresh process: importing the classes' module maps none; a look-up maps that class alone
    (with its table); ``Base``, the whole schema, maps every class and builds every table."""
    probe = """
import json
from gateway.storage import _models, tables
mapped = lambda: sorted(m.class_.__name__ for m in _models._Base.registry.mappers)
steps = [mapped(), sorted(tables._metadata.tables)]
from gateway.storage import Finding
steps += [mapped(), Finding.__mapper__.local_table is tables.finding]
steps += [len(_models.Base.registry.mappers), len(tables._metadata.tables), len(tables._BUILDERS)]
print(json.dumps(steps))
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    count = len(_declared_classes())
    assert count >= 30
    assert json.loads(done.stdout) == [[], [], ["Finding"], True, count, count, count]


def _declared_classes() -> list[str]:
    """The classes declared in ``gateway.storage._models``, read from its source."""
    from gateway.storage import _models

    source = Path(_models.__file__ or "").read_text(encoding="utf-8")
    return [n.name for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name != "_Base"]


def test_the_head_revision_is_alembics(tmp_path: Path) -> None:
    """The head read from the versions' files is the one Alembic finds; a second head is an error."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from gateway.storage._engine import MIGRATIONS
    from gateway.storage._engine import head_revisions

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revisions(MIGRATIONS / "versions") == set(ScriptDirectory.from_config(config).get_heads())
    fork = tmp_path / "versions"
    fork.mkdir()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        (fork / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (fork / "9999_fork.py").write_text('revision = "9999"\ndown_revision = "0001"\n', encoding="utf-8")
    assert "9999" in head_revisions(fork) and len(head_revisions(fork)) == 2


def test_every_model_of_ours_defers_its_schema() -> None:
    """A model added without ``defer_build`` would build its schema at every command's start."""
    import pydantic

    import emitters
    import gateway.inbound.master_data
    import gateway.model.order
    import gateway.model.outbound
    import gateway.model.receipts
    import partners
    import validators

    assert emitters and gateway and partners and validators  # imported for their models
    ours, todo = [], list(pydantic.BaseModel.__subclasses__())
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        if model.__module__.split(".")[0] in ("gateway", "parsers", "validators", "emitters", "partners"):
            ours.append(model)
    assert len(ours) > 30
    assert sorted(m.__qualname__ for m in ours if not m.model_config.get("defer_build")) == []


@pytest.mark.parametrize(
    ("document", "reader"),
    [
        (ROOT / "fixtures" / "pdfs" / "ruled-simple.pdf", "pdfplumber"),
        (ROOT / "fixtures" / "sheets" / "plain-export.xlsx", "openpyxl"),
    ],
)
def test_a_reader_is_imported_when_its_format_arrives(tmp_path: Path, document: Path, reader: str) -> None:
    """The control: the same probe sees the reader a PDF or a sheet needs, so its absence above means something."""
    code, modules, output = _gateway(tmp_path, "ingest", "--partner", "acme", str(document))
    assert code == 0 and "processed" in output, output
    assert reader in modules


def test_no_password_is_hashed_at_import(tmp_path: Path) -> None:
    """Importing the desk and every one of its exports runs no scrypt; the first login without a user does."""
    probe = """
import hashlib, json, sys
calls = []
real = hashlib.scrypt
def counting(*args, **kwargs):
    calls.append(1)
    return real(*args, **kwargs)
hashlib.scrypt = counting
import gateway.cli.commands
import gateway.desk as desk
for name in dir(desk):
    getattr(desk, name)
at_import = len(calls)
desk._users._dummy_hash()
print(json.dumps([at_import, len(calls)]))
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [0, 1]


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_lazy_export_resolves(package: str) -> None:
    """A front door's list names real things: each export imports, and is what its module holds."""
    module = __import__(package, fromlist=["_"])
    exports = lazy_exports(Path(module.__file__ or "").read_text(encoding="utf-8"))
    assert exports and set(exports) <= set(dir(module))
    for name, source in exports.items():
        value = getattr(module, name)
        holder = __import__((package + source).rstrip("."), fromlist=["_"])  # `from . import module` too
        assert value is getattr(holder, name), name
    with pytest.raises(AttributeError, match="no attribute 'not_an_export'"):
        getattr(module, "not_an_export")  # noqa: B009


def test_a_front_door_takes_only_relative_re_exports() -> None:
    assert lazy_exports("if TYPE_CHECKING:\n    from ._x import a as a\n") == {"a": "._x"}
    with pytest.raises(ValueError, match="re-export"):
        lazy_exports("if TYPE_CHECKING:\n    from ._x import a\n")
    with pytest.raises(ValueError, match=r"from \.module import"):
        lazy_exports("if TYPE_CHECKING:\n    from gateway.x import a as a\n")
