"""The order desk's pages on a small and a big store: ``/queue``, a PO search and ``/dashboard`` over HTTP.

Two stores are filled with the same synthetic mix, ``small`` (1,000) and ``orders`` (100,000)
purchase orders, through SQLAlchemy core executemany, and the desk's tally is then built as
migrations 0022 and 0025 build it: orders over the last 30 days (all inside the dashboard's window: its
worst case) from 20 partners, 200 customers and four channels (10% in exception with one to
three blocking findings, 4% rejected, the rest accepted; 6% of the decided ones decided by a
person), one document per order, a canonical JSON of about 2 KB per order as the pipeline
stores it, warn findings on a quarter of the accepted orders, a 997 (and an 855 with its 997
due) for each X12 order, some of them overdue and a few dead-lettered with their alerts, an ERP
payload delivered for each accepted order (a second to four hours after it came; the KPIs), and
one waiting document (unknown partner, unreadable, failed) per 200 orders.

Each page is asked through the Flask app (its test client, logged in as a clerk: routing,
session, queries and the Jinja page), once to warm up, then ``RUNS`` times, the two stores in
turn so that a change in the machine's load falls on both; the medians of wall time and of CPU
time (``time.process_time``, plus on PostgreSQL the CPU its server processes spent, from
``/proc/<pid>/schedstat``) are reported, and the big store's time over the small one's: the
goal is at most 1.5x (and under 200 ms wall on an idle machine). SQLite always; PostgreSQL too
when its server can be started (``tests/servers/postgres.py``: Debian's binaries).
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import ExitStack
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

from bench._markdown import Headline
from bench._markdown import table
from gateway import desk
from gateway import storage
from gateway.config import WebConfig
from gateway.web import create_app
from partners import PartnerRegistry
from tests.servers.postgres import Postgres

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RUNS = 7
SMALL = 1_000
GOAL_RATIO = 1.5
SPREAD_DAYS = 30
PARTNERS = [f"partner-{n:02d}" for n in range(20)]
CUSTOMERS = 200
CHANNELS = (("x12", 0.55), ("pdf", 0.2), ("excel", 0.15), ("email", 0.1))
FORMAT = {"x12": "x12", "pdf": "pdf", "excel": "xlsx", "email": "email"}
HOLDS = (
    ("unknown_item", 30),
    ("price_mismatch", 25),
    ("credit_limit", 12),
    ("credit_hold", 3),
    ("short_stock", 4),
    ("duplicate_po", 6),
    ("low_confidence", 10),
    ("pack_multiple", 6),
    ("below_minimum", 2),
    ("unknown_ship_to", 2),
)
WARNINGS = ("date_horizon", "short_stock", "price_mismatch", "unknown_item")
# X12 POs are PO-0000000...: this prefix names PO-0000100 to PO-0000199 in both stores
PO_SEARCH = "PO-00001"
PAGES = ("/queue", f"/queue?search={PO_SEARCH}", "/dashboard")
USER = "bench"
PASSWORD = "amber-falcon-meadow-4417"
_CHUNK = 5_000


@dataclass(slots=True)
class Page:
    """One page on one backend: median ms (wall and CPU) on the small store and on the big one."""

    backend: str
    path: str
    small_wall: float = 0.0
    small_cpu: float = 0.0
    big_wall: float = 0.0
    big_cpu: float = 0.0

    @property
    def cpu_ratio(self) -> float:
        return self.big_cpu / self.small_cpu if self.small_cpu else 0.0

    @property
    def wall_ratio(self) -> float:
        return self.big_wall / self.small_wall if self.small_wall else 0.0


@dataclass(slots=True)
class Report:
    orders: int
    small: int
    exceptions: int
    findings: int
    waiting_documents: int
    outbound: int
    build_seconds: float
    runs: int = RUNS
    pages: list[Page] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # backend -> why it did not run
    versions: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [
            f"desk pages: {self.orders:,} orders ({self.exceptions:,} in exception, {self.findings:,} "
            f"findings, {self.waiting_documents:,} waiting documents, {self.outbound:,} outbound) "
            f"against {self.small:,}; stores built in {self.build_seconds:.1f} s",
            f"  median of {self.runs} requests, ms     {self.small:>7,} wall/CPU  {self.orders:>7,} wall/CPU"
            "   ratio wall/CPU",
        ]
        for page in self.pages:
            out.append(
                f"    {page.backend:<10} {page.path:<26} {page.small_wall:7.1f} {page.small_cpu:7.1f}"
                f"   {page.big_wall:7.1f} {page.big_cpu:7.1f}    {page.wall_ratio:5.2f}x {page.cpu_ratio:5.2f}x"
            )
        out.extend(f"  {backend}: not run ({why})" for backend, why in self.skipped.items())
        return out

    def markdown(self) -> str:
        rows = [
            [
                page.backend,
                f"`{page.path}`",
                f"{page.small_wall:.1f} / {page.small_cpu:.1f}",
                f"{page.big_wall:.1f} / {page.big_cpu:.1f}",
                f"{page.wall_ratio:.2f}x / {page.cpu_ratio:.2f}x",
            ]
            for page in self.pages
        ]
        parts = [
            f"{self.orders:,} orders ({self.exceptions:,} in exception, {self.findings:,} findings, "
            f"{self.waiting_documents:,} waiting documents, {self.outbound:,} outbound) against "
            f"{self.small:,} orders of the same mix. Each page through the Flask app, median of "
            f"{self.runs} requests; the goal is at most {GOAL_RATIO}x.",
            table(
                [
                    "backend",
                    "page",
                    f"ms at {self.small:,} (wall / CPU)",
                    f"ms at {self.orders:,} (wall / CPU)",
                    "ratio (wall / CPU)",
                ],
                rows,
                right={2, 3, 4},
            ),
        ]
        parts.extend(f"{backend}: not run ({why})." for backend, why in self.skipped.items())
        return "\n\n".join(parts)

    def headlines(self) -> list[Headline]:
        return [
            Headline(
                f"desk {page.path} at {self.orders:,} orders ({page.backend})",
                f"{page.big_cpu:.1f} ms CPU",
                f"{page.cpu_ratio:.2f}x",
                f"the same page at {self.small:,} orders, {page.small_cpu:.1f} ms CPU",
            )
            for page in self.pages
        ]

    def environment(self) -> dict[str, str]:
        return dict(self.versions)


def run(orders: int = 100_000, *, small: int = SMALL, runs: int = RUNS, postgres: bool = True) -> Report:
    """Time ``PAGES`` on stores of ``small`` and ``orders`` orders, on SQLite and (``postgres``) PostgreSQL."""
    report: Report | None = None
    pages: list[Page] = []
    skipped: dict[str, str] = {}
    versions: dict[str, str] = {}
    build = 0.0
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-desk-")))
        backends: list[tuple[str, Callable[[str], str], Callable[[], float]]] = [
            ("SQLite", lambda name: f"sqlite:///{tmp / name}.db", time.process_time)
        ]
        if postgres:
            try:
                server = Postgres().start()  # the harness the tests use; needs Debian's binaries
                stack.callback(server.stop)
                with psycopg.connect(server.dsn("postgres")) as connection:
                    version = connection.execute("SHOW server_version").fetchone()
                versions["PostgreSQL server"] = str(version[0]) if version else "?"
                assert server.process is not None
                postmaster = server.process.pid
                backends.append(
                    (
                        "PostgreSQL",
                        server.create_database,
                        lambda: time.process_time() + _tree_cpu(postmaster),
                    )
                )
            except (RuntimeError, OSError) as exc:
                skipped["PostgreSQL"] = str(exc).splitlines()[0]
        for backend, url_for, cpu in backends:
            started = time.perf_counter()
            with (
                _store(url_for("desk_small"), small) as (small_client, _),
                _store(url_for("desk_big"), orders) as (
                    big_client,
                    counts,
                ),
            ):
                build += time.perf_counter() - started
                if report is None:
                    report = Report(
                        orders=orders,
                        small=small,
                        exceptions=counts["exceptions"],
                        findings=counts["findings"],
                        waiting_documents=counts["waiting"],
                        outbound=counts["outbound"],
                        build_seconds=0.0,
                        runs=runs,
                    )
                for path in PAGES:
                    pages.append(_time_page(backend, path, small_client, big_client, runs, cpu))
    assert report is not None
    report.pages, report.skipped, report.versions, report.build_seconds = pages, skipped, versions, build
    return report


@contextmanager
def _store(url: str, orders: int) -> Iterator[tuple[FlaskClient, dict[str, Any]]]:
    """A store of ``orders`` synthetic orders, its tally built, and a client logged in to its desk."""
    engine = storage.make_engine(url)
    try:
        storage.upgrade(engine)
        counts = _fill(engine, orders, random.Random(11))
        if (
            engine.dialect.name == "postgresql"
        ):  # what autovacuum does after a bulk load: statistics, visibility
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        sessions = storage.make_sessionmaker(engine)
        with sessions() as session, session.begin():
            storage.recount_tally(session)  # as migrations 0022 and 0025 do for what is already stored
            storage.recount_kpis(session, erp_kinds=("erp.canonical",))  # and 0030
            desk.add_user(session, USER, PASSWORD, desk.CLERK, at=NOW)
        app = create_app(
            WebConfig(
                sessions,
                PartnerRegistry.from_directory(),
                lambda: NOW,
                flask={"SECRET_KEY": "bench-desk-secret-key-0123456789abcdef"},
            )
        )
        client = app.test_client()
        login = client.get("/login").text
        token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        answer = client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token})
        if answer.status_code != 303:
            raise RuntimeError(f"the bench user could not log in: {answer.status_code}")
        yield client, counts
    finally:
        engine.dispose()


def _tree_cpu(pid: int) -> float:
    """CPU seconds spent so far by process ``pid`` and its children (a PostgreSQL server's backends)."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if int(proc.name) == pid or parent == pid:
                total += int((proc / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):  # gone meanwhile, or not ours to read
            continue
    return total / 1e9


def _time_page(
    backend: str, path: str, small: FlaskClient, big: FlaskClient, runs: int, clock: Callable[[], float]
) -> Page:
    times: dict[str, tuple[list[float], list[float]]] = {"small": ([], []), "big": ([], [])}
    for client in (small, big):
        _get(client, path)  # warm: templates compiled, pages cached by the database
    for _ in range(runs):
        for name, client in (("small", small), ("big", big)):
            wall, cpu = time.perf_counter(), clock()
            _get(client, path)
            times[name][0].append((time.perf_counter() - wall) * 1000)
            times[name][1].append((clock() - cpu) * 1000)
    median = statistics.median
    return Page(
        backend,
        path,
        small_wall=median(times["small"][0]),
        small_cpu=median(times["small"][1]),
        big_wall=median(times["big"][0]),
        big_cpu=median(times["big"][1]),
    )


def _get(client: FlaskClient, path: str) -> None:
    answer = client.get(path)
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path} answered {answer.status_code}")


# -- the synthetic store ----------------------------------------------------------------------


def _fill(engine: Engine, orders: int, rng: random.Random) -> dict[str, Any]:
    customers = [
        (f"C{n:05d}", PARTNERS[n % len(PARTNERS)], f"Customer {n} Trading") for n in range(CUSTOMERS)
    ]
    canonical = [_canonical(lines) for lines in range(1, 7)]
    counts: dict[str, Any] = {"exceptions": 0, "findings": 0, "waiting": 0, "outbound": 0}
    documents: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    outbound: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    channel_names = [c for c, _ in CHANNELS]
    channel_weights = [w for _, w in CHANNELS]
    hold_codes = [c for c, _ in HOLDS]
    hold_weights = [w for _, w in HOLDS]
    erp_rng = random.Random(12)  # the ERP payloads' delays: the mix above draws what it drew before
    with engine.begin() as connection:
        connection.execute(
            insert(storage.CreditAccount),
            [
                {
                    "account": account,
                    "name": name,
                    "partner": partner,
                    "customer_group": None,
                    "credit_limit": 10_000,
                    "open_ar": 0,
                    "currency": "USD",
                    "on_hold": False,
                }
                for account, partner, name in customers
            ],
        )

        def flush(final: bool = False) -> None:
            batches = (
                (storage.Document, documents),
                (storage.PurchaseOrder, rows),
                (storage.Finding, findings),
                (storage.OutboundRecord, outbound),
                (storage.Alert, alerts),
            )
            if not final and all(len(batch) < _CHUNK for _, batch in batches):
                return
            for table, batch in batches:  # in foreign key order
                if batch:
                    connection.execute(insert(table), batch)
                    batch.clear()

        document_id = outbound_id = 0
        for n in range(orders):
            order_id = n + 1
            document_id += 1
            account, partner, _ = customers[rng.randrange(CUSTOMERS)]
            channel = rng.choices(channel_names, channel_weights)[0]
            created = NOW - timedelta(seconds=rng.uniform(0, SPREAD_DAYS * 86400 - 12 * 3600))
            roll = rng.random()
            status = "exception" if roll < 0.10 else "rejected" if roll < 0.14 else "accepted"
            decided_at = decided_by = None
            if status != "exception" and rng.random() < 0.06:
                decided_by = f"clerk{rng.randrange(5)}"
                decided_at = created + timedelta(hours=rng.uniform(0.2, 30))
            lines = rng.randint(1, 6)
            documents.append(_document(document_id, channel, partner, created, "processed"))
            rows.append(
                {
                    "id": order_id,
                    "document_id": document_id,
                    "ordinal": 0,
                    "partner": partner,
                    "channel": channel,
                    "po_number": f"PO-{n:07d}" if channel == "x12" else f"{rng.randrange(10**6):06d}-{n}",
                    "po_date": created.date(),
                    "purpose": "original",
                    "status": status,
                    "currency": "USD",
                    "line_count": lines,
                    "canonical": canonical[lines - 1],
                    "created_at": created,
                    "customer_account": account,
                    "version": 1,
                    "decided_at": decided_at,
                    "decided_by": decided_by,
                }
            )
            if status == "exception":
                counts["exceptions"] += 1
                for code in rng.choices(hold_codes, hold_weights, k=rng.randint(1, 3)):
                    findings.append(_finding(order_id, document_id, code, "hold", created))
            elif status == "rejected" and decided_by is None:
                findings.append(_finding(order_id, document_id, "syntax", "reject", created))
            elif rng.random() < 0.25:
                findings.append(_finding(order_id, document_id, rng.choice(WARNINGS), "warn", created))
            if channel == "x12":
                for kind, ack_hours in (("997", None), ("855", 24))[: 2 if status == "accepted" else 1]:
                    outbound_id += 1
                    outbound.append(
                        _outbound(outbound_id, partner, kind, document_id, order_id, created, ack_hours, rng)
                    )
                    if outbound[-1]["status"] == "dead":
                        alerts.append(_alert(partner, created, outbound_id))
            if status == "accepted":
                outbound_id += 1
                outbound.append(_erp_payload(outbound_id, partner, document_id, order_id, created, erp_rng))
            if order_id % 200 == 0:
                document_id += 1
                kind = rng.choices(("unknown_partner", "rejected", "failed"), (6, 3, 1))[0]
                documents.append(_document(document_id, rng.choice(channel_names), None, created, kind))
                counts["waiting"] += 1
            flush()
        flush(final=True)
        counts["findings"] = connection.scalar(select(func.count()).select_from(storage.Finding))
        counts["outbound"] = connection.scalar(select(func.count()).select_from(storage.OutboundRecord))
    return counts


def _document(
    document_id: int, channel: str, partner: str | None, when: datetime, status: str
) -> dict[str, Any]:
    errors = {
        "unknown_partner": (
            "unknown_partner",
            "unknown partner: the sender someone@unknown.example matches no profile",
        ),
        "rejected": ("syntax", "attachment 'po.pdf': the PDF cannot be read"),
        "failed": ("internal_error", "internal error while processing: OperationalError"),
    }
    code, error = errors.get(status, (None, None))
    return {
        "id": document_id,
        "sha256": f"{document_id:064x}",
        "size": 4096,
        "channel": "email" if channel == "email" else "sftp",
        "filename": f"doc-{document_id}.{FORMAT[channel]}",
        "partner": partner,
        "received_at": when,
        "status": status,
        "format": FORMAT[channel],
        "error_code": code,
        "error": error,
        "errors": [],
        "meta": {},
    }


def _finding(order_id: int, document_id: int, code: str, action: str, when: datetime) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "document_id": document_id,
        "code": code,
        "severity": "error" if action in ("hold", "reject") else "warning",
        "message": f"line 1: {code.replace('_', ' ')} on NW-10042",
        "field": None,
        "line_no": "1",
        "details": {},
        "created_at": when,
        "action": action,
        "expected": None,
        "received": None,
        "suggestions": [],
    }


