"""jobs chat work: reserved for issue 26: chat notices, App Home, staff alerts and prune as jobs

Revision ID: 0016
Revises: 0015

Kept in the chain so work on several branches can fill its own revision without reordering;
it changes nothing until that work lands.
"""

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
