"""Calendar months in a running instance: ``due: 1mo``, ``repeat: 1mo``, ``after: 1y``
counted on the organisation's calendar (Copenhagen), and dates worked out per subject."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine import commands, timers
from engine.definitions.library import load_library
from engine.errors import ReviewflowError
from engine.store import Event, EventKind, Instance, Task

from .conftest import T0, events, task_of

DATES = Path(__file__).resolve().parents[1] / "acceptance" / "dates"


def cph(text: str) -> datetime:
    """A Copenhagen wall-clock time as naive UTC (as stored)."""
    local = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Copenhagen"))
    return local.astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def library(monkeypatch):
    monkeypatch.setenv("REVIEWFLOW_TIMEZONE", "Europe/Copenhagen")
    return load_library([DATES / "workflows", DATES / "forms"])


def test_a_month_due_repeat_and_a_year_timer_keep_the_local_time(org, library):
    # T0 is 2 March 2026, 10:00 in Copenhagen (CET); summer time starts on 29 March
    assert T0 == cph("2026-03-02T10:00")
    commands.launch(library, "monthly-checkin", "c", where=[("email", "ann@x.com")], now=T0)
    first = task_of("ann@x.com", "year-rating")
    assert first.due_at == cph("2026-04-02T10:00")  # 08:00 UTC: a month, not 31 x 24h
    assert first.repeat_at == cph("2026-04-02T10:00")
    assert first.remind_at == cph("2026-03-26T09:00")  # 1w: exact time, across the change
    row = Instance.get()
    assert row.timer_at == cph("2027-03-02T10:00")
    report = timers.tick(cph("2026-04-02T10:00"))
    assert report.repeated == 1
    second = Task.select().where(Task.id != first.id).get()
    assert second.created_at == cph("2026-04-02T10:00")
    assert second.due_at == cph("2026-05-02T10:00")
    assert timers.tick(cph("2027-03-02T09:59")).fired == []
    assert timers.tick(cph("2027-03-02T10:00")).fired == [(row.id, "year_over")]


def test_a_person_without_a_start_date_gets_no_due_and_hr_can_see_why(org, library):
    commands.launch(library, "probation-dated", "p", where=[("department", "Sales")], now=T0)
    dues = {t.instance.subject.email: t.due_at for t in Task.select()}
    assert dues["ann@x.com"] == cph("2020-07-01T23:59")  # started 1 January 2020
    assert dues["bob@x.com"] is None  # no start date in the directory
    bob = Instance.get(Instance.subject == Task.select().where(Task.due_at.is_null())
                       .get().instance.subject_id)
    [problem] = events(bob.id, EventKind.EXPRESSION_ERROR.value)
    assert "date 'hire' (subject.start_date) has no date for bob@x.com" in problem.detail["error"]


def test_a_workflow_counting_from_a_launch_date_cannot_be_started_outside_a_cycle(org, library):
    before = Instance.select().count(), Event.select().count()
    with pytest.raises(ReviewflowError, match=r"counts a due from period_end, given at "
                       r"launch: launch it in a cycle .*--date period_end=YYYY-MM-DD"):
        commands.start(library, "dated-year", "ann@x.com", "hal@x.com", now=T0)
    assert (Instance.select().count(), Event.select().count()) == before


def test_diagrams_spell_months_and_dates_back(library):
    from engine.diagram import diagram_source, due_text

    spec = library.workflow("dated-year")
    assert due_text(spec, spec.states["manager_review"].tasks[0]) == (
        ", due 1w before End of the review period")
    probation = library.workflow("probation-dated")
    assert due_text(probation, probation.states["check"].tasks[0]) == ", due 6mo after Start date"
    monthly = library.workflow("monthly-checkin")
    assert "due 1mo" in diagram_source(monthly, "mmd") and "after 1y" in diagram_source(
        monthly, "mmd")
