"""Calendar dates through the CLI: a cycle launched with a date per state and a named
date, in the organisation's time zone (Copenhagen, across a daylight-saving change), the
worker's reminder a calendar month before due and its escalation after; a probation
review due six months after each person's start date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from engine import store
from tests.acceptance.conftest import HERE, PEOPLE, Cli

DATES = HERE / "dates"
CPH = ZoneInfo("Europe/Copenhagen")
YEAR = datetime.now(UTC).year + 1  # launches use the real clock: next year is ahead


def end_of(day: date) -> str:
    """The end of ``day`` in Copenhagen, as the CLI's --json gives a due time (UTC)."""
    moment = datetime(day.year, day.month, day.day, 23, 59, tzinfo=CPH).astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat()


def iso(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=None).isoformat()


@pytest.fixture
def run(db, tmp_path, monkeypatch):
    monkeypatch.setenv("REVIEWFLOW_TIMEZONE", "Europe/Copenhagen")
    store.close()
    cli = Cli(db, DATES, tmp_path)
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE)
    cli("db", "init")
    cli("people", "import", people)
    yield cli
    store.connect(db)


def _tasks(run, email):
    return [t for t in run.open_tasks(email) if t["form_id"] == "year-rating"]


def _kinds(run, instance: int) -> list[str]:
    return [e["kind"] for e in run.show(instance)["history"]]


def test_bad_dates_are_refused_by_name_and_nothing_is_launched(run):
    base = ("launch", "dated-year", "--cycle", "Year", "--where", "department=Engineering")
    period = f"period_end={YEAR}-04-07"
    error = run.error(*base, "--due", f"self_reviw={YEAR}-01-31", "--date", period)
    assert error["error"] == "DatesInvalid" and list(error["dates"]) == ["due:self_reviw"]
    assert "no state 'self_reviw' (did you mean 'self_review'?)" in error["message"]
    assert "states with tasks: self_review, manager_review" in error["message"]
    error = run.error(*base, "--due", "self_review=2020-01-31", "--date", period)
    assert "2020-01-31 is not in the future" in error["message"]
    error = run.error(*base, "--due", f"decided={YEAR}-01-31", "--date", period)
    assert "state 'decided' has no tasks" in error["message"]
    error = run.error(*base, "--due", f"self_review={YEAR}-01-31")
    assert "counted from 'period_end': give it (--date period_end=YYYY-MM-DD)" in error["message"]
    error = run.error(*base, "--date", f"perod_end={YEAR}-04-07")
    assert "names no date 'perod_end' (did you mean 'period_end'?)" in error["message"]
    result = run(*base, "--due", "self_review=31-01-2027", ok=False)
    assert "'31-01-2027' is not a date like 2027-01-31" in result.output
    assert run.json("cycles") == [] and run.open_tasks("dev1@acme.test") == []


def test_a_cycle_with_a_date_per_state_and_a_named_date(run):
    launched = run.json("launch", "dated-year", "--cycle", "Year", "--where",
                        "department=Engineering", "--due", f"self_review={YEAR}-01-31",
                        "--date", f"period_end={YEAR}-04-07")
    assert launched["created"] == 5
    [dan] = _tasks(run, "dev1@acme.test")
    # the first state's tasks: the end of 31 January in Copenhagen (CET, 22:59 UTC)
    assert iso(dan["due_at"]) == end_of(date(YEAR, 1, 31))
    run.submit("dev1@acme.test", "year-rating", dan["instance_id"], {"rating": 4})
    [emma] = [t for t in _tasks(run, "em@acme.test")
              if t["instance_id"] == dan["instance_id"]]
    # a later state: a week before the period's end, 23:59 in summer time (21:59 UTC)
    assert iso(emma["due_at"]) == end_of(date(YEAR, 3, 31))
    # launching again adds nobody and keeps the dates; other dates are a conflict
    again = run.json("launch", "dated-year", "--cycle", "Year", "--where",
                     "department=Engineering")
    assert (again["created"], again["existing"]) == (0, 5)
    error = run.error("launch", "dated-year", "--cycle", "Year", "--due",
                      f"self_review={YEAR}-02-15", "--date", f"period_end={YEAR}-04-07")
    assert "was launched with other dates (--due self_review=" in error["message"]


def test_the_worker_reminds_a_calendar_month_before_due_and_escalates_after(run):
    run.json("launch", "dated-year", "--cycle", "Year", "--where", "email=dev2@acme.test",
             "--due", f"self_review={YEAR}-01-31", "--date", f"period_end={YEAR}-04-07")
    [dina] = _tasks(run, "dev2@acme.test")
    instance = dina["instance_id"]
    # 1mo before the end of 31 January is the end of 31 December (Copenhagen, 22:59 UTC)
    run("worker", "--once", "--now", f"{YEAR - 1}-12-31T22:58:00")
    assert "reminded" not in _kinds(run, instance)
    run("worker", "--once", "--now", f"{YEAR - 1}-12-31T22:59:00")
    assert _kinds(run, instance).count("reminded") == 1
    run("worker", "--once", "--now", f"{YEAR}-01-31T22:58:00")
    assert "escalated" not in _kinds(run, instance)
    run("worker", "--once", "--now", f"{YEAR}-01-31T22:59:00")
    assert _kinds(run, instance).count("escalated") == 1
    store.connect(run.url)
    try:
        [mail] = store.Outbox.select().where(store.Outbox.kind == "reminder")
    finally:
        store.close()
    assert f"is due {YEAR}-01-31 23:59 CET." in mail.body  # the organisation's clock


def test_a_probation_review_is_due_six_months_after_the_start_date(run):
    run.json("launch", "probation-dated", "--cycle", "Probation", "--where",
             "email=dev3@acme.test")
    [task] = _tasks(run, "em@acme.test")
    # Dora started on 1 January 2022: due at the end of 1 July 2022 (summer time)
    assert iso(task["due_at"]) == end_of(date(2022, 7, 1))
