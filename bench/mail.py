"""The mail benchmark: a launch for N people, then the worker delivering the assignment
mail to a local SMTP server, against the floor: plain ``smtplib`` sending the same
messages to the same server over one connection, in the same run.

    .venv/bin/python bench/mail.py [--people 10000] [--db sqlite|postgresql://...]

The server (``web.demo.mailbox --discard``) runs in a process of its own. The floor's
messages are the very bytes the engine's composer makes for the same rows (composed
before the floor's clock starts), so the ratio is what the worker adds to sending: reading
the outbox, grouping, composing, and marking each row sent after the server's answer.
The floor runs before and after the engine; its mean is the figure the ratio uses.
"""

from __future__ import annotations

import argparse
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import engine_run  # noqa: E402
from bench.org import generate  # noqa: E402
from bench.workload import CYCLE, DEFINITIONS, POPULATION, WORKFLOW  # noqa: E402
from engine import commands, directory  # noqa: E402
from engine.clock import utcnow  # noqa: E402
from engine.definitions.library import load_library  # noqa: E402
from engine.mail import Composer, Context, parse_smtp_url  # noqa: E402
from engine.store import MailStatus, Outbox  # noqa: E402
from engine.worker import Worker  # noqa: E402

TARGET = 1.5


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="reviewflow's mail benchmark")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--db", default="sqlite", help="sqlite (a temporary file) or a "
                        "PostgreSQL URL whose reviewflow tables are dropped and recreated")
    parser.add_argument("--workdir", default=None, help="keep the database here")
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """The SMTP server, in its own process; returns once it answers."""
    proc = subprocess.Popen([sys.executable, "-m", "web.demo.mailbox", "--port", str(port),
                             "--discard"], stdout=subprocess.DEVNULL,
                            cwd=Path(__file__).resolve().parent.parent)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the SMTP server did not start")


def composed(settings, now) -> list[tuple[str, bytes]]:
    """The messages the worker will send, as bytes (untimed: the floor's input)."""
    rows = list(Outbox.select().where(Outbox.status == MailStatus.QUEUED)
                .order_by(Outbox.recipient, Outbox.id))
    by_person: dict[str, list] = {}
    for row in rows:
        by_person.setdefault(row.recipient, []).append(row)
    composer = Composer(Context(rows, settings.base_url))
    out = []
    for recipient, mine in by_person.items():
        letter = composer.letter(recipient, mine)
        message_id = f"<reviewflow.{mine[0].id}.0@{settings.domain}>"
        out.append((recipient, letter.message(settings.sender, message_id, now)))
    return out


def floor(port: int, sender: str, messages: list[tuple[str, bytes]]) -> float:
    """Plain smtplib: one connection, one sendmail per message. Seconds."""
    start = time.perf_counter()
    smtp = smtplib.SMTP("127.0.0.1", port)
    for recipient, data in messages:
        smtp.sendmail(sender, [recipient], data)
    smtp.quit()
    return time.perf_counter() - start


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="reviewflow-mail-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    url = args.db if args.db != "sqlite" else f"sqlite:///{workdir / 'mail.sqlite3'}"
    org = generate(args.people)
    engine_run.reset(url)
    directory.import_csv(engine_run.org_csv(org))
    library = load_library([DEFINITIONS])
    now = utcnow()
    start = time.perf_counter()
    launched = commands.launch(library, WORKFLOW, CYCLE, where=POPULATION, now=now)
    launch_s = time.perf_counter() - start
    queued = Outbox.select().where(Outbox.status == MailStatus.QUEUED).count()
    port = free_port()
    server = start_server(port)
    try:
        settings = parse_smtp_url(f"smtp://127.0.0.1:{port}", "reviewflow@bench.test",
                                  "http://reviewflow.bench")
        messages = composed(settings, now)
        floor_before = floor(port, settings.sender, messages)
        start = time.perf_counter()
        report = Worker(settings).round(now)
        engine_s = time.perf_counter() - start
        floor_after = floor(port, settings.sender, messages)
    finally:
        server.terminate()
        server.wait(10)
    sent = report.mail.mails
    if sent != len(messages) or report.mail.problems:
        print(f"error: the worker sent {sent} of {len(messages)} mails: "
              f"{report.mail.problems[:3]}", file=sys.stderr)
        return 1
    floor_s = (floor_before + floor_after) / 2
    ratio = engine_s / floor_s
    verdict = "OK" if ratio <= TARGET else "MISSED"
    print(f"mail benchmark on {url.split('://')[0]}: {args.people:,} people, "
          f"{launched.created:,} instances, {queued:,} outbox rows")
    print(f"launch                     {launch_s:8.2f} s")
    print(f"worker round (tick+mail)   {engine_s:8.2f} s  {sent / engine_s:8.0f} mails/s")
    print(f"floor (plain smtplib)      {floor_s:8.2f} s  {sent / floor_s:8.0f} mails/s  "
          f"(runs: {floor_before:.2f} s, {floor_after:.2f} s)")
    print(f"ratio                      {ratio:8.2f}x  target <= {TARGET}x {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
