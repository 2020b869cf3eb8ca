"""A change proposed to a running instance (``parent:`` and ``revise: {parent.FORM: ...}``):
started from the running instance only, linked to it, approved into a new revision of its
answer while it stays where it is, refused clearly when it cannot be made."""

import json
from datetime import timedelta

import pytest

from engine import commands, scores, timers
from engine.errors import Conflict, NotFound, SubmissionInvalid
from engine.store import Event, Instance, Submission, Task

from .conftest import T0, copy_library, library_at, snapshot, task_of

PLAN = json.dumps({"schema": {"type": "object", "required": ["goal", "target"], "properties": {
    "goal": {"type": "string"}, "target": {"type": "integer", "minimum": 1}}}})
CHANGE = json.dumps({"schema": {"type": "object", "required": ["target"], "properties": {
    "target": {"type": "integer"}, "why": {"type": "string"}}}})
CHECKIN = json.dumps({"schema": {"type": "object", "properties": {
    "target": {"type": "integer"}, "note": {"type": "string"}}}})

QUARTER = """\
workflow: quarter
version: 1
roles:
  employee: subject
  manager: subject.manager
scores:
  achievement:
    parts:
      - value: "forms['plan'].target"
initial: plan
states:
  plan:
    tasks:
      - form: plan
        assignee: employee
  running:
    tasks: []
  checkin:
    tasks:
      - form: checkin
        assignee: employee
        prefill:
          target: "forms['plan'].target"
  done:
    final: true
transitions:
  - trigger: planned
    source: plan
    dest: running
    auto: true
  - trigger: midway
    source: running
    dest: checkin
    after: 1w
  - trigger: checked
    source: checkin
    dest: done
    auto: true
"""

RETARGET = """\
workflow: retarget
version: 1
started_by: [employee]
parent:
  workflow: quarter
  after: running
roles:
  employee: subject
  manager: subject.manager
initial: propose
states:
  propose:
    tasks:
      - form: change
        assignee: employee
        prefill:
          target: "parent.forms['plan'].target"
  review:
    tasks: []
  approved:
    final: true
  declined:
    final: true
transitions:
  - trigger: proposed
    source: propose
    dest: review
    auto: true
  - trigger: approve
    source: review
    dest: approved
    allowed: [manager]
    revise:
      parent.plan: change
  - trigger: decline
    source: review
    dest: declined
    allowed: [manager]
"""


@pytest.fixture
def lib(org, tmp_path):
    root = copy_library(tmp_path)
    for name, text in (("plan", PLAN), ("change", CHANGE), ("checkin", CHECKIN)):
        (root / "forms" / f"{name}.json").write_text(text)
    (root / "workflows" / "quarter.yaml").write_text(QUARTER)
    (root / "workflows" / "retarget.yaml").write_text(RETARGET)
    return library_at(root)


def _quarter(lib) -> int:
    """Ann's quarter, its plan (target 10) submitted: now ``running``."""
    commands.launch(lib, "quarter", "q1", where=[("email", "ann@x.com")], now=T0)
    quarter = Instance.get(Instance.workflow_id == "quarter").id
    commands.submit(task_of("ann@x.com", "plan").id, "ann@x.com",
                    {"goal": "Grow", "target": 10}, now=T0)
    return quarter


def _propose(lib, target: int, now=T0) -> int:
    """Ann proposes ``target`` from her running quarter; the proposal's id."""
    started = commands.start(lib, "retarget", "ann@x.com", "ann@x.com", now=now)
    commands.submit(task_of("ann@x.com", "change").id, "ann@x.com",
                    {"target": target, "why": "re-org"}, now=now)
    return started.instance_id


def _plan(quarter: int) -> dict:
    from engine.lifecycle import load_forms
    from engine.versions import version_for

    row = Instance.get_by_id(quarter)
    return load_forms(version_for(row.definition_id).spec, quarter)["plan"]


def _kinds(instance_id: int) -> list[str]:
    return [e.kind for e in Event.select().where(Event.instance == instance_id)
            .order_by(Event.id)]


def test_a_proposal_starts_only_from_a_running_instance_past_its_after_state(lib):
    with pytest.raises(Conflict, match="ann@x.com has no running 'quarter' for 'retarget'"):
        commands.start(lib, "retarget", "ann@x.com", "ann@x.com", now=T0)
    commands.launch(lib, "quarter", "q1", where=[("email", "ann@x.com")], now=T0)
    with pytest.raises(Conflict, match="has not reached 'running' yet"):
        commands.start(lib, "retarget", "ann@x.com", "ann@x.com", now=T0)
    with pytest.raises(NotFound, match="no 'quarter' instance 999"):
        commands.start(lib, "retarget", "ann@x.com", "ann@x.com", now=T0, parent=999)
    assert Instance.select().where(Instance.workflow_id == "retarget").count() == 0


