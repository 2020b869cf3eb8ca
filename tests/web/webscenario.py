"""Processes put into a known state through the engine's commands (fast set-up for page
tests; the browser tests drive the same steps through the UI)."""

from __future__ import annotations

from engine import commands
from engine.store import Task, TaskStatus

PEERS = ["pat@acme.test", "quinn@acme.test", "rita@acme.test"]
PEER_TEXT = {email: f"Secret words of {email.split('@')[0]} about working together"
             for email in PEERS}


def library(app):
    """The app's loaded library."""
    return app.extensions["reviewflow.library"].library


def open_task(instance_id: int, email: str | None = None, form_id: str | None = None) -> Task:
    """The open task of ``instance_id`` held by ``email`` (or of ``form_id``)."""
    from engine.store import Person

    query = Task.select().where((Task.instance == instance_id) & (Task.status == TaskStatus.OPEN))
    if email:
        query = query.join(Person, on=(Task.assignee == Person.id)).where(Person.email == email)
    if form_id:
        query = query.where(Task.form_id == form_id)
    task = query.first()
    assert task is not None, (instance_id, email, form_id)
    return task


def peer_feedback(email: str) -> dict:
    return {"collaboration": 4, "communication": 3, "delivery": 5,
            "strengths": PEER_TEXT[email], "improvements": "Could share plans a little earlier."}


SELF_ASSESSMENT = {"collaboration": 4, "communication": 4, "delivery": 4,
                   "strengths": "Steady delivery on the platform team.",
                   "improvements": "Speak up earlier in planning."}
DEBRIEF = {"themes": "Strong collaboration, plans could be shared earlier.",
           "agreed_actions": [{"action": "Share plans in the weekly sync"}],
           "note_to_hr": "HR-ONLY private note"}


def start_360(app, subject: str = "sam@acme.test") -> int:
    """A 360 for ``subject`` started by HR, in ``nominate``."""
    return commands.start(library(app), "feedback-360", subject, "hana@acme.test").instance_id


def to_collect(app, subject: str = "sam@acme.test", manager: str = "bob@acme.test") -> int:
    """A 360 with reviewers nominated and approved: in ``collect``."""
    iid = start_360(app, subject)
    commands.submit(open_task(iid, subject).id, subject, {"peers": PEERS})
    commands.submit(open_task(iid, manager).id, manager, {"comments": "Good list"},
                    trigger="approve")
    return iid


def peers_answer(iid: int, peers=PEERS) -> None:
    for email in peers:
        commands.submit(open_task(iid, email).id, email, peer_feedback(email))


def to_debrief(app) -> int:
    """All reviewers answered and Sam assessed himself: in ``debrief``."""
    iid = to_collect(app)
    peers_answer(iid)
    commands.submit(open_task(iid, "sam@acme.test").id, "sam@acme.test", SELF_ASSESSMENT)
    return iid


PIP_PLAN = {"concerns": "Missed the agreed deadlines on three releases this quarter.",
            "expectations": "Deliver agreed work on time, or flag risks early.",
            "objectives": [{"objective": "Ship the billing fix", "measure": "Released"}],
            "support": "Weekly pairing with a senior engineer.",
            "start_date": "2026-12-01", "duration_days": 60}


def pip_active(app, subject: str = "sam@acme.test") -> int:
    """A PIP drafted by Bob, approved by HR and acknowledged: ``active``."""
    iid = commands.start(library(app), "pip", subject, "hana@acme.test").instance_id
    commands.submit(open_task(iid, "bob@acme.test").id, "bob@acme.test", PIP_PLAN)
    commands.submit(open_task(iid, "hana@acme.test").id, "hana@acme.test", {},
                    trigger="approve")
    commands.submit(open_task(iid, subject).id, subject, {"acknowledged": True})
    return iid


def pip_decision(app, subject: str = "sam@acme.test") -> int:
    """A PIP 30 days on, reviewed with a recommendation to close: ``decision``."""
    from datetime import timedelta

    from engine import timers
    from web.helpers import utcnow

    iid = pip_active(app, subject)
    later = utcnow() + timedelta(days=31)
    timers.tick(later)
    commands.submit(open_task(iid, "bob@acme.test", "pip-review").id, "bob@acme.test",
                    {"objectives_met": "all", "recommendation": "successful",
                     "assessment": "Every objective met, on time and well."}, now=later)
    return iid
