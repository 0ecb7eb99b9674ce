"""attachment bytes in the shared store (PostgreSQL)

Revision ID: 0013
Revises: 0012

Issue 26. With CASEBOT_BLOBS=database (the default on PostgreSQL) attachments live in the
database, so a file received on one machine is read on any other: `blobs` has one row per
sha256, `blob_chunks` its bytes in 1 MB pieces (store/blobs/database.py; why bytea rows and
not large objects: docs/decisions.md). Both databases get the tables (the models describe
them); SQLite uses them only when CASEBOT_BLOBS=database says so. On PostgreSQL the chunks are
stored uncompressed (STORAGE EXTERNAL): samples and archives do not compress, and trying costs
CPU on every write.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_index("ix_blobs_created_at", "blobs", ["created_at"])
    op.create_table(
        "blob_chunks",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sha256", "seq"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("blob_chunks")
    op.drop_index("ix_blobs_created_at", table_name="blobs")
    op.drop_table("blobs")
