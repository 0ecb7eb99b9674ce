"""conversation routing: reserved for the customer's answer on an open case

Revision ID: 0017
Revises: 0016

Kept in the chain so work on several branches can fill its own revision without reordering;
it changes nothing until that work lands.
"""

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
