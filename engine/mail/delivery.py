"""Delivering the outbox: one mail per person per round, at least once, never dropped.

A round reads the due rows (queued, and past their ``next_attempt_at``) a page of
recipients at a time; every row due for one person becomes one mail (:mod:`compose`).
A row is marked sent only after the server accepted its mail. The Message-ID is made from
the group's first row (and how often it was tried), so a mail sent again after a crash,
before its rows were marked, carries the same Message-ID and can be recognised.

On PostgreSQL each mail's rows are locked with ``FOR UPDATE SKIP LOCKED`` for as long as
it is being sent: several workers share the outbox and no row goes out twice. On SQLite
one worker runs at a time (:mod:`engine.worker` makes a second one wait), so rows are
read without a lock and marked in a short transaction after the server's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from engine import connection, statements
from engine.clock import utc
from engine.locking import transaction
from engine.mail.compose import ENGLISH, URGENT, Composer, Context
from engine.mail.settings import MailSettings
from engine.mail.transport import DeliveryFailure, SmtpTransport, Unreachable
from engine.store import MailStatus, Outbox

#: Minutes to wait before the next try after the 1st, 2nd, ... temporary failure.
BACKOFF_MINUTES = (1, 2, 4, 8, 15, 30, 60, 120)
#: Tries before a temporary failure counts as a permanent one (about two days).
MAX_ATTEMPTS = 30
RECIPIENTS_PER_PAGE = 200


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try."""
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


@dataclass
class DeliveryReport:
    """What one round of delivery did."""

    mails: int = 0  # mails the server accepted
    rows: int = 0  # outbox rows they carried
    retrying: list[str] = field(default_factory=list)  # "who: why", tried again later
    failed: list[str] = field(default_factory=list)  # "who: the server's answer", for good
    held: int = 0  # rows waiting for someone's daily summary
    skipped: int = 0  # rows whose task was done or given away before their mail went
    unconfigured: bool = False  # no SMTP URL: nothing was sent
    waiting: int = 0  # rows due but not sent (no SMTP URL, server down, stopped)
    stopped: bool = False  # asked to stop before the round ended

    @property
    def problems(self) -> list[str]:
        return [*self.retrying, *self.failed]

    def as_dict(self) -> dict:
        return {"mails": self.mails, "rows": self.rows, "retrying": self.retrying,
                "failed": self.failed, "held": self.held, "skipped": self.skipped,
                "waiting": self.waiting,
                "unconfigured": self.unconfigured, "stopped": self.stopped}

    def summary(self) -> str:
        """One line for the worker's log."""
        out = f"{self.mails} mail(s) sent ({self.rows} message(s))"
        if self.unconfigured:
            out += f"; no REVIEWFLOW_SMTP_URL, {self.waiting} message(s) stay queued"
        elif self.waiting:
            out += f"; {self.waiting} message(s) still queued"
        if self.held:
            out += f"; {self.held} held for a daily summary"
        if self.retrying:
            out += f"; {len(self.retrying)} to try again: " + "; ".join(self.retrying[:5])
        if self.failed:
            out += f"; {len(self.failed)} failed: " + "; ".join(self.failed[:5])
        return out


#: What a round reads of an outbox row (named tuples: cheaper than model objects).
ROW_COLUMNS = (Outbox.id, Outbox.recipient, Outbox.kind, Outbox.subject, Outbox.body,
               Outbox.params, Outbox.attempts, Outbox.instance.alias("instance_id"),
               Outbox.task.alias("task_id"))


def _due(now: datetime):
    return (Outbox.status == MailStatus.QUEUED) & (
        Outbox.next_attempt_at.is_null() | (Outbox.next_attempt_at <= now))


