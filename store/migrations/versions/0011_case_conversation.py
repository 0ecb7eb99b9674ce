"""the case as a conversation: messages, chat references, surveys, held and aside mail

Revision ID: 0011
Revises: 0010

Issue 23. A case held one message, its description; replies from the customer started new
requests and mail replies were never read. Messages are now rows of the case (deduplicated
by the platform's own id), every chat message about a case is remembered so a reply to it
reaches that case, a resolution asks one survey, a message outside any thread is held until
the customer says which case it is for, and mail that belongs to no case is kept aside.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
EMPTY = sa.text("'[]'")  # rows written before 0011 carry no files or buttons


def upgrade() -> None:
    op.create_table(
        "case_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("author", sa.String(length=320), nullable=False),
        sa.Column("author_kind", sa.String(length=20), nullable=False),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("attachments", JSON, nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=True),
        sa.Column("original", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "external_id",
                            name="uq_case_messages_channel_external_id"),
    )
    op.create_index("ix_case_messages_case_id_id", "case_messages", ["case_id", "id"])
    op.create_table(
        "case_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("chat", sa.String(length=200), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "chat", "ref", name="uq_case_refs_channel_chat_ref"),
    )
    op.create_index("ix_case_refs_case_id", "case_refs", ["case_id"])
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", TS, nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(), nullable=True),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("comment_wanted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_surveys_case_id", "surveys", ["case_id"])
    op.create_table(
        "held_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("files", JSON, nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_held_messages_contact_id", "held_messages", ["contact_id"])
    op.create_table(
        "mail_aside",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("raw_sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("chat_notices") as batch:
        batch.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("buttons", JSON, nullable=False, server_default=EMPTY))
        batch.add_column(sa.Column("files", JSON, nullable=False, server_default=EMPTY))
        batch.create_foreign_key("fk_chat_notices_message_id", "case_messages",
                                 ["message_id"], ["id"])
        batch.create_index("ix_chat_notices_message_id", ["message_id"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("resolved_at", TS, nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("files", JSON, nullable=False, server_default=EMPTY))
        batch.create_foreign_key("fk_outbox_message_id", "case_messages", ["message_id"], ["id"])
        batch.create_index("ix_outbox_message_id", ["message_id"])


def downgrade() -> None:
    for table in ("outbox", "chat_notices"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_message_id")
            batch.drop_constraint(f"fk_{table}_message_id", type_="foreignkey")
            for column in ("files", "message_id") + (("buttons",) if table == "chat_notices"
                                                     else ()):
                batch.drop_column(column)
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("resolved_at")
    for table in ("mail_aside", "held_messages", "surveys", "case_refs", "case_messages"):
        op.drop_table(table)
