"""What is mailed, to whom, with which link, through a real SMTP server: each kind of
message, for the shipped 360 and annual review, and nothing anyone may not read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import commands
from engine.mail import deliver
from engine.store import Outbox
from tests.library import payloads as p
from tests.library.scenario import T0, fire, submit, task_id, tick
from tests.mail.conftest import BASE

EVE, MIA, CLEO = "eve@acme.test", "mia@acme.test", "cleo@acme.test"
HANA, HUGO = "hana@acme.test", "hugo@acme.test"
PAT, QUINN, RAY = "pat@acme.test", "quinn@acme.test", "ray@acme.test"
RATERS = ("Pat Peer", "Quinn Peer", "Ray Peer", PAT, QUINN, RAY)


def days(n: float) -> timedelta:
    return timedelta(days=n)


class Post:
    """Rounds of delivery, and what each person got in them."""

    def __init__(self, smtp, settings):
        self.smtp, self.settings, self.all = smtp, settings, []

    def round(self, now) -> dict:
        """Deliver what is due at ``now``: {recipient: the one mail they got}."""
        self.smtp.handler.clear()
        report = deliver(self.settings, now)
        assert report.problems == []
        mails = list(self.smtp.received)
        self.all.extend(mails)
        out = {}
        for mail in mails:
            (who,) = mail.recipients
            assert who not in out, f"{who} got two mails in one round"
            out[who] = mail
        return out


@pytest.fixture
def post(smtp, mail_settings):
    return Post(smtp, mail_settings)


def link(task: int) -> str:
    return f"{BASE}/tasks/{task}"


def test_feedback_360_mails_reach_the_right_people(org, library, post):
    fb = commands.start(library, "feedback-360", EVE, HANA, now=T0).instance_id
    got = post.round(T0)
    assert list(got) == [EVE]
    assert link(task_id(fb, "peer-nomination", EVE)) in got[EVE].text

    submit(fb, "peer-nomination", EVE, p.nomination([PAT, QUINN, RAY]), T0 + days(1))
    got = post.round(T0 + days(1))
    assert list(got) == [MIA]
    assert got[MIA].subject == "New task: Approve the reviewer list about Eve Employee"

    fire(fb, "send_back", MIA, T0 + days(2), data=p.SEND_BACK)  # sent back, with the reason
    got = post.round(T0 + days(2))
    assert list(got) == [EVE]
    assert got[EVE].subject == "Sent back: Choose your reviewers about Eve Employee"
    assert "Mia Manager sent Choose your reviewers about Eve Employee back to you." in \
        got[EVE].text
    assert p.SEND_BACK["reason"] in got[EVE].text and p.SEND_BACK["reason"] in got[EVE].html
    assert link(task_id(fb, "peer-nomination", EVE)) in got[EVE].text

    submit(fb, "peer-nomination", EVE, p.nomination([PAT, QUINN, RAY]), T0 + days(3))
    submit(fb, "nomination-approval", MIA, {}, T0 + days(3), trigger="approve")
    got = post.round(T0 + days(3))
    assert sorted(got) == [EVE, PAT, QUINN, RAY]  # not Mia: her new approval task is done
    skipped = Outbox.get(Outbox.recipient == MIA, Outbox.status == "skipped")
    assert skipped.error == "the task was submitted before the mail went"
    for peer in (PAT, QUINN, RAY):
        assert link(task_id(fb, "peer-feedback", peer)) in got[peer].text
        assert "Eve Employee" in got[peer].subject
    assert link(task_id(fb, "self-assessment", EVE)) in got[EVE].text

    tick(T0 + days(10))  # reminders 7 days before the 14-day deadline
    got = post.round(T0 + days(10))
    assert sorted(got) == [EVE, PAT, QUINN, RAY]
    assert got[PAT].subject == "Reminder: Give feedback to a colleague about Eve Employee"
    assert "is due 2026-01-22 09:00 UTC" in got[PAT].text

    tick(T0 + days(17))  # self-assessment overdue: Mia is told (peer-feedback escalates not)
    got = post.round(T0 + days(17))
    assert list(got) == [MIA]
    assert got[MIA].subject == "Overdue: Assess yourself about Eve Employee"
    assert ("Assess yourself about Eve Employee, assigned to Eve Employee, has been overdue "
            "since 2026-01-22 09:00 UTC. You may act on it.") in got[MIA].text
    assert link(task_id(fb, "self-assessment", EVE)) in got[MIA].text

    submit(fb, "self-assessment", EVE, p.SELF_ASSESSMENT, T0 + days(18))
    for peer, score in ((PAT, 4), (QUINN, 3), (RAY, 5)):
        submit(fb, "peer-feedback", peer, p.peer_feedback(score), T0 + days(18))
    got = post.round(T0 + days(18))
    assert list(got) == [MIA]  # the debrief
    submit(fb, "debrief-notes", MIA, p.DEBRIEF, T0 + days(19))
    got = post.round(T0 + days(19))
    assert list(got) == [EVE]  # acknowledgement, and the debrief notes to read
    assert link(task_id(fb, "acknowledgement", EVE)) in got[EVE].text
    assert "You may now read 360 debrief about Eve Employee." in got[EVE].text
    assert f"{BASE}/instances/{fb}" in got[EVE].text

    for mail in post.all:  # nobody learns who the anonymous raters are, nor any answer
        if mail.recipients[0] in (EVE, MIA):
            for name in RATERS:
                assert name not in mail.text and name not in mail.html
        for secret in ("Shares context generously", p.DEBRIEF["themes"],
                       p.nomination([])["note_to_manager"]):
            assert secret not in mail.text and secret not in mail.html


def test_annual_review_decision_and_results_to_read(org, library, post):
    review = commands.start(library, "annual-review", EVE, HANA, now=T0).instance_id
    submit(review, "self-review", EVE, p.SELF_REVIEW, T0)
    post.round(T0)
    # Started on its own (no cycle), the review does not wait for a calibration session.
    submit(review, "manager-review", MIA, p.manager_review(4), T0 + days(1))
    got = post.round(T0 + days(1))
    assert sorted(got) == [CLEO, MIA]  # the share decision waits on manager and skip-level
    assert got[MIA].subject == "Your decision: Annual performance review about Eve Employee"
    assert "waits for your decision: Share with the employee." in got[MIA].text
    assert f"{BASE}/instances/{review}" in got[CLEO].text
    fire(review, "share", MIA, T0 + days(2))
    got = post.round(T0 + days(2))
    assert sorted(got) == [EVE]
    text = got[EVE].text
    assert "You may now read Manager review about Eve Employee." in text
    assert link(task_id(review, "acknowledgement", EVE)) in text
    assert got[EVE].subject.endswith("(and 1 more)")
    for mail in post.all:
        for secret in (p.manager_review(4)["note_to_hr"], p.SELF_REVIEW["achievements"]):
            assert secret not in mail.text and secret not in mail.html


def test_reassignment_and_delegation_are_mailed_to_the_new_holder(org, library, post):
    review = commands.start(library, "annual-review", EVE, HANA, now=T0).instance_id
    submit(review, "self-review", EVE, p.SELF_REVIEW, T0)
    post.round(T0)
    task = task_id(review, "manager-review", MIA)
    commands.delegate(task, CLEO, MIA, reason="on leave", now=T0)
    got = post.round(T0)
    assert list(got) == [CLEO] and link(task) in got[CLEO].text
    commands.reassign(task, HUGO, HANA, now=T0)
    got = post.round(T0)
    assert list(got) == [HUGO] and link(task) in got[HUGO].text
    assert got[HUGO].subject == "New task: Review your report's year about Eve Employee"


def test_a_mail_link_brings_the_person_back_to_the_task_after_sign_in(org, library, post,
                                                                       tmp_path):
    from web import accounts, create_app

    review = commands.start(library, "annual-review", EVE, HANA, now=T0).instance_id
    mail = post.round(T0)[EVE]
    task = task_id(review, "self-review", EVE)
    path = f"/tasks/{task}"
    assert link(task) in mail.text
    app = create_app({"DATABASE_URL": org, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False,
                      "INSTANCE_PATH": str(tmp_path), "LIBRARY_PATHS": [str(library.root),
                      str(library.root).replace("workflows", "forms")]})
    with app.app_context():
        accounts.set_password(EVE, "a long enough password")
    client = app.test_client()
    away = client.get(path)
    assert away.status_code == 302 and away.headers["Location"].endswith(
        "/login?next=%2Ftasks%2F" + str(task))
    back = client.post(away.headers["Location"], data={"email": EVE,
                                                      "password": "a long enough password"})
    assert back.status_code == 302 and back.headers["Location"] == path
    assert Outbox.get(Outbox.recipient == EVE).status == "sent"


def test_mail_is_written_in_the_recipients_language(org, library, smtp, mail_settings,
                                                    tmp_path):
    from engine.store import Person
    from web import create_app
    from web.mailing import delivery_options

    Person.update(language="da").where(Person.email == EVE).execute()
    Person.update(language="sv-SE").where(Person.email == MIA).execute()
    commands.start(library, "annual-review", EVE, HANA, now=T0)
    commands.start(library, "annual-review", MIA, HANA, now=T0)
    app = create_app({"DATABASE_URL": org, "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        report = deliver(mail_settings, T0, **delivery_options(app))
    assert report.mails == 2
    mails = {m.recipients[0]: m for m in smtp.received}
    assert mails[EVE].subject == "Ny opgave: Skriv din selvevaluering om Eve Employee"
    assert "Hej Eve Employee" in mails[EVE].text and "Åbn den" in mails[EVE].html
    assert mails[MIA].subject.startswith("Ny uppgift: ") and "Öppna den" in mails[MIA].text


def test_a_waiting_decision_is_reminded_to_the_manager_until_it_is_made(org, library, post):
    pip = commands.start(library, "pip", EVE, HANA, now=T0).instance_id
    submit(pip, "pip-plan", MIA, {**p.PIP_PLAN, "duration_days": 30}, T0)
    submit(pip, "pip-hr-review", HANA, p.PIP_HR_OK, T0 + days(1), trigger="approve")
    submit(pip, "pip-acknowledgement", EVE, p.PIP_ACK, T0 + days(2))
    tick(T0 + days(32))
    submit(pip, "pip-review", MIA, p.pip_review("continue"), T0 + days(33))
    decided_at = T0 + days(33)  # the plan has run its length: the outcome waits
    post.round(decided_at)
    tick(decided_at + days(2.9))
    assert MIA not in post.round(decided_at + days(2.9))
    assert tick(decided_at + days(3)).reminders == 1  # remind: [3d, 7d] on "successful"
    got = post.round(decided_at + days(3))
    assert list(got) == [MIA]  # HR decides from its console: no mail to each member
    assert got[MIA].subject.startswith("Reminder, your decision: ")
    assert "still waits for your decision: Close as successful, Extend the plan, " \
        "Continue the plan as agreed." in got[MIA].text
    assert f"{BASE}/instances/{pip}" in got[MIA].text
    assert tick(decided_at + days(4)).reminders == 0  # once per remind: time
    assert tick(decided_at + days(9)).reminders == 1  # the worker was away at 7d: one, late
    fire(pip, "successful", MIA, decided_at + days(10), data=p.PIP_OUTCOME)
    assert tick(decided_at + days(30)).reminders == 0
    reminded = Outbox.select().where(Outbox.kind == "decision-reminder")
    assert [r.recipient for r in reminded] == [MIA, MIA]


def test_calibrators_are_told_where_their_session_is(org, library, post):
    from engine.commands import calibration

    cycle = commands.launch(library, "annual-review", "Annual 2026",
                            where=[("department", "Product")], actor=HANA, now=T0).cycle_id
    post.round(T0)
    session = calibration.open_session(cycle, HANA, "Product calibration",
                                       ["manager-review.rating"],
                                       calibrators=["lou@acme.test", CLEO], now=T0)
    got = post.round(T0)
    assert sorted(got) == [CLEO, "lou@acme.test"]
    assert got[CLEO].subject == "You calibrate: Product calibration"
    assert "Hana Hr named you a calibrator of Product calibration." in got[CLEO].text
    assert f"{BASE}/calibration/{session}" in got[CLEO].text
    calibration.set_calibrators(session, HANA, ["lou@acme.test", CLEO, MIA], now=T0)
    assert list(post.round(T0)) == [MIA]  # only the one newly named


def test_hrs_notices_of_tasks_nobody_holds_are_written_in_their_language(
        org, library, smtp, mail_settings, tmp_path):
    from engine.store import Person
    from web import create_app
    from web.mailing import delivery_options

    cleo = "cleo@acme.test"  # the CEO: nobody is her manager
    Person.update(language="da").where(Person.email == HANA).execute()
    review = commands.start(library, "annual-review", cleo, HANA, now=T0).instance_id
    submit(review, "self-review", cleo, p.SELF_REVIEW, T0 + days(1))
    app = create_app({"DATABASE_URL": org, "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        deliver(mail_settings, T0 + days(1), **delivery_options(app))
    mails = {m.recipients[0]: m for m in smtp.received}
    danish, english = mails[HANA], mails[HUGO]
    assert english.subject.startswith("Nobody holds: ") and "Cleo Chief" in english.subject
    assert "so it waits unassigned: give it to someone from the process page." in english.text
    assert "manager" in english.text  # why, as the directory says it
    assert danish.subject.startswith("Ingen har: ") and "Cleo Chief" in danish.subject
    assert f"{BASE}/instances/{review}" in danish.text


def test_the_nominator_and_hr_are_told_by_mail_when_a_nominee_could_not_be_asked(
        org, library, post):
    from engine.store import Person

    fb = commands.start(library, "feedback-360", EVE, HANA, now=T0).instance_id
    submit(fb, "peer-nomination", EVE, p.nomination([PAT, QUINN, RAY]), T0)
    Person.update(active=False).where(Person.email == RAY).execute()  # left meanwhile
    submit(fb, "nomination-approval", MIA, {}, T0 + days(1), trigger="approve")
    got = post.round(T0 + days(1))
    for who in (EVE, HANA, HUGO):
        assert "Not everyone could be asked: " in got[who].subject or \
            "Not everyone could be asked: " in got[who].text, who
        assert "2 tasks of " in got[who].text and "were created, but some people could " \
            "not be given one." in got[who].text
        assert f"{RAY} is no longer active" in got[who].text
    assert f"{BASE}/instances/{fb}" in got[HANA].text
