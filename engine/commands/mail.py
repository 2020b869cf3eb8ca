"""Mail that is about no instance (invites, password links): one outbox row, queued in
a transaction of its own; the mailer delivers it like every other outbox row.
"""

from __future__ import annotations

from datetime import datetime

from engine.clock import utc
from engine.directory import normalize_email
from engine.errors import Conflict, NotFound
from engine.store import MailStatus, Outbox, db


def queue_mail(recipient: str, kind: str, subject: str, body: str,
               now: datetime | None = None) -> int:
    """Queue one message to ``recipient``; return the outbox row's id."""
    with db.atomic():
        row = Outbox.create(recipient=normalize_email(recipient), kind=kind, subject=subject,
                            body=body, created_at=utc(now))
    return row.id


def queue_account_mail(recipient: str, kind: str, subject: str, body: str, actor: str,
                       now: datetime | None = None, params: dict | None = None) -> int:
    """Queue a sign-in mail (an invite, a password reset) to ``recipient`` and record in
    the directory's history who sent it (``<kind>-sent``), in one transaction. The row
    holds no link: the mailer has one made as the mail goes (engine.mail.compose.SIGN_IN)."""
    now = utc(now)
    with db.atomic():
        row = Outbox.create(recipient=normalize_email(recipient), kind=kind, subject=subject,
                            body=body, created_at=now, params=params)
        _directory_event(f"{kind}-sent", recipient, actor, now, {"outbox": row.id})
    return row.id


def record_directory_event(kind: str, email: str, actor: str, now: datetime | None = None,
                           detail: dict | None = None) -> None:
    """Record in the directory's history that ``actor`` did ``kind`` for ``email``'s
    account (e.g. ``invite-shown``: HR was shown an invite link to pass on)."""
    with db.atomic():
        _directory_event(kind, email, actor, utc(now), detail or {})


def _directory_event(kind: str, email: str, actor: str, now: datetime, detail: dict) -> None:
    from engine.store import DirectoryEvent, Person

    person = Person.get_or_none(Person.email == normalize_email(email))
    DirectoryEvent.create(at=now, actor=normalize_email(actor), kind=kind,
                          person=person.id if person else None, detail=detail)


#: Rows HR may send again: those that went, failed, or were skipped.
SENDABLE_AGAIN = (MailStatus.SENT, MailStatus.FAILED, MailStatus.SKIPPED)


def send_again(row_id: int, now: datetime | None = None) -> None:
    """Queue an outbox row again (due now; the next mail gets a new Message-ID, since the
    row's try count is part of it). NotFound for no such row; a queued row is left as is."""
    with db.atomic():
        row = Outbox.get_or_none(Outbox.id == row_id)
        if row is None:
            raise NotFound(f"no outbox message {row_id}")
        if row.status not in SENDABLE_AGAIN:
            raise Conflict(f"outbox message {row_id} is already queued")
        Outbox.update(status=MailStatus.QUEUED, next_attempt_at=utc(now), error=None) \
            .where(Outbox.id == row_id).execute()
