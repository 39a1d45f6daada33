"""Raw inbound documents: stored once per SHA-256, in 1 MiB chunks, and streamed back."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from datetime import datetime
from typing import IO
from typing import Any
from typing import BinaryIO

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.model.status import DocumentStatus

from ._models import Document
from ._models import DocumentChunk
from ._models import PurchaseOrder

CHUNK_SIZE = 1 << 20
_UNSAFE = re.compile(r"[^\w.\- ()+@,=]")


def safe_filename(name: str | None) -> str | None:
    """A display-safe base name: no directories, control characters or oddities; at most 255 chars."""
    if not name:
        return None
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    base = _UNSAFE.sub("_", base).strip(" .")
    return base[:255] or None


def _digest(source: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    source.seek(0)
    while chunk := source.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    source.seek(0)
    return digest.hexdigest(), size


def store_document(
    session: Session,
    source: IO[bytes],
    *,
    channel: str,
    filename: str | None,
    received_at: datetime,
    partner: str | None = None,
    meta: dict[str, Any] | None = None,
) -> tuple[Document, bool]:
    """Store ``source`` (seekable) unless the same bytes are stored already; returns (document, created)."""
    sha256, size = _digest(source)
    existing = session.scalar(select(Document).where(Document.sha256 == sha256))
    if existing is not None:
        return existing, False
    meta = dict(meta or {})
    clean = safe_filename(filename)
    if filename and clean != filename:
        meta["original_filename"] = filename.encode("unicode_escape").decode("ascii")[:1000]
    try:
        with session.begin_nested():
            document = Document(
                sha256=sha256,
                size=size,
                channel=channel,
                filename=clean,
                partner=partner,
                received_at=received_at,
                status=DocumentStatus.RECEIVED,
                errors=[],
                meta=meta,
            )
            session.add(document)
            session.flush()
            seq = 0
            while chunk := source.read(CHUNK_SIZE):
                session.execute(insert(DocumentChunk).values(document_id=document.id, seq=seq, data=chunk))
                seq += 1
    except IntegrityError:
        stored = session.scalar(select(Document).where(Document.sha256 == sha256))
        if stored is None:
            raise
        return stored, False
    return document, True


class _ChunkReader(io.RawIOBase):
    """Reads a stored document chunk by chunk."""

    def __init__(self, session: Session, document_id: int) -> None:
        self._session = session
        self._document_id = document_id
        self._seq = 0
        self._buffer = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer and not self._done:
            chunk = self._session.scalar(
                select(DocumentChunk.data).where(
                    DocumentChunk.document_id == self._document_id, DocumentChunk.seq == self._seq
                )
            )
            if chunk is None:
                self._done = True
            else:
                self._buffer = bytes(chunk)
                self._seq += 1
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count


class _Rewindable(io.BufferedReader):
    """Chunk stream that can seek back to the start (by starting over)."""

    def __init__(self, session: Session, document_id: int) -> None:
        self._session = session
        self._document_id = document_id
        super().__init__(_ChunkReader(session, document_id), buffer_size=CHUNK_SIZE)

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if offset != 0 or whence != io.SEEK_SET:
            raise io.UnsupportedOperation("stored documents can only be rewound to the start")
        self.__init__(self._session, self._document_id)  # type: ignore[misc]
        return 0


def open_document(session: Session, document_id: int) -> BinaryIO:
    """A streaming reader over a stored document's bytes; ``seek(0)`` starts over."""
    return _Rewindable(session, document_id)


def document_bytes(session: Session, document_id: int) -> bytes:
    """All of a (small) document's bytes."""
    return b"".join(
        session.scalars(
            select(DocumentChunk.data)
            .where(DocumentChunk.document_id == document_id)
            .order_by(DocumentChunk.seq)
        )
    )


def earlier_interchange(
    session: Session, partner: str, control_number: str, document_id: int
) -> Document | None:
    """The first other document in which ``partner``'s interchange ``control_number`` (ISA13) brought orders."""
    return session.scalars(
        select(Document)
        .join(PurchaseOrder, PurchaseOrder.document_id == Document.id)
        .where(
            PurchaseOrder.partner == partner,
            PurchaseOrder.interchange_control_number == control_number,
            Document.id != document_id,
        )
        .order_by(Document.id)
        .limit(1)
    ).first()
