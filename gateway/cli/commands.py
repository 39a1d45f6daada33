"""The ``gateway`` command line: init, ingest, poll-channel, orders, show, outbox, ship, invoice, deliver, alerts, run, worker, status, partners.

Start-up is kept to click and this module: a command imports what it uses in its body, and
``gateway.desk`` and ``parsers`` are lazy front doors (``gateway._lazy``). So ``gateway --help``
loads no store, no reader and no web framework, and ``gateway ingest`` of an X12 file loads no
PDF or sheet reader (tests/cli/test_startup.py checks both).
"""

from __future__ import annotations

import atexit
import gc
import io
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

import click

from gateway import desk
from gateway.cli.users import user
from gateway.errors import OutboundRefused
from gateway.errors import ReprocessRefused

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session
    from sqlalchemy.orm import sessionmaker

    from gateway.config import AlertSettings
    from gateway.config import ErpSettings
    from gateway.inbound.pipeline import IngestOutcome
    from gateway.inbound.pipeline import Pipeline
    from partners import PartnerRegistry

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DEMO_INBOX = FIXTURES / "inbox"
DEMO_EMAILS = FIXTURES / "emails"
DEMO_PDFS = FIXTURES / "pdfs"
T = TypeVar("T")


class _Context:
    def __init__(self) -> None:
        self._sessions: sessionmaker[Session] | None = None
        self._engine: Engine | None = None

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The store, made when there is none yet (saying where when GATEWAY_HOME did not say)."""
        return self._open(create=True)

    @property
    def existing_sessions(self) -> sessionmaker[Session]:
        """The store, for a command that only reads: a missing one is an error, never made empty."""
        return self._open(create=False)

    def reading(self) -> Connection:
        """A read-only Core connection to the existing store (``with ctx.reading() as connection:``).

        A listing queries ``storage.tables`` through it, so it loads neither SQLAlchemy's ORM nor
        the mapped classes; a missing store is an error, never made empty.
        """
        from gateway import config
        from gateway import storage

        if self._engine is None:
            self._check_store(create=False)
            self._engine = self._built(config.migrated_engine_from_environment)
        return storage.reading(self._engine)

    def close(self) -> None:
        """Close the store's connections: called when the command ends (``main`` registers it), so
        nothing is left for the interpreter's last garbage collection to close
        (``_end_without_collection``)."""
        if self._engine is not None:
            self._engine.dispose()
        if self._sessions is not None:
            self._sessions.kw["bind"].dispose()

    def _open(self, *, create: bool) -> sessionmaker[Session]:
        from gateway import config

        if self._sessions is None:
            self._check_store(create=create)
            self._sessions = self._built(config.sessions_from_environment)
        return self._sessions

    def _check_store(self, *, create: bool) -> None:
        """A missing SQLite store: an error unless ``create``, else said where it is made."""
        from gateway import storage

        file = storage.sqlite_file(storage.database_url())
        if file is None or file.exists():
            return
        if not create:
            raise click.ClickException(
                f"no store at {file}: set GATEWAY_HOME to the gateway's data folder "
                "(or GATEWAY_DATABASE_URL), or make one with `gateway init`"
            )
        if not os.environ.get("GATEWAY_HOME") and not os.environ.get("GATEWAY_DATABASE_URL"):
            click.echo(
                f"creating a new store at {file} (GATEWAY_HOME is not set and ./var holds no store)",
                err=True,
            )

    def _built(self, build: Callable[..., T]) -> T:
        """``build(migrate=...)`` with the store brought to the newest schema, waiting while it is busy."""
        from gateway import storage

        def migrate(engine: Engine) -> None:
            storage.retry_while_busy(lambda: storage.upgrade(engine), on_busy=_waiting("to open the store"))

        try:
            return build(migrate=migrate)
        except ValueError as exc:  # a bad GATEWAY_SQLITE_BUSY_SECONDS
            raise click.ClickException(str(exc)) from exc

    def pipeline(self, *, queued: bool = False) -> Pipeline:
        """Processes inline; ``queued`` (intake commands) hands processing to the job queue on PostgreSQL."""
        from gateway.inbound._gc import few_collections

        # Building it imports SQLAlchemy, maps the store's classes and loads the profiles: some
        # hundreds of thousands of objects that live until exit, which the default young threshold
        # would scan a hundred times and promote; the thresholds are back before any work starts.
        with few_collections():
            from gateway.config import pipeline_from_environment
            from partners import ProfileError

            sessions = self.sessions
            try:
                return pipeline_from_environment(queued=queued, sessions=sessions)
            except (ProfileError, ValueError) as exc:  # a broken profile or GATEWAY_ERP_* setting
                raise click.ClickException(str(exc)) from exc

    @property
    def erp(self) -> ErpSettings | None:
        from gateway.config import ErpSettings

        try:
            return ErpSettings.from_environment()
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc


pass_context = click.make_pass_decorator(_Context, ensure=True)


class _LoadedChoice(click.Choice[str]):
    """A ``click.Choice`` whose values live in a module the command imports anyway: loaded on first
    use (its own help, or a value to check), never by ``gateway --help``."""

    def __init__(self, load: Callable[[], Iterable[str]]) -> None:
        self._load = load  # click.Choice.__init__ would set ``choices`` now
        self.case_sensitive = True

    def __getattr__(self, name: str) -> Any:
        if name != "choices":
            raise AttributeError(name)
        self.choices = tuple(self._load())
        return self.choices


def _waiting(doing: str) -> Callable[[Exception], None]:
    """Says on stderr that the store is busy and the command waits; it tries again at once."""

    def say(exc: Exception) -> None:
        click.echo(f"store busy (another process is writing): still waiting {doing}", err=True)

    return say


@click.group()
def main() -> None:
    """B2B order gateway: orders in (X12, PDF, sheets, email), validated; 997/999, 855, 856, 810 and ERP payloads out."""
    _alert_settings()  # the alert thresholds are read where they apply: a bad one stops us here, named
    command = click.get_current_context()
    command.call_on_close(command.ensure_object(_Context).close)  # the store, closed when the command ends
    _end_without_collection()


def _end_without_collection() -> None:
    """When the process exits, the interpreter skips its garbage collections over what is alive then.

    At exit CPython collects garbage over every object still alive before it frees the modules:
    `import sqlalchemy` alone leaves about 31,000 tracked objects, and those collections cost about
    0.07 s of CPU, a seventh of a listing's start to end, for a process that ends anyway.
    ``gc.freeze()`` at exit moves the live objects to the permanent generation, which those
    collections skip; the operating system takes the memory back. The cost, named where freeze was
    added (CPython issue #75739): an object in a reference cycle is then never collected, so its
    ``__del__`` does not run. Nothing here relies on one: a command commits or rolls back in its
    own ``with`` blocks, the store's connections are closed when the command ends
    (``_Context.close``), and atexit handlers (logging's flush) still run.
    """
    atexit.unregister(gc.freeze)  # once, however many commands one process runs (tests run many)
    atexit.register(gc.freeze)


def _alert_settings() -> AlertSettings:
    from gateway.config import AlertSettings

    try:
        return AlertSettings.from_environment()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option(
    "--demo",
    is_flag=True,
    help="Load the demo master data, ingest the demo documents, make the demo desk user.",
)
@pass_context
def init(ctx: _Context, demo: bool) -> None:
    """Create or upgrade the database (under $GATEWAY_HOME, default ./var)."""
    from gateway import storage
    from gateway.cli.demo import dated  # with the email package: only `init --demo` uses it
    from gateway.cli.demo import days_from_demo_day
    from gateway.config import clock
    from gateway.inbound.master_data import load_demo_master_data
    from gateway.outbound.records import submit_invoice
    from gateway.outbound.records import submit_shipment

    sessions = ctx.sessions
    click.echo(f"database ready: {storage.database_url()}")
    _profiles_loudly()
    if not demo:
        return
    with sessions() as session, session.begin():
        counts = load_demo_master_data(session, FIXTURES / "master")
    click.echo("master data: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    pipeline = ctx.pipeline()
    days = days_from_demo_day(clock()().date())  # the demo is dated from today: it never expires
    documents: list[tuple[Path, str | None]] = [
        (p, None) for p in sorted(DEMO_INBOX.iterdir()) + sorted(DEMO_EMAILS.glob("*.eml"))
    ]
    documents += [(p, "acme") for p in sorted(DEMO_PDFS.glob("*.pdf"))]  # PDFs name no customer: acme's
    for path, partner in documents:
        source = io.BytesIO(dated(path, days))
        outcome = pipeline.ingest_stream(source, channel="demo", filename=path.name, partner=partner)
        click.echo(f"{path.name}: {outcome.status}, {len(outcome.order_ids)} orders")
    for path in sorted((FIXTURES / "shipments").glob("*.json")):
        _demo_record(
            path, days, lambda data: submit_shipment(sessions, pipeline.partners, data, when=clock()())
        )
    for path in sorted((FIXTURES / "invoices").glob("*.json")):
        _demo_record(
            path, days, lambda data: submit_invoice(sessions, pipeline.partners, data, when=clock()())
        )
    username, password = _demo_user(sessions)
    click.echo(f"order desk demo user: {username} / {password} (admin; also in {DEMO_CREDENTIALS_FILE})")


DEMO_USER = "demo"
DEMO_CREDENTIALS_FILE = "$GATEWAY_HOME/demo-user.txt"


def _demo_user(sessions: sessionmaker[Session]) -> tuple[str, str]:
    """The demo admin: made once with a random password, kept (mode 0600) under the data home."""
    from gateway import storage

    saved = storage.data_home() / "demo-user.txt"
    with sessions() as session, session.begin():
        if desk.find_user(session, DEMO_USER) is not None and saved.exists():
            return DEMO_USER, saved.read_text().strip()
        password = _demo_password()
        if desk.find_user(session, DEMO_USER) is not None:
            desk.set_password(session, DEMO_USER, password)
        else:
            desk.add_user(session, DEMO_USER, password, desk.ADMIN)
    saved.touch(mode=0o600)
    saved.write_text(password + "\n")
    return DEMO_USER, password


def _demo_password() -> str:
    """24 random URL-safe characters that pass the desk's password rule (a draw that spells the
    user name, about one in 25,000, is drawn again)."""
    import secrets

    while desk.password_problem(DEMO_USER, password := secrets.token_urlsafe(18)) is not None:
        pass
    return password


def _demo_record(path: Path, days: int, submit: Callable[[bytes], dict[str, Any]]) -> None:
    from gateway.cli.demo import dated

    try:
        outcome = submit(dated(path, days))
    except OutboundRefused as exc:
        click.echo(f"{path.name}: refused: {'; '.join(exc.problems)}")
        return
    click.echo(f"{path.name}: outbound {outcome['outbound_id']} {outcome['status']}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document on stdout.")
@click.option("--partner", default=None, help="The customer of documents that do not name one (sheets).")
@pass_context
def ingest(ctx: _Context, paths: tuple[Path, ...], as_json: bool, partner: str | None) -> None:
    """Store and process inbound documents (files, or folders of files): X12, xlsx, CSV.

    On PostgreSQL they are stored and queued; `gateway worker` processes them.
    """
    pipeline = ctx.pipeline(queued=True)  # first: it imports SQLAlchemy with the collector held back

    from gateway import storage
    from gateway.cli import reports

    if partner is not None and pipeline.partners.get(partner) is None:
        raise click.BadParameter(f"no partner profile named {partner!r}", param_hint="--partner")
    failed = 0
    for path in _files(paths):

        def take(path: Path = path) -> tuple[IngestOutcome, dict[str, Any]]:
            outcome = pipeline.ingest_path(path, partner=partner)
            with ctx.sessions() as session:
                return outcome, reports.document_report(session, outcome, orders=as_json)

        try:  # a busy store is waited for: taking the same bytes again is harmless
            outcome, report = storage.retry_while_busy(take, on_busy=_waiting(f"to store {path}"))
        except Exception as exc:  # the document could not even be stored
            failed += 1
            click.echo(f"{path}: NOT STORED: {exc}", err=True)
            continue
        if as_json:
            click.echo(json.dumps(report, default=str))
        else:
            click.echo(_summary_line(path, outcome, report))
    if failed:
        sys.exit(1)


def _files(paths: tuple[Path, ...]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        else:
            yield path


def _summary_line(path: Path, outcome: IngestOutcome, report: dict[str, Any]) -> str:
    from gateway.model.status import DocumentStatus

    dup = " (already received)" if outcome.duplicate else ""
    if outcome.status == DocumentStatus.RECEIVED:
        return f"{path.name}: document {outcome.document_id} stored{dup}; queued for a worker"
    acks = ", ".join(o["kind"] for o in report["outbound"]) or "no ack"
    text = f"{path.name}: document {outcome.document_id} {outcome.status}{dup}; {report['order_count']} orders; {acks}"
    for error in report["errors"][:5]:
        text += f"\n  {error['code']}: {error['message']}"
    return text


def _master_data_kinds() -> list[str]:
    from gateway.inbound.master_data import KINDS

    return sorted(KINDS)


@main.command("import")
@click.argument("kind", type=_LoadedChoice(_master_data_kinds))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
def import_master_data(ctx: _Context, kind: str, path: Path) -> None:
    """Load master data from a CSV or xlsx export; bad rows are listed, good rows still load."""
    from gateway.inbound.master_data import import_file

    with ctx.sessions() as session, session.begin():
        report = import_file(session, kind, path)
    click.echo(f"{kind}: {report.loaded} rows loaded, {len(report.errors)} rejected")
    for number, problem in report.errors[:50]:
        click.echo(f"  row {number}: {problem}", err=True)
    if len(report.errors) > 50:
        click.echo(f"  ... and {len(report.errors) - 50} more", err=True)


@main.command("poll-imap")
@click.option("--once", is_flag=True, help="Take what is waiting now, then exit.")
@pass_context
def poll_imap(ctx: _Context, once: bool) -> None:
    """Take order emails from an IMAP folder (settings from GATEWAY_IMAP_* variables)."""
    from gateway.config import ImapSettings
    from gateway.transports.imap import ImapPoller

    try:
        settings = ImapSettings.from_environment()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    poller = ImapPoller(settings, ctx.pipeline(queued=True))
    if once:
        report = poller.poll_once()
        click.echo(f"{len(report.taken)} messages taken, {report.new_documents} new documents")
        return
    click.echo(
        f"polling {settings.host}:{settings.port}/{settings.folder} every {settings.poll_seconds:.0f} s"
    )
    poller.run()


@main.command("poll-channel")
@click.argument("partner")
@click.option("--json", "as_json", is_flag=True, help="The orders read, as one JSON object.")
@pass_context
def poll_channel(ctx: _Context, partner: str, as_json: bool) -> None:
    """Poll PARTNER's marketplace (Amazon or Walmart) once: store each new or changed order, then move its cursor.

    Settings from the partner's profile, its [channel.poll] table (see the README's "Marketplace polling").
    """
    from gateway.config import clock
    from gateway.errors import GatewayError
    from gateway.outbound.transport_status import record_outcome
    from gateway.outbound.transport_status import status_transaction
    from gateway.transports.marketplace_channel import marketplace_channels
    from gateway.transports.marketplaces import poller_for

    pipeline = ctx.pipeline(queued=True)
    channels = [c for c in marketplace_channels(pipeline.partners) if c.partner == partner]
    if not channels:
        raise click.UsageError(
            f"no marketplace is polled for {partner}: its profile needs [channel] kind = "
            '"amazon" or "walmart" and a [channel.poll] table'
        )
    now = clock()
    failed = False
    for channel in channels:
        poller = poller_for(channel, pipeline, clock=now)
        try:
            report = poller.poll_once()
        except GatewayError as exc:
            failed = True
            with status_transaction(pipeline.sessions, partner, poller.label) as session:
                record_outcome(session, partner=partner, channel=poller.label, at=now(), error=str(exc))
            click.echo(f"{channel.kind}: {exc}", err=True)
            continue
        with status_transaction(pipeline.sessions, partner, poller.label) as session:
            record_outcome(session, partner=partner, channel=poller.label, at=now(), detail=str(report))
        if as_json:
            taken = [
                {"order_id": t.order_id, "document_id": t.document_id, "duplicate": t.duplicate}
                for t in report.taken
            ]
            click.echo(
                json.dumps({"channel": channel.kind, "cursor": report.cursor.isoformat(), "orders": taken})
            )
        else:
            click.echo(f"{channel.kind}: {report}")
    if failed:
        sys.exit(1)


@main.command()
@click.argument("document_ids", nargs=-1, type=int)
@click.option("--pending", is_flag=True, help="Every document stored but not processed (after a crash).")
@click.option(
    "--resend-acks",
    is_flag=True,
    help="Answer the named documents' interchanges again: a new TA1 and 997/999, with new control numbers.",
)
@pass_context
def reprocess(ctx: _Context, document_ids: tuple[int, ...], pending: bool, resend_acks: bool) -> None:
    """Process stored documents again: after a crash, or once a missing partner profile exists.

    A named document is processed again; an interchange it already answered keeps its TA1 and
    997/999 unless --resend-acks. --pending takes only what is still waiting when its turn comes.
    """
    from gateway.cli import reports
    from gateway.model.status import DocumentStatus

    if not document_ids and not pending:
        raise click.UsageError("name DOCUMENT_IDS or use --pending")
    pipeline = ctx.pipeline()
    if pending:
        with ctx.sessions() as session:
            waiting = reports.document_ids(session, status=DocumentStatus.RECEIVED)
        if not waiting:
            click.echo("nothing pending")
        for document_id in waiting:
            outcome = pipeline.process(document_id, again=False)  # only if still received, under its row lock
            if outcome.duplicate:
                click.echo(
                    f"document {document_id}: already processed meanwhile ({outcome.status}); left as it is"
                )
            else:
                click.echo(f"document {document_id}: {outcome.status}, {len(outcome.order_ids)} orders")
    refused = 0
    for document_id in document_ids:
        try:  # the refusal is checked under the document's row lock
            outcome = pipeline.process(
                document_id, again=True, resend_acks=resend_acks, refuse=desk.reprocess_refusal
            )
        except ReprocessRefused as exc:
            click.echo(f"document {document_id}: not processed again: {exc}", err=True)
            refused += 1
            continue
        click.echo(f"document {document_id}: {outcome.status}, {len(outcome.order_ids)} orders")
    if refused:
        sys.exit(1)


@main.command()
@click.option("--status", default=None, help="Only orders in this status (accepted, rejected, exception).")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def orders(ctx: _Context, status: str | None, as_json: bool) -> None:
    """List stored orders, newest first."""
    from gateway.cli import reports

    with ctx.reading() as connection:
        rows = reports.order_list(connection, status=status)
    if as_json:
        click.echo(json.dumps(rows, default=str))
        return
    for row in rows:
        click.echo(
            f"{row['order_id']:>6}  {row['status']:<9}  {row['partner'] or '-':<10}  "
            f"{row['po_number'] or '-':<22}  {row['line_count']:>4} lines  {row['findings']} findings"
        )


@main.command()
@click.argument("order_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--document", "is_document", is_flag=True, help="The id is a document's: its status, errors and reading."
)
@pass_context
def show(ctx: _Context, order_id: int, as_json: bool, is_document: bool) -> None:
    """Show one order with its lines, findings and provenance (or, with --document, one document).

    An X12 document from a sender with no profile shows what it holds, read with a provisional
    profile: interchanges, POs, lines and syntax problems.
    """
    from gateway.cli import reports

    if is_document:
        with ctx.reading() as connection:
            document = reports.document_detail(connection, order_id)
        if document is None:
            raise click.ClickException(f"no document {order_id}")
        click.echo(json.dumps(document, default=str) if as_json else reports.render_document(document))
        return
    with ctx.reading() as connection:
        detail = reports.order_detail(connection, order_id)
    if detail is None:
        raise click.ClickException(f"no order {order_id}")
    if as_json:
        click.echo(json.dumps(detail, default=str))
        return
    click.echo(reports.render_order(detail))


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--overdue", is_flag=True, help="Only documents whose 997/999 is overdue.")
@pass_context
def outbox(ctx: _Context, as_json: bool, overdue: bool) -> None:
    """List outbound documents: acks, 855s, 856s, 810s and ERP payloads, with their state."""
    from gateway.cli import reports
    from gateway.config import clock

    with ctx.reading() as connection:
        rows = reports.outbox_list(connection, now=clock()(), overdue_only=overdue)
    if as_json:
        click.echo(json.dumps(rows, default=str))
        return
    for row in rows:
        about = f"answers document {row['document_id']}" if row["document_id"] else f"for {row['refers_to']}"
        about += f"  to ERP target {row['erp_target']}" if row["erp_target"] else ""
        flags = {"overdue": "  997 OVERDUE", "not sent": "  not sent (997 clock starts when sent)"}.get(
            row["ack"] or "", ""
        )
        click.echo(
            f"{row['id']:>6}  {row['kind']:<4} {row['partner']:<10} ISA13 {row['interchange_control_number']}  "
            f"{row['status']:<8} {about}{flags}"
        )
        for error in row["errors"]:
            click.echo(f"        ! {error}")


@main.command()
@click.option(
    "--days", default=30, show_default=True, type=click.IntRange(1, 366), help="The last N UTC days."
)
@click.option("--partner", default=None, help="One partner's figures only.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_context
def report(ctx: _Context, days: int, partner: str | None, as_json: bool) -> None:
    """The desk's KPIs: order accuracy, receipt to ERP, time to ship, 997 turnaround by partner."""
    from gateway.cli.kpi_report import kpi_report
    from gateway.cli.kpi_report import render_kpis
    from gateway.config import clock

    with ctx.reading() as connection:
        figures = kpi_report(connection, now=clock()(), days=days, partner=partner)
    click.echo(json.dumps(figures) if as_json else render_kpis(figures))


