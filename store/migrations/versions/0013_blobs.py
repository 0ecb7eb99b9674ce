"""attachment bytes in the shared store (PostgreSQL)

Revision ID: 0013
Revises: 0012

Issue 26. (Placeholder landed first so parallel work keeps one migration chain; filled in by
the work that needs it.)
"""

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
