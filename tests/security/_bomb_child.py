"""Child process of the bounded-memory test: ingest each decompression bomb, report, and this process's own peak RSS.

``python -m tests.security._bomb_child STORE`` ingests every document of ``BOMBS`` through the
real pipeline into a new SQLite store at ``STORE`` and prints one JSON object per document
(``name``, ``status``, ``error_code``, ``reasons``, ``calls``: the function calls its ingest
made, see ``tests.work``; ``seconds``, for a person) and a last one with ``peak_mb``:
the VmHWM of this process alone, which a pytest parent's own memory does not inflate.
"""

from __future__ import annotations

import io
import json
import sys
import time
import zlib
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path

from bench._memory import peak_rss_mb
from gateway import storage
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.security import _hostile as hostile
from tests.work import counted_calls

GIB_BLOCKS = 2048  # 1 MiB blocks: each bomb inflates to 2 GiB


def xlsx_bomb() -> bytes:
    """2 GiB of sheet XML in a 2 MB workbook, its sizes told truthfully."""
    parts = hostile.xlsx_parts()
    head, tail = hostile.sheet_xml().split(b"</sheetData>")
    deflated, size, crc = hostile.deflate_repeated(
        head, b" " * hostile.MIB, GIB_BLOCKS, b"</sheetData>" + tail
    )
    return hostile.zip_with_raw_entry(parts, "xl/worksheets/sheet1.xml", deflated, size=size, crc=crc)


def xlsx_lying_bomb() -> bytes:
    """The same 2 GiB, its headers claiming 4 KB with the CRC of those 4 KB: the size check passes."""
    parts = hostile.xlsx_parts()
    head, _ = hostile.sheet_xml().split(b"</sheetData>")
    deflated, _, _ = hostile.deflate_repeated(head, b" " * hostile.MIB, GIB_BLOCKS, checksum=False)
    first = zlib.decompressobj(-15).decompress(deflated, 4096)
    return hostile.zip_with_raw_entry(
        parts, "xl/worksheets/sheet1.xml", deflated, size=len(first), crc=zlib.crc32(first)
    )


def xlsx_a_million_rows() -> bytes:
    """A sheet as large as Excel allows: every row up to 1,048,576, each naming its last column."""
    rows = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return hostile.xlsx(sheet=hostile.sheet_xml(rows=rows, dimension="A1:XFD1048576"))


def pdf_bomb() -> bytes:
    """A page whose 2 MB content stream inflates to 2 GiB."""
    content = hostile.zlib_repeated(hostile.PDF_TEXT, b" " * hostile.MIB, GIB_BLOCKS)
    return hostile.pdf_pages([content], flate=True)


def deep_mime() -> bytes:
    return hostile.nested_mime(5000)


# name -> (build, channel, partner named by the channel or None)
BOMBS: dict[str, tuple[Callable[[], bytes], str, str | None]] = {
    "xlsx-bomb": (xlsx_bomb, "drop", "acme"),
    "xlsx-lying-bomb": (xlsx_lying_bomb, "drop", "acme"),
    "xlsx-a-million-rows": (xlsx_a_million_rows, "drop", "acme"),
    "pdf-bomb": (pdf_bomb, "drop", "acme"),
    "deep-mime": (deep_mime, "email", None),
}


def main(store: Path) -> None:
    engine = storage.make_engine(f"sqlite:///{store}")
    storage.upgrade(engine)
    sessions = storage.make_sessionmaker(engine)
    pipeline = Pipeline(sessions, PartnerRegistry.from_directory(), validate=False)
    for name, (build, channel, partner) in BOMBS.items():
        data = build()
        started = time.monotonic()
        with counted_calls() as calls:
            outcome = pipeline.ingest_stream(
                io.BytesIO(data), channel=channel, filename=name, partner=partner
            )
        seconds = time.monotonic() - started
        with sessions() as session:
            document = session.get(storage.Document, outcome.document_id)
            assert document is not None
            report = {
                "name": name,
                "size": len(data),
                "status": document.status,
                "error_code": document.error_code,
                "error": document.error,
                "reasons": [e["reason"] for e in document.errors or []],
                "calls": calls.total,
                "seconds": round(seconds, 2),
                "at": datetime.now(UTC).isoformat(),
            }
        print(json.dumps(report), flush=True)
    print(json.dumps({"peak_mb": round(peak_rss_mb(), 1)}), flush=True)
    engine.dispose()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
