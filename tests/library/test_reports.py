"""The cycle report (``engine.reports``): completion per step, per department and
manager, overdue by holder, and the spread of ratings, with the pages' reading rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import commands, reports
from engine.store import Instance, Person, Task
from tests.library import payloads as p
from tests.library.scenario import T0, submit

EVE, MIA, PAT, QUINN, RAY, LOU = ("eve@acme.test", "mia@acme.test", "pat@acme.test",
                                  "quinn@acme.test", "ray@acme.test", "lou@acme.test")
HANA = "hana@acme.test"


def days(n: float) -> timedelta:
    return timedelta(days=n)


def _by_subject(cycle_id: int) -> dict[str, int]:
    return {i.subject.email: i.id for i in Instance.select().where(Instance.cycle == cycle_id)}


@pytest.fixture
def annual(library, org):
    """Annual review for Sales (Mia, Eve) and Pat: Eve and Pat wrote their self reviews,
    Mia rated Eve 4."""
    cycle = commands.launch(library, "annual-review", "Annual 2026",
                            where=[("department", "Sales")], actor=HANA, now=T0).cycle_id
    commands.launch(library, "annual-review", "Annual 2026", where=[("email", PAT)],
                    actor=HANA, now=T0)
    ids = _by_subject(cycle)
    submit(ids[EVE], "self-review", EVE, p.SELF_REVIEW, T0 + days(1))
    submit(ids[PAT], "self-review", PAT, p.SELF_REVIEW, T0 + days(1))
    submit(ids[EVE], "manager-review", MIA, p.manager_review(4), T0 + days(2))
    return cycle


def _step(report, form_id):
    (row,) = [s for s in report.steps if s.form_id == form_id]
    return row


def _chart(report, form_id, field):
    found = [d for d in report.distributions if (d.form_id, d.field) == (form_id, field)]
    return found[0] if found else None


def test_completion_is_counted_per_step_not_only_per_closed_process(annual):
    report = reports.cycle_report(annual, HANA, now=T0 + days(3))
    assert (report.processes, report.finished) == (3, 0)
    self_review = _step(report, "self-review")
    assert (self_review.submitted, self_review.open, self_review.percent) == (2, 1, 67)
    manager_review = _step(report, "manager-review")
    assert (manager_review.submitted, manager_review.open) == (1, 1)  # Lou has Pat's


def test_departments_and_managers_and_filters(annual):
    report = reports.cycle_report(annual, HANA, now=T0 + days(3))
    departments = {r.label: (r.processes, r.open_tasks) for r in report.departments}
    open_in_sales = (Task.select().join(Instance).join(Person)
                     .where((Person.department == "Sales") & (Task.status == "open")).count())
    assert open_in_sales >= 1
    assert departments == {"Product": (1, 1), "Sales": (2, open_in_sales)}
    managers = {r.label: r.processes for r in report.managers}
    assert managers == {"Cleo Chief": 1, "Lou Lead": 1, "Mia Manager": 1}
    only_product = reports.cycle_report(annual, HANA, reports.Scope(department="Product"),
                                        now=T0 + days(3))
    assert only_product.processes == 1
    assert _step(only_product, "self-review").submitted == 1
    by_manager = reports.cycle_report(annual, HANA, reports.Scope(manager=MIA),
                                      now=T0 + days(3))
    assert by_manager.processes == 1


def test_ratings_are_charted_with_every_value_of_the_scale(annual):
    report = reports.cycle_report(annual, HANA, now=T0 + days(3))
    rating = _chart(report, "manager-review", "rating")
    assert rating is not None and rating.answered == 1
    assert len(rating.buckets) == 5 and sum(n for _, n in rating.buckets) == 1
    assert [n for _, n in rating.buckets].index(1) == 3  # the fourth value: 4
    assert _chart(report, "self-review", "self_rating").answered == 2


def test_a_manager_sees_their_people_and_the_ratings_they_gave_only(annual):
    mine = reports.cycle_report(annual, MIA, now=T0 + days(3))
    assert mine.processes == 1 and not mine.is_hr
    assert _chart(mine, "manager-review", "rating").answered == 1
    assert _chart(mine, "self-review", "self_rating") is None  # Eve's own rating
    lou = reports.cycle_report(annual, LOU, now=T0 + days(3))
    assert lou.processes == 1 and _chart(lou, "manager-review", "rating") is None
    nobody = reports.cycle_report(annual, RAY, now=T0 + days(3))
    assert nobody.processes == 0 and nobody.steps == [] and nobody.distributions == []


def test_overdue_holders_are_named_but_anonymous_reviewers_only_counted(library, org):
    cycle = commands.launch(library, "feedback-360", "360", where=[("email", EVE)],
                            actor=HANA, now=T0).cycle_id
    fb = _by_subject(cycle)[EVE]
    submit(fb, "peer-nomination", EVE, p.nomination([PAT, QUINN, RAY]), T0 + days(1))
    submit(fb, "nomination-approval", MIA, {}, T0 + days(2), trigger="approve")
    submit(fb, "peer-feedback", PAT, p.peer_feedback(4), T0 + days(3))
    submit(fb, "peer-feedback", QUINN, p.peer_feedback(2), T0 + days(3))
    late = reports.cycle_report(cycle, HANA, now=T0 + days(40))
    names = {h.email for h in late.holders}
    assert RAY not in names and late.anonymous_overdue == 1
    assert EVE in names  # her self assessment is hers, not anonymous
    # two anonymous answers: below the threshold of 3, no chart
    assert _chart(late, "peer-feedback", "delivery") is None
    submit(fb, "peer-feedback", RAY, p.peer_feedback(5), T0 + days(41))
    report = reports.cycle_report(cycle, HANA, now=T0 + days(41))
    assert _chart(report, "peer-feedback", "delivery").answered == 3
    # others never get a chart of anonymous answers
    assert _chart(reports.cycle_report(cycle, MIA, now=T0 + days(41)),
                  "peer-feedback", "delivery") is None


def test_the_overdue_holders_are_paged_most_overdue_first(annual, monkeypatch):
    late = T0 + days(400)
    everyone = reports.cycle_report(annual, HANA, now=late).holders
    assert everyone.total >= 2 and everyone.pages == 1
    monkeypatch.setattr(reports, "ROWS_PER_PAGE", 1)
    pages = [reports.cycle_report(annual, HANA, now=late, pages=reports.Pages(holders=n))
             .holders for n in range(1, everyone.total + 1)]
    assert [len(p) for p in pages] == [1] * everyone.total
    assert [p.page for p in pages] == list(range(1, everyone.total + 1))
    assert [h for p in pages for h in p] == list(everyone)  # the same order, cut in pages
    past_the_end = reports.cycle_report(annual, HANA, now=late,
                                        pages=reports.Pages(holders=99)).holders
    assert past_the_end.page == everyone.total and list(past_the_end) == list(pages[-1])


PULSE_FLOW = """workflow: pulse
version: 1
title: Pulse
roles:
  employee: subject
