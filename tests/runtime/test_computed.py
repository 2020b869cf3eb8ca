"""Computed values and form rules: worked out by the engine at submit, stored with the
submission, refused with per-field messages (nothing stored), usable by conditions."""

import json

import pytest

from engine import commands, computed
from engine.definitions.library import check_library
from engine.errors import SubmissionInvalid
from engine.store import Instance, Submission

from .conftest import T0, copy_library, library_at, snapshot, task_of

GOALS = {
    "languages": ["en", "da"],
    "schema": {
        "type": "object",
        "required": ["objectives"],
        "properties": {
            "objectives": {"type": "array", "items": {
                "type": "object", "required": ["goal", "weight", "target"],
                "properties": {
                    "goal": {"type": "string"},
                    "weight": {"type": "integer", "minimum": 0, "maximum": 100},
                    "target": {"type": "number"},
                    "actual": {"type": "number"},
                    "achievement": {"type": "number", "title": "Achievement (%)"},
                    "weighted": {"type": "number"}}}},
            "weight_total": {"type": "number"},
            "score": {"type": "number", "title": "Score"}}},
    "computed": {
        "objectives[].achievement": "min(row.actual / row.target * 100, 120)",
        "objectives[].weighted": "row.weight * row.achievement / 100",
        "weight_total": "objectives | sum(attribute='weight')",
        "score": "objectives | sum(attribute='weighted')",
    },
    "rules": [
        {"field": "objectives", "check": "weight_total == 100",
         "message": {"en": "The weights add up to {weight_total}; they must add up to 100.",
                     "da": "Vægtene giver {weight_total}; de skal give 100."}},
        {"field": "objectives[].target", "check": "row.target > 0",
         "message": {"en": "A target must be above zero.",
                     "da": "En målværdi skal være over nul."}},
    ],
}

FLOW = """\
workflow: goals
version: 1
roles:
  employee: subject
  manager: subject.manager
initial: assess
states:
  assess:
    tasks:
      - form: goals
        assignee: employee
  good:
    final: true
  poor:
    final: true
transitions:
  - trigger: done_well
    source: assess
    dest: good
    auto: true
    conditions: "forms.goals.score >= 80"
  - trigger: done
    source: assess
    dest: poor
    auto: true
"""


@pytest.fixture
def goals(org, tmp_path):
    root = copy_library(tmp_path)
    (root / "forms" / "goals.json").write_text(json.dumps(GOALS))
    (root / "workflows" / "goals.yaml").write_text(FLOW)
    library = library_at(root)
    commands.launch(library, "goals", "2026", where=[("email", "ann@x.com")], now=T0)
    return library


def rows(*items):
    return [{"goal": f"g{i}", "weight": w, "target": t, "actual": a}
            for i, (w, t, a) in enumerate(items)]


def test_values_are_computed_at_submit_and_stored_and_conditions_use_them(goals):
    posted = {"objectives": rows((60, 10, 9), (40, 4, 6)), "score": 1000}  # a forged score
    result = commands.submit(task_of("ann@x.com", "goals").id, "ann@x.com", posted, now=T0)
    stored = Submission.get(Submission.form_id == "goals").data
    assert [(r["achievement"], r["weighted"]) for r in stored["objectives"]] == [
        (90, 54), (120, 48)]  # 6/4 = 150 % capped at 120
    assert stored["weight_total"] == 100 and stored["score"] == 102
    assert result.state == "good"


def test_a_wrong_weight_sum_and_a_zero_target_are_refused_at_their_fields(goals):
    before = snapshot()
    with pytest.raises(SubmissionInvalid) as invalid:
        commands.submit(task_of("ann@x.com", "goals").id, "ann@x.com",
                        {"objectives": rows((50, 10, 9), (40, 0, 1))}, now=T0)
    assert invalid.value.errors == {
        "objectives": ["The weights add up to 90; they must add up to 100."],
        "objectives[1].target": ["A target must be above zero."]}
    assert snapshot() == before
    assert Instance.get().state == "assess"


def test_missing_inputs_leave_a_value_out_and_the_language_of_the_form_is_kept(goals):
    form = goals.form("goals")
    data = computed.apply(form, {"objectives": [{"goal": "a", "weight": 100, "target": 5}]})
    assert data["objectives"][0] == {"goal": "a", "weight": 100, "target": 5}  # no actual
    assert data["weight_total"] == 100 and "score" not in data  # a row is not assessed
    assert form.schema["properties"]["score"]["readOnly"] is True
    danish = computed.rule_errors(form.localized("da"), {"objectives": rows((20, 1, 1))})
    assert danish == {"objectives": ["Vægtene giver 20; de skal give 100."]}


def test_formulas_are_checked_where_they_are_written(tmp_path):
    root = copy_library(tmp_path)
    bad = dict(GOALS, computed={"objectives[].achievment": "row.actual / row.target",
                                "score": "objectives | sum(attribute='weighted') + bonus",
                                "weight_total": "row.weight"},
               rules=[{"field": "objective", "check": "true", "message": "x"},
                      {"field": "objectives[].target", "check": "row.target > 0",
                       "message": "Above {zero}."}])
    (root / "forms" / "goals.json").write_text(json.dumps(bad, indent=1))
    (root / "workflows" / "goals.yaml").write_text(FLOW)
    _library, problems = check_library([root / "workflows", root / "forms"])
    shown = [f"{p.line}:{p.col}: {str(p).split(': ', 1)[1]}" for p in problems]
    assert shown == [
        "56:3: computed.objectives[].achievment: computed value 'objectives[].achievment' "
        "names no property of the schema (did you mean 'achievement'?)",
        "57:12: computed.score: unknown name 'bonus' in expression (names: objectives, "
        "weight_total, score, data, min, max, sum, len, abs, round)",
        "58:19: computed.weight_total: unknown name 'row' in expression (names: objectives, "
        "weight_total, score, data, min, max, sum, len, abs, round)",
        "62:13: rules[0].field: rule field 'objective' names no property of the schema "
        "(did you mean 'objectives'?)",
        "69:15: rules[1].message: '{zero}' in the message names no field of the form or "
        "the row",
    ]


def test_reports_chart_a_computed_score_in_bands_but_not_a_pinned_total(goals):
    from engine import reports

    commands.launch(goals, "goals", "2026", where=[("email", "bob@x.com")], now=T0)
    commands.submit(task_of("ann@x.com", "goals").id, "ann@x.com",
                    {"objectives": rows((60, 10, 9), (40, 4, 6))}, now=T0)  # 102
    commands.submit(task_of("bob@x.com", "goals").id, "bob@x.com",
                    {"objectives": rows((100, 10, 5))}, now=T0)  # 50
    cycle = Instance.get().cycle_id
    report = reports.cycle_report(cycle, "hal@x.com", now=T0)
    charts = {d.field: d.buckets for d in report.distributions if d.form_id == "goals"}
    assert "weight_total" not in charts  # a rule holds it at 100
    assert charts["score"] == [("50–60", 1), ("60–70", 0), ("70–80", 0), ("80–90", 0),
                               ("90–100", 0), ("100–110", 1)]
    assert reports.banded([(0.5, 2), (0.5, 1)]) == [("0.5", 3)]
