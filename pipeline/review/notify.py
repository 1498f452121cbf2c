"""Notifications: an e-mail for each new critical hit, a daily digest, and an optional chat webhook.

Messages go through a durable outbox (a small SQLite file in the data directory) before anything
is sent:
- each message has a key (`critical:<hit id>`, `digest:<date>`), so queueing it twice is a no-op
  and nobody is told about the same hit twice;
- a message that could not be sent stays in the outbox with its error and is tried again on the
  next delivery, never lost;
- at most `notifications.max_per_hour` e-mails leave per hour; the rest wait for the next hour.

SMTP credentials come from CRESTWATCH_SMTP_USER and CRESTWATCH_SMTP_PASSWORD, the webhook URL from
CRESTWATCH_WEBHOOK_URL; none of them is ever logged.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import os
import re
import smtplib
import sqlite3
import ssl
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import requests

from pipeline.core.config import Notifications, OrgConfig
from pipeline.core.models import Hit, utcnow
from pipeline.store.base import HitQuery, Store

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    sent_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    attachments TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (sent_at, queued_at);
"""


@dataclass
class Message:
    key: str
    channel: str  # "email" or "webhook"
    recipients: list[str]
    subject: str
    body: str
    attachments: list[str] = field(default_factory=list)  # file paths, e.g. the weekly report


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # key -> reason
    deferred: list[str] = field(default_factory=list)  # over the hourly limit


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


