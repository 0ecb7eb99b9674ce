"""identity locale: the language a chat platform says a person uses (issue 27)

Revision ID: 0019
Revises: 0018

`chat_identities.locale`: Slack's user locale ("ja-JP"), read from the same users.info
call that vouches for the email at linking (include_locale) and refreshed by Slack's
`user_change` event, so an ordinary action asks Slack nothing. NULL: not known (asked once
then, and kept). A contact's own `/language` choice still wins (bot/i18n.py, `choose`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN: SQLite adds it in place, no table copy
    op.add_column("chat_identities", sa.Column("locale", sa.String(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_identities") as batch:
        batch.drop_column("locale")
