"""Set-up shared by the order desk's web tests (this module holds no tests).

A store is built once per test module: the demo master data, real fixtures ingested through
the validating pipeline (EDI, a PDF, a sheet, a broken email, and an acme 850 with an unknown
SKU), and one user per role. Each test copies it and gets its own app with CSRF on, as in
production; clients log in through the real login form.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import Engine
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker
from werkzeug.test import TestResponse

from gateway import desk
from gateway import storage
from gateway.config import WebConfig
from gateway.inbound.pipeline import Pipeline
from gateway.web import create_app
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.conftest import built_once

SECRET = "desk-tests-secret-key-0123456789abcdef"
ERP = "erp.canonical"
NOW = FIXED_NOW + timedelta(hours=6)  # later than the SLA (4 h) after everything was received
USERS = {"alice": "clerk", "bob": "clerk", "carol": "credit", "root": "admin"}
ROLE_USER = {"clerk": "alice", "credit": "carol", "admin": "root"}
UNKNOWN_SKU_PO = "4500040001"
FIXTURES = ROOT / "fixtures"
DOCUMENTS = [
    *sorted(INBOX.glob("*.edi")),
    FIXTURES / "emails" / "pdf-attachment.eml",  # accepted; the next one is the same PO: a duplicate
    FIXTURES / "pdfs" / "ruled-simple.pdf",
    FIXTURES / "sheets" / "upc-template.xlsx",
    FIXTURES / "emails" / "broken-pdf.eml",
]
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def password(username: str) -> str:
    """A password the desk's rule accepts (long, hard to guess, not built from the name)."""
    return f"violet-kite-harbour-{sum(map(ord, username))}"


def unknown_sku_850() -> bytes:
    """The demo acme 850 under another PO and interchange number, line 3 ordering a SKU nobody sells."""
    data = (INBOX / "acme-4500012345.edi").read_bytes()
    return (
        data.replace(b"4500012345", UNKNOWN_SKU_PO.encode())
        .replace(b"000001001", b"000040001")
        .replace(b"NW-30555", b"NW-99001")
    )


def build_store(master_template: Path, folder: Path) -> Path:
    """A store file with the master data, the fixtures ingested, and the users; returns its path."""
    path = folder / "desk.db"
    shutil.copyfile(master_template, path)
    engine = storage.make_engine(f"sqlite:///{path}")
    storage.upgrade(engine)
    sessions = storage.make_sessionmaker(engine)
    pipeline = Pipeline(sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW, erp_kind=ERP)
    for document in DOCUMENTS:
        partner = "acme" if document.suffix in (".pdf", ".xlsx") else None
        pipeline.ingest_path(document, channel="demo", partner=partner)
    extra = folder / f"acme-{UNKNOWN_SKU_PO}.edi"
    extra.write_bytes(unknown_sku_850())
    pipeline.ingest_path(extra, channel="demo")
    with sessions() as session, session.begin():
        for name, role in USERS.items():
            desk.add_user(session, name, password(name), role, at=FIXED_NOW)
    engine.dispose()
    return path


def desk_store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``build_store``'s store, built once per run for every module that takes it as it is (about
    1.3 s of CPU a build); tests copy it (``open_app``), never change it."""
    return built_once(tmp_path_factory, "desk-store", partial(build_store, master_template)) / "desk.db"


def own_desk_store(master_template: Path, tmp_path_factory: pytest.TempPathFactory, folder: Path) -> Path:
    """A copy of ``desk_store`` at ``folder/desk.db``, for a module that adds to it; returns its path."""
    path = folder / "desk.db"
    shutil.copyfile(desk_store(master_template, tmp_path_factory), path)
    return path


def clerk_store(master_template: Path, folder: Path) -> Path:
    """A store file with the demo master data and one clerk, alice; returns its path."""
    path = folder / "store.db"
    shutil.copyfile(master_template, path)
    engine = storage.make_engine(f"sqlite:///{path}")
    storage.upgrade(engine)
    with storage.make_sessionmaker(engine)() as session, session.begin():
        desk.add_user(session, "alice", password("alice"), "clerk", at=NOW)
    engine.dispose()
    return path


def shared_clerk_store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``clerk_store``'s store, built once per run (alice's scrypt hash is a noticeable moment); tests
    copy it (``open_app``), never change it."""
    return built_once(tmp_path_factory, "clerk-store", partial(clerk_store, master_template)) / "store.db"