def _outbound(
    outbound_id: int,
    partner: str,
    kind: str,
    document_id: int,
    order_id: int,
    when: datetime,
    ack_hours: int | None,
    rng: random.Random,
) -> dict[str, Any]:
    due = when + timedelta(hours=ack_hours) if ack_hours else None
    answered = due is not None and rng.random() < 0.9
    return {
        "id": outbound_id,
        "partner": partner,
        "kind": kind,
        "content": b"ISA*00*~",
        "document_id": document_id,
        "order_id": order_id,
        "status": "dead" if rng.random() < 0.002 else "sent",
        "created_at": when,
        "errors": [],
        "transaction_control_numbers": [],
        "ack_due_at": due,
        "ack_received_at": when + timedelta(hours=2) if answered else None,
        "attempts": 1,
        "delivered_at": None,  # the keys of every row alike (one executemany), as the ERP payloads'
    }


def _erp_payload(
    outbound_id: int, partner: str, document_id: int, order_id: int, when: datetime, rng: random.Random
) -> dict[str, Any]:
    """An accepted order's ERP payload, delivered seconds to hours after it came (the KPI's spread)."""
    delivered = when + timedelta(seconds=rng.choice((rng.uniform(1, 60), rng.uniform(60, 4 * 3600))))
    return {
        "id": outbound_id,
        "partner": partner,
        "kind": "erp.canonical",
        "content": b"{}",
        "document_id": None,
        "order_id": order_id,
        "status": "sent",
        "created_at": when,
        "errors": [],
        "transaction_control_numbers": [],
        "ack_due_at": None,
        "ack_received_at": None,
        "attempts": 1,
        "delivered_at": delivered,
    }


