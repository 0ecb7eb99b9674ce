"""identity waits: what a person not linked yet first asked for, across processes

Revision ID: 0008
Revises: 0007

Issue 12. Until linked, a chat identity's first ask (and its "not that email") was kept in
one process's memory, so another worker or a restart lost it. One row per identity now.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_waits",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("ask", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True),
        sa.Column("declined", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "external_id"),
    )
    op.create_index("ix_identity_waits_updated_at", "identity_waits", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_identity_waits_updated_at", table_name="identity_waits")
    op.drop_table("identity_waits")