initial: answer
states:
  answer:
    tasks:
      - form: pulse
        assignee: employee
  done:
    final: true
transitions:
  - trigger: done
    source: answer
    dest: done
    auto: true
"""
PULSE_FORM = {"title": "Pulse", "schema": {
    "type": "object", "required": ["recommend", "mood", "score"], "properties": {
        "recommend": {"type": "boolean", "title": "Would you recommend us?"},
        "mood": {"type": "string", "title": "Mood", "enum": ["low", "ok", "high"]},
        "score": {"type": "integer", "title": "Score", "enum": [1, 2, 3]},
        "why": {"type": "string", "title": "Why"}}}}


def test_each_kind_of_question_is_counted_alike_on_both_databases(org, tmp_path):
    """Yes/no, a choice of words and a choice of numbers, each counted from the latest
    answer of each person (an unanswered question, and an answered free text, count
    nowhere)."""
    import json

    from engine.definitions.library import load_library

    (tmp_path / "workflows").mkdir()
    (tmp_path / "forms").mkdir()
    (tmp_path / "workflows" / "pulse.yaml").write_text(PULSE_FLOW)
    (tmp_path / "forms" / "pulse.json").write_text(json.dumps(PULSE_FORM))
    library = load_library([tmp_path / "workflows", tmp_path / "forms"])
    cycle = commands.launch(library, "pulse", "Pulse 2026", where=[("department", "Product")],
                            actor=HANA, now=T0).cycle_id
    ids = _by_subject(cycle)
    answers = {LOU: (True, "high", 3), PAT: (True, "ok", 3), QUINN: (False, "low", 1),
               RAY: (True, "ok", 2)}
    for email, (recommend, mood, score) in answers.items():
        submit(ids[email], "pulse", email, {"recommend": recommend, "mood": mood,
                                            "score": score, "why": "because"}, T0 + days(1))
    report = reports.cycle_report(cycle, HANA, now=T0 + days(2))
    assert report.processes == 6 and report.finished == 4
    charts = {d.field: d.buckets for d in report.distributions if d.form_id == "pulse"}
    assert set(charts) == {"recommend", "mood", "score"}
    assert charts["recommend"] == [("Yes", 3), ("No", 1)]
    assert charts["mood"] == [("low", 1), ("ok", 2), ("high", 1)]
    assert charts["score"] == [("1", 1), ("2", 1), ("3", 2)]


def test_holders_are_looked_for_only_when_a_step_has_overdue_tasks(annual):
    """Before any deadline nothing is overdue: the report does not read the cycle's open
    tasks once more for holders; after one, it names them."""
    from engine import store

    database = store.db.obj
    seen = []
    original = database.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return original(sql, params, *args, **kwargs)

    database.execute_sql = execute_sql
    try:
        early = reports.cycle_report(annual, HANA, now=T0 + days(3))
        before = len(seen)
        late = reports.cycle_report(annual, HANA, now=T0 + days(400))
    finally:
        del database.execute_sql
    assert not any(step.overdue for step in early.steps) and list(early.holders) == []
    assert any(step.overdue for step in late.steps) and late.holders.total >= 2
    assert len(seen) - before == before + 1, seen  # the holders' own query, late only
