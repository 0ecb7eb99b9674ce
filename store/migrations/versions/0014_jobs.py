"""slow work as jobs on a PostgreSQL job queue

Revision ID: 0014
Revises: 0013

Issue 26. (Placeholder landed first so parallel work keeps one migration chain; filled in by
the work that needs it.)
"""

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
