"""The worker: rounds of ``tick(now)`` then mail delivery, until it is told to stop.

``reviewflow worker`` runs :class:`Worker` (the CLI adds the web's voices and settings).
Stopping (SIGTERM, Ctrl-C) lets the message being sent finish, then ends the round.
On SQLite one worker runs at a time: a second one waits for the first's lock on a file
next to the database, and says so; on PostgreSQL any number share the work (the outbox
rows a round takes are locked ``FOR UPDATE SKIP LOCKED``, and each timer is re-read under
its instance's lock).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from engine import timers
from engine.clock import utc
from engine.mail import DeliveryReport, MailSettings, deliver

DEFAULT_INTERVAL_S = 60.0


@dataclass
class RoundReport:
    """What one round did: the tick's report and the delivery's."""

    at: datetime
    tick: timers.TickReport
    mail: DeliveryReport

    @property
    def ok(self) -> bool:
        """Was everything due delivered (nothing failed, nothing to retry)?"""
        return not self.mail.problems

    def summary(self) -> str:
        t = self.tick
        return (f"{self.at:%Y-%m-%d %H:%M:%S} UTC: {len(t.fired)} timer(s) fired, "
                f"{t.repeated} repeated, {t.reminders} reminder(s), {t.escalations} "
                f"escalation(s); {self.mail.summary()}")


class Worker:
    """Rounds every ``interval`` seconds until :meth:`stop`."""

    def __init__(self, settings: MailSettings | None, interval: float = DEFAULT_INTERVAL_S,
                 log: Callable[[str], None] = print, **delivery_options):
        self.settings = settings
        self.interval = interval
        self.log = log
        self.options = delivery_options
        self._stopping = threading.Event()

    def stop(self, *_signal) -> None:
        """Finish the message being sent, then stop (a signal handler)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def round(self, now: datetime | None = None) -> RoundReport:
        """One round at ``now``: timers, then everything due in the outbox."""
        now = utc(now)
        report = timers.tick(now)
        mail = deliver(self.settings, now, stop=lambda: self.stopping, **self.options)
        return RoundReport(now, report, mail)

    def run_forever(self, round_in: Callable | None = None) -> None:
        """Rounds until stopped; a round that fails is logged and the next one tries again.
        ``round_in(action)`` runs a round in the caller's setting (a connection, an app)."""
        while not self.stopping:
            try:
                report = round_in(self.round) if round_in else self.round()
                self.log(report.summary())
            except Exception as exc:  # noqa: BLE001 - a worker outlives one bad round
                self.log(f"round failed: {exc.__class__.__name__}: {exc}")
            self._stopping.wait(self.interval)


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///PATH`` URL, else None."""
    if url.startswith("sqlite:///") and url not in ("sqlite:///:memory:",):
        return url[len("sqlite:///"):]
    return None


@contextmanager
def turn(url: str, say: Callable[[str], None] = print) -> Iterator[None]:
    """On SQLite, hold the one worker lock of the database (waiting, and saying so, while
    another worker has it); on PostgreSQL, nothing: workers share the work."""
    path = sqlite_path(url)
    if path is None:
        yield
        return
    lock_path = f"{os.path.abspath(path)}.worker-lock"
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"another worker is running on {path}; on SQLite one worker runs at a "
                "time, so this one waits for its turn")
            fcntl.flock(handle, fcntl.LOCK_EX)
            say("the other worker stopped; this one takes over")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
