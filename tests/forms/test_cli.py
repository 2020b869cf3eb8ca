"""`reviewflow form render|parse|check` through click's runner, on real files."""

import json
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from tests.forms.browser import post_back
from web.cli import main

FORM = {
    "schema": {
        "title": "Check-in",
        "type": "object",
        "required": ["mood"],
        "properties": {
            "mood": {"type": "integer", "title": "Mood", "minimum": 1, "maximum": 5},
            "notes": {"type": "string", "title": "Notes"},
            "topics": {"type": "array", "title": "Topics", "items": {"type": "string"}},
        },
    },
    "uiSchema": {"notes": {"ui:widget": "textarea"}},
}


@pytest.fixture
def library(tmp_path):
    (tmp_path / "forms").mkdir()
    (tmp_path / "workflows").mkdir()
    (tmp_path / "forms" / "checkin.json").write_text(json.dumps(FORM))
    return tmp_path


@pytest.fixture
def run(library):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, ["--library", str(library / "forms"), *map(str, args)],
                             catch_exceptions=False)

    return invoke


def test_render_prints_a_prefilled_page(run, tmp_path):
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"mood": 4, "notes": "<b>fine</b>", "topics": ["pay"]}))
    result = run("form", "render", "checkin", "--data", data)
    assert result.exit_code == 0
    page = result.output
    assert page.lstrip().startswith("<!doctype html>") and "<title>Check-in</title>" in page
    assert "&lt;b&gt;fine&lt;/b&gt;" in page
    assert 'value="pay"' in page and "<form" in page
    posted = post_back(page)
    assert posted["topics[0]"] == "pay"


def test_render_by_path_to_a_json_file(run, library):
    result = run("form", "render", library / "forms" / "checkin.json")
    assert result.exit_code == 0 and 'name="mood"' in result.output


def test_parse_reads_a_urlencoded_body(run, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text(urlencode([("mood", "3"), ("notes", "a\r\nb"), ("__rows__:topics", "1"),
                               ("topics[0]", "growth"), ("sneaky", "1")]))
    result = run("form", "parse", "checkin", "--body", body)
    assert result.exit_code == 0
    assert json.loads(result.output) == {
        "data": {"mood": 3, "notes": "a\nb", "topics": ["growth"]}, "errors": {}}


def test_parse_reports_errors_and_exits_1(run, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text("mood=abc")
    result = run("form", "parse", "checkin", "--body", body)
    assert result.exit_code == 1
    assert json.loads(result.output)["errors"] == {"mood": ["Enter a whole number."]}
    draft = run("form", "parse", "checkin", "--body", body, "--draft")
    assert json.loads(draft.output)["data"] == {"mood": "abc"}


def test_check_prints_per_field_errors(run, tmp_path):
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"mood": 9, "extra": 1}))
    result = run("form", "check", "checkin", "--data", data)
    assert result.exit_code == 1
    assert "mood: Must be at most 5." in result.output
    assert "extra: not a field of this form" in result.output


def test_check_ok(run, tmp_path):
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"mood": 2}))
    result = run("form", "check", "checkin", "--data", data)
    assert result.exit_code == 0 and result.output.startswith("ok:")


def test_unknown_form_suggests_a_name(run):
    result = CliRunner().invoke(main, ["--library", "/nonexistent", "form", "render", "x"])
    assert result.exit_code == 1
    result = run("form", "render", "checkn")
    assert result.exit_code == 1 and "did you mean 'checkin'?" in result.output


def test_bad_json_data_names_the_place(run, tmp_path):
    data = tmp_path / "data.json"
    data.write_text('{"mood": }')
    result = run("form", "check", "checkin", "--data", data)
    assert result.exit_code == 1 and "data.json:1:10: not valid JSON" in result.output