class Outbox:
    def __init__(self, path: Path) -> None:
        from pipeline.core.files import private_file

        private_file(path)  # alerts quote posts: owner-only, created before sqlite3 makes it
        self._db = sqlite3.connect(str(path))
        with self._db:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def queue(self, message: Message, *, now: datetime | None = None) -> bool:
        """Add a message unless one with its key was already queued; True when added."""
        with self._db:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO outbox (key, channel, recipients, subject, body, queued_at,"
                " attachments) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (message.key, message.channel, json.dumps(message.recipients), message.subject,
                 message.body, _ts(now or utcnow()), json.dumps(message.attachments)),
            )
        return cursor.rowcount == 1

    def pending(self) -> list[Message]:
        rows = self._db.execute(
            "SELECT key, channel, recipients, subject, body, attachments FROM outbox "
            "WHERE sent_at IS NULL ORDER BY queued_at, key"
        )
        return [Message(k, c, json.loads(r), s, b, json.loads(a)) for k, c, r, s, b, a in rows]

    def sent_since(self, since: datetime, channel: str) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM outbox WHERE channel = ? AND sent_at >= ?",
            (channel, _ts(since)),
        ).fetchone()
        return int(row[0])

    def mark_sent(self, key: str, *, now: datetime) -> None:
        with self._db:
            self._db.execute(
                "UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL "
                "WHERE key = ?", (_ts(now), key),
            )

    def mark_failed(self, key: str, reason: str) -> None:
        with self._db:
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE key = ?",
                (reason, key),
            )

    def status(self, key: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT sent_at, attempts, last_error FROM outbox WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else {"sent_at": row[0], "attempts": row[1], "error": row[2]}


def outbox_for(config: OrgConfig) -> Outbox:
    return Outbox(config.data_path() / "outbox.sqlite")


# -- composing --------------------------------------------------------------------------------


def _hit_link(settings: Notifications, hit: Hit) -> str:
    if settings.kibana_url:
        query = f"(query:(language:kuery,query:'id:\"{hit.id}\"'))"
        return f"{settings.kibana_url.rstrip('/')}/app/discover#/?_a={query}"
    return f"crestwatch review show {hit.id}"


def critical_alert(settings: Notifications, hit: Hit) -> Message:
    body = "\n".join([
        f"A new critical hit needs review: {hit.category.value} on {hit.platform}.",
        "",
        hit.explanation,
        "",
        f"Author: @{hit.author_handle}" + (f" ({hit.author_display_name})"
                                           if hit.author_display_name else ""),
        f"Post: {hit.post_url or hit.post_id}",
        f"Posted: {hit.post_created_at.isoformat()}   First seen: {hit.first_seen.isoformat()}",
        f"Detector: {hit.detector}, score {hit.score:.2f}",
        "",
        f"Review: {_hit_link(settings, hit)}",
    ])
    subject = f"[Crestwatch] Critical {hit.category.value.replace('_', ' ')} on {hit.platform}: " \
              f"@{hit.author_handle}"
    return Message(f"critical:{hit.id}", "email", settings.recipients, subject, body)


def daily_digest(settings: Notifications, hits: list[Hit], day: date) -> Message:
    by_category = Counter(h.category.value for h in hits)
    by_risk = Counter(h.risk for h in hits)
    lines = [f"Crestwatch digest for {day.isoformat()}: {len(hits)} new hits.", ""]
    if hits:
        lines.append("By category: " + ", ".join(f"{c} {n}" for c, n in by_category.most_common()))
        lines.append("By risk: " + ", ".join(
            f"{r} {by_risk[r]}" for r in ("critical", "high", "medium", "low", "info") if by_risk[r]
        ))
        lines.append("")
        ranked = sorted(hits, key=lambda h: ("critical", "high", "medium", "low", "info").index(
            h.risk if h.risk in ("critical", "high", "medium", "low", "info") else "info"))
        for hit in ranked[:25]:
            lines.append(f"- [{hit.risk}] {hit.category.value} @{hit.author_handle} "
                         f"({hit.platform}): {hit.explanation}")
            lines.append(f"  {hit.post_url or hit.post_id}")
        if len(hits) > 25:
            lines.append(f"... and {len(hits) - 25} more: crestwatch review list --since 24h")
    subject = f"[Crestwatch] Daily digest {day.isoformat()}: {len(hits)} new hits"
    return Message(f"digest:{day.isoformat()}", "email",
                   settings.digest_recipients or settings.recipients, subject, "\n".join(lines))


def queue_critical_alerts(store: Store, outbox: Outbox, settings: Notifications,
                          *, since: datetime) -> int:
    """Queue an e-mail (and a webhook message, if configured) for each new critical hit."""
    hits = store.search_hits(HitQuery(risk=["critical"], status=["new"], since=since,
                                      limit=10_000))
    added = 0
    for hit in hits:
        message = critical_alert(settings, hit)
        if settings.recipients:
            added += outbox.queue(message)
        if settings.webhook:
            added += outbox.queue(Message(f"webhook:{hit.id}", "webhook", [], message.subject,
                                          message.body))
    return added


def queue_daily_digest(store: Store, outbox: Outbox, settings: Notifications, day: date) -> bool:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    hits = [h for h in store.iter_hits(start, start + timedelta(days=1))]
    return outbox.queue(daily_digest(settings, hits, day))


# -- sending ----------------------------------------------------------------------------------


class Mailer:
    """SMTP with STARTTLS when configured; credentials from the environment."""

    def __init__(self, settings: Notifications, *, timeout: float = 20.0) -> None:
        self.settings = settings
        self.timeout = timeout

    def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"] = self.settings.sender
        email["To"] = ", ".join(message.recipients)
        email["Subject"] = message.subject
        email["Message-ID"] = f"<{message.key.replace(':', '.')}@crestwatch>"
        email.set_content(message.body)
        for attachment in message.attachments:
            path = Path(attachment)
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            maintype, subtype = kind.split("/", 1)
            email.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                                 filename=path.name)
        with smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port,
                          timeout=self.timeout) as smtp:
            if self.settings.smtp_starttls:
                context = ssl.create_default_context(
                    cafile=str(self.settings.smtp_ca_file) if self.settings.smtp_ca_file else None
                )
                smtp.starttls(context=context)
            user = os.environ.get("CRESTWATCH_SMTP_USER")
            if user:
                smtp.login(user, os.environ.get("CRESTWATCH_SMTP_PASSWORD", ""))
            smtp.send_message(email)


