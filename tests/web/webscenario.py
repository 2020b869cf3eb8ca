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
