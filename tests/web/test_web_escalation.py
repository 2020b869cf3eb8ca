"""Escalation on the web: the target of an overdue self review sees neither the employee's
draft nor a form to answer for them; they may remind the employee or hand the task on.
Where the definition lets them answer (``escalate_may_answer``), the answer is shown as
written by them for the employee, who can read it."""

from __future__ import annotations

from datetime import timedelta

from engine import commands, timers
from engine.directory import import_csv
from engine.store import Outbox, Submission, Task
from tests.web import webscenario as scenario
from tests.web.conftest import HERE, ORG, make_app, sign_in
from web.helpers import utcnow

SECRET = "SAM-DRAFT-ONLY-SAM-MAY-SEE"


def _overdue(app) -> Task:
    iid = commands.start(scenario.library(app), "annual-review", "sam@acme.test",
                         "hana@acme.test").instance_id
    task = scenario.open_task(iid, "sam@acme.test")
    commands.save_draft(task.id, "sam@acme.test", {"achievements": SECRET, "self_rating": 5})
    assert timers.tick(utcnow() + timedelta(days=15)).escalations >= 1
    return Task.get_by_id(task.id)


def test_the_escalation_target_sees_no_draft_and_may_nudge_or_reassign(app, as_user):
    with app.app_context():
        task = _overdue(app)
    bob = as_user("bob@acme.test")
    page = bob.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert SECRET not in page
    assert 'name="_draft"' not in page and "Remind" in page and "Reassign" in page
    refused = bob.post(f"/tasks/{task.id}", data={"achievements": "Bob wrote this",
                                                 "self_rating": "1"})
    assert refused.status_code == 403
    with app.app_context():
        assert Submission.select().count() == 0
        assert Task.get_by_id(task.id).draft["achievements"] == SECRET
    sent = bob.post(f"/tasks/{task.id}/nudge", data={"message": "Please finish it"})
    assert sent.status_code == 303
    with app.app_context():
        assert [o.recipient for o in Outbox.select().where(Outbox.kind == "nudge")] == [
            "sam@acme.test"]
    moved = bob.post(f"/instances/{task.instance_id}/tasks/{task.id}/reassign",
                     data={"to": "pat@acme.test", "reason": "Sam is away"})
    assert moved.status_code == 303
    with app.app_context():
        assert Task.get_by_id(task.id).assignee.email == "pat@acme.test"


ANSWERABLE = (HERE / "library" / "workflows" / "annual-review.yaml").read_text().replace(
    "        escalate: manager\n",
    "        escalate: manager\n        escalate_may_answer: true\n", 1)


def test_where_allowed_the_answer_is_written_by_the_target_for_the_assignee(tmp_path):
    files = {"workflows/annual-review.yaml": ANSWERABLE,
             "workflows/pip.yaml": (HERE / "library" / "workflows" / "pip.yaml").read_text()}
    for form in (HERE / "library" / "forms").iterdir():
        files[f"forms/{form.name}"] = form.read_text()
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    app = make_app(tmp_path / "esc.sqlite3",
                   LIBRARY_PATHS=[str(tmp_path / "workflows"), str(tmp_path / "forms")])
    with app.app_context():
        import_csv(ORG)
        iid = commands.start(scenario.library(app), "annual-review", "sam@acme.test",
                             "hana@acme.test").instance_id
        task = scenario.open_task(iid, "sam@acme.test")
        commands.save_draft(task.id, "sam@acme.test", {"achievements": SECRET,
                                                       "self_rating": 5})
        timers.tick(utcnow() + timedelta(days=15))
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    page = bob.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert SECRET not in page and 'name="achievements"' in page
    done = bob.post(f"/tasks/{task.id}", data={"achievements": "Written by Bob for Sam",
                                              "self_rating": "3"})
    assert done.status_code == 303, done.get_data(as_text=True)
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    shown = sam.get(f"/instances/{iid}").get_data(as_text=True)
    assert "Written by Bob for Sam" in shown
    assert "Bob Boss for Sam Subject" in shown
