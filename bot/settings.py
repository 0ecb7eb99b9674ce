"""Configuration from the environment or `.env` (interfaces.md, "Configuration")."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "casebot"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    home: Path = Field(default_factory=_default_home, validation_alias="CASEBOT_HOME")
    database_url: str | None = Field(default=None, validation_alias="CASEBOT_DATABASE_URL")
    # issue 26 (README "Several machines"): CASEBOT_DATABASE_URL goes through PgBouncer in
    # transaction mode ("pgbouncer"); the direct URL (no pooler) is for what holds a session:
    # the notice wake-ups (LISTEN) and the Telegram poller's lock
    database_pooler: Literal["none", "pgbouncer"] = Field(
        default="none", validation_alias="CASEBOT_DATABASE_POOLER")
    database_direct_url: str | None = Field(default=None,
                                            validation_alias="CASEBOT_DATABASE_DIRECT_URL")
    # a port for /healthz and /readyz on the processes that serve no HTTP otherwise (Telegram
    # polling, Slack Socket Mode); unset: none
    health_port: int | None = Field(default=None, validation_alias="CASEBOT_HEALTH_PORT")
    # the outbound rate budget shared by every process (store/budget.py): Telegram's
    # documented limits per bot and per group; a private chat's (Telegram: "avoid more than
    # one a second", bursts allowed) is off unless set, as casebot answers a person's own
    # messages (0 turns a limit off); Slack's chat.postMessage per channel for notices and
    # alerts
    telegram_per_second: float = Field(default=30.0,
                                       validation_alias="CASEBOT_TELEGRAM_PER_SECOND")
    telegram_group_per_minute: float = Field(
        default=20.0, validation_alias="CASEBOT_TELEGRAM_GROUP_PER_MINUTE")
    telegram_chat_per_second: float = Field(
        default=0.0, validation_alias="CASEBOT_TELEGRAM_CHAT_PER_SECOND")
    telegram_chat_burst: int = Field(default=20, validation_alias="CASEBOT_TELEGRAM_CHAT_BURST")
    slack_channel_per_second: float = Field(
        default=1.0, validation_alias="CASEBOT_SLACK_CHANNEL_PER_SECOND")
    slack_channel_burst: int = Field(default=5, validation_alias="CASEBOT_SLACK_CHANNEL_BURST")
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
    # issue 22: the most all attachments together may take on disk (bot/quota.py)
    files_budget_mb: int = Field(default=20480, validation_alias="CASEBOT_FILES_BUDGET_MB")
    # issue 26: where attachment bytes live (store/blobs): "local" (CASEBOT_HOME/attachments,
    # one machine) or "database" (every machine); unset: the database when it is PostgreSQL
    blobs: Literal["local", "database"] | None = Field(default=None,
                                                      validation_alias="CASEBOT_BLOBS")
    file_retention_hours: float = Field(default=168.0,
                                        validation_alias="CASEBOT_FILE_RETENTION_HOURS")
    outbox_retention_hours: float = Field(default=720.0,
                                          validation_alias="CASEBOT_OUTBOX_RETENTION_HOURS")
    zip_check_seconds: float = Field(default=300.0, validation_alias="CASEBOT_ZIP_CHECK_SECONDS")
    zip_check_workers: int = Field(default=2, validation_alias="CASEBOT_ZIP_CHECK_WORKERS")
    # issue 26: `casebot worker` (PostgreSQL): jobs run at once per worker, and the seconds
    # without a heartbeat after which a worker's jobs are handed to another (bot/job_tasks.py)
    job_concurrency: int = Field(default=2, validation_alias="CASEBOT_JOB_CONCURRENCY")
    job_stalled_seconds: float = Field(default=30.0,
                                       validation_alias="CASEBOT_JOB_STALLED_SECONDS")
    # a chat notice the platform did not take: its job's first retry delay, doubled per try
    # (bot/chat_jobs.py; at most 10 minutes, given up after 5 tries)
    notice_retry_seconds: float = Field(default=5.0,
                                        validation_alias="CASEBOT_NOTICE_RETRY_SECONDS")
    # delivery ids kept to drop platform redeliveries (`casebot db prune`), in hours
    delivery_retention_hours: float = Field(default=7 * 24,
                                            validation_alias="CASEBOT_DELIVERY_RETENTION_HOURS")

    # issue 23: the conversation after Submit
    reopen_days: int = Field(default=7, validation_alias="CASEBOT_REOPEN_DAYS")
    # issue 27: the language of a contact who chose none and whose platform says none
    # ("en", "ja"; bot/i18n.py)
    default_language: str = Field(default="en", validation_alias="CASEBOT_DEFAULT_LANGUAGE")
    # a chat message that replies to nothing goes to a live case whose conversation went on
    # within this many days (bot/replies.py `unthreaded`)
    followup_days: int = Field(default=7, ge=1, validation_alias="CASEBOT_FOLLOWUP_DAYS")
    imap_url: str | None = Field(default=None, validation_alias="CASEBOT_IMAP_URL")
    # the key that signs reply addresses (bot/reply_address.py); unset: one is made and kept
    # in CASEBOT_HOME/mail-secret
    mail_secret: str | None = Field(default=None, validation_alias="CASEBOT_MAIL_SECRET")

    # issue 24: response-time targets counted on a business calendar (bot/clock.py):
    # opening_hours-style days and times, an IANA time zone, and a country whose public
    # holidays a "PH off" rule skips
    business_hours: str = Field(default="Mon-Fri 09:00-18:00",
                                validation_alias="CASEBOT_BUSINESS_HOURS")
    timezone: str = Field(default="UTC", validation_alias="CASEBOT_TIMEZONE")
    holidays: str | None = Field(default=None, validation_alias="CASEBOT_HOLIDAYS")

    # issue 24: staff alerts (bot/alerts.py, README "Staff alerts"): the staff Slack channel
    # (a channel id the bot is in), its workspace when the app installs through OAuth, the
    # operators' list (comma-separated addresses; it also turns on mail to a case's owner),
    # the console's public address (links in alerts), a failed post's first retry delay
    staff_slack_channel: str | None = Field(default=None,
                                            validation_alias="CASEBOT_STAFF_SLACK_CHANNEL")
    staff_slack_team: str | None = Field(default=None,
                                         validation_alias="CASEBOT_STAFF_SLACK_TEAM")
    staff_mail: str = Field(default="", validation_alias="CASEBOT_STAFF_MAIL")
    web_url: str | None = Field(default=None, validation_alias="CASEBOT_WEB_URL")
    staff_alert_retry_seconds: float = Field(
        default=5.0, validation_alias="CASEBOT_STAFF_ALERT_RETRY_SECONDS")

    slack_bot_token: str | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(default=None,
                                             validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str | None = Field(default=None, validation_alias="SLACK_API_URL")
    slack_client_id: str | None = Field(default=None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: str | None = Field(default=None,
                                            validation_alias="SLACK_CLIENT_SECRET")
    # issue 11: teams whose Slack-confirmed emails are trusted to link a contact without a
    # mailed code (comma-separated team ids); every other team gets the mailed code
    slack_allowed_teams: str = Field(default="", validation_alias="SLACK_ALLOWED_TEAMS")

    telegram_bot_token: str | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: str | None = Field(default=None,
                                                validation_alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_url: str | None = Field(default=None, validation_alias="TELEGRAM_API_URL")
    telegram_file_url: str | None = Field(default=None, validation_alias="TELEGRAM_FILE_URL")

    # the web console's cookie-signing key; unset: one is made and kept in CASEBOT_HOME/web-secret
    web_secret: str | None = Field(default=None, validation_alias="CASEBOT_WEB_SECRET")
    # mark the session cookie Secure (set it when the console is served over HTTPS)
    web_https: bool = Field(default=False, validation_alias="CASEBOT_WEB_HTTPS")

    console_email: str | None = Field(default=None,
                                      validation_alias=AliasChoices("CASEBOT_CONSOLE_EMAIL"))

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'casebot.db'}"

    @property
    def files_dir(self) -> Path:
        return self.home / "attachments"

    @property
    def blobs_kind(self) -> str:
        """CASEBOT_BLOBS, or its default: the database on PostgreSQL, else the folder."""
        if self.blobs is not None:
            return self.blobs
        return "database" if self.db_url.startswith("postgresql") else "local"

    @property
    def allowed_teams(self) -> list[str]:
        return [t.strip() for t in self.slack_allowed_teams.split(",") if t.strip()]

    @property
    def staff_addresses(self) -> list[str]:
        return [a.strip() for a in self.staff_mail.split(",") if a.strip()]

    @property
    def max_attachment_bytes(self) -> int:
        return self.max_attachment_mb * 1024 * 1024


def kept_secret(path: Path) -> str:
    """A random key kept (mode 0600) in `path`, made by whichever process comes first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made before, or by another process just now
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    for _ in range(50):  # another process may still be writing it
        if key := path.read_text().strip():
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it and start again")
