"""A score across forms: a weighted mean of parts from the instance's forms, with the
definition's choice for a missing part (reweight, zero, block), read by conditions."""

import json

import pytest

from engine import commands, scores
from engine.definitions.library import check_library
from engine.store import Instance

from .conftest import T0, copy_library, library_at, task_of

SCORE_FORM = json.dumps({"schema": {"type": "object", "required": ["score"],
                                    "properties": {"score": {"type": "number"}}}})

FLOW = """\
workflow: rated
version: 1
roles:
  employee: subject
  manager: subject.manager
  hr: group:hr
scores:
  final:
    title: Final score
    missing: {missing}
    readers: {{manager: always, employee: after closed}}
    parts:
      - {{value: "forms['self-score'].score", weight: 20, title: Self}}
      - {{value: "forms['manager-score'].score", weight: 50, title: Manager}}
      - {{value: "forms['goal-score'].score", weight: 30, title: Goals}}
initial: rate
states:
  rate:
    tasks:
      - form: self-score
        assignee: employee
      - form: manager-score
        assignee: manager
  goals:
    tasks:
      - form: goal-score
        assignee: manager
  closed:
    final: true
  low:
    final: true
transitions:
  - trigger: rated
    source: rate
    dest: goals
    auto: true
  - trigger: close
    source: goals
    dest: closed
    allowed: [manager]
    conditions:
      - when: "scores.final is not none and scores.final >= 60"
        message: The final score is below 60.
  - trigger: close_low
    source: goals
    dest: low
    allowed: [hr]
"""


def make(tmp_path, missing: str):
    root = copy_library(tmp_path)
    for name in ("self-score", "manager-score", "goal-score"):
        (root / "forms" / f"{name}.json").write_text(SCORE_FORM)
    (root / "workflows" / "rated.yaml").write_text(FLOW.format(missing=missing))
    return root


@pytest.fixture
def rated(org, tmp_path, request):
    library = library_at(make(tmp_path, request.param))
    commands.launch(library, "rated", "2026", where=[("email", "ann@x.com")], now=T0)
    return Instance.get().id


def answer(email, form, score):
    return commands.submit(task_of(email, form).id, email, {"score": score}, now=T0)


def final(instance_id):
    return scores.of_instance(instance_id, T0)["final"]


@pytest.mark.parametrize("rated", ["reweight"], indirect=True)
def test_reweight_skips_a_missing_part_and_the_rest_count_in_proportion(rated):
    answer("mia@x.com", "manager-score", 70)
    result = final(rated)
    assert result.value == 70 and [p.counted for p in result.parts] == [0, 50, 0]
    answer("ann@x.com", "self-score", 90)
    assert final(rated).value == pytest.approx((90 * 20 + 70 * 50) / 70, abs=1e-4)
    answer("mia@x.com", "goal-score", 40)
    result = final(rated)
    assert result.value == (90 * 20 + 70 * 50 + 40 * 30) / 100 == 65
    assert result.complete
    assert commands.fire(rated, "close", "mia@x.com", now=T0).state == "closed"


@pytest.mark.parametrize("rated", ["zero"], indirect=True)
def test_zero_counts_a_missing_part_as_nothing(rated):
    answer("mia@x.com", "manager-score", 70)
    answer("ann@x.com", "self-score", 90)
    result = final(rated)
    assert result.value == (90 * 20 + 70 * 50) / 100 == 53
    assert [p.value for p in result.parts] == [90, 70, None]


@pytest.mark.parametrize("rated", ["block"], indirect=True)
def test_block_gives_no_score_until_every_part_is_there_and_conditions_wait(rated):
    answer("mia@x.com", "manager-score", 90)
    answer("ann@x.com", "self-score", 90)
    assert final(rated).value is None
    answer("mia@x.com", "goal-score", 20)
    assert final(rated).value == 69
    # 69 holds; a lower goal score would refuse "close" with the definition's message


@pytest.mark.parametrize("rated", ["reweight"], indirect=True)
def test_a_condition_on_the_score_refuses_with_its_message(rated):
    from engine.errors import NotAllowed

    answer("mia@x.com", "manager-score", 30)
    answer("ann@x.com", "self-score", 50)
    answer("mia@x.com", "goal-score", 40)
    with pytest.raises(NotAllowed, match="The final score is below 60."):
        commands.fire(rated, "close", "mia@x.com", now=T0)
    assert Instance.get_by_id(rated).state == "goals"


def test_score_definitions_are_checked_where_they_are_written(tmp_path):
    root = make(tmp_path, "skip")
    text = (root / "workflows" / "rated.yaml").read_text()
    text = text.replace("forms['goal-score'].score", "forms['goal-scor'].score")
    text = text.replace("weight: 50", "weight: 0").replace("manager: always", "boss: always")
    (root / "workflows" / "rated.yaml").write_text(text)
    _library, problems = check_library([root / "workflows", root / "forms"])
    assert [str(p).split("rated.yaml:")[1] for p in problems] == [
        "10:14: scores.final.missing: must be one of 'reweight', 'zero', 'block', got 'skip'",
        "11:15: scores.final.readers.boss: unknown role 'boss' (declared roles: employee, "
        "manager, hr)",
        "14:57: scores.final.parts[1].weight: must be above 0, got 0",
        "15:17: scores.final.parts[2].value: unknown form 'goal-scor' in expression "
        "(did you mean 'goal-score'?)",
    ]
