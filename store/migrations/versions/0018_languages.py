"""languages: reserved for issue 27: the contact's language

Revision ID: 0018
Revises: 0017

Kept in the chain so work on several branches can fill its own revision without reordering;
it changes nothing until that work lands.
"""

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
