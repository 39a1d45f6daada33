"""the desk's waiting documents in the tally, and in a partial index in the queue's order

Revision ID: 0025
Revises: 0024

- ``document.tallied_as``: the key the tally counts a document waiting for a person under
  (``open_order_tally``, figure ``documents``: per status, partner and format), NULL while it
  does not wait; kept by ``gateway.storage.tally_documents`` and built here from the documents
  already stored (``recount_tally``).
- ``ix_document_queue``: the waiting documents, oldest first, ties by id. The queue's pages, its
  counts and the dashboard no longer ask, for every document of a waiting status, whether it made
  an order or was answered (two probes each into tables that grow with the store).
- ``ix_document_queue_search`` (SQLite only): the same with what a search reads (partner, file
  name, error), so that a search reads no document row: SQLite would read one page per waiting
  document. PostgreSQL finds those rows in its buffers, and an error's text may exceed the size of
  one of its index entries.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from gateway.storage import recount_tally

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

WAITING = "tallied_as IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tallied_as", sa.String(length=200), nullable=True))
    op.create_index(
        "ix_document_queue",
        "document",
        ["received_at", "id", "status", "partner", "format"],
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(
            "ix_document_queue_search",
            "document",
            ["received_at", "id", "tallied_as", "partner", "filename", "error"],
            sqlite_where=sa.text(WAITING),
        )
    recount_tally(Session(bind=op.get_bind()), orders=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_document_queue_search", table_name="document")
    op.drop_index("ix_document_queue", table_name="document")
    op.execute("DELETE FROM open_order_tally WHERE figure = 'documents'")
    # Not in batch mode, as in 0022: a batch would copy the table and cascade to its chunks.
    op.drop_column("document", "tallied_as")
