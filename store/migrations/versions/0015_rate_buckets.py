"""rate buckets: the outbound rate budget every process shares

Revision ID: 0015
Revises: 0014

Issue 26. Telegram's and Slack's limits hold for the bot, not for one process: each process
now reserves its sends in these rows (store/budget.py), one per limit (the bot's, a chat's).
UNLOGGED on PostgreSQL: a reservation is a commit per message sent, and waiting for the WAL's
flush made it the cost of each (about 2 ms); after a crash the table comes back empty, which
only forgets who sent in the last second.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_buckets",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
        prefixes=["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else [],
    )


def downgrade() -> None:
    op.drop_table("rate_buckets")
