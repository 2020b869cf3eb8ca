"""load_library on valid definitions: specs come out as the files say."""

from datetime import timedelta
from pathlib import Path

import pytest

from engine import load_library
from engine.definitions.library import check_library
from engine.errors import DefinitionError

VALID = Path(__file__).parent / "valid"


def test_v1_example_loads_into_specs():
    lib = load_library([VALID])
    spec = lib.workflow("feedback-360")
    assert spec.version == 1 and spec.initial == "nominate"
    assert spec.roles["skip_manager"].kind == "chain"
    assert spec.roles["skip_manager"].steps == ("manager", "manager")
    assert spec.roles["hr"].group == "hr"
    assert (spec.roles["peers"].form, spec.roles["peers"].field) == ("peer-nomination", "peers")
    task = spec.states["nominate"].tasks[0]
    assert task.due == timedelta(days=7)
    assert task.remind == (timedelta(days=3), timedelta(days=1))
    assert task.escalate == "manager"
    collect = spec.states["collect"].tasks
    assert collect[0].quorum == 3 and collect[0].anonymous is True
    debrief = spec.states["debrief"].tasks[0]
    assert [(r.role, r.after) for r in debrief.readers] == [("hr", None), ("employee", "shared")]
    assert debrief.private == ("note_to_hr",)
    assert spec.states["closed"].final is True
    deadline = [t for t in spec.transitions if t.trigger == "deadline"][0]
    assert deadline.after == timedelta(days=21) and deadline.manual is False
    assert deadline.conditions == ("count('peer-feedback') >= 2",)
    send_back = [t for t in spec.transitions if t.trigger == "send_back"][0]
    assert send_back.form == "send-back-reason" and send_back.manual
    assert list(spec.states) == ["nominate", "approve_nominations", "collect", "debrief",
                                 "shared", "closed"]
    assert lib.form("peer-feedback").ui_schema["rating"] == {"ui:widget": "radio"}
    assert lib.form("peer-feedback").title == "Peer feedback"


@pytest.mark.parametrize("paths", [
    [VALID],
    [VALID / "workflows", VALID / "forms"],
    [VALID / "workflows" / "feedback-360.yaml", VALID / "forms"],
])
def test_paths_may_be_folders_or_files(paths):
    lib = load_library(paths)
    assert set(lib.workflows) == {"feedback-360"}
    assert "peer-feedback" in lib.forms


def test_star_source_expands_to_every_non_final_state(tmp_path):
    (tmp_path / "workflows").mkdir()
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "note.json").write_text('{"schema": {"type": "object"}}')
    (tmp_path / "workflows" / "tiny.yaml").write_text(
        "workflow: tiny\nversion: 1\nroles: {hr: group:hr}\ninitial: a\n"
        "states:\n  a: {tasks: [{form: note, assignee: hr}]}\n  b: {}\n  done: {final: true}\n"
        "transitions:\n"
        "  - {trigger: go, source: a, dest: b, auto: true}\n"
        "  - {trigger: cancel, source: '*', dest: done, allowed: [hr]}\n")
    spec = load_library([tmp_path]).workflow("tiny")
    cancel = spec.transitions[1]
    assert cancel.sources == ("a", "b")
    assert spec.transitions_from("b") == (cancel,)


def test_missing_folder_is_a_problem(tmp_path):
    lib, problems = check_library([tmp_path / "nope"])
    assert lib is None
    assert problems[0].message == "no such file or folder"
    with pytest.raises(DefinitionError) as info:
        load_library([tmp_path / "nope"])
    assert info.value.problems == problems


def test_problems_of_all_files_come_together_in_file_order(tmp_path, monkeypatch):
    (tmp_path / "workflows").mkdir()
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "a.json").write_text('{"schema": {"type": "strng"}}')
    b_form = '{"schema": {"type": "object"}, "uiSchema": {"x": {}}}'
    (tmp_path / "forms" / "b.json").write_text(b_form)
    (tmp_path / "workflows" / "w.yaml").write_text("workflow: w\nversion: 0\n")
    monkeypatch.chdir(tmp_path)
    library, problems = check_library(["."])
    assert library is None
    assert [str(p) for p in problems] == [
        "forms/a.json:1:21: schema.type: unknown type 'strng' in draft-07 (did you mean 'string'?)",
        "forms/b.json:1:45: uiSchema.x: uiSchema key 'x' names no property of the schema",
        "workflows/w.yaml:1:1: missing required key 'initial'",
        "workflows/w.yaml:1:1: missing required key 'states'",
        "workflows/w.yaml:1:1: missing required key 'transitions'",
        "workflows/w.yaml:2:10: version: must be at least 1, got 0",
    ]


def test_specs_are_frozen_and_carry_no_callables():
    import dataclasses

    spec = load_library([VALID]).workflow("feedback-360")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.initial = "closed"
    with pytest.raises(TypeError):
        spec.states["x"] = None

    def walk(value):
        assert not callable(value) or isinstance(value, type), value
        if dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, tuple | list):
            for item in value:
                walk(item)
        elif hasattr(value, "values"):
            for item in value.values():
                walk(item)

    walk(spec)
