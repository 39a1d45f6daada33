"""The order desk's queue and dashboard on a big store: ms per query, with and without the 0009 indexes.

A SQLite store (the embedded default, with the gateway's own engine settings) is filled with
synthetic rows through SQLAlchemy core executemany: ``orders`` purchase orders over the last
30 days (all inside the dashboard's window: its worst case) from 20 partners, 200 customers
and four channels (10% in exception with one to three blocking findings, 4% rejected, the
rest accepted; 6% of the decided ones decided by a person), one document per order, a
canonical JSON of about 2 KB per order as the pipeline stores it, warn findings on a quarter
of the accepted orders, a 997 (and an 855 with its 997 due) for each X12 order, some of them
overdue and a few dead-lettered with their alerts, and one waiting document (unknown
partner, unreadable, failed) per 200 orders.

Each query runs once to warm up, then ``RUNS`` times; the median is reported. Then the
indexes of migration 0009 are dropped and every query runs again: that is the baseline,
the same query on the schema before this change. The ratio is baseline / indexed. Both
passes must give the same answers.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from bench._markdown import Headline
from bench._markdown import table
from gateway import storage
from gateway.desk.dashboard import dashboard
from gateway.desk.queue import QueueFilter
from gateway.desk.queue import exception_queue
from gateway.desk.queue import queue_facets

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RUNS = 7
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
_CHUNK = 5_000


@dataclass(slots=True)
class Case:
    """One query: its median time with the indexes and without, and what it answered."""

    name: str
    indexed_ms: float = 0.0
    baseline_ms: float = 0.0
    answer: Any = None

    @property
    def ratio(self) -> float:
        return self.baseline_ms / self.indexed_ms if self.indexed_ms else 0.0


@dataclass(slots=True)
class Report:
    orders: int
    exceptions: int
    findings: int
    waiting_documents: int
    outbound: int
    database_mb: float
    build_seconds: float
    runs: int = RUNS
    cases: list[Case] = field(default_factory=list)
    same_answers: bool = True

    def lines(self) -> list[str]:
        out = [
            f"desk queue: {self.orders:,} orders ({self.exceptions:,} in exception), "
            f"{self.findings:,} findings, "
            f"{self.waiting_documents:,} waiting documents, {self.outbound:,} outbound; "
            f"SQLite {self.database_mb:.0f} MB, built in {self.build_seconds:.1f} s",
            f"  median of {self.runs} runs, ms           with 0009   without   ratio",
        ]
        for case in self.cases:
            out.append(
                f"    {case.name:<30} {case.indexed_ms:9.1f} {case.baseline_ms:9.1f} {case.ratio:7.1f}x"
            )
        out.append("  same answers with and without the indexes: " + ("yes" if self.same_answers else "NO"))
        return out

    def markdown(self) -> str:
        rows = [
            [case.name, f"{case.indexed_ms:.1f}", f"{case.baseline_ms:.1f}", f"{case.ratio:.1f}x"]
            for case in self.cases
        ]
        return "\n\n".join(
            [
                f"{self.orders:,} orders ({self.exceptions:,} in exception), {self.findings:,} findings, "
                f"{self.waiting_documents:,} waiting documents, {self.outbound:,} outbound; SQLite "
                f"{self.database_mb:.0f} MB, built in {self.build_seconds:.1f} s. Median of {self.runs} runs.",
                table(["query", "ms with 0009", "ms without", "ratio"], rows),
                "Same answers with and without the indexes: " + ("yes." if self.same_answers else "**NO**."),
            ]
        )

    def headlines(self) -> list[Headline]:
        return [
            Headline(
                case.name,
                f"{case.indexed_ms:.1f} ms",
                f"{case.ratio:.1f}x",
                f"without 0009, {case.baseline_ms:.1f} ms",
            )
            for case in self.cases[:1] + self.cases[-1:]
        ]


def run(orders: int = 100_000, *, runs: int = RUNS, seed: int = 11) -> Report:
    with tempfile.TemporaryDirectory(prefix="bench-desk-") as tmp:
        path = Path(tmp) / "gateway.db"
        engine = storage.make_engine(f"sqlite:///{path}")
        storage.upgrade(engine)
        started = time.perf_counter()
        counts = _fill(engine, orders, random.Random(seed))
        build = time.perf_counter() - started
        sessions = storage.make_sessionmaker(engine)
        queries = _queries(counts["po_prefix"], counts["customer_word"], orders)
        cases = [Case(name) for name in queries]
        for case in cases:
            case.indexed_ms, case.answer = _time(sessions, queries[case.name], runs)
        _drop_indexes(engine)
        same = True
        for case in cases:
            case.baseline_ms, answer = _time(sessions, queries[case.name], runs)
            same = same and answer == case.answer
        engine.dispose()
        return Report(
            orders=orders,
            exceptions=counts["exceptions"],
            findings=counts["findings"],
            waiting_documents=counts["waiting"],
            outbound=counts["outbound"],
            database_mb=path.stat().st_size / 1e6,
            build_seconds=build,
            runs=runs,
            cases=cases,
            same_answers=same,
        )


# -- the queries ------------------------------------------------------------------------------


def _queries(po_prefix: str, customer_word: str, orders: int) -> dict[str, Callable[[Session], Any]]:
    def queue(**kw: Any) -> Callable[[Session], Any]:
        filters = QueueFilter(**kw)

        def ask(session: Session) -> Any:
            page = exception_queue(session, filters, now=NOW)
            return (
                page.total,
                page.overdue,
                page.page,
                [(r.kind, r.id, tuple(r.reasons)) for r in page.rows],
            )

        return ask

    def board(session: Session) -> Any:
        figures = dashboard(session, now=NOW, days=30)
        return (
            figures.touchless_rate,
            figures.decided,
            figures.median_resolve_hours,
            figures.exceptions_by_reason,
            figures.volume_by_channel,
            figures.daily_volume,
            figures.overdue_acks,
            figures.failed_deliveries,
            figures.open_alerts,
        )

    deep = max(1, orders // 10 // 50 // 2)
    return {
        "queue page 1, no filter": queue(),
        f"queue page {deep}, no filter": queue(page=deep),
        "reason = price": queue(reason="price"),
        "reason = stock": queue(reason="stock"),
        "reason = other": queue(reason="other"),
        "reason = unknown_partner": queue(reason="unknown_partner"),
        "partner = partner-07": queue(partner="partner-07"),
        "channel = pdf": queue(channel="pdf"),
        "older than 48 h": queue(older_than_hours=48),
        "newer than 24 h": queue(newer_than_hours=24),
        f"search PO {po_prefix!r}": queue(search=po_prefix),
        f"search customer {customer_word!r}": queue(search=customer_word),
        "facets alone (in each above)": lambda session: queue_facets(session),
        "dashboard, 30 days": board,
    }


def _time(sessions: sessionmaker[Session], query: Callable[[Session], Any], runs: int) -> tuple[float, Any]:
    with sessions() as session:
        answer = query(session)
    times = []
    for _ in range(runs):
        with sessions() as session:
            started = time.perf_counter()
            query(session)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), answer


def _drop_indexes(engine: Engine) -> None:
    with engine.begin() as connection:
        for name in MIGRATION_0009:
            connection.execute(text(f"DROP INDEX {name}"))


MIGRATION_0009 = (
    "ix_purchase_order_queue",
    "ix_purchase_order_partner_created",
    "ix_purchase_order_channel_created",
    "ix_purchase_order_decided",
    "ix_finding_order_code_action",
    "ix_document_status_received",
)


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
            if order_id % 200 == 0:
                document_id += 1
                kind = rng.choices(("unknown_partner", "rejected", "failed"), (6, 3, 1))[0]
                documents.append(_document(document_id, rng.choice(channel_names), None, created, kind))
                counts["waiting"] += 1
            flush()
        flush(final=True)
        counts["findings"] = connection.scalar(select(func.count()).select_from(storage.Finding))
        counts["outbound"] = connection.scalar(select(func.count()).select_from(storage.OutboundRecord))
    counts["po_prefix"] = "po-00123"
    counts["customer_word"] = "customer 17 "
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
