"""Mail that is about no instance (invites, password links): one outbox row, queued in
a transaction of its own; the mailer delivers it like every other outbox row.
"""

from __future__ import annotations

from datetime import datetime

from engine.clock import utc
from engine.directory import normalize_email
from engine.store import Outbox, db


def queue_mail(recipient: str, kind: str, subject: str, body: str,
               now: datetime | None = None) -> int:
    """Queue one message to ``recipient``; return the outbox row's id."""
    with db.atomic():
        row = Outbox.create(recipient=normalize_email(recipient), kind=kind, subject=subject,
                            body=body, created_at=utc(now))
    return row.id


def queue_account_mail(recipient: str, kind: str, subject: str, body: str, actor: str,
                       now: datetime | None = None) -> int:
    """Queue a sign-in mail (an invite, a password reset) to ``recipient`` and record in
    the directory's history who sent it (``<kind>-sent``), in one transaction."""
    from engine.store import DirectoryEvent, Person

    now = utc(now)
    with db.atomic():
        row = Outbox.create(recipient=normalize_email(recipient), kind=kind, subject=subject,
                            body=body, created_at=now)
        person = Person.get_or_none(Person.email == normalize_email(recipient))
        DirectoryEvent.create(at=now, actor=normalize_email(actor), kind=f"{kind}-sent",
                              person=person.id if person else None, detail={"outbox": row.id})
    return row.id
