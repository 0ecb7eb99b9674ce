"""conversation routing: a customer's message remembers the case's status before it

Revision ID: 0017
Revises: 0015 (0016 was kept for chat jobs, which needed no schema change)

A message that replies to nothing is added to the one case whose engineer spoke last, with
a one-press "New case" that takes it back out (bot/followup.py). Taking it back restores the
status the case had before the message ("in progress", "waiting for customer"), so each
customer message keeps that status. Rows written before 0017 have none (NULL): they were
never added that way.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_messages",
                  sa.Column("status_before", sa.String(length=30), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_messages") as batch:
        batch.drop_column("status_before")