class Delivery:
    """One round: what to send, how to word it, where to send it."""

    def __init__(self, settings: MailSettings | None, now: datetime | None = None, *,
                 transport=None, voice_for: Callable | None = None,
                 hold: Callable[[str, datetime], bool] | None = None,
                 sent: Callable[[str, datetime], None] | None = None,
                 stop: Callable[[], bool] | None = None, zone: ZoneInfo | None = None,
                 sign_in_token: Callable[[str, str, datetime], str | None] | None = None):
        self.settings = settings
        self.now = utc(now)
        self.transport = transport or (SmtpTransport(settings) if settings else None)
        self.voice_for = voice_for or (lambda person: ENGLISH)
        self.hold = hold or (lambda email, now: False)
        self.sent = sent or (lambda email, now: None)
        self.stop = stop or (lambda: False)
        self.zone = zone
        # makes an invite's or a reset's token as its mail goes (the front end's accounts)
        self.sign_in_token = sign_in_token
        self.report = DeliveryReport()

    def run(self) -> DeliveryReport:
        """Send everything due; the report says what went and what did not."""
        if self.transport is None:
            self.report.unconfigured = True
            self.report.waiting = Outbox.select().where(_due(self.now)).count()
            return self.report
        try:
            last = ""
            while not self.report.stopped:
                page = self._page(last)
                if not page:
                    break
                if not self._send_page(page):
                    break
                last = page[-1][0]
        finally:
            self.transport.close()
        return self.report

    def _page(self, after: str) -> list[tuple[str, list]]:
        """The next recipients with something due, each with their due rows."""
        due = _due(self.now)
        names = [r[0] for r in Outbox.select(Outbox.recipient).distinct()
                 .where(due & (Outbox.recipient > after)).order_by(Outbox.recipient)
                 .limit(RECIPIENTS_PER_PAGE).tuples()]
        if not names:
            return []
        grouped: dict[str, list] = {n: [] for n in names}
        for row in Outbox.select(*ROW_COLUMNS).where(due & Outbox.recipient.in_(names)) \
                .order_by(Outbox.recipient, Outbox.id).namedtuples():
            grouped[row.recipient].append(row)
        return list(grouped.items())

    def _send_page(self, page) -> bool:
        """Send one mail per recipient of the page; False when the round must end."""
        ctx = Context([r for _, rows in page for r in rows], self.settings.base_url, self.zone)
        mint = self.sign_in_token
        composer = Composer(ctx, mint and (lambda email, kind: mint(email, kind, self.now)))
        for position, (recipient, rows) in enumerate(page):
            if self.stop():
                self.report.stopped = True
                self.report.waiting += sum(len(r) for _, r in page[position:])
                return False
            held = self.hold(recipient, self.now)
            if held:  # a daily summary not yet due: reminders and escalations go anyway
                urgent = [r for r in rows if r.kind in URGENT]
                self.report.held += len(rows) - len(urgent)
                rows = urgent
                if not rows:
                    continue
            try:
                self._send_one(composer, ctx, recipient, rows, summary=not held)
            except Unreachable as exc:
                self.report.waiting += sum(len(r) for _, r in page[position:])
                self.report.retrying.append(f"{recipient}: {exc.text}")
                return False
        return True

    def _send_one(self, composer: Composer, ctx: Context, recipient: str, rows,
                  summary: bool = True) -> None:
        """One person's mail: lock its rows (PostgreSQL), send, mark them."""
        if not connection.is_postgres():
            self._send_rows(composer, ctx, recipient, rows, summary)
            return
        unreachable = None
        with connection.db.atomic():  # the locks last until the rows are marked
            mine = {r[0] for r in Outbox.select(Outbox.id).where(
                Outbox.id.in_([r.id for r in rows]) & (Outbox.status == MailStatus.QUEUED))
                .for_update("FOR UPDATE SKIP LOCKED").tuples()}
            rows = [r for r in rows if r.id in mine]
            try:
                if rows:  # else another worker has them
                    self._send_rows(composer, ctx, recipient, rows, summary)
            except Unreachable as exc:  # commit what the failed try recorded, then stop
                unreachable = exc
        if unreachable is not None:
            raise unreachable

    def _send_rows(self, composer: Composer, ctx: Context, recipient: str, rows,
                   summary: bool) -> None:
        letter = composer.letter(recipient, rows, self.voice_for(ctx.recipients.get(recipient)))
        if letter.skipped:
            with transaction():
                for row_id, why in letter.skipped.items():
                    Outbox.update(status=MailStatus.SKIPPED, error=why).where(
                        Outbox.id == row_id).execute()
            self.report.skipped += len(letter.skipped)
        ids = letter.row_ids
        if not ids:
            return
        first = next(r for r in rows if r.id == ids[0])
        message_id = f"<reviewflow.{first.id}.{first.attempts}@{self.settings.domain}>"
        data = letter.message(self.settings.sender, message_id, self.now)
        try:
            self.transport.send(self.settings.sender, recipient, data)
        except DeliveryFailure as exc:
            with transaction():
                self._failed_try(ids, message_id, exc)
            if isinstance(exc, Unreachable):
                raise
            return
        # One statement, committed by itself (or with the row locks on PostgreSQL): the
        # rows are marked the moment the server has taken their mail.
        statements.update_sent(ids, self.now, message_id)
        self.report.mails += 1
        self.report.rows += len(ids)
        if summary:  # everything due went (not only the urgent part of a held summary)
            self.sent(recipient, self.now)

    def _failed_try(self, ids: list[int], message_id: str, exc: DeliveryFailure) -> None:
        """Record a refusal: for good (5xx, or too many tries), or try again later."""
        rows = list(Outbox.select(Outbox.id, Outbox.attempts, Outbox.recipient)
                    .where(Outbox.id.in_(ids)))
        tries = max(r.attempts for r in rows) + 1
        who = rows[0].recipient
        if exc.permanent or tries >= MAX_ATTEMPTS:
            text = exc.text if exc.permanent else f"gave up after {tries} tries: {exc.text}"
            Outbox.update(status=MailStatus.FAILED, error=text[:2000], message_id=message_id,
                          attempts=Outbox.attempts + 1, next_attempt_at=None) \
                .where(Outbox.id.in_(ids)).execute()
            self.report.failed.append(f"{who}: {text}")
            return
        Outbox.update(error=exc.text[:2000], attempts=Outbox.attempts + 1,
                      next_attempt_at=self.now + backoff(tries)) \
            .where(Outbox.id.in_(ids)).execute()
        if not isinstance(exc, Unreachable):
            self.report.retrying.append(f"{who}: {exc.text}")


def deliver(settings: MailSettings | None, now: datetime | None = None,
            **options) -> DeliveryReport:
    """Send every outbox row due at ``now`` (see :class:`Delivery` for the options)."""
    return Delivery(settings, now, **options).run()