def _alert(partner: str, when: datetime, outbound_id: int | None) -> dict[str, Any]:
    return {
        "at": when,
        "kind": "delivery_dead",
        "partner": partner,
        "outbound_id": outbound_id,
        "message": "855 for PO-0000001 is dead-lettered",
        "resolved_at": None,
    }


def _canonical(lines: int) -> dict[str, Any]:
    """An order as the pipeline stores it (about 2 KB for three lines), provenance included."""
    return {
        "provenance": {"po_number": "BEG03@4", "po_date": "BEG05@4", "currency": "CUR02@5"},
        "partner": "partner-00",
        "channel": "x12",
        "po_number": "PO-0000000",
        "po_date": "2026-11-16",
        "currency": "USD",
        "parties": [
            {
                "provenance": {"name": "N102@8", "id": "N104@8"},
                "role": "ST",
                "name": "STORE 0042",
                "id": "0042",
                "address": {
                    "lines": ["4120 Freidrich Lane"],
                    "city": "Austin",
                    "region": "TX",
                    "postal_code": "78744",
                },
            }
        ],
        "lines": [
            {
                "provenance": {"line_no": f"PO101@{10 + 2 * n}", "quantity": f"PO102@{10 + 2 * n}"},
                "line_no": str(n + 1),
                "buyer_part": f"BP-{n:05d}",
                "vendor_sku": f"NW-{10040 + n}",
                "description": "STAINLESS STEEL HEX BOLT M8 X 40 ZINC PLATED, BOX OF 100",
                "quantity": {"value": "12", "uom": "EA"},
                "unit_price": "4.25",
            }
            for n in range(lines)
        ],
        "notes": json.dumps(["deliver to dock 4 between 6am and 2pm"] * 4),
    }