def post_webhook(settings: Notifications, message: Message) -> None:
    from pipeline.core.http import new_session

    url = os.environ.get("CRESTWATCH_WEBHOOK_URL")
    if not url:
        raise RuntimeError("CRESTWATCH_WEBHOOK_URL is not set")
    text = f"*{message.subject}*\n{message.body}"
    payload: dict[str, Any] = (
        {"text": text} if settings.webhook == "slack"
        else {"type": "message", "text": text.replace("\n", "\n\n")}
    )
    _withhold_webhook(url)
    response = new_session().post(url, json=payload)
    if response.status_code >= 300:
        # The URL is a secret: the error names only the status.
        raise RuntimeError(f"webhook answered HTTP {response.status_code}")


def _withhold_webhook(url: str) -> None:
    """The webhook's path and query are its secret, and urllib3 logs each request's path at
    DEBUG (`crestwatch -v`): keep them out of its records."""
    from urllib.parse import urlsplit

    from pipeline.core.redact import withhold_in_logs

    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    secrets = [url, target, parts.query]
    if parts.path.strip("/"):
        secrets.append(parts.path)
    withhold_in_logs(secrets, ("urllib3", "requests"))


def deliver(outbox: Outbox, settings: Notifications, *, now: datetime | None = None,
            mailer: Mailer | None = None) -> DeliveryReport:
    """Send what is pending, oldest first, within the hourly limit."""
    now = now or utcnow()
    mailer = mailer or Mailer(settings)
    report = DeliveryReport()
    budget = settings.max_per_hour - outbox.sent_since(now - timedelta(hours=1), "email")
    for message in outbox.pending():
        if message.channel == "email" and budget <= 0:
            report.deferred.append(message.key)
            continue
        try:
            if message.channel == "email":
                mailer.send(message)
                budget -= 1
            else:
                post_webhook(settings, message)
        except (OSError, smtplib.SMTPException, RuntimeError) as exc:
            reason = _reason(exc)
            outbox.mark_failed(message.key, reason)
            report.failed[message.key] = reason
            log.warning("could not send %s: %s (kept for the next delivery)", message.key, reason)
            continue
        outbox.mark_sent(message.key, now=now)
        report.sent.append(message.key)
    return report


_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+|\bwith url: \S+", re.I)
# Where a delivery's secrets live; none of them may reach a log line or the outbox's last_error.
_SECRET_ENV = ("CRESTWATCH_WEBHOOK_URL", "CRESTWATCH_SMTP_PASSWORD", "CRESTWATCH_SMTP_USER")


def _reason(exc: BaseException) -> str:
    """Why a delivery failed, in words that carry no secret: SMTP errors can echo what was
    sent (AUTH lines included), and HTTP errors quote the webhook's URL, which is its secret."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: SMTP {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPException):
        return type(exc).__name__
    if isinstance(exc, requests.RequestException):
        return f"{type(exc).__name__}: the webhook could not be reached"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return scrub(f"{type(exc).__name__}: {exc}")


def scrub(text: str) -> str:
    """`text` with every URL and every delivery secret of the environment taken out."""
    for name in _SECRET_ENV:
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "<withheld>")
    return _URL.sub("<url withheld>", text)


def weekly_report_message(settings: Notifications, report: Any,
                          files: dict[str, Path]) -> Message:
    """The weekly report e-mail: a short summary, the HTML, PDF and CSVs attached."""
    lines = [
        f"Crestwatch weekly report {report.week} for {report.organisation}.",
        f"{report.total.this_week} hits ({report.total.delta:+d} on the previous week), "
        f"{report.by_risk['critical'].this_week} critical.",
        "The HTML and PDF report and a CSV per table are attached.",
    ]
    return Message(f"report:{report.week}", "email",
                   settings.digest_recipients or settings.recipients,
                   f"[Crestwatch] Weekly report {report.week}", "\n".join(lines),
                   [str(p) for p in files.values()])


def send_weekly_report(config: OrgConfig, report: Any, files: dict[str, Path]) -> DeliveryReport:
    """Queue the weekly report e-mail (once per week: its key is the week) and deliver the
    outbox; what could not be sent stays queued for the next delivery."""
    outbox = outbox_for(config)
    try:
        outbox.queue(weekly_report_message(config.notifications, report, files))
        return deliver(outbox, config.notifications)
    finally:
        outbox.close()
