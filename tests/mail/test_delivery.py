"""Delivery through a real SMTP server on loopback: at least once, one mail per person
per round, sent only once accepted, retried with backoff, failed with the server's answer."""

from __future__ import annotations

from datetime import timedelta

from engine import commands
from engine.mail import deliver, parse_smtp_url
from engine.store import MailStatus, Outbox
from tests.library import payloads as p
from tests.library.scenario import T0, submit
from tests.mail.conftest import BASE
from tests.mail.smtpd import SmtpServer, free_port

EVE, MIA, HANA = "eve@acme.test", "mia@acme.test", "hana@acme.test"
PAT, QUINN, RAY = "pat@acme.test", "quinn@acme.test", "ray@acme.test"


def start_360(library, now=T0, subject=EVE) -> int:
    return commands.start(library, "feedback-360", subject, HANA, now=now).instance_id


def statuses() -> list[tuple[str, str, str]]:
    return [(o.recipient, o.kind, o.status) for o in Outbox.select().order_by(Outbox.id)]


def test_a_new_task_is_mailed_once_with_its_link(org, library, smtp, mail_settings):
    fb = start_360(library)
    report = deliver(mail_settings, T0)
    assert (report.mails, report.rows, report.problems) == (1, 1, []), report.problems
    (mail,) = smtp.received
    assert mail.recipients == [EVE] and mail.sender == "reviewflow@acme.test"
    assert mail.subject == "New task: Choose your reviewers about Eve Employee"
    task = Outbox.get(Outbox.recipient == EVE).task_id
    assert f"{BASE}/tasks/{task}" in mail.text and f'href="{BASE}/tasks/{task}"' in mail.html
    assert "due 2026-01-12 09:00 UTC" in mail.text
    assert mail.message_id == Outbox.get(Outbox.recipient == EVE).message_id
    assert statuses() == [(EVE, "assigned", "sent")]
    assert deliver(mail_settings, T0).mails == 0  # sent is sent
    assert len(smtp.received) == 1
    assert fb


def test_everything_new_for_one_person_is_one_mail(org, library, smtp, mail_settings):
    fb = start_360(library)
    submit(fb, "peer-nomination", EVE, p.nomination([PAT, QUINN, RAY]), T0)
    submit(fb, "nomination-approval", MIA, {}, T0, trigger="approve")
    commands.nudge(Outbox.get(Outbox.recipient == PAT).task_id, HANA, "Please do it this week",
                   now=T0)
    report = deliver(mail_settings, T0)
    by_person = {m.recipients[0]: m for m in smtp.received}
    assert sorted(by_person) == [EVE, PAT, QUINN, RAY]  # Mia's task is done already
    assert report.mails == 4 and len(smtp.received) == 4 and report.skipped == 2
    pat = by_person[PAT]
    assert pat.subject == ("New task: Give feedback to a colleague about Eve Employee "
                           "(and 1 more)")
    assert "HR reminds you of Give feedback to a colleague about Eve Employee." in pat.text
    assert "Please do it this week" in pat.text and "Please do it this week" in pat.html
    eve = by_person[EVE]  # her self-assessment (the nomination is done: not mailed)
    assert eve.text.count("/tasks/") == 1 and "Assess yourself" in eve.subject
    skipped = Outbox.select().where(Outbox.status == MailStatus.SKIPPED).order_by(Outbox.id)
    assert [(o.recipient, o.error) for o in skipped] == [
        (EVE, "the task was submitted before the mail went"),
        (MIA, "the task was submitted before the mail went")]


def test_no_smtp_url_keeps_everything_queued(org, library):
    start_360(library)
    report = deliver(None, T0)
    assert report.unconfigured and report.waiting == 1 and report.mails == 0
    assert statuses() == [(EVE, "assigned", "queued")]


def test_server_down_leaves_all_queued_and_the_next_round_delivers_once(org, library):
    start_360(library)
    start_360(library, subject=MIA)
    port = free_port()
    settings = parse_smtp_url(f"smtp://127.0.0.1:{port}", "reviewflow@acme.test", BASE)
    down = deliver(settings, T0)
    assert down.mails == 0 and down.waiting == 2 and len(down.retrying) == 1
    assert "cannot reach smtp://127.0.0.1" in down.retrying[0]
    assert {s for _, _, s in statuses()} == {"queued"}
    tried = Outbox.get(Outbox.recipient == EVE)  # the first mail tried: HR sees why
    assert tried.attempts == 1 and "Connection refused" in tried.error
    assert tried.next_attempt_at == T0 + timedelta(minutes=1)
    server = SmtpServer(port).start()
    try:
        up = deliver(settings, T0 + timedelta(minutes=1))
        assert up.mails == 2 and up.problems == []
        assert sorted(m.recipients[0] for m in server.received) == [EVE, MIA]
        assert deliver(settings, T0 + timedelta(minutes=2)).mails == 0
        assert len(server.received) == 2
    finally:
        server.stop()


def test_refusals_permanent_and_temporary(org, library, smtp, mail_settings):
    start_360(library)
    start_360(library, subject=MIA)
    smtp.handler.refuse = {EVE: "550 5.1.1 No such user here", MIA: "451 4.3.0 Try later"}
    report = deliver(mail_settings, T0)
    assert report.mails == 0
    assert report.failed == [f"{EVE}: 550 5.1.1 No such user here"]
    assert report.retrying == [f"{MIA}: 451 4.3.0 Try later"]
    eve = Outbox.get(Outbox.recipient == EVE)
    assert (eve.status, eve.error) == (MailStatus.FAILED, "550 5.1.1 No such user here")
    mia = Outbox.get(Outbox.recipient == MIA)
    assert (mia.status, mia.attempts) == (MailStatus.QUEUED, 1)
    assert mia.next_attempt_at == T0 + timedelta(minutes=1)
    smtp.handler.refuse = {}
    assert deliver(mail_settings, T0 + timedelta(seconds=30)).mails == 0  # not yet due
    again = deliver(mail_settings, T0 + timedelta(minutes=1))
    assert again.mails == 1 and smtp.received[0].recipients == [MIA]
    assert Outbox.get(Outbox.recipient == MIA).status == MailStatus.SENT
    assert Outbox.get(Outbox.recipient == EVE).status == MailStatus.FAILED
