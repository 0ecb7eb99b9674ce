"""chat_notices.claimed_at: a notice is claimed by one process before it is sent

Revision ID: 0004
Revises: 0003

With several Slack or Telegram processes, each polled the same pending notices and an
operator's update reached the customer once per process. A claim (status 'sending' with a
time) lets exactly one process send it; a claim older than the lease is taken over, so a
process killed mid-send loses nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_notices") as batch:
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_notices") as batch:
        batch.drop_column("claimed_at")
