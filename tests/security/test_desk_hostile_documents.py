"""The order desk showing hostile documents: the document page (which renders the original beside
the error) and the raw download must answer cheaply, escape what they show, and download under
a safe name, as an attachment the browser never renders. "Cheaply" is counted, not timed
(``tests.work``): each page within ``CALLS`` function calls, and a PDF page over the reader's
budget never opened by PDFium.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest

from gateway import desk as order_desk
from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.storage import safe_filename
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import ROOT
from tests.security import _bomb_child as bombs
from tests.security import _hostile as hostile
from tests.security.test_hostile_names import HOSTILE
from tests.security.test_xlsx_bombs import _random_texts
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import password
from tests.work import counted_calls

# A document page takes 8,000 to 30,000 calls once the app is warm; the desk reading a bomb
# whole (openpyxl on 450,000 shared strings, the stdlib on 5,000 nested parts, pdfminer on
# forms drawing forms) takes millions.
CALLS = 200_000
# A page image: a page refused by the reader's budget may spend all of it first (forms drawing
# forms: MAX_DRAWS forms interpreted, 2 million calls); the budget is what keeps it finite.
IMAGE_CALLS = 5_000_000
SCRIPT = "<script>alert(1)</script>"


@functools.cache
def _documents() -> dict[str, tuple[bytes, str | None]]:
    """name -> (bytes, partner named by the channel); smaller kin of the bombs the other modules test."""
    strings = hostile.shared_strings_xml(tuple(_random_texts(450_000)))
    found: dict[str, tuple[bytes, str | None]] = {
        "xlsx-bomb.xlsx": (bombs.xlsx_bomb(), "acme"),
        "xlsx-lying-bomb.xlsx": (bombs.xlsx_lying_bomb(), "acme"),
        "strings.xlsx": (hostile.xlsx(shared_strings=strings), "acme"),
        "pdf-bomb.pdf": (
            hostile.pdf_pages([hostile.zlib_repeated(b"", b" " * hostile.MIB, 65)], flate=True),
            "acme",
        ),
        "laughs.pdf": (hostile.pdf_form_fanout(4, 100), "acme"),  # forms drawing forms
        "deep.eml": (bombs.deep_mime(), None),
        "attachment.eml": (hostile.email_with_attachment(f"{SCRIPT}../../x.pdf", b"%PDF-1.7 broken"), None),
        "ruled-simple.pdf": ((ROOT / "fixtures" / "pdfs" / "ruled-simple.pdf").read_bytes(), "acme"),
    }
    for number, name in enumerate(HOSTILE):
        found[name] = (f"not an order {number} {SCRIPT}\n".encode(), "acme")
    return found


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("desk-hostile") / "desk.db"
    shutil.copyfile(master_template, path)
    engine = storage.make_engine(f"sqlite:///{path}")
    storage.upgrade(engine)
    sessions = storage.make_sessionmaker(engine)
    pipeline = Pipeline(sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW, validate=False)
    for name, (data, partner) in _documents().items():
        pipeline.ingest_stream(io.BytesIO(data), channel="drop", filename=name, partner=partner)
    with sessions() as session, session.begin():
        order_desk.add_user(session, "alice", password("alice"), "clerk", at=FIXED_NOW)
    engine.dispose()
    return path


def _stored(desk: DeskApp) -> list[storage.Document]:
    with desk.sessions() as session:
        return list(session.query(storage.Document).order_by(storage.Document.id))


def test_every_hostile_document_page_answers_cheaply_and_escaped(desk: DeskApp) -> None:
    client = desk.client("alice")
    documents = _stored(desk)
    assert len(documents) == len(_documents())
    [plain] = [d for d in documents if d.filename == "ruled-simple.pdf"]
    assert client.get(f"/documents/{plain.id}").status_code == 200  # the app warm: templates, imports
    for document in documents:
        assert document.error_code != "internal_error", (document.filename, document.error)
        assert document.status == "rejected" or document.filename == "ruled-simple.pdf", document.filename
        with counted_calls() as calls:
            response = client.get(f"/documents/{document.id}")
        assert response.status_code == 200, document.filename
        assert calls.total < CALLS, (document.filename, calls.total)
        assert SCRIPT not in response.text and "<script>alert" not in response.text
    listing = client.get("/documents").text
    assert SCRIPT not in listing


def test_raw_downloads_are_attachments_under_safe_names(desk: DeskApp) -> None:
    client = desk.client("alice")
    for document in _stored(desk):
        response = client.get(f"/documents/{document.id}/raw")
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert "\r" not in disposition and "\n" not in disposition
        assert disposition.startswith("attachment;")
        assert response.mimetype == "application/octet-stream"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        found = re.search(r"filename\*=UTF-8''([^;]+)", disposition) or re.search(
            r'filename="?([^";]+)"?', disposition
        )
        assert found is not None, disposition
        name = unquote(found.group(1))
        assert name == (
            safe_filename(document.filename) or f"document-{document.id}.{name.rsplit('.', 1)[-1]}"
        )
        assert "/" not in name and "\\" not in name and name != ".."
        with desk.sessions() as session:
            assert response.data == storage.document_bytes(session, document.id)


@pytest.mark.parametrize(
    ("filename", "status", "says"),
    [
        ("pdf-bomb.pdf", 404, "inflates beyond 64 MB"),  # PDFium took 3.2 GB and 9 s for the 2 GiB one
        ("laughs.pdf", 404, "draws more than"),  # and 1.7 GB and 15 s for forms drawing forms
        ("ruled-simple.pdf", 200, ""),
    ],
)
def test_pdf_pages_beyond_the_readers_budget_are_not_drawn(
    desk: DeskApp, filename: str, status: int, says: str
) -> None:
    client = desk.client("alice")
    [document] = [d for d in _stored(desk) if d.filename == filename]
    with counted_calls() as calls:
        response = client.get(f"/documents/{document.id}/pages/1.png")
    assert response.status_code == status
    assert says in response.text if says else response.mimetype == "image/png"
    opened = calls.of("pypdfium2/_helpers/document.py", "__init__")
    drawn = calls.of("pypdfium2/_helpers/page.py", "render")
    assert (opened, drawn) == (0, 0) if says else drawn == 1  # PDFium never sees a refused one
    assert calls.total < IMAGE_CALLS, calls.total
