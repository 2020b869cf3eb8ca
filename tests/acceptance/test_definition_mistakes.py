"""Mistakes an HR designer makes in definitions: each is reported as
``file:line:col: path: message (hint)`` pointing at the right place, and a library with a
problem is never used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.definitions.library import check_library
from web.cli import main

from .conftest import copy_library


@pytest.fixture
def lib(tmp_path, monkeypatch):
    """A writable copy of the acceptance library; the working directory is its parent."""
    monkeypatch.chdir(tmp_path)
    return copy_library(tmp_path)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


def position(path: Path, needle: str, offset: int = 0) -> tuple[int, int]:
    """1-based (line, column) of ``needle`` (the only line holding it) plus ``offset``."""
    [(line, col)] = [(i + 1, row.index(needle) + 1 + offset)
                     for i, row in enumerate(path.read_text().splitlines()) if needle in row]
    return line, col


def problems(*args) -> list[dict]:
    result = CliRunner().invoke(main, ["validate", "--json", *map(str, args)])
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


def validate_text(*args) -> list[str]:
    result = CliRunner().invoke(main, ["validate", *map(str, args)])
    assert result.exit_code == 1, result.output
    return result.stdout.splitlines()


def test_the_acceptance_library_is_valid(lib):
    result = CliRunner().invoke(main, ["validate", "library"])
    assert (result.exit_code, result.stdout.strip()) == (0, "ok: 4 workflows, 12 forms")


def test_typos_in_a_workflow_point_at_the_value_with_a_hint(lib):
    wf = lib / "workflows" / "promotion.yaml"
    edit(wf, "    dest: endorse\n", "    dest: endorsee\n")
    edit(wf, "        assignee: skip\n", "        assignee: skp\n")
    edit(wf, "        due: 10d\n", "        due: 10 days\n")
    edit(wf, "'score') >= 3.5", "'score') >= 3.5 and cont('promo-vote') > 1")
    edit(wf, "title: Promotion nomination", "titel: Promotion nomination")
    lines = validate_text("library")
    rel = "library/workflows/promotion.yaml"
    line, col = position(wf, "endorsee")
    assert (f"{rel}:{line}:{col}: transitions[0].dest: unknown state 'endorsee' "
            "(did you mean 'endorse'?)") in lines
    line, col = position(wf, "skp")
    assert (f"{rel}:{line}:{col}: states.endorse.tasks[0].assignee: unknown role 'skp' "
            "(did you mean 'skip'?)") in lines
    line, col = position(wf, "10 days")
    assert any(x.startswith(f"{rel}:{line}:{col}: states.nominate.tasks[0].due: bad duration")
               for x in lines)
    line, col = position(wf, "titel")
    assert (f"{rel}:{line}:{col}: titel: unknown key 'titel' (did you mean 'title'?)") in lines
    expr = [p for p in problems("library") if "cont" in p["message"]]
    assert [(p["path"], p["hint"]) for p in expr] == [
        ("transitions[3].conditions[0]", "did you mean 'count'?")]


def test_a_tab_in_yaml_and_a_trailing_comma_in_json(lib):
    wf = lib / "workflows" / "team-pulse.yaml"
    edit(wf, "    title: Team answers", "\ttitle: Team answers")
    form = lib / "forms" / "pulse-reflection.json"
    edit(form, '"minLength": 3}}', '"minLength": 3},}')
    found = {p["file"]: p for p in problems("library")}
    tab = found["library/workflows/team-pulse.yaml"]
    assert (tab["line"], tab["column"]) == (position(wf, "\t")[0], 1)
    assert "tab" in tab["message"]
    comma = found["library/forms/pulse-reflection.json"]
    assert comma["line"] == position(form, ",}")[0]
    assert "not valid JSON" in comma["message"] and "comma" in comma["message"]
    assert len(found) == 2  # the other files are fine and nothing else is reported


def test_duplicate_keys_and_near_miss_ui_keys_in_a_form(lib):
    form = lib / "forms" / "pulse-answer.json"
    edit(form, '"mood": {"ui:widget": "radio"}', '"mod": {"ui:widget": "radio"}')
    edit(form, '"required": ["clarity", "support"],',
         '"required": ["clarity", "support"], "required": [],')
    found = problems(form)
    messages = {p["path"]: (p["message"], p["hint"]) for p in found}
    assert messages["uiSchema.mod"] == ("uiSchema key 'mod' names no property of the schema",
                                        "did you mean 'mood'?")
    assert messages["schema.required"][0].startswith("duplicate key 'required'")


def test_a_ref_that_leads_nowhere_is_reported_not_crashing_submissions(lib):
    """BUG fixed: an unresolvable $ref passed validation, then every submission crashed."""
    form = lib / "forms" / "promo-nomination.json"
    edit(form, '"items": {"$ref": "#/$defs/evidence"}', '"items": {"$ref": "#/$defs/evidense"}')
    [problem] = problems(form)
    line, col = position(form, '"#/$defs/evidense"')
    assert problem == {"file": "library/forms/promo-nomination.json", "line": line,
                       "column": col, "path": "schema.properties.ratings.items.$ref",
                       "message": "$ref '#/$defs/evidense' leads nowhere",
                       "hint": "did you mean 'evidence'?"}
    library, found = check_library([lib])
    assert library is None and len(found) == 1


def test_refs_that_resolve_are_not_reported(lib):
    form = lib / "forms" / "talent-assessment.json"
    # a ref to a nested $id, a JSON pointer with an escaped key, and "$ref" as enum data
    edit(form, '"notes": {"type": "string", "title": "Private notes"}',
         '"notes": {"type": "string", "title": "Private notes"},'
         ' "a": {"$id": "http://x.test/a", "definitions": {"b": {"type": "string"}},'
         ' "properties": {"c": {"$ref": "#/definitions/b"}}},'
         ' "d": {"$ref": "#/definitions/move/properties/when"},'
         ' "e": {"enum": [{"$ref": "nowhere"}]}, "f": {"$ref": "http://x.test/a"}')
    assert check_library([lib])[1] == []


def test_semantic_mistakes_in_roles_durations_and_graph(lib):
    wf = lib / "workflows" / "new-role-checkin.yaml"
    edit(wf, "person:coach@acme.test", "person:coach@@acme.test")
    edit(wf, "repeat: 7d", "repeat: 0d")
    edit(wf, "due: 14d", "due: 14d\n        remind: 20d")
    promo = lib / "workflows" / "promotion.yaml"
    edit(promo, "show: promo-nomination", "show: [promo-nomination, promo-vote]")
    edit(promo, "start: new-role-checkin", "start: new-role-chekin")
    edit(promo, "unless: \"subject.department == 'Frozen'\"", 'unless: "subject.__class__"')
    found = {(p["file"].rsplit("/", 1)[1], p["path"]): p for p in problems("library")}
    assert found[("new-role-checkin.yaml", "roles.coach")]["message"] == (
        "bad email in 'person:coach@@acme.test'")
    assert "longer than zero" in found[("new-role-checkin.yaml",
                                        "states.settling.tasks[0].repeat")]["message"]
    assert "not shorter than due" in found[("new-role-checkin.yaml",
                                            "states.settling.tasks[1].remind")]["message"]
    assert found[("promotion.yaml", "states.endorse.tasks[0].show[1]")]["message"] == (
        "form 'promo-vote' is not filled in before this state")
    assert found[("promotion.yaml", "transitions[3].start")]["hint"] == (
        "did you mean 'new-role-checkin'?")
    assert "'__class__' is not allowed" in found[("promotion.yaml",
                                                  "transitions[3].unless")]["message"]


def test_a_broken_library_launches_nothing(cli, tmp_path):
    broken = copy_library(tmp_path)
    edit(broken / "forms" / "promo-vote.json", '"title": "Note"}', '"title": "Note"},')
    cli.library = broken
    error = cli.error("launch", "promotion", "--cycle", "Broken")
    assert error["error"] == "DefinitionError"
    assert [p["file"].rsplit("/", 1)[1] for p in error["problems"]] == ["promo-vote.json"]
    assert cli.json("cycles") == [] and cli.json("tasks") == []


def test_an_absurd_duration_is_a_problem_not_a_crash(lib):
    """BUG fixed: '99999999w' validated, then every launch crashed (OverflowError); a
    longer number crashed validate itself."""
    wf = lib / "workflows" / "promotion.yaml"
    edit(wf, "due: 10d", "due: 99999999w")
    [problem] = problems("library")
    assert problem["path"] == "states.nominate.tasks[0].due"
    assert problem["message"] == "duration '99999999w' is longer than 520w (ten years)"
    edit(wf, "due: 99999999w", "due: 9999999999999999999999d")
    [problem] = problems("library")
    assert "longer than 520w" in problem["message"]


def test_the_longest_duration_launches(cli, tmp_path):
    lib = copy_library(tmp_path)
    edit(lib / "workflows" / "promotion.yaml", "due: 10d", "due: 520w")
    cli.library = lib
    assert cli.json("launch", "promotion", "--cycle", "Long", "--where",
                    "email=dev1@acme.test")["created"] == 1


def test_a_version_too_big_for_the_database_is_a_problem(lib):
    """BUG fixed: 'version: 99999999999' validated and ran on SQLite, but launching it on
    PostgreSQL crashed with 'integer out of range'."""
    edit(lib / "workflows" / "promotion.yaml", "version: 1", "version: 99999999999")
    [problem] = problems("library")
    assert (problem["path"], problem["line"], problem["message"]) == (
        "version", 2, "must be at most 2147483647, got 99999999999")


def test_an_unquoted_star_and_a_duration_without_unit_say_how_to_fix_them(lib):
    promo = lib / "workflows" / "promotion.yaml"
    edit(promo, 'source: "*"', "source: *")
    pulse = lib / "workflows" / "team-pulse.yaml"
    edit(pulse, "after: 10d", "after: 10")
    edit(pulse, "remind: 2d", "remind: [2]")
    found = {(p["file"].rsplit("/", 1)[1], p["path"]): p for p in problems("library")}
    star = found[("promotion.yaml", "")]
    assert (star["line"], star["column"]) == position(promo, "*")
    assert (star["message"], star["hint"]) == (
        "not valid YAML: a bare '*' (YAML reads it as an alias)", 'put it in quotes: "*"')
    assert found[("team-pulse.yaml", "transitions[2].after")]["hint"] == (
        "add a unit: 10d (m, h, d, w, mo or y)")
    assert found[("team-pulse.yaml", "states.survey.tasks[0].remind[0]")]["hint"] == (
        "add a unit: 2d (m, h, d, w, mo or y)")


def test_a_remote_ref_is_reported_since_nothing_fetches_it(lib):
    form = lib / "forms" / "promo-vote.json"
    edit(form, '"note": {"type": "string", "title": "Note"}',
         '"note": {"$ref": "https://example.com/schemas/note.json"}')
    [problem] = problems(form)
    assert problem["path"] == "schema.properties.note.$ref"
    assert problem["message"] == "$ref 'https://example.com/schemas/note.json' leads nowhere"
