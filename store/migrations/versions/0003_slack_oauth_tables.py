"""Slack OAuth tables (multi-workspace installs), defined by slack_sdk's SQLAlchemy stores

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

The tables are built by the SDK's own table builders so they match what Bolt's
SQLAlchemyInstallationStore and SQLAlchemyOAuthStateStore read and write; keeping them in our
migration history means `casebot db upgrade` prepares a PostgreSQL database for several workers
before any of them starts.
"""

import sqlalchemy as sa
from alembic import op
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _metadata() -> sa.MetaData:
    md = sa.MetaData()
    SQLAlchemyInstallationStore.build_installations_table(
        md, SQLAlchemyInstallationStore.default_installations_table_name)
    SQLAlchemyInstallationStore.build_bots_table(
        md, SQLAlchemyInstallationStore.default_bots_table_name)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(
        md, SQLAlchemyOAuthStateStore.default_table_name)
    return md


def upgrade() -> None:
    _metadata().create_all(bind=op.get_bind(), checkfirst=True)


def downgrade() -> None:
    _metadata().drop_all(bind=op.get_bind(), checkfirst=True)