def _submit(as_json: bool, action: Callable[[], Any]) -> None:
    """Run a shipment or invoice submission; a refusal lists its reasons and exits 1."""
    try:
        result = action()
    except OutboundRefused as exc:
        if as_json:
            click.echo(json.dumps({"refused": exc.problems}))
        else:
            click.echo("refused:", err=True)
            for problem in exc.problems:
                click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    for outcome in result if isinstance(result, list) else [result]:
        if as_json:
            click.echo(json.dumps(outcome, default=str))
            continue
        state = "already recorded; " if outcome["duplicate"] else ""
        what = outcome.get("shipment_id") or outcome.get("invoice_number")
        click.echo(f"{what}: {state}outbound {outcome['outbound_id']} {outcome['status']}")
        for error in outcome["errors"]:
            click.echo(f"  ! {error}")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@pass_context
def ship(ctx: _Context, path: Path, as_json: bool) -> None:
    """Record a shipment from the ERP/WMS (JSON) and queue its 856 ASN."""
    from gateway.config import clock
    from gateway.outbound.records import submit_shipment

    partners = ctx.pipeline().partners
    _submit(as_json, lambda: submit_shipment(ctx.sessions, partners, path.read_bytes(), when=clock()()))


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--from-shipment", "shipment_id", default=None, help="Invoice what this shipment shipped.")
@click.option("--partner", default=None, help="The partner of --from-shipment or --release.")
@click.option("--release", "release", default=None, help="Let this held invoice's 810 leave as it is.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def invoice(
    ctx: _Context,
    path: Path | None,
    shipment_id: str | None,
    partner: str | None,
    release: str | None,
    as_json: bool,
) -> None:
    """Record an invoice from the ERP (JSON), or make one per PO from a shipment; queue the 810s.

    ``--release NUMBER --partner NAME`` lets an invoice held for its prices go as it is.
    """
    from gateway.config import clock
    from gateway.outbound.invoicing import release_invoice
    from gateway.outbound.records import invoice_shipment
    from gateway.outbound.records import submit_invoice
    from gateway.outbound.shipping import partner_for

    partners = ctx.pipeline().partners
    if release is not None:
        if partner is None or path is not None or shipment_id is not None:
            raise click.UsageError("--release NUMBER needs --partner NAME and nothing else")
        try:
            with ctx.sessions() as session, session.begin():
                outbound_id = release_invoice(session, partner_for(partners, partner), release, now=clock()())
        except OutboundRefused as exc:
            raise click.ClickException("; ".join(exc.problems)) from exc
        click.echo(f"{release}: outbound {outbound_id} released, pending")
        return
    if (path is None) == (shipment_id is None):
        raise click.UsageError("give either an invoice FILE or --from-shipment ID --partner NAME")
    if path is not None:
        _submit(as_json, lambda: submit_invoice(ctx.sessions, partners, path.read_bytes(), when=clock()()))
        return
    if partner is None:
        raise click.UsageError("--from-shipment needs --partner")
    _submit(
        as_json,
        lambda: invoice_shipment(ctx.sessions, partners, partner, shipment_id or "", when=clock()()),
    )


