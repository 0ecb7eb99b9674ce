"""languages: the contact's own language (issue 27)

Revision ID: 0018
Revises: 0017

`contacts.language`: what the contact chose with /language (or an operator in the web
console); NULL: not chosen, so the platform's locale or the deployment's default applies.
`contacts.language_offered`: casebot has offered once to switch to the language the contact
wrote in; it is not offered again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMNs (no batch): SQLite adds them in place, so the contacts table is not
    # copied and dropped under the cases and identities that refer to it
    op.add_column("contacts", sa.Column("language", sa.String(length=16), nullable=True))
    op.add_column("contacts", sa.Column("language_offered", sa.Boolean(), nullable=False,
                                        server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("language_offered")
        batch.drop_column("language")
