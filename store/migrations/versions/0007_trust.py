"""trust: operator-made accounts, listed contacts, who registered a code, audit, limits

Revision ID: 0007
Revises: 0006

Issue 11. Accounts now say whether their sub-domains join (`include_subdomains`) and whether
they are a personal account of one (`personal`, no domain). Contacts say whether colleagues may
see them in the CC contact list (`listed`). An activation code remembers the contact who
registered it (`registered_by`): only that contact may see it in full, and each reveal is a row
in `audit_events`. `verification_codes.domain` lets the per-domain limit use an index, and
`uploads` counts the bytes each contact stored, for the per-contact file quota.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as t:
        t.add_column(sa.Column("include_subdomains", sa.Boolean(), nullable=False,
                               server_default=sa.false()))
        t.add_column(sa.Column("personal", sa.Boolean(), nullable=False,
                               server_default=sa.false()))
    with op.batch_alter_table("contacts") as t:
        t.add_column(sa.Column("listed", sa.Boolean(), nullable=False,
                               server_default=sa.false()))
    with op.batch_alter_table("activation_codes") as t:
        t.add_column(sa.Column("registered_by", sa.Integer(), nullable=True))
        t.create_foreign_key("fk_activation_codes_registered_by", "contacts",
                             ["registered_by"], ["id"])
    with op.batch_alter_table("verification_codes") as t:
        t.add_column(sa.Column("domain", sa.String(length=255), nullable=False,
                               server_default=""))
        t.create_index("ix_verification_codes_domain", ["domain"])
        t.add_column(sa.Column("last_try_at", sa.DateTime(timezone=True), nullable=True))
        t.create_index("ix_verification_codes_channel_external_id",
                       ["channel", "external_id"])
    op.execute("UPDATE verification_codes SET domain = lower(substr(email, instr(email, '@') + 1))"
               if op.get_bind().dialect.name == "sqlite" else
               "UPDATE verification_codes SET domain = lower(split_part(email, '@', 2))")
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_table(
        "uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_uploads_contact_id_at", "uploads", ["contact_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_uploads_contact_id_at", table_name="uploads")
    op.drop_table("uploads")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_table("audit_events")
    with op.batch_alter_table("verification_codes") as t:
        t.drop_index("ix_verification_codes_channel_external_id")
        t.drop_column("last_try_at")
        t.drop_index("ix_verification_codes_domain")
        t.drop_column("domain")
    with op.batch_alter_table("activation_codes") as t:
        t.drop_constraint("fk_activation_codes_registered_by", type_="foreignkey")
        t.drop_column("registered_by")
    with op.batch_alter_table("contacts") as t:
        t.drop_column("listed")
    with op.batch_alter_table("accounts") as t:
        t.drop_column("personal")
        t.drop_column("include_subdomains")
