"""slow work as jobs on a PostgreSQL job queue

Revision ID: 0014
Revises: 0013

Issue 26. Both databases: `sample_checks` (a sample zip's check and verdict, seen by every
process), `sample_waiters` (the chats that get the verdict as a notice) and `job_errors` (why
a job last failed). PostgreSQL only: procrastinate's schema, through its public schema API
(`SchemaManager.get_schema`); SQLite runs jobs in the chat process and needs none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sample_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("members", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("password", sa.String(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("verdict", sa.String(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", "secret", "members", name="uq_sample_checks_key"),
    )
    op.create_table(
        "sample_waiters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("chat_ref", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["check_id"], ["sample_checks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("check_id", "channel", "external_id",
                            name="uq_sample_waiters_chat"),
    )
    op.create_table(
        "job_errors",
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("error", sa.String(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("job_id"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        # the whole schema as one script; % doubled as the library's own apply_schema does
        bind.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))


# procrastinate's objects, for the downgrade (its schema API creates, it does not drop)
_TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs",
           "procrastinate_workers")
_TYPES = ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type",
          "procrastinate_job_status")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
        op.execute("""
            DO $$ DECLARE f regprocedure; BEGIN
              FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                       JOIN pg_namespace n ON n.oid = p.pronamespace
                       WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'
              LOOP EXECUTE 'DROP FUNCTION IF EXISTS ' || f || ' CASCADE'; END LOOP;
            END $$""")
        for type_ in _TYPES:
            op.execute(f"DROP TYPE IF EXISTS {type_} CASCADE")
    op.drop_table("job_errors")
    op.drop_table("sample_waiters")
    op.drop_table("sample_checks")
