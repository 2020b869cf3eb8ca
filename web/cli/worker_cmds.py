"""``reviewflow worker``: timers and mail, round after round (see :mod:`engine.worker`)."""

from __future__ import annotations

import signal
import sys
from datetime import datetime

import click

from engine.clock import utc
from engine.mail import settings_from_env
from engine.worker import DEFAULT_INTERVAL_S, Worker, turn


def _log(text: str) -> None:
    click.echo(text)
    sys.stdout.flush()


def _parse_now(text: str | None):
    if not text:
        return None
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO-8601 time", param_hint="--now") from None


@click.command("worker")
@click.option("--interval", default=DEFAULT_INTERVAL_S, show_default=True, type=float,
              metavar="SECONDS", help="Time between rounds.")
@click.option("--once", is_flag=True, help="Run one round and exit: 0 when everything due "
              "was delivered, 1 when some delivery failed.")
@click.option("--now", "now_text", metavar="ISO-8601",
              help="With --once: the time the round acts at (default: now).")
@click.pass_obj
def worker(obj, interval: float, once: bool, now_text: str | None) -> None:
    """Run timers, reminders and escalations, then mail what is due, every --interval
    seconds until stopped (SIGTERM finishes the message being sent, then stops).

    Mail goes to REVIEWFLOW_SMTP_URL (smtp://host:port,
    smtp+starttls://user:password@host:587 or smtps://user:password@host:465) from
    REVIEWFLOW_MAIL_FROM, with links to REVIEWFLOW_BASE_URL. Without an SMTP URL, messages
    stay queued (exit status 0)."""
    from web import create_app
    from web.database import close_connection, open_connection
    from web.mailing import delivery_options

    if now_text and not once:
        raise click.UsageError("--now goes with --once (a running worker acts at real time)")
    try:
        settings = settings_from_env()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    now = _parse_now(now_text)
    app = create_app({"DATABASE_URL": obj.db_url,
                      "LIBRARY_PATHS": [str(p) for p in obj.library_paths]})
    job = Worker(settings, interval, log=_log, **delivery_options(app))
    signal.signal(signal.SIGTERM, job.stop)
    signal.signal(signal.SIGINT, job.stop)
    if settings is None:
        _log("warning: no REVIEWFLOW_SMTP_URL; messages stay queued (see the outbox page)")

    def in_app(action):
        with app.app_context():
            open_connection()
            try:
                return action()
            finally:
                close_connection(None)

    with turn(obj.db_url, _log):
        if once:
            report = in_app(lambda: job.round(now))
            _log(report.summary())
            sys.exit(0 if report.ok else 1)
        _log(f"worker on {obj.db_url}, a round every {interval:g} s; mail: "
             f"{settings.describe() if settings else 'none (no REVIEWFLOW_SMTP_URL)'}")
        job.run_forever(round_in=in_app)
        _log("worker stopped")


def register(main: click.Group) -> None:
    """Add this module's commands to the ``reviewflow`` group."""
    main.add_command(worker)
