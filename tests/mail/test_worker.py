"""``reviewflow worker`` as a real process: one round, SIGTERM, SIGKILL and restart, a
second worker on SQLite, and two workers racing on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine import store
from engine.lifecycle import outbox_row
from engine.store import MailStatus, Outbox, Person
from tests.library.scenario import T0
from tests.mail.conftest import BASE

REVIEWFLOW = Path(sys.executable).with_name("reviewflow")


def worker(url: str, smtp_url: str | None, *args) -> subprocess.Popen:
    env = {**os.environ, "REVIEWFLOW_SECRET_KEY": "test", "REVIEWFLOW_BASE_URL": BASE,
           "REVIEWFLOW_MAIL_FROM": "reviewflow@acme.test"}
    env.pop("REVIEWFLOW_SMTP_URL", None)
    if smtp_url:
        env["REVIEWFLOW_SMTP_URL"] = smtp_url
    return subprocess.Popen([str(REVIEWFLOW), "--db", url, "worker", *map(str, args)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def queue(count: int) -> list[str]:
    """``count`` plain messages to ``count`` people (what an invite is)."""
    emails = [f"p{i:04d}@acme.test" for i in range(count)]
    store.insert_rows(Person, [{"email": e, "name": f"Person {i}", "department": "",
                                "title": "", "attributes": {}, "language": "", "active": True}
                               for i, e in enumerate(emails)])
    store.insert_rows(Outbox, [outbox_row(e, "invite", "Your reviewflow sign-in",
                                          f"Hello {e}, choose a password.", T0, None, None,
                                          None) for e in emails])
    return emails


def wait_for(condition, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def sent_rows() -> int:
    return Outbox.select().where(Outbox.status == MailStatus.SENT).count()


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_once_exits_0_when_all_went_and_1_when_some_failed(org, smtp):
    emails = queue(3)
    smtp.handler.refuse = {emails[1]: "550 5.1.1 No such user"}
    code, out = finish(worker(org, smtp.url, "--once", "--now", "2026-01-05T09:00:00"))
    assert code == 1, out
    assert "2 mail(s) sent" in out and "1 failed: p0001@acme.test: 550 5.1.1 No such user" in out
    smtp.handler.refuse = {}
    code, out = finish(worker(org, smtp.url, "--once"))
    assert code == 0 and "0 mail(s) sent" in out, out


def test_sigkill_mid_round_then_restart_delivers_everything(org, smtp):
    emails = queue(30)
    smtp.handler.delay = 0.1
    first = worker(org, smtp.url, "--once")
    wait_for(lambda: len(smtp.received) >= 5)
    first.send_signal(signal.SIGKILL)
    finish(first, 10)
    smtp.handler.delay = 0
    code, out = finish(worker(org, smtp.url, "--once"))
    assert code == 0, out
    got = [m.recipients[0] for m in smtp.received]
    assert sorted(set(got)) == emails  # none lost
    twice = [e for e in set(got) if got.count(e) > 1]
    assert len(twice) <= 1  # only the one in flight, and with the same Message-ID
    for email in twice:
        assert len({m.message_id for m in smtp.handler.to(email)}) == 1
    assert sent_rows() == 30


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_sigterm_finishes_the_message_being_sent_then_stops(org, smtp):
    queue(30)
    smtp.handler.delay = 0.1
    proc = worker(org, smtp.url, "--interval", "60")
    wait_for(lambda: len(smtp.received) >= 3)
    proc.send_signal(signal.SIGTERM)
    code, out = finish(proc, 20)
    assert code == 0 and "worker stopped" in out, out
    assert sent_rows() == len(smtp.received) < 30  # what reached the server is marked sent
    assert Outbox.select().where(Outbox.status == MailStatus.QUEUED).count() == \
        30 - len(smtp.received)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_second_worker_on_sqlite_waits_its_turn(org, smtp):
    queue(2)
    running = worker(org, smtp.url, "--interval", "60")
    wait_for(lambda: len(smtp.received) == 2)
    second = worker(org, smtp.url, "--once")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(second.stdout), daemon=True)
    reader.start()
    wait_for(lambda: any("waits for its turn" in line for line in lines))
    assert "another worker is running" in lines[0]
    assert second.poll() is None  # still waiting
    running.send_signal(signal.SIGTERM)
    assert finish(running)[0] == 0
    assert second.wait(60) == 0
    reader.join(10)
    second.stdout.close()
    assert "this one takes over" in "".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_two_workers_on_postgresql_send_each_of_1000_messages_once(org, smtp):
    emails = queue(1000)
    racers = [worker(org, smtp.url, "--once") for _ in range(2)]
    results = [finish(r, 120) for r in racers]
    assert [code for code, _ in results] == [0, 0], results
    got = sorted(m.recipients[0] for m in smtp.received)
    assert got == emails  # each exactly once
    assert sent_rows() == 1000
    shares = [int(out.split(" mail(s) sent")[0].rsplit(" ", 1)[-1]) for _, out in results]
    assert sum(shares) == 1000
