"""sample verdicts kept as messages: rendered in each reader's language (issue 27)

Revision ID: 0021
Revises: 0020

`sample_checks.verdict_msg`: what the verdict IS (its message id and parameters, flows/i18n.py
`as_data`), so a cached verdict read back by any process is shown in the language of the
person who uploads the file, not the English of whoever's check wrote it. `verdict` keeps the
English text for operators and logs; a row written before this has only that, shown as is.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN: SQLite adds it in place, no table copy
    op.add_column("sample_checks", sa.Column(
        "verdict_msg", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sample_checks") as batch:
        batch.drop_column("verdict_msg")
