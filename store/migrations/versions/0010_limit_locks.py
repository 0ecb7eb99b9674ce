"""limit locks: the rows the verification and sign-in limits lock before counting

Revision ID: 0010
Revises: 0009

Issue 22 (findings 2 and 6). The limits counted rows and then wrote, so concurrent requests all
read the same counts and all went through (38 guesses checked against 5 tries, 19 passwords
against 5). A unit now locks its limit's row first; the rows are made on first use.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "limit_locks",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("limit_locks")
