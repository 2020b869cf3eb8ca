"""The outbox as HR's page lists it: to whom, what, queued/sent/failed, when, the error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import peewee as pw

from engine.directory import normalize_email
from engine.store import Cycle, Instance, MailStatus, Outbox, Person

OUTBOX_PAGE = 200


@dataclass(frozen=True)
class OutboxItem:
    """One outbox row (never its body: an invite's carries a sign-in link)."""

    id: int
    recipient: str
    recipient_name: str | None
    kind: str
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    attempts: int
    error: str | None
    message_id: str | None
    instance_id: int | None
    task_id: int | None
    cycle: str | None


def _filtered(query, cycle_id: int | None, person: str | None, status: str | None):
    if cycle_id:
        query = query.where(Outbox.instance.in_(
            Instance.select(Instance.id).where(Instance.cycle == cycle_id)))
    if person:
        text = person.strip()
        if "@" in text:
            query = query.where(Outbox.recipient == normalize_email(text))
        else:
            named = Person.select(Person.email).where(Person.name.contains(text))
            query = query.where(Outbox.recipient.in_(named))
    if status:
        query = query.where(Outbox.status == status)
    return query


def outbox(cycle_id: int | None = None, person: str | None = None, status: str | None = None,
           limit: int = OUTBOX_PAGE) -> list[OutboxItem]:
    """The newest outbox rows matching the filters (``person``: an email or part of a
    name), with the recipient's name and the instance's cycle (one query)."""
    query = (Outbox.select(Outbox, Person.name.alias("who"), Cycle.name.alias("cycle_name"))
             .join(Person, pw.JOIN.LEFT_OUTER, on=(Person.email == Outbox.recipient))
             .switch(Outbox)
             .join(Instance, pw.JOIN.LEFT_OUTER, on=(Instance.id == Outbox.instance))
             .join(Cycle, pw.JOIN.LEFT_OUTER, on=(Cycle.id == Instance.cycle)))
    query = _filtered(query, cycle_id, person, status).order_by(Outbox.id.desc()).limit(limit)
    return [OutboxItem(
        r.id, r.recipient, r.who, r.kind, r.subject, r.status, r.created_at, r.sent_at,
        r.next_attempt_at, r.attempts, r.error, r.message_id, r.instance_id, r.task_id,
        r.cycle_name) for r in query.objects()]


def outbox_counts(cycle_id: int | None = None, person: str | None = None) -> dict[str, int]:
    """How many rows are queued, sent, failed and skipped (under the same filters)."""
    query = _filtered(Outbox.select(Outbox.status, pw.fn.COUNT(Outbox.id)), cycle_id, person,
                      None).group_by(Outbox.status)
    counts = dict.fromkeys((s.value for s in MailStatus), 0)
    counts.update({status: n for status, n in query.tuples()})
    return counts