def staffed_store(
    engine: Engine, users: dict[str, str], *, at: datetime
) -> tuple[sessionmaker[Session], dict[str, storage.DeskUser]]:
    """Add ``users`` (name: role) to ``engine``'s store, at the newest schema with the demo master
    data (``store_url(..., seeded=True)``)."""
    sessions = storage.make_sessionmaker(engine)
    with sessions() as session, session.begin():
        added = {
            name: desk.add_user(session, name, password(name), role, at=at) for name, role in users.items()
        }
    return sessions, added


@dataclass
class DeskApp:
    app: Flask
    sessions: sessionmaker[Session]

    def client(self, username: str | None = None) -> FlaskClient:
        """A browser: anonymous, or logged in as ``username`` through the login form."""
        client = self.app.test_client()
        if username is not None:
            response = client.post(
                "/login",
                data={
                    "username": username,
                    "password": password(username),
                    "csrf_token": token(client, "/login"),
                },
            )
            assert response.status_code == 303, response.text
        return client

    def order_id(self, po_number: str, *, status: str | None = None) -> int:
        with self.sessions() as session:
            query = select(storage.PurchaseOrder.id).where(storage.PurchaseOrder.po_number == po_number)
            if status:
                query = query.where(storage.PurchaseOrder.status == status)
            found = session.scalars(query.order_by(storage.PurchaseOrder.id.desc())).first()
        assert found is not None, po_number
        return found

    def document_id(self, filename: str) -> int:
        with self.sessions() as session:
            found = session.scalar(select(storage.Document.id).where(storage.Document.filename == filename))
        assert found is not None, filename
        return found

    def order(self, order_id: int) -> storage.PurchaseOrder:
        with self.sessions() as session:
            found = session.get(storage.PurchaseOrder, order_id)
            assert found is not None
            return found

    def outbound(self, order_id: int) -> list[storage.OutboundRecord]:
        outbound = storage.OutboundRecord
        with self.sessions() as session:
            return list(
                session.scalars(select(outbound).where(outbound.order_id == order_id).order_by(outbound.id))
            )


class _CompiledTemplates(BytecodeCache):
    """Templates compiled once per test run, not once per app: most of a fresh app's first page."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _CompiledTemplates()


def open_app(
    store: Path,
    folder: Path,
    *,
    config: dict[str, object] | None = None,
    partners: PartnerRegistry | None = None,
    clock: Callable[[], datetime] = lambda: NOW,
) -> tuple[DeskApp, object]:
    """An app over a private copy of ``store``; returns it and the engine to dispose."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "gateway.db"
    shutil.copyfile(store, path)
    engine = storage.make_engine(f"sqlite:///{path}")
    sessions = storage.make_sessionmaker(engine)
    partners = partners or PartnerRegistry.from_directory()
    pipeline = Pipeline(sessions, partners, clock=lambda: NOW, erp_kind=ERP)
    app = create_app(
        WebConfig(
            sessions,
            partners,
            clock,
            api_token="api-token",
            pipeline=pipeline,
            erp_kind=ERP,
            flask={"SECRET_KEY": SECRET, **(config or {})},
        )
    )
    app.jinja_env.bytecode_cache = _TEMPLATES
    return DeskApp(app, sessions), engine


def token(client: FlaskClient, page: str) -> str:
    """The CSRF token of the forms on ``page``, as a browser would take it."""
    response = client.get(page)
    found = _TOKEN.search(response.text)
    assert found is not None, f"no CSRF token on {page} ({response.status_code})"
    return found.group(1)


def post(client: FlaskClient, path: str, data: dict[str, object] | None = None, *, page: str) -> TestResponse:
    """Send a form from ``page`` with its CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": token(client, page)})