@main.command()
@click.option("--once", is_flag=True, help="One pass over what is due, then exit.")
@pass_context
def deliver(ctx: _Context, once: bool) -> None:
    """POST queued ERP payloads to their targets (GATEWAY_ERP_URL, or a profile's [erp]), retrying
    with backoff; dead ones raise alerts."""
    import httpx

    from gateway.config import clock
    from gateway.outbound.delivery import deliver_due
    from gateway.outbound.delivery import routes_any

    settings = ctx.erp
    partners = ctx.pipeline().partners
    if settings is None and not routes_any(partners):
        raise click.ClickException(
            "set GATEWAY_ERP_URL (and GATEWAY_ERP_KIND, GATEWAY_ERP_TOKEN), or an [erp] table in a profile, to deliver"
        )
    with httpx.Client() as client:
        while True:
            report = deliver_due(ctx.sessions, settings, now=clock()(), client=client, partners=partners)
            if report.delivered or report.retrying or report.dead or once:
                click.echo(
                    f"delivered {report.delivered}, retrying {report.retrying}, dead-lettered {report.dead}"
                )
            if once:
                return
            time.sleep(5)


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Also resolved alerts.")
@click.option("--kind", default=None, help="Only alerts of this kind (delivery_dead, ack_overdue, ...).")
@click.option("--partner", default=None, help="Only alerts about this partner.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, the same fields as the text.")
@click.option(
    "--redeliver",
    "outbound_id",
    type=int,
    default=None,
    help="Queue a dead-lettered document (ERP payload or X12 send) again.",
)
@click.option("--resolve", "resolve_id", type=int, default=None, help="Resolve this open alert by hand.")
@click.option("--note", default="", help="With --resolve: why (audited, and said in the 'resolved' notice).")
@pass_context
def alerts(
    ctx: _Context,
    show_all: bool,
    kind: str | None,
    partner: str | None,
    as_json: bool,
    outbound_id: int | None,
    resolve_id: int | None,
    note: str,
) -> None:
    """Alerts a person must act on: what failed, the action to take, how often, since when, and the desk link."""
    from gateway.cli import reports
    from gateway.config import clock
    from gateway.model.status import AlertKind

    if outbound_id is not None:
        from gateway.outbound.delivery import redeliver  # with the outbox's X12 checks: only to redeliver

        with ctx.sessions() as session, session.begin():
            if not redeliver(session, outbound_id, now=clock()()):
                raise click.ClickException(f"outbound {outbound_id} is not a dead-lettered payload")
        click.echo(f"outbound {outbound_id} queued again")
        return
    if resolve_id is not None:
        import getpass  # with termios: only to name who resolved

        from gateway.desk._alert_actions import resolve_by_hand
        from gateway.desk._errors import AlertNotOpen

        actor = f"{getpass.getuser()} (command line)"
        with ctx.existing_sessions() as session, session.begin():
            try:
                resolve_by_hand(session, resolve_id, actor=actor, note=note, at=clock()())
            except AlertNotOpen as exc:
                raise click.ClickException(str(exc)) from exc
        click.echo(
            f"alert {resolve_id} resolved; if what it is about is still wrong, the next check raises it again"
        )
        return
    if kind is not None and kind not in set(AlertKind):
        raise click.ClickException(f"--kind must be one of {', '.join(AlertKind)}, not {kind!r}")
    public_url = _alert_settings().public_url
    with ctx.reading() as connection:
        rows = reports.alert_list(
            connection, include_resolved=show_all, kind=kind, partner=partner, public_url=public_url
        )
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    for row in rows:
        state = f"resolved {row['resolved_at']:%Y-%m-%d %H:%M}" if row["resolved_at"] else "OPEN"
        click.echo(f"#{row['id']} {state} {row['kind']} ({row['partner'] or '-'}): {row['message']}")
        click.echo(f"    action: {row['action'] or 'look at it on the desk'}")
        click.echo(
            f"    seen {row['repeats'] + 1}x, first {row['first_seen']:%Y-%m-%d %H:%M}, "
            f"last {row['last_seen']:%Y-%m-%d %H:%M} UTC; desk: {row['link']}"
        )


