"""Texts written per language: ``title: {en: ..., da: ..., sv: ...}`` in workflows and forms.

A missing translation of a declared language is a warning with file:line:col; `--strict`
makes it an error; a wrong language tag is an error with the fix; each language gets a spec
of its own with plain strings.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from engine.definitions.library import check_library
from web.cli import main

WORKFLOW = textwrap.dedent("""\
    workflow: check-in
    version: 1
    languages: [en, da, sv]
    title:
      en: Check-in
      da: Opfølgningssamtale
      sv: Avstämning
    roles:
      employee: subject
    initial: talk
    states:
      talk:
        title: {en: Talk, da: Samtale}
        tasks:
          - form: notes
            assignee: employee
            title: {en: Write notes, da: Skriv noter, sv: Skriv anteckningar}
      done:
        title: Done
        final: true
    transitions:
      - trigger: finish
        title: {en: Finish, da: Afslut, sv: Avsluta}
        source: talk
        dest: done
        allowed: [employee]
    """)

FORM = {
    "languages": ["en", "da", "sv"],
    "schema": {
        "title": {"en": "Notes", "da": "Noter", "sv": "Anteckningar"},
        "type": "object",
        "required": ["mood"],
        "properties": {
            "mood": {
                "type": "string",
                "title": {"en": "Mood", "da": "Humør", "sv": "Humör"},
                "oneOf": [
                    {"const": "good", "title": {"en": "Good", "da": "God", "sv": "Bra"}},
                    {"const": "bad", "title": {"en": "Bad", "da": "Dårlig", "sv": "Dålig"}},
                ],
            },
            "title": {"type": "string", "title": {"en": "Heading", "da": "Overskrift",
                                                  "sv": "Rubrik"}},
        },
    },
    "uiSchema": {"mood": {"ui:help": {"en": "How was it?", "da": "Hvordan gik det?"}}},
}


@pytest.fixture(autouse=True)
def _here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # problems name files relative to the working directory


def library(tmp_path, workflow=WORKFLOW, form=None):
    (tmp_path / "workflows").mkdir(exist_ok=True)
    (tmp_path / "forms").mkdir(exist_ok=True)
    (tmp_path / "workflows" / "check-in.yaml").write_text(workflow)
    (tmp_path / "forms" / "notes.json").write_text(json.dumps(form or FORM, indent=2,
                                                              ensure_ascii=False))
    return tmp_path


def test_each_language_gets_its_own_spec(tmp_path):
    found, problems = check_library([library(tmp_path)])
    assert problems == []
    spec = found.workflows["check-in"]
    assert spec.languages == ("en", "da", "sv")
    assert (spec.title, spec.states["talk"].title) == ("Check-in", "Talk")
    danish = spec.localized("da")
    assert danish.title == "Opfølgningssamtale"
    assert danish.states["talk"].tasks[0].title == "Skriv noter"
    assert danish.transitions[0].title == "Afslut"
    swedish = spec.localized("sv-SE")
    assert swedish.states["talk"].title == "Talk"  # missing in Swedish: the default's text
    assert spec.localized("fi") is spec
    form = found.forms["notes"].localized("sv")
    assert form.title == "Anteckningar"
    mood = form.schema["properties"]["mood"]
    assert (mood["title"], mood["oneOf"][0]["title"]) == ("Humör", "Bra")
    # a field *named* title is a field, not a text
    assert form.schema["properties"]["title"]["title"] == "Rubrik"
    assert form.ui_schema["mood"]["ui:help"] == "How was it?"
    assert found.forms["notes"].localized("da").ui_schema["mood"]["ui:help"] == \
        "Hvordan gik det?"


def test_a_missing_translation_is_a_warning_with_its_place(tmp_path):
    found, problems = check_library([library(tmp_path)])
    assert problems == []
    assert [str(w) for w in found.warnings] == [
        "forms/notes.json:56:18: warning: uiSchema.mood.ui:help: no Swedish (sv) translation "
        "(add 'sv: ...' next to 'en')",
        "workflows/check-in.yaml:13:12: warning: states.talk.title: no Swedish (sv) "
        "translation (add 'sv: ...' next to 'en')",
    ]


def test_strict_makes_a_missing_translation_an_error(tmp_path):
    found, problems = check_library([library(tmp_path)], strict=True)
    assert found is None
    assert [p.severity for p in problems] == ["error", "error"]
    assert str(problems[1]).startswith("workflows/check-in.yaml:13:12: states.talk.title: ")


def test_validate_prints_warnings_and_strict_fails_on_them(tmp_path):
    root = library(tmp_path)
    runner = CliRunner()
    relaxed = runner.invoke(main, ["validate", str(root)], catch_exceptions=False)
    assert relaxed.exit_code == 0
    assert "workflows/check-in.yaml:13:12: warning: states.talk.title: no Swedish (sv)" \
        in relaxed.output
    assert relaxed.output.endswith("ok: 1 workflow, 1 form, 2 warnings\n")
    strict = runner.invoke(main, ["validate", "--strict", str(root)], catch_exceptions=False)
    assert strict.exit_code == 1
    assert "2 problems in 2 files" in strict.output


def test_without_languages_the_tags_used_are_the_languages(tmp_path):
    workflow = WORKFLOW.replace("languages: [en, da, sv]\n", "")
    form = {**FORM}
    del form["languages"]
    found, _ = check_library([library(tmp_path, workflow, form)])
    assert found.workflows["check-in"].languages == ("en", "da", "sv")
    assert len(found.warnings) == 2


@pytest.mark.parametrize(("change", "expected"), [
    ("title: {en: Talk, da: Samtale}", None),
    ("title: {en: Talk, dk: Samtale, sv: Samtal}",
     "workflows/check-in.yaml:13:23: states.talk.title.dk: 'dk' is not a language tag "
     "(the tag for Danish is 'da')"),
    ("title: {en: Talk, da: Samtale, sv: Samtal, de: Gespräch}",
     "workflows/check-in.yaml:13:48: states.talk.title.de: 'de' is not one of this "
     "definition's languages (en, da, sv) (add it to 'languages')"),
    ("title: {en: Talk, da: [Samtale], sv: Samtal}",
     "workflows/check-in.yaml:13:27: states.talk.title.da: a translation must be a text"),
])
def test_wrong_translations_are_errors_with_the_fix(tmp_path, change, expected):
    workflow = WORKFLOW.replace("title: {en: Talk, da: Samtale}", change)
    found, problems = check_library([library(tmp_path, workflow)])
    if expected is None:
        assert problems == []
    else:
        assert expected in [str(p) for p in problems], [str(p) for p in problems]


def test_a_wrong_languages_list_is_an_error(tmp_path):
    workflow = WORKFLOW.replace("languages: [en, da, sv]", "languages: [en, dk]")
    _, problems = check_library([library(tmp_path, workflow)])
    assert "workflows/check-in.yaml:3:17: languages[1]: 'dk' is not a language tag " \
        "(the tag for Danish is 'da')" in [str(p) for p in problems]


def test_a_label_switch_in_ui_options_is_not_a_text(tmp_path):
    # rjsf's `"ui:options": {"label": false}` hides a label; reading it as a text to
    # translate made the corpus's nested.json an invalid form
    form = json.loads(json.dumps(FORM))
    form["uiSchema"] = {"mood": {"ui:options": {"label": False}}}
    found, problems = check_library([library(tmp_path, form=form)])
    assert [p for p in problems if "ui:options" in p.path] == []
    form["uiSchema"] = {"mood": {"ui:options": {"label": 7}}}
    found, problems = check_library([library(tmp_path, form=form)])
    assert [p.message for p in problems if "ui:options" in p.path] == [
        "expected a text, or a mapping of languages to texts "
        "(e.g. {en: Goals, da: Mål, sv: Mål})"]


def test_validate_says_where_a_form_would_garble_answers(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "mixed.json").write_text(
        '{"schema": {"type": "object", "properties": {\n'
        '  "where": {"type": ["object", "string"], "properties": {"city": {"type": "string"}}},\n'
        '  "fine": {"type": ["string", "null"]}}}}\n')
    found, problems = check_library([tmp_path])
    assert problems == []
    assert [str(w) for w in found.warnings] == [
        "forms/mixed.json:2:21: warning: schema.properties.where.type: the form cannot show a "
        "value that may be any of object, string (it would be one text box, and an object or "
        "a list would come back as text) (write the choices as oneOf alternatives, one per "
        "type)"]
