"""An order of very many lines (issue 14, item 13): the desk shows it a bounded page at a time.

The order page lists ``LINES_PER_PAGE`` lines, the lines that hold the order first, with a caption
saying which of how many; every line can still be reached and corrected. The source view
beside it (an X12 file, a CSV sheet of as many rows) stays bounded too.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import defer

from gateway import desk as order_desk
from gateway import storage
from gateway.desk import order_page
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import built_once
from tests.security._stored import ingest
from tests.servers.postgres import store_url
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import open_app
from tests.web.test_web_desk_support import password
from tests.web.test_web_desk_support import post

LINES = 20_000
UNKNOWN = 19_990  # the line that orders a SKU nobody sells: it holds the order
PAGE_BOUND = 1_000_000  # bytes of HTML


def _x12(lines: int) -> bytes:
    head = (
        "ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*NORTHWINDDIST  *261120*0930*U*00401*000077001*0*P*>~\n"
        "GS*PO*ACMERETAIL*NORTHWIND*20261120*0930*77001*X*004010~\nST*850*0001~\n"
        "BEG*00*SA*4500077001**20261118~\nCUR*BY*USD~\nN1*ST*ACME DC 12*92*DC12~\n"
    )
    body = "".join(
        f"PO1*{n}*12*EA*4.50*PE*VN*{'NW-99001' if n == UNKNOWN else 'NW-10042'}~\nPID*F****WIDGET {n}~\n"
        for n in range(1, lines + 1)
    )
    count = 4 + 2 * lines + 2
    tail = f"CTT*{lines}~\nSE*{count}*0001~\nGE*1*77001~\nIEA*1*000077001~\n"
    return (head + body + tail).encode()


def _csv(lines: int) -> bytes:
    rows = "".join(f"NW-10042;WIDGET BLUE {n};12;4,50\n" for n in range(1, lines + 1))
    return ("PO #;7781-77\nDate;2026-11-19\n;\nSKU;Description;Quantity;Price\n" + rows).encode()


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two orders of 20,000 lines and a clerk, ingested once per run (about 17 s of CPU) however
    the module's tests are shared out among xdist processes; each test's desk works on a copy."""
    return built_once(tmp_path_factory, "bounded-pages", partial(_build, master_template)) / "desk.db"


def _build(master_template: Path, folder: Path) -> None:
    path = folder / "desk.db"
    shutil.copyfile(master_template, path)
    engine = storage.make_engine(f"sqlite:///{path}")
    storage.upgrade(engine)
    sessions = storage.make_sessionmaker(engine)
    pipeline = Pipeline(sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW)
    ingest(pipeline, _x12(LINES), filename="many-lines.edi", channel="drop")
    ingest(pipeline, _csv(LINES), filename="many-rows.csv", channel="email", partner="acme")
    with sessions() as session, session.begin():
        order_desk.add_user(session, "alice", password("alice"), "clerk", at=FIXED_NOW)
    engine.dispose()


@pytest.fixture
def desk(store: Path, tmp_path: Path) -> Iterator[DeskApp]:
    app, engine = open_app(store, tmp_path / "app")
    yield app
    engine.dispose()  # type: ignore[attr-defined]


def _orders(desk: DeskApp) -> dict[str, storage.PurchaseOrder]:
    with desk.sessions() as session:
        return {
            str(d.filename): o
            for o, d in session.execute(
                select(storage.PurchaseOrder, storage.Document).join(
                    storage.Document, storage.Document.id == storage.PurchaseOrder.document_id
                )
            )
        }


def test_an_order_of_many_lines_is_shown_a_page_at_a_time(desk: DeskApp) -> None:
    client = desk.client("alice")
    orders = _orders(desk)
    assert {o.line_count for o in orders.values()} == {LINES}, orders
    for name, order in orders.items():
        for url in (f"/orders/{order.id}", f"/orders/{order.id}?page=150", f"/documents/{order.document_id}"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert len(response.data) < PAGE_BOUND, (name, url, len(response.data))
    shown = client.get(f"/documents/{orders['many-rows.csv'].document_id}").text
    assert "The order has 20,000 lines; only where its first 100 lines came from is highlighted" in shown
    page = client.get(f"/orders/{orders['many-rows.csv'].id}?page=2").text
    assert "lines 101–200 of 20,000" in page
    assert 'data-line-no="150"' in page and 'data-line-no="250"' not in page


def test_the_line_that_holds_the_order_comes_first_and_can_be_corrected(desk: DeskApp) -> None:
    client = desk.client("alice")
    order = _orders(desk)["many-lines.edi"]
    assert order.status == "exception"
    url = f"/orders/{order.id}"
    first = client.get(url).text
    assert f'data-line-no="{UNKNOWN}"' in first  # the lines with findings are listed first
    assert "1 line with findings" in first
    later = client.get(f"{url}?page=200").text  # all lines: lines 19,901–20,000
    assert "lines 19,901–20,000 of 20,000" in later and f'data-line-no="{UNKNOWN}"' in later
    assert f'action="{url}/quantity?page=200"' in later  # a fix comes back to its page
    done = post(
        client,
        f"{url}/quantity?page=200",
        {"version": order.version, "line_no": "19995", "quantity": "7"},
        page=f"{url}?page=200",
    )
    assert done.status_code == 303, done.text[:3000]
    assert done.headers["Location"].endswith(f"{url}?page=200#top")
    with desk.sessions() as session:
        stored = session.get(storage.PurchaseOrder, order.id)
        assert stored is not None
        assert stored.canonical["lines"][19_994]["quantity"]["value"] in ("7", 7)
    links = re.findall(r'href="[^"]*page=(\d+)[^"]*"', first)
    assert links, "no links to the other pages"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_page_of_lines_is_read_in_sql_on_both_databases(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The page's lines come out of the canonical JSON in SQL (json_each / json_array_elements)."""
    engine = storage.make_engine(store_url(database, request, tmp_path, "bounded_pages", seeded=True))
    sessions = storage.make_sessionmaker(engine)
    pipeline = Pipeline(sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW)
    ingest(pipeline, _x12(250), filename="250.edi", channel="drop")
    with sessions() as session:
        stored = session.scalars(
            select(storage.PurchaseOrder).options(defer(storage.PurchaseOrder.canonical))
        ).one()
        shown = order_page(session, stored, page=3)
        assert "canonical" not in stored.__dict__  # never read whole
        assert shown.order is not None and shown.problem is None
        assert shown.order.po_number == "4500077001"
        assert [v.line.line_no for v in shown.lines] == [str(n) for n in range(201, 251)]
        assert [v.index for v in shown.lines] == list(range(200, 250))
        assert shown.lines[0].line.description == "WIDGET 201"
        assert shown.paging is not None and (shown.paging.first, shown.paging.last) == (201, 250)
        held = order_page(session, stored)
        assert held.paging is not None and held.paging.only_findings is False  # 250 lines, none held
    engine.dispose()