def _roles() -> tuple[str, ...]:
    from gateway.run.supervisor import (
        PROCESS_ROLES,  # the supervisor's multiprocessing: only `gateway run` uses it
    )

    return PROCESS_ROLES


@main.command()
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=_LoadedChoice(_roles),
    help="Run only these parts (repeatable); default: web, pollers and worker.",
)
def run(roles: tuple[str, ...]) -> None:
    """Run the gateway: web server (API, AS2), pollers (SFTP, drop folders, IMAP) and worker, until SIGTERM."""
    from gateway.config import RunSettings
    from gateway.run.supervisor import Supervisor

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s supervisor %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = RunSettings.from_environment()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    _profiles_loudly()
    sys.exit(Supervisor(roles or _roles(), settings).run())


@main.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Jobs at once in this process (GATEWAY_WORKER_CONCURRENCY, 1); run more processes to use more cores.",
)
def worker(concurrency: int | None) -> None:
    """Run jobs until SIGTERM: on PostgreSQL one of any number of workers on any machines, on SQLite the one inline worker.

    It does not migrate the store: `gateway init` (or `gateway run`) does that once.
    """
    from gateway.config import RunSettings
    from gateway.run.supervisor import run_role

    if concurrency is not None:
        os.environ["GATEWAY_WORKER_CONCURRENCY"] = str(concurrency)
    try:
        settings = RunSettings.from_environment()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    _profiles_loudly()
    run_role("worker", settings)


