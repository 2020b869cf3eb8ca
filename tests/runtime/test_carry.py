"""Work that carries forward: ``prefill`` from this instance, the previous instance of the
same workflow (``previous``) and another workflow's instances (``instances(workflow)``)."""

import json

import pytest

from engine import commands
from engine.definitions.library import check_library
from engine.store import Instance, Task

from .conftest import T0, copy_library, library_at, task_of

ITEMS = json.dumps({"schema": {"type": "object", "properties": {
    "items": {"type": "array", "items": {"type": "object", "required": ["text"],
              "properties": {"text": {"type": "string"}, "done": {"type": "boolean"}}}}}}})

ONE_ON_ONE = """\
workflow: talk
version: 1
roles:
  employee: subject
  manager: subject.manager
initial: notes
states:
  notes:
    tasks:
      - form: actions
        assignee: manager
        prefill:
          items: "previous.forms.actions['items'] | rejectattr('done', 'true') | list"
  done:
    final: true
transitions:
  - trigger: noted
    source: notes
    dest: done
    auto: true
"""

YEAR = """\
workflow: year
version: 1
roles:
  employee: subject
initial: recap
states:
  recap:
    tasks:
      - form: recap
        assignee: employee
        prefill:
          items: >-
            instances('talk') | map(attribute='forms') | map(attribute='actions')
            | map(attribute='items') | sum(start=[]) | list
  done:
    final: true
transitions:
  - trigger: recapped
    source: recap
    dest: done
    auto: true
"""


def _library(tmp_path):
    root = copy_library(tmp_path)
    (root / "forms" / "actions.json").write_text(ITEMS)
    (root / "forms" / "recap.json").write_text(ITEMS)
    (root / "workflows" / "talk.yaml").write_text(ONE_ON_ONE)
    (root / "workflows" / "year.yaml").write_text(YEAR)
    return root


def _talk(library, cycle, items):
    commands.launch(library, "talk", cycle, where=[("email", "ann@x.com")], now=T0)
    task = task_of("mia@x.com", "actions")
    draft = task.draft
    commands.submit(task.id, "mia@x.com", {"items": items}, now=T0)
    return draft


def test_the_next_one_lists_the_open_items_of_the_last_and_a_recap_gathers_them(org, tmp_path):
    library = library_at(_library(tmp_path))
    first = _talk(library, "w1", [{"text": "Book training", "done": False},
                                  {"text": "Fix laptop", "done": True}])
    assert first is None  # no earlier 1:1
    second = _talk(library, "w2", [{"text": "Book training", "done": True},
                                   {"text": "Plan Q3"}])
    assert second == {"items": [{"text": "Book training", "done": False}]}
    third = _talk(library, "w3", [])
    assert third == {"items": [{"text": "Plan Q3"}]}  # cancelled ones are never previous
    commands.launch(library, "year", "2026", where=[("email", "ann@x.com")], now=T0)
    recap = Task.get(Task.form_id == "recap")
    assert [i["text"] for i in recap.draft["items"]] == [
        "Book training", "Fix laptop", "Book training", "Plan Q3"]
    assert Instance.select().count() == 4


def test_a_prefill_naming_no_field_is_reported_at_its_key(tmp_path):
    root = _library(tmp_path)
    text = ONE_ON_ONE.replace("          items: ", "          itmes: ")
    (root / "workflows" / "talk.yaml").write_text(text)
    _library_, problems = check_library([root / "workflows", root / "forms"])
    assert [str(p).split("talk.yaml:")[1] for p in problems] == [
        "13:11: states.notes.tasks[0].prefill.itmes: form 'actions' has no field 'itmes' "
        "(did you mean 'items'?)"]


PLAN = json.dumps({"schema": {"type": "object", "required": ["goal", "target"], "properties": {
    "goal": {"type": "string"}, "target": {"type": "number", "exclusiveMinimum": 0}}}})
CHANGE = json.dumps({"schema": {"type": "object", "properties": {
    "target": {"type": "number"}, "why": {"type": "string"}}}})
GOALS = """\
workflow: goals
version: 1
roles:
  employee: subject
  manager: subject.manager
initial: plan
states:
  plan:
    tasks:
      - form: plan
        assignee: employee
  change:
    tasks:
      - form: change
        assignee: employee
  review:
    tasks: []
  done:
    final: true
transitions:
  - trigger: planned
    source: plan
    dest: change
    auto: true
  - trigger: proposed
    source: change
    dest: review
    auto: true
  - trigger: approve
    source: review
    dest: done
    allowed: [manager]
    revise:
      plan: change
  - trigger: decline
    source: review
    dest: done
    allowed: [manager]
"""


def _goals(org, tmp_path, target):
    root = copy_library(tmp_path)
    (root / "forms" / "plan.json").write_text(PLAN)
    (root / "forms" / "change.json").write_text(CHANGE)
    (root / "workflows" / "goals.yaml").write_text(GOALS)
    library = library_at(root)
    commands.launch(library, "goals", "q", where=[("email", "ann@x.com")], now=T0)
    iid = Instance.get().id
    commands.submit(task_of("ann@x.com", "plan").id, "ann@x.com",
                    {"goal": "Grow", "target": 10}, now=T0)
    commands.submit(task_of("ann@x.com", "change").id, "ann@x.com",
                    {"target": target, "why": "faster"}, now=T0)
    return iid


def test_an_approved_change_is_a_new_revision_and_an_invalid_one_changes_nothing(org,
                                                                                tmp_path):
    from engine.errors import SubmissionInvalid
    from engine.lifecycle import load_forms
    from engine.store import Submission

    iid = _goals(org, tmp_path, 0)
    with pytest.raises(SubmissionInvalid) as invalid:
        commands.fire(iid, "approve", "mia@x.com", now=T0)
    assert list(invalid.value.errors) == ["target"]
    assert Instance.get_by_id(iid).state == "review"
    assert Submission.select().where(Submission.form_id == "plan").count() == 1
    commands.fire(iid, "decline", "mia@x.com", now=T0)
    spec = library_at(tmp_path / "library").workflow("goals")
    assert load_forms(spec, iid)["plan"] == {"goal": "Grow", "target": 10}


def test_approving_the_change_revises_the_plan(org, tmp_path):
    from engine.lifecycle import load_forms
    from engine.store import Event, Submission

    iid = _goals(org, tmp_path, 15)
    commands.fire(iid, "approve", "mia@x.com", now=T0)
    spec = library_at(tmp_path / "library").workflow("goals")
    assert load_forms(spec, iid)["plan"] == {"goal": "Grow", "target": 15}
    rows = list(Submission.select().where(Submission.form_id == "plan").order_by(Submission.id))
    assert rows[1].revision_of_id == rows[0].id and rows[0].data["target"] == 10
    revised = Event.get(Event.kind == "revised")
    assert (revised.actor, revised.detail["fields"]) == ("mia@x.com", ["target"])


def test_a_revise_naming_an_unknown_form_is_reported(tmp_path):
    root = copy_library(tmp_path)
    (root / "forms" / "plan.json").write_text(PLAN)
    (root / "forms" / "change.json").write_text(CHANGE)
    (root / "workflows" / "goals.yaml").write_text(GOALS.replace("plan: change", "plan: chnge"))
    _library_, problems = check_library([root / "workflows", root / "forms"])
    assert [str(p).split("goals.yaml:")[1] for p in problems] == [
        "34:13: transitions[2].revise.plan: unknown form 'chnge' (did you mean 'change'?)"]
