"""`reviewflow validate` and `reviewflow diagram` through click's runner."""

import html
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from web.cli import main

HERE = Path(__file__).parent
VALID = HERE / "valid"
INVALID = HERE / "invalid"


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def test_validate_ok_prints_a_summary_and_exits_0(run):
    result = run("validate", VALID)
    assert result.exit_code == 0
    assert result.output == "ok: 1 workflow, 7 forms\n"


def test_validate_defaults_to_the_configured_library(run):
    result = run("--library", VALID, "validate")
    assert result.exit_code == 0
    assert result.output == "ok: 1 workflow, 7 forms\n"


def test_validate_prints_every_problem_and_exits_1(run, monkeypatch):
    case = INVALID / "multiple-errors-one-file"
    monkeypatch.chdir(case)
    result = run("validate", INVALID / "_base", ".")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:-1] == (case / "expected.txt").read_text().splitlines()
    assert lines[-1] == "4 problems in 1 file"


def test_validate_json_lists_problem_objects(run, monkeypatch):
    monkeypatch.chdir(INVALID / "unknown-role-hint")
    result = run("validate", "--json", INVALID / "_base", ".")
    assert result.exit_code == 1
    assert json.loads(result.output) == [{
        "file": "workflows/case.yaml",
        "line": 20,
        "column": 19,
        "path": "states.review.tasks[0].assignee",
        "message": "unknown role 'manger'",
        "hint": "did you mean 'manager'?",
    }]


def test_validate_json_ok_is_an_empty_list(run):
    result = run("validate", "--json", VALID)
    assert result.exit_code == 0
    assert json.loads(result.output) == []


def test_validate_missing_path_is_a_problem(run, tmp_path):
    result = run("validate", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "no such file or folder" in result.output


@pytest.mark.parametrize("suffix, magic", [
    (".svg", b"<?xml"),
    (".png", b"\x89PNG"),
    (".mmd", b"---\n360"),
    (".dot", b"digraph"),
])
def test_diagram_writes_each_format(run, tmp_path, suffix, magic):
    out = tmp_path / f"f{suffix}"
    result = run("--library", VALID, "diagram", "feedback-360", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)


def test_diagram_svg_shows_states_tasks_and_who_fires(run, tmp_path):
    out = tmp_path / "f.svg"
    run("--library", VALID, "diagram", "feedback-360", "-o", out)
    svg = html.unescape(out.read_text())  # Graphviz writes '-' as &#45;
    for text in ("approve_nominations", "peer-feedback: peers, quorum 3", "approve (manager)",
                 "submit_nominations (auto)", "deadline (after 3w)", "closed (end)"):
        assert text in svg


def test_diagram_defaults_to_mermaid_on_stdout(run):
    result = run("--library", VALID, "diagram", "feedback-360")
    assert result.exit_code == 0
    assert "stateDiagram-v2" in result.output
    assert "s0 --> s1: submit_nominations (auto)" in result.output
    assert "s5 --> [*]" in result.output


def test_diagram_accepts_a_workflow_file(run):
    result = run("diagram", VALID / "workflows" / "feedback-360.yaml")
    assert result.exit_code == 0
    assert "approve (manager)" in result.output


def test_diagram_unknown_workflow_suggests(run):
    result = run("--library", VALID, "diagram", "feedback-36")
    assert result.exit_code == 1
    assert "unknown workflow 'feedback-36' (did you mean 'feedback-360'?)" in result.output


def test_diagram_bad_suffix_is_refused(run, tmp_path):
    result = run("--library", VALID, "diagram", "feedback-360", "-o", tmp_path / "f.gif")
    assert result.exit_code == 2
    assert "use a .svg, .png, .dot or .mmd file" in result.output
    assert not (tmp_path / "f.gif").exists()


def test_diagram_refuses_a_library_with_problems(run, monkeypatch):
    monkeypatch.chdir(INVALID / "bad-duration")
    result = run("--library", INVALID / "_base", "--library", ".", "diagram", "other")
    assert result.exit_code == 1
    assert "bad duration '7 days'" in result.output


def test_validate_one_workflow_file_uses_its_library_forms_and_neighbours(run, tmp_path):
    (tmp_path / "workflows").mkdir()
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "note.json").write_text('{"schema": {"type": "object"}}')
    flow = ("workflow: {id}\nversion: 1\nroles: {{hr: group:hr}}\ninitial: a\n"
            "states:\n  a: {{tasks: [{{form: note, assignee: hr}}]}}\n  b: {{final: true}}\n"
            "transitions:\n  - {{trigger: go, source: a, dest: b, auto: true{extra}}}\n")
    (tmp_path / "workflows" / "first.yaml").write_text(flow.format(id="first",
                                                                   extra=", start: second"))
    (tmp_path / "workflows" / "second.yaml").write_text(flow.format(id="second", extra=""))
    result = run("validate", tmp_path / "workflows" / "first.yaml")
    assert (result.exit_code, result.output) == (0, "ok: 1 workflow, 1 form\n")
    (tmp_path / "workflows" / "first.yaml").write_text(flow.format(id="first",
                                                                   extra=", start: third"))
    result = run("validate", "--json", tmp_path / "workflows" / "first.yaml")
    assert result.exit_code == 1
    assert [p["message"] for p in json.loads(result.output)] == ["unknown workflow 'third'"]
