"""Work that carries forward: ``prefill`` from this instance, the previous instance of the
same workflow (``previous``) and another workflow's instances (``instances(workflow)``)."""

import json

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
