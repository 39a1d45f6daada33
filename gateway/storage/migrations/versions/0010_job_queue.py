"""the job queue's schema (procrastinate), on PostgreSQL only

Revision ID: 0010
Revises: 0009

On PostgreSQL the gateway runs its work through procrastinate, whose tables, types,
functions and triggers live beside ours. This installs the schema of the pinned
procrastinate release; a later release's own SQL migrations
(``procrastinate.schema.SchemaManager.get_migrations_path()``) go in a migration of ours.
SQLite has no queue, so nothing changes there.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # here, not at the top: every command that opens the store loads this file to find the head
    from procrastinate.schema import SchemaManager

    with bind.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())  # no parameters: its '%' stay as they are


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(
        "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, "
        "procrastinate_jobs, procrastinate_workers CASCADE"
    )
    functions = bind.exec_driver_sql(
        "SELECT oid::regprocedure::text FROM pg_proc WHERE starts_with(proname, 'procrastinate_')"
    ).scalars()
    for function in list(functions):
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    bind.exec_driver_sql(
        "DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type, "
        "procrastinate_job_status CASCADE"
    )
