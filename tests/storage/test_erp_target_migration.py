"""Migration 0028: ERP payloads queued before routing existed all went to the one global ERP."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import select
from sqlalchemy import text

from gateway import storage
from gateway.storage._engine import MIGRATIONS
from tests.conftest import FIXED_NOW


def test_migration_0028_backfills_the_default_target_on_erp_payloads_only(tmp_path: Path) -> None:
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0027")
        for kind in ("erp.netsuite", "855", "erp.canonical"):
            connection.execute(
                text(
                    "INSERT INTO outbound_document (partner, kind, content, transaction_control_numbers, "
                    "status, created_at, errors, attempts) VALUES ('acme', :kind, :content, '[]', 'pending', "
                    ":at, '[]', 0)"
                ),
                {"kind": kind, "content": b"{}", "at": FIXED_NOW},
            )
    storage.upgrade(engine)
    with storage.make_sessionmaker(engine)() as session:
        rows = session.execute(
            select(storage.OutboundRecord.kind, storage.OutboundRecord.erp_target).order_by(
                storage.OutboundRecord.id
            )
        ).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("erp.netsuite", "default"),
        ("855", None),
        ("erp.canonical", "default"),
    ]
