"""One SMTP connection for a round, and what the server's answers mean for a message.

A temporary failure (the server unreachable, a 4xx reply) means "try again later"; a
permanent one (a 5xx reply, typically at RCPT) means "this message will never go":
the outbox row is marked failed with the server's own words.
"""

from __future__ import annotations

import smtplib
import ssl

from engine.mail.settings import MailSettings


class DeliveryFailure(Exception):
    """The server did not take a message; ``text`` is its answer (or why it was not reached)."""

    permanent = False

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class TemporaryFailure(DeliveryFailure):
    """Try again later (connection refused, timeout, 4xx)."""


class Unreachable(TemporaryFailure):
    """No connection at all: the rest of the round would fail the same way."""


class PermanentFailure(DeliveryFailure):
    """The server refused for good (5xx)."""

    permanent = True


def _reply(code: int, message) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}".strip()


def _by_code(code: int, text: str) -> DeliveryFailure:
    return PermanentFailure(text) if 500 <= code < 600 else TemporaryFailure(text)


class SmtpTransport:
    """Sends messages over one connection, opened on first use and reopened after a drop."""

    def __init__(self, settings: MailSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.scheme == "smtps":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.scheme == "smtp+starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if s.user:
                smtp.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise Unreachable(f"sign-in to {s.describe()} refused: "
                              f"{_reply(exc.smtp_code, exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise Unreachable(f"cannot reach {s.describe()}: {exc}") from None
        return smtp

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Hand one message to the server; raises a :class:`DeliveryFailure` unless the
        server accepted it."""
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients.get(recipient, (550, b"recipient refused"))
            raise _by_code(code, _reply(code, text)) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            self._reset()
            raise _by_code(exc.smtp_code, _reply(exc.smtp_code, exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TemporaryFailure(f"connection to {self.settings.describe()} lost: "
                                   f"{exc}") from None

    def _reset(self) -> None:
        try:
            self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        """Say goodbye to the server (if connected)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
