"""Configuration from the environment or `.env` (interfaces.md, "Configuration")."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# How many users' entries an in-memory, per-user structure keeps (adapters' locks, seen ids,
# DM channels); the least recently used go first, so memory stays bounded (issue 11).
PER_USER_ENTRIES = 10_000


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "casebot"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    home: Path = Field(default_factory=_default_home, validation_alias="CASEBOT_HOME")
    database_url: str | None = Field(default=None, validation_alias="CASEBOT_DATABASE_URL")
    smtp_url: str | None = Field(default=None, validation_alias="CASEBOT_SMTP_URL")
    mail_from: str = Field(default="casebot@localhost", validation_alias="CASEBOT_MAIL_FROM")
    max_attachment_mb: int = Field(default=250, validation_alias="CASEBOT_MAX_ATTACHMENT_MB")
    url_rating_url: str | None = Field(default=None, validation_alias="CASEBOT_URL_RATING_URL")
    # issue 6: what happens to a contact whose email domain has no account ("own" or "refuse")
    unknown_domains: Literal["own", "refuse"] = Field(default="own",
                                                      validation_alias="CASEBOT_UNKNOWN_DOMAINS")
    # the mail sender (bot/mailer.py): first retry delay, doubled per try; claim lease
    mail_retry_seconds: float = Field(default=30.0, validation_alias="CASEBOT_MAIL_RETRY_SECONDS")
    mail_lease_seconds: float = Field(default=300.0, validation_alias="CASEBOT_MAIL_LEASE_SECONDS")

    # issue 11: trust limits (SECURITY.md)
    cc_outside_domains: bool = Field(default=False, validation_alias="CASEBOT_CC_OUTSIDE_DOMAINS")
    max_cases_per_hour: int = Field(default=10, validation_alias="CASEBOT_MAX_CASES_PER_HOUR")
    file_quota_mb: int = Field(default=2048, validation_alias="CASEBOT_FILE_QUOTA_MB")
    file_retention_hours: float = Field(default=168.0,
                                        validation_alias="CASEBOT_FILE_RETENTION_HOURS")
    outbox_retention_hours: float = Field(default=720.0,
                                          validation_alias="CASEBOT_OUTBOX_RETENTION_HOURS")
    zip_check_seconds: float = Field(default=300.0, validation_alias="CASEBOT_ZIP_CHECK_SECONDS")
    zip_check_workers: int = Field(default=2, validation_alias="CASEBOT_ZIP_CHECK_WORKERS")

    slack_bot_token: str | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(default=None,
                                             validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str | None = Field(default=None, validation_alias="SLACK_API_URL")
    slack_client_id: str | None = Field(default=None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: str | None = Field(default=None,
                                            validation_alias="SLACK_CLIENT_SECRET")

    telegram_bot_token: str | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: str | None = Field(default=None,
                                                validation_alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_url: str | None = Field(default=None, validation_alias="TELEGRAM_API_URL")
    telegram_file_url: str | None = Field(default=None, validation_alias="TELEGRAM_FILE_URL")

    console_email: str | None = Field(default=None,
                                      validation_alias=AliasChoices("CASEBOT_CONSOLE_EMAIL"))

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'casebot.db'}"

    @property
    def files_dir(self) -> Path:
        return self.home / "attachments"

    @property
    def max_attachment_bytes(self) -> int:
        return self.max_attachment_mb * 1024 * 1024