def test_the_proposal_is_linked_and_starts_from_the_current_plan(lib):
    quarter = _quarter(lib)
    started = commands.start(lib, "retarget", "ann@x.com", "ann@x.com", now=T0)
    assert Instance.get_by_id(started.instance_id).parent_id == quarter
    assert task_of("ann@x.com", "change").draft == {"target": 10}
    told = Event.get((Event.instance == quarter) & (Event.kind == "started"))
    assert (told.actor, told.detail) == ("ann@x.com", {"child": started.instance_id,
                                                      "workflow": "retarget"})


def test_a_stored_proposal_version_rebuilds_on_its_own(lib):
    """A fresh process rebuilds a version from its stored sources alone: the parent is
    known there by name (its instances run on versions of their own)."""
    from engine import versions

    _quarter(lib)
    started = commands.start(lib, "retarget", "ann@x.com", "ann@x.com", now=T0)
    versions.clear_cache()
    definition = Instance.get_by_id(started.instance_id).definition_id
    assert versions.version_for(definition).spec.parent.workflow == "quarter"


def test_an_approved_proposal_revises_the_parent_which_stays_where_it_is(lib):
    quarter = _quarter(lib)
    proposal = _propose(lib, 15)
    commands.fire(proposal, "approve", "mia@x.com", now=T0 + timedelta(hours=1))
    assert _plan(quarter) == {"goal": "Grow", "target": 15}
    assert Instance.get_by_id(quarter).state == "running"  # the quarter goes on
    assert scores.of_instance(quarter)["achievement"].value == 15
    rows = list(Submission.select().where(Submission.form_id == "plan").order_by(Submission.id))
    assert rows[1].revision_of_id == rows[0].id and rows[0].data["target"] == 10
    revised = Event.get((Event.instance == quarter) & (Event.kind == "revised"))
    assert revised.actor == "mia@x.com"
    assert revised.detail["fields"] == ["target"] and revised.detail["child"] == proposal
    assert _kinds(quarter)[-3:] == ["started", "revised", "follow-up-finished"]
    ended = Event.get((Event.instance == quarter) & (Event.kind == "follow-up-finished"))
    assert (ended.trigger, ended.detail["state"]) == ("approve", "approved")
    mine = Event.get((Event.instance == proposal) & (Event.kind == "revised"))
    assert mine.detail == {"form": "plan", "source": "change", "fields": ["target"],
                           "parent": quarter}
    timers.tick(T0 + timedelta(weeks=2))  # the check-in starts from the revision
    assert task_of("ann@x.com", "checkin").draft == {"target": 15}


def test_a_declined_proposal_changes_nothing(lib):
    quarter = _quarter(lib)
    proposal = _propose(lib, 15)
    commands.fire(proposal, "decline", "mia@x.com", now=T0)
    assert _plan(quarter) == {"goal": "Grow", "target": 10}
    assert Submission.select().where(Submission.form_id == "plan").count() == 1
    ended = Event.get((Event.instance == quarter) & (Event.kind == "follow-up-finished"))
    assert (ended.trigger, ended.detail["state"]) == ("decline", "declined")


def test_a_change_the_plan_form_refuses_is_refused_with_its_field_and_changes_nothing(lib):
    _quarter(lib)
    proposal = _propose(lib, 0)  # the plan wants a target of at least 1
    before = snapshot()
    with pytest.raises(SubmissionInvalid) as invalid:
        commands.fire(proposal, "approve", "mia@x.com", now=T0)
    assert list(invalid.value.errors) == ["target"]
    assert snapshot() == before


def test_a_parent_that_finished_meanwhile_refuses_the_approval(lib):
    quarter = _quarter(lib)
    proposal = _propose(lib, 15)
    commands.cancel(quarter, "hal@x.com", "left the team", now=T0)
    before = snapshot()
    with pytest.raises(Conflict, match=f"Process #{quarter} \\(quarter\\) has ended: its 'plan' "
                       "can no longer be changed; decline the proposal instead"):
        commands.fire(proposal, "approve", "mia@x.com", now=T0)
    assert snapshot() == before
    assert Instance.get_by_id(proposal).state == "review"


def test_an_open_task_follows_the_revision_where_its_person_left_the_prefill_alone(lib):
    quarter = _quarter(lib)
    timers.tick(T0 + timedelta(weeks=2))
    assert task_of("ann@x.com", "checkin").draft == {"target": 10}
    proposal = _propose(lib, 15, now=T0 + timedelta(weeks=2))
    commands.fire(proposal, "approve", "mia@x.com", now=T0 + timedelta(weeks=2))
    assert Instance.get_by_id(quarter).state == "checkin"
    assert task_of("ann@x.com", "checkin").draft == {"target": 15}
    # a field the person changed themselves stays theirs
    commands.save_draft(task_of("ann@x.com", "checkin").id, "ann@x.com",
                        {"target": 12, "note": "mine"}, now=T0 + timedelta(weeks=2))
    second = _propose(lib, 20, now=T0 + timedelta(weeks=2))
    commands.fire(second, "approve", "mia@x.com", now=T0 + timedelta(weeks=2))
    assert _plan(quarter)["target"] == 20
    assert task_of("ann@x.com", "checkin").draft == {"target": 12, "note": "mine"}
    assert Task.select().where(Task.form_id == "checkin").count() == 1
