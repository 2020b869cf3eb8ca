"""Definitions cannot make reviewflow hang or eat memory: expressions have a cost bound
(size of numbers and strings) at check time and at run time, a YAML alias bomb is refused
at its place, and very deep nesting is a clear problem."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.definitions.library import check_library
from engine.expressions import ExpressionError, compile_expression, expression_problems

BASE = Path(__file__).parent / "invalid" / "_base"


@pytest.mark.parametrize("text", [
    "10**(10**9) > 0",
    "2 ** 100000 > 1",
    "('x' * 10**9) | length > 0",
    "(forms['a'] * 10**8) | length > 0",
])
def test_a_costly_expression_is_a_problem_found_quickly(text):
    start = time.perf_counter()
    problems = expression_problems(text, {"a"})
    assert time.perf_counter() - start < 1.0
    if "forms" in text:  # not constant: bounded when it runs
        assert problems == []
        with pytest.raises(ExpressionError, match="too large"):
            compile_expression(text).evaluate({"forms": {"a": "y"}})
    else:
        assert any("too large" in p for p in problems), problems


@pytest.mark.parametrize("text", [
    "'x'.ljust(10**9) | length > 0",
    "'%0999999999d' % 1 != ''",
    "('a' | center(1000000000)) | length > 0",
])
def test_expressions_cannot_build_huge_strings_through_methods_or_filters(text):
    start = time.perf_counter()
    problems = expression_problems(text, set())
    if not problems:
        with pytest.raises(ExpressionError):
            compile_expression(text).evaluate({"forms": {}})
    assert time.perf_counter() - start < 1.0


def test_ordinary_arithmetic_still_works():
    expr = compile_expression("2 ** 10 == 1024 and 'ab' * 3 == 'ababab' and 7 % 3 == 1")
    assert expr.evaluate({"forms": {}}) is True


def _workflow(tmp_path: Path, text: str) -> Path:
    (tmp_path / "workflows").mkdir(exist_ok=True)
    (tmp_path / "workflows" / "case.yaml").write_text(text)
    return tmp_path


def test_validate_reports_a_costly_condition_at_its_place(tmp_path, monkeypatch):
    text = (BASE / "workflows" / "other.yaml").read_text()
    assert "transitions:" in text
    bad = text.replace("workflow: other", "workflow: case") + (
        "  - trigger: boom\n    source: write\n    dest: done\n    auto: true\n"
        "    conditions: \"10**(10**9) > 0\"\n")
    monkeypatch.chdir(_workflow(tmp_path, bad))
    start = time.perf_counter()
    library, problems = check_library([BASE, Path(".")])
    assert time.perf_counter() - start < 5
    assert library is None
    assert any("too large" in str(p) and str(p).startswith("workflows/case.yaml:")
               for p in problems), [str(p) for p in problems]


BOMB = """workflow: case
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_a_yaml_alias_bomb_is_refused_at_its_place(tmp_path, monkeypatch):
    monkeypatch.chdir(_workflow(tmp_path, BOMB))
    start = time.perf_counter()
    library, problems = check_library([Path(".")])
    assert time.perf_counter() - start < 5
    assert library is None
    assert [str(p) for p in problems] == [
        "workflows/case.yaml:3:8: YAML aliases expand to too much data (over 100000 values) "
        "(write the values out instead)"]


def test_very_deep_nesting_is_a_problem_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.chdir(_workflow(tmp_path, "workflow: case\nx: " + "[" * 5000 + "]" * 5000
                                + "\n"))
    library, problems = check_library([Path(".")])
    assert library is None and problems
    assert any("nested too deeply" in str(p) for p in problems), [str(p) for p in problems]


def test_a_deeply_nested_json_form_is_a_problem_not_a_crash(tmp_path, monkeypatch):
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "x.json").write_text('{"schema": ' + "[" * 100000 + "]" * 100000
                                               + "}")
    monkeypatch.chdir(tmp_path)
    library, problems = check_library([Path("forms")])
    assert library is None
    assert [str(p) for p in problems][0].startswith("forms/x.json:1:")
    assert "nested too deeply" in str(problems[0])


def test_a_title_that_looks_like_html_draws_as_text(tmp_path, monkeypatch):
    from engine.diagram import diagram_svg

    text = (BASE / "workflows" / "other.yaml").read_text().replace(
        "workflow: other", "workflow: case").replace(
        "title: Another process (a target for start)", "title: <b>bold</b>").replace(
        "  write:\n", "  write:\n    title: <i>x</i>\n")
    monkeypatch.chdir(_workflow(tmp_path, text))
    library, problems = check_library([BASE, Path(".")])
    assert problems == [], [str(p) for p in problems]
    svg = diagram_svg(library.workflow("case"), "write")
    assert "&lt;b&gt;bold&lt;/b&gt;" in svg and "&lt;i&gt;x&lt;/i&gt;" in svg