@main.command()
@click.option("--json", "as_json", is_flag=True)
@pass_context
def status(ctx: _Context, as_json: bool) -> None:
    """Last success and last error of every partner's channels (SFTP, drop folder, AS2, IMAP, ERP).

    A refused profile file is listed too, as REFUSED with its error.
    """
    from gateway.outbound import transport_status

    partners = _profiles_loudly(quiet=as_json)
    with ctx.reading() as connection:
        rows = transport_status.status_report(connection, partners)
    if as_json:
        click.echo(json.dumps(rows, default=str))
        return
    if not rows:
        click.echo("no transports configured or used yet")
    for row in rows:
        if row["channel"] == "profile":
            click.echo(f"{row['partner']:<12} REFUSED    {row['last_error']}")
            continue
        ok = (
            f"ok {row['last_success_at']} ({row['last_success']})"
            if row["last_success_at"]
            else "never succeeded"
        )
        click.echo(f"{row['partner']:<12} {row['channel']:<10} {ok}")
        if row["last_error_at"]:
            repeated = f" ({row['failures_in_a_row']} in a row)" if row["failures_in_a_row"] > 1 else ""
            click.echo(f"{'':<23} last error {row['last_error_at']}{repeated}: {row['last_error']}")


def _profiles_loudly(*, quiet: bool = False) -> PartnerRegistry:
    """The profiles in use; each refused file is named on stderr (the others load); no folder stops."""
    from gateway.config import partners_dir
    from partners import PartnerRegistry
    from partners import ProfileError

    try:
        registry = PartnerRegistry.from_directory(partners_dir())
    except ProfileError as exc:
        raise click.ClickException(str(exc)) from exc
    if not quiet:
        for refused in registry.refused:
            click.echo(
                f"profile refused, its partner cannot trade until it is fixed: {refused.path}: {refused.error}",
                err=True,
            )
    return registry


