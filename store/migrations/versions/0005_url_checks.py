"""url_checks: a contact's last /checkurl, kept in the database

Revision ID: 0005
Revises: 0004

"Request reclassification" used to read the URLs from the memory of the process that answered
/checkurl; with several workers, or after a restart, the press found nothing.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "url_checks",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("urls", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                 "postgresql"), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"]),
        sa.PrimaryKeyConstraint("contact_id"),
    )


def downgrade() -> None:
    op.drop_table("url_checks")
