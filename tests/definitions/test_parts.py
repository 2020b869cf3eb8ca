"""The small parts under the loader: positions, durations, expressions, role syntax."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.definitions.roles_syntax import RoleSyntaxError, parse_role
from engine.durations import DurationError, format_duration, parse_duration
from engine.expressions import ExpressionError, compile_expression, expression_problems
from engine.source import SourceSyntaxError, read_json, read_yaml

# ---------------------------------------------------------------- positions


def test_yaml_positions_of_keys_and_values():
    text = "states:\n  collect:\n    tasks:\n      - form: peer\n        assignee: peer\n"
    data, smap, issues = read_yaml(text)
    assert data["states"]["collect"]["tasks"][0]["assignee"] == "peer"
    path = ("states", "collect", "tasks", 0, "assignee")
    assert smap.locate(path) == (5, 19)
    assert smap.locate(path, at="key") == (5, 9)
    assert smap.locate(("states", "collect", "tasks", 0)) == (4, 9)
    assert smap.locate(("states", "collect", "nothing", 3)) == (3, 5)  # nearest ancestor
    assert issues == []


def test_yaml_duplicate_key_points_at_the_second_and_keeps_the_first():
    data, smap, issues = read_yaml("a: 1\nb: 2\na: 3\n")
    assert data == {"a": 1, "b": 2}
    assert [(i.path, i.pos, i.message) for i in issues] == [
        (("a",), (3, 1), "duplicate key 'a' (first defined at line 1)")]


def test_yaml_merge_keys_are_followed():
    data, _smap, issues = read_yaml("base: &b {due: 7d}\ntask:\n  <<: *b\n  form: x\n")
    assert data["task"] == {"due": "7d", "form": "x"} and issues == []


def test_json_positions_count_columns_in_characters():
    text = '{\n  "title": "é",\n  "schema": {"type": "object",\n     "x": [1, {"y": true}]}\n}'
    data, smap, issues = read_json(text)
    assert data["schema"]["x"][1] == {"y": True}
    assert smap.locate(("title",), at="key") == (2, 3)
    assert smap.locate(("title",)) == (2, 12)
    assert smap.locate(("schema", "x", 1, "y")) == (4, 21)
    assert issues == []


@pytest.mark.parametrize("text, message, where", [
    ('{"a": 1,}', "not valid JSON: a comma before '}' is not allowed in JSON", (1, 9)),
    ('{"a": [1,]}', "not valid JSON: a comma before ']' is not allowed in JSON", (1, 10)),
    ('{"a" 1}', "not valid JSON: expected ':', found '1'", (1, 6)),
    ("{'a': 1}", "not valid JSON: expected a key in double quotes", (1, 2)),
    ('{"a": 1}\n{', "not valid JSON: extra data after the end of the document", (2, 1)),
    ('{"a": tru}', "not valid JSON: unexpected character 't'", (1, 7)),
    ("", "not valid JSON: the file is empty", (1, 1)),
])
def test_json_syntax_errors_have_positions(text, message, where):
    with pytest.raises(SourceSyntaxError) as info:
        read_json(text)
    assert (info.value.message, (info.value.line, info.value.col)) == (message, where)


SCALARS = (st.none() | st.booleans() | st.integers()
           | st.floats(allow_nan=False, allow_infinity=False) | st.text())


@settings(max_examples=60, deadline=None)
@given(st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20))
def test_json_reader_agrees_with_the_json_module(value):
    import json

    for text in (json.dumps(value), json.dumps(value, indent=2)):
        assert read_json(text)[0] == json.loads(text)


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize("text, delta", [
    ("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)),
    ("7d", timedelta(days=7)), ("2w", timedelta(weeks=2)), (" 1d ", timedelta(days=1)),
])
def test_parse_duration(text, delta):
    assert parse_duration(text) == delta


@pytest.mark.parametrize("text", ["7 days", "1month", "0mo", "121mo", "11y", "0d", "-1d", "d", "",
                                  "1.5h", 7, True, None,
                                  "521w", "3641d", "9999999999999999999999d"])
def test_bad_durations_are_refused(text):
    with pytest.raises(DurationError):
        parse_duration(text)


def test_durations_up_to_ten_years_are_accepted():
    assert parse_duration("520w") == parse_duration("3640d") == timedelta(weeks=520)


@pytest.mark.parametrize("delta, text", [
    (timedelta(days=14), "2w"), (timedelta(days=3), "3d"), (timedelta(hours=36), "36h"),
    (timedelta(minutes=90), "90m"),
])
def test_format_duration_is_the_shortest_exact_spelling(delta, text):
    assert format_duration(delta) == text
    assert parse_duration(format_duration(delta)) == delta


# ---------------------------------------------------------------- expressions

FORMS = {"peer-feedback": [{"rating": 4}, {"rating": 2}, {"rating": None}],
         "self-assessment": {"rating": 5, "summary": "ok"}}
CONTEXT = {"forms": FORMS, "subject": {"department": "Sales", "email": "a@x"},
           "now": datetime(2026, 3, 1, tzinfo=UTC),
           "instance": {"state": "collect", "entered_at": datetime(2026, 2, 1, tzinfo=UTC)}}


@pytest.mark.parametrize("text, value", [
    ("count('peer-feedback')", 3),
    ("count('self-assessment')", 1),
    ("count('nobody-filled')", 0),
    ("avg('peer-feedback', 'rating')", 3),
    ("min('peer-feedback', 'rating')", 2),
    ("max('peer-feedback', 'rating')", 4),
    ("sum('peer-feedback', 'rating')", 6),
    ("avg('nobody-filled', 'rating') is none", True),
    ("min(3, 1, 2)", 1),
    ("len(forms['peer-feedback'])", 3),
    ("forms['self-assessment'].rating >= 4", True),
    ("subject.department == 'Sales'", True),
    ("now - instance.entered_at > days(14)", True),
    ("instance.state == 'collect' and not (count('peer-feedback') < 2)", True),
])
def test_expressions_evaluate(text, value):
    assert compile_expression(text).evaluate(CONTEXT) == value


@pytest.mark.parametrize("text, message", [
    ("count('x') >> 2", "expression \"count('x') >> 2\" is not valid: unexpected '>'"),
    ("cont('x')", "unknown name 'cont' in expression"),
    ("subject.__class__", "attribute '__class__' is not allowed in expressions "
                          "(names starting with '_' are private)"),
    ("subject['__class__']", "attribute '__class__' is not allowed in expressions "
                             "(names starting with '_' are private)"),
    ("range(10)", "unknown name 'range' in expression"),
    ("1) }}{% for a in b %}{{ (1", "expression '1) }}{% for a in b %}{{ (1' is not valid: "
                                   "unexpected ')'"),
    ("", "an expression must be a non-empty string"),
])
def test_bad_expressions_do_not_compile(text, message):
    with pytest.raises(ExpressionError) as info:
        compile_expression(text)
    assert info.value.message == message


def test_runtime_failure_is_an_expression_error():
    expression = compile_expression("forms['self-assessment'].missing > 1")
    with pytest.raises(ExpressionError, match="failed"):
        expression.evaluate(CONTEXT)


def test_the_sandbox_refuses_unsafe_calls_at_run_time():
    expression = compile_expression("subject.update({'x': 1})")
    with pytest.raises(ExpressionError, match="failed"):
        expression.evaluate(CONTEXT)
    assert "x" not in CONTEXT["subject"]


def test_expression_problems_name_unknown_forms_with_hints():
    problems = expression_problems(
        "forms['peer-feedbak'].x and forms.selfassessment and avg('peer-feedback', 'r')",
        {"peer-feedback", "self-assessment"})
    assert problems == [
        "unknown form 'peer-feedbak' in expression (did you mean 'peer-feedback'?)",
        "unknown form 'selfassessment' in expression (did you mean 'self-assessment'?)",
    ]


# ---------------------------------------------------------------- roles


@pytest.mark.parametrize("text, fields", [
    ("subject", {"kind": "subject", "steps": ()}),
    ("subject.manager.manager", {"kind": "chain", "steps": ("manager", "manager")}),
    ("group:hr", {"kind": "group", "group": "hr"}),
    ("field:peer-nomination.peers", {"kind": "field", "form": "peer-nomination",
                                     "field": "peers"}),
    ("person:CEO@Example.com", {"kind": "person", "email": "ceo@example.com"}),
])
def test_role_syntax(text, fields):
    role = parse_role("r", text)
    assert {k: getattr(role, k) for k in fields} == fields
    assert role.source == text


@pytest.mark.parametrize("text, message, hint", [
    ("manager", "unknown role syntax 'manager'", "write subject, subject.manager[.manager...], "
     "subject.reports, subject.all_reports, subject.manager.reports, subject.COLUMN (the "
     "directory column COLUMN_email), group:NAME, field:FORM.FIELD, external:FORM.FIELD, "
     "person:EMAIL"),
    ("subject.manger", "unknown step 'manger' in 'subject.manger'",
     "did you mean 'manager'?"),
    ("gruop:hr", "unknown role kind 'gruop:' in 'gruop:hr'", "did you mean 'group'?"),
    ("field:peers", "bad field reference in 'field:peers'",
     "write field:FORM.FIELD, e.g. field:peer-nomination.peers"),
])
def test_bad_role_syntax(text, message, hint):
    with pytest.raises(RoleSyntaxError) as info:
        parse_role("r", text)
    assert (info.value.message, info.value.hint) == (message, hint)
