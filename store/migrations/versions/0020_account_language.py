"""account language: the account's default language (issue 27)

Revision ID: 0020
Revises: 0019

`accounts.language`: the language casebot speaks to the account's contacts who chose none
and whose platform says none (a code of bot/i18n.py LANGUAGES); NULL: the deployment's
default (CASEBOT_DEFAULT_LANGUAGE) applies. Order: own choice, Slack's locale / Telegram's
language_code, this, the deployment's default, English (bot/i18n.py, `choose`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN: SQLite adds it in place, no copy of the table contacts refer to
    op.add_column("accounts", sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("language")