@main.group()
def partners() -> None:
    """Partner profiles: check a folder before it is deployed; export or forget the layouts the desk learned."""


@partners.command("check")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
def check_partners(folder: Path | None) -> None:
    """Load every profile in FOLDER ($GATEWAY_PARTNERS_DIR by default); list each bad file and exit 1."""
    from gateway.config import partners_dir
    from partners import PartnerRegistry
    from partners import ProfileError

    try:
        registry = PartnerRegistry.from_directory(folder or partners_dir())
    except ProfileError as exc:
        raise click.ClickException(str(exc)) from exc
    for refused in registry.refused:
        click.echo(f"{refused.path.name}: {refused.error}", err=True)
    if registry.refused:
        total = len(registry) + len(registry.refused)
        click.echo(f"{len(registry.refused)} of {total} profile files refused", err=True)
        sys.exit(1)
    click.echo(f"{len(registry)} profiles ok: " + ", ".join(p.name for p in registry))


main.add_command(user)


_PLACES = {"column": "in the column titled", "right": "right of the label", "below": "below the label"}


@partners.command("layout")
@click.argument("name")
@pass_context
def partner_layout(ctx: _Context, name: str) -> None:
    """Print the layout NAME's documents taught the order desk, as TOML for its profile.

    ``pdf_anchors`` (the labels its PDFs put header fields after) and ``sheet_columns`` (its own
    column titles); the support of each hint is a comment above.
    """
    from gateway import storage
    from partners import profile_toml

    with ctx.existing_sessions() as session:
        records = storage.hint_records(session, name)
    if not records:
        raise click.ClickException(f"nothing learned for partner {name!r}")
    for row in records:
        at = _PLACES.get(row.geometry, row.geometry)
        click.echo(
            f"# {row.kind} {row.field}: {at} {row.label!r}, from {row.support} correction"
            f"{'s' if row.support != 1 else ''}, last by {row.updated_by} on document {row.last_document_id}"
        )
    click.echo(profile_toml(storage.learned_hints_of(records)), nl=False)


@partners.command("forget-layout")
@click.argument("name")
@click.option("--field", default=None, help="Only this field's hint (po_number, vendor_sku...).")
@click.option(
    "--kind", type=click.Choice(["pdf", "sheet"]), default=None, help="Only PDF or only sheet hints."
)
@pass_context
def forget_layout(ctx: _Context, name: str, field: str | None, kind: str | None) -> None:
    """Forget the layout hints learned for NAME (each one is in the audit log, actor ``cli``)."""
    from gateway import storage
    from gateway.config import clock

    with ctx.existing_sessions() as session, session.begin():
        gone = storage.forget_hints(session, partner=name, actor="cli", at=clock()(), field=field, kind=kind)
        for row in gone:
            click.echo(
                f"forgot {row.kind} {row.field}: {row.label!r} ({row.geometry}, support {row.support})"
            )
    if not gone:
        raise click.ClickException(f"no learned layout hint for partner {name!r} matches")
