"""the support desk: owners, versions, response-time clocks, staff alerts, canned replies,
case search

Revision ID: 0012
Revises: 0011

Issue 24. A case gets an owner (`assignee`, an operator's email), a version that every change
bumps (a console form saved over a newer version is refused, not applied), and its response
clock: `due_at` (null when nothing is owed: waiting for the customer, resolved), what is due
(`due_kind`) and `due_sort` (`due_at`, or the far future, so "unresolved by due time" is one
index range on both databases). Timeline entries name who made them. Accounts carry their
support plan (the catalog's standard / premium response times). Staff alerts wait in
`staff_alerts` for the Slack process; canned replies are named texts operators insert.

Search: PostgreSQL keeps a `tsvector` per case in `case_search` (GIN); SQLite an FTS5 table of
the same name whose rowid is the case id (store/repositories/search.py writes the documents;
the upgrade indexes the cases already stored).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

from store.repositories.search import backfill

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
UNRESOLVED = "status NOT IN ('resolved', 'closed')"  # queries repeat it: partial indexes


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    # the far future in each database's own text for it (SQLAlchemy's SQLite format)
    never = "'9999-12-31 00:00:00+00'" if pg else "'9999-12-31 00:00:00.000000'"
    with op.batch_alter_table("cases") as b:
        b.add_column(sa.Column("assignee", sa.String(length=320), nullable=True))
        b.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        b.add_column(sa.Column("due_at", TS, nullable=True))
        b.add_column(sa.Column("due_kind", sa.String(length=20), nullable=True))
        b.add_column(sa.Column("due_sort", TS, nullable=False,
                               server_default=sa.text(never)))
        b.add_column(sa.Column("first_response_at", TS, nullable=True))
        b.add_column(sa.Column("clock_at", TS, nullable=True))
        b.add_column(sa.Column("alerted_due_at", TS, nullable=True))
    op.create_index("ix_cases_assignee_id", "cases", ["assignee", "id"])
    op.create_index("ix_cases_open_due", "cases", ["due_sort", "id"],
                    sqlite_where=sa.text(UNRESOLVED), postgresql_where=sa.text(UNRESOLVED))
    op.create_index("ix_cases_open_assignee_due", "cases", ["assignee", "due_sort", "id"],
                    sqlite_where=sa.text(UNRESOLVED), postgresql_where=sa.text(UNRESOLVED))
    op.create_index("ix_cases_reference_id", "cases", ["reference_id"])
    # the console's audit page (/audit): one operator's actions, one case's, newest first
    op.create_index("ix_audit_events_actor_id", "audit_events", ["actor", "id"])
    op.create_index("ix_audit_events_subject_id", "audit_events", ["subject", "id"])
    with op.batch_alter_table("case_events") as b:
        b.add_column(sa.Column("actor", sa.String(length=320), nullable=True))
        b.add_column(sa.Column("version", sa.Integer(), nullable=True))
    with op.batch_alter_table("accounts") as b:
        b.add_column(sa.Column("plan", sa.String(length=20), nullable=False,
                               server_default="standard"))
    op.create_table(
        "staff_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("next_attempt_at", TS, nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_alerts_pending", "staff_alerts", ["next_attempt_at", "id"],
                    sqlite_where=sa.text("sent_at IS NULL"),
                    postgresql_where=sa.text("sent_at IS NULL"))
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_canned_replies_name"),
    )
    if pg:
        op.create_table(
            "case_search",
            sa.Column("case_id", sa.Integer(), nullable=False),
            sa.Column("tsv", TSVECTOR(), nullable=False),
            sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
            sa.PrimaryKeyConstraint("case_id"),
        )
        op.create_index("ix_case_search_tsv", "case_search", ["tsv"], postgresql_using="gin")
    else:
        op.execute("CREATE VIRTUAL TABLE case_search USING fts5(doc, "
                   "tokenize = 'unicode61 remove_diacritics 2')")
    backfill(op.get_bind())  # the cases already there become searchable too


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_case_search_tsv", table_name="case_search")
    op.drop_table("case_search")
    op.drop_table("canned_replies")
    op.drop_index("ix_staff_alerts_pending", table_name="staff_alerts")
    op.drop_table("staff_alerts")
    with op.batch_alter_table("accounts") as b:
        b.drop_column("plan")
    op.drop_index("ix_audit_events_subject_id", table_name="audit_events")
    op.drop_index("ix_audit_events_actor_id", table_name="audit_events")
    with op.batch_alter_table("case_events") as b:
        b.drop_column("version")
        b.drop_column("actor")
    for name in ("ix_cases_reference_id", "ix_cases_open_assignee_due", "ix_cases_open_due",
                 "ix_cases_assignee_id"):
        op.drop_index(name, table_name="cases")
    with op.batch_alter_table("cases") as b:
        for column in ("alerted_due_at", "clock_at", "first_response_at", "due_sort",
                       "due_kind", "due_at", "version", "assignee"):
            b.drop_column(column)
