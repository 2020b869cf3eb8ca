"""Escalation: the target of an overdue task is told and may nudge its holder or reassign
it; only where the line says ``escalate_may_answer: true`` may they answer instead, from
an empty form (never the assignee's draft), and the answer is recorded and shown as
written by them for the assignee, who can read it."""

from datetime import timedelta

import pytest

from engine import commands, queries, timers, visibility
from engine.definitions.library import load_library
from engine.errors import NotAllowed
from engine.store import Outbox, Submission, Task

from .conftest import DEFINITIONS, T0, events, snapshot, task_of, without_events

DAY = timedelta(days=1)
DRAFT = {"rating": 5, "summary": "only for me so far"}


@pytest.fixture(scope="module")
def esc_library():
    return load_library([DEFINITIONS / "sod" / "workflows", DEFINITIONS / "workflows",
                         DEFINITIONS / "forms"])


def _overdue(library, workflow: str) -> Task:
    commands.launch(library, workflow, "c", where=[("email", "bob@x.com")], now=T0)
    task = task_of("bob@x.com", "self-review")
    commands.save_draft(task.id, "bob@x.com", DRAFT, now=T0)
    assert timers.tick(T0 + 7 * DAY).escalations == 1
    assert Task.get_by_id(task.id).escalated_to.email == "mia@x.com"
    return task


def test_the_escalation_target_is_told_and_may_nudge_or_reassign_but_not_answer(
        org, esc_library):
    task = _overdue(esc_library, "review")
    assert [o.recipient for o in Outbox.select().where(Outbox.kind == "escalation")] == [
        "mia@x.com"]
    assert queries.task_draft(task.id, "mia@x.com") is None
    assert queries.task_draft(task.id, "bob@x.com") == DRAFT
    before = without_events(snapshot())
    with pytest.raises(NotAllowed, match="may nudge or reassign it but not answer it"):
        commands.submit(task.id, "mia@x.com", {"rating": 1, "summary": "mine now"},
                        now=T0 + 8 * DAY)
    with pytest.raises(NotAllowed, match="may nudge or reassign it but not answer it"):
        commands.save_draft(task.id, "mia@x.com", {"rating": 1}, now=T0 + 8 * DAY)
    assert without_events(snapshot()) == before
    assert [e.actor for e in events(task.instance_id, "refused")] == ["mia@x.com"] * 2
    assert Task.get_by_id(task.id).draft == DRAFT
    nudged = commands.nudge(task.id, "mia@x.com", "please finish", now=T0 + 8 * DAY)
    assert nudged.recipient == "bob@x.com"
    commands.reassign(task.id, "cat@x.com", "mia@x.com", reason="Bob is away",
                      now=T0 + 8 * DAY)
    assert Task.get_by_id(task.id).assignee.email == "cat@x.com"
    assert queries.task_draft(task.id, "cat@x.com") is None  # Bob's draft went with him
    assert events(task.instance_id, "reassigned")[-1].actor == "mia@x.com"


def test_the_escalation_target_may_not_take_the_task_themselves(org, esc_library):
    task = _overdue(esc_library, "review")
    with pytest.raises(NotAllowed, match="may not take task"):
        commands.reassign(task.id, "mia@x.com", "mia@x.com", now=T0 + 8 * DAY)


def test_where_allowed_the_target_answers_for_the_assignee_and_the_assignee_reads_it(
        org, esc_library):
    task = _overdue(esc_library, "escalated")
    assert queries.task_draft(task.id, "mia@x.com") is None  # an empty form, not Bob's
    with pytest.raises(NotAllowed, match="draft"):
        commands.save_draft(task.id, "mia@x.com", {"rating": 2}, now=T0 + 8 * DAY)
    commands.submit(task.id, "mia@x.com", {"rating": 2, "summary": "written by Mia"},
                    now=T0 + 8 * DAY)
    sub = Submission.get(Submission.task == task.id)
    assert sub.author.email == "mia@x.com"
    detail = queries.instance_detail(task.instance_id, now=T0 + 8 * DAY)
    (item,) = [t for t in detail.tasks if t.id == task.id]
    assert (item.assignee_email, item.submitted_by) == ("bob@x.com", "mia@x.com")
    (stored,) = detail.submissions
    assert (stored.author_email, stored.written_for) == ("mia@x.com", "bob@x.com")
    assert visibility.can_read_submission("bob@x.com", stored, detail)
    views, _ = visibility.visible_submissions("bob@x.com", detail)
    assert [v.data["summary"] for v in views] == ["written by Mia"]
    assert events(task.instance_id, "submitted")[-1].detail["written_for"] == "bob@x.com"
