"""The shipped library itself: it loads cleanly and keeps the habits docs/library.md
promises (deadlines on every task, titled fields, decisions that never hide Submit).

These read definitions only; no database.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.definitions.library import check_library
from engine.diagram import diagram_source

FORMS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "forms").glob("*.json"))
SHIPPED = {"annual-review", "feedback-360", "feedback-360-circle", "pip", "quarterly-goals",
           "objectives-review", "probation-review", "continuous-feedback", "one-on-one",
           "balanced-scorecard", "goal-change"}


def workflows(library):
    return [library.workflows[w] for w in sorted(library.workflows)]


def test_the_shipped_library_loads_without_a_single_problem(project_root):
    library, problems = check_library([project_root / "workflows", project_root / "forms"])
    assert problems == []
    assert set(library.workflows) == SHIPPED


def test_every_form_is_used_by_a_workflow(library):
    used = set().union(*(spec.forms_used() for spec in library.workflows.values()))
    assert sorted(set(library.forms) - used) == []


@pytest.mark.parametrize("workflow_id", sorted(SHIPPED))
def test_workflow_says_what_it_is_and_every_task_has_a_deadline(library, workflow_id):
    spec = library.workflow(workflow_id)
    assert spec.title and spec.description and len(spec.description) > 80
    for state in spec.states.values():
        assert state.title, f"state {state.name} has no title"
        for line in state.tasks:
            where = f"{workflow_id}: {state.name}: {line.form}"
            assert line.title, f"{where}: no task title"
            assert line.due is not None, f"{where}: no due"
            if line.due_from is None:  # counted from a date: any reminder may come first
                assert all(r.shorter_than(line.due) for r in line.remind), \
                    f"{where}: reminder after due"


@pytest.mark.parametrize("workflow_id", sorted(SHIPPED))
def test_decisions_never_replace_a_submit_that_moves_the_state_on(library, workflow_id):
    """A manual trigger its assignee may fire turns a task's Submit into trigger buttons;
    so a state where that happens must not also rely on Submit (an auto transition)."""
    spec = library.workflow(workflow_id)
    for state in spec.states.values():
        out = spec.transitions_from(state.name)
        manual_roles = {r for t in out if t.manual for r in (t.allowed or ("hr",))}
        holders = {line.role for line in state.tasks} & manual_roles
        if holders:
            auto = [t.trigger for t in out if t.auto]
            assert auto == [], f"{state.name}: {sorted(holders)} get buttons, but {auto} is auto"


@pytest.mark.parametrize("workflow_id", sorted(SHIPPED))
def test_sending_back_always_asks_why(library, workflow_id):
    for t in library.workflow(workflow_id).transitions:
        if t.trigger.startswith("send_back"):
            assert t.form == "send-back-reason"


@pytest.mark.parametrize("workflow_id", sorted(SHIPPED))
def test_approvals_can_be_pressed_without_filling_anything_in(library, workflow_id):
    """Approve/send back submit the task's form too: approval forms require nothing."""
    spec = library.workflow(workflow_id)
    for state in spec.states.values():
        triggers = {t.trigger for t in spec.transitions_from(state.name) if t.manual}
        if {"approve", "send_back"} <= triggers:
            for line in state.tasks:
                assert library.form(line.form).schema.get("required", []) == []


def _fields(schema: dict, path: str = ""):
    """(path, property schema) of every property, nested objects and array items included."""
    for name, prop in schema.get("properties", {}).items():
        yield f"{path}{name}", prop
        items = prop.get("items") if prop.get("type") == "array" else None
        if isinstance(items, dict) and items.get("type") == "object":
            yield from _fields(items, f"{path}{name}[].")
        elif prop.get("type") == "object":
            yield from _fields(prop, f"{path}{name}.")


def _ui(ui_schema: dict, path: str) -> dict:
    node = ui_schema
    for part in path.split("."):
        node = node.get(part.removesuffix("[]"), {})
        if part.endswith("[]"):
            node = node.get("items", {})
    return node


@pytest.mark.parametrize("form_id", FORMS)
def test_form_fields_are_titled_and_long_answers_get_a_text_area(library, form_id):
    form = library.form(form_id)
    assert form.schema.get("title"), "the form has no title"
    for path, prop in _fields(form.schema):
        assert prop.get("title"), f"{path}: no title"
        if prop.get("type") == "string" and prop.get("maxLength", 0) >= 1000:
            assert _ui(form.ui_schema, path).get("ui:widget") == "textarea", path
        if prop.get("type") == "string" and "maxLength" not in prop:
            assert "format" in prop or "oneOf" in prop or "pattern" in prop, \
                f"{path}: free text without maxLength"


@pytest.mark.parametrize("workflow_id", sorted(SHIPPED))
def test_every_workflow_draws_every_state(library, workflow_id):
    spec = library.workflow(workflow_id)
    text = diagram_source(spec, "dot")
    for state in spec.states.values():
        assert (state.title or state.name) in text


def test_docs_describe_every_shipped_workflow(project_root):
    text = (project_root / "docs" / "library.md").read_text()
    headings = set(re.findall(r"^## ([a-z0-9-]+):", text, flags=re.M))
    assert headings == SHIPPED
