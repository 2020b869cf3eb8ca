"""Where mail goes: ``REVIEWFLOW_SMTP_URL``, ``REVIEWFLOW_MAIL_FROM``, ``REVIEWFLOW_BASE_URL``.

``smtp://host:port`` is plain SMTP (a local relay, a test server),
``smtp+starttls://user:password@host:587`` upgrades with STARTTLS before signing in, and
``smtps://user:password@host:465`` speaks TLS from the start. No URL: nothing is sent and
the outbox keeps every message queued.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
DEFAULT_FROM = "reviewflow@localhost"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class MailSettings:
    """How to reach the SMTP server, who mail is from, and where links point."""

    scheme: str
    host: str
    port: int
    user: str | None = None
    password: str | None = None
    sender: str = DEFAULT_FROM
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 30.0

    @property
    def domain(self) -> str:
        """The sender's domain (the right-hand side of every Message-ID)."""
        return self.sender.rsplit("@", 1)[-1].strip("> ") or "localhost"

    def describe(self) -> str:
        """The URL without its password (for logs and the outbox page)."""
        who = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{who}{self.host}:{self.port}"


def parse_smtp_url(url: str, sender: str | None = None,
                   base_url: str | None = None) -> MailSettings:
    """``MailSettings`` for an SMTP URL; a ValueError says what a bad one should look like."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError(f"REVIEWFLOW_SMTP_URL {url!r} is not an SMTP URL; use "
                         "smtp://host:port, smtp+starttls://user:password@host:587 or "
                         "smtps://user:password@host:465")
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError:
        raise ValueError(f"REVIEWFLOW_SMTP_URL {url!r} has a bad port") from None
    return MailSettings(
        scheme=parts.scheme, host=parts.hostname, port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sender=(sender or DEFAULT_FROM).strip(),
        base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"))


def settings_from_env(environ=None) -> MailSettings | None:
    """The mail settings of the environment, or None when no SMTP URL is set."""
    env = os.environ if environ is None else environ
    url = (env.get("REVIEWFLOW_SMTP_URL") or "").strip()
    if not url:
        return None
    return parse_smtp_url(url, env.get("REVIEWFLOW_MAIL_FROM"), env.get("REVIEWFLOW_BASE_URL"))


def base_url_from_env(environ=None) -> str:
    """Where links point (``REVIEWFLOW_BASE_URL``), also when no mail is sent."""
    env = os.environ if environ is None else environ
    return (env.get("REVIEWFLOW_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
