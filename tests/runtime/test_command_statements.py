"""What a command asks the database, on both backends: the rows it needs, each once.

A submit is the engine's hottest command (every rater, every form), so a read it could do
without is paid by everyone; these tests read the statements a command runs."""

from __future__ import annotations

from engine import commands

from .conftest import T0, captured, task_of

GOOD = {"rating": 4, "summary": "A good year"}


def _reads(seen, table: str) -> list[str]:
    return [sql for sql, _ in seen
            if sql.lstrip().upper().startswith("SELECT") and f'FROM "{table}"' in sql]


def test_a_submit_locks_the_instance_by_its_task_without_reading_the_task_first(org, library):
    commands.launch(library, "review", "2026", now=T0)
    task = task_of("ann@x.com", "self-review")
    with captured() as seen:
        commands.submit(task.id, "ann@x.com", GOOD, now=T0)
    first = seen[0][0]
    assert first.lstrip().startswith("SELECT") and 'FROM "instance" WHERE "id" = (SELECT' \
        in first and '"task"' in first, seen[:2]


def test_a_submit_that_ends_its_step_cancels_nothing_when_nothing_is_open(org, library):
    """The step's tasks were read under the lock: its last one was just submitted, so
    there is nothing to cancel and no UPDATE looks for it."""
    commands.launch(library, "review", "2026", now=T0)
    with captured() as seen:
        result = commands.submit(task_of("ann@x.com", "self-review").id, "ann@x.com", GOOD,
                                 now=T0)
    assert result.state == "manager"
    updates = [params for sql, params in seen if sql.lstrip().startswith('UPDATE "task"')]
    assert len(updates) == 1 and "submitted" in updates[0]  # the task itself, nothing else


def test_a_step_entered_again_reads_the_instances_answers_once(org, library):
    """Sent back, the self-review starts from Ann's earlier answers and the manager's
    role is resolved from the forms: both come from one read of the submissions."""
    commands.launch(library, "review", "2026", now=T0)
    first = task_of("ann@x.com", "self-review")
    commands.submit(first.id, "ann@x.com", GOOD, now=T0)
    with captured() as seen:
        result = commands.fire(first.instance_id, "send_back", "mia@x.com",
                               data={"reason": "More detail"}, now=T0)
    assert result.state == "self"
    assert len(_reads(seen, "submission")) == 1, _reads(seen, "submission")
    again = task_of("ann@x.com", "self-review")
    assert again.entry == 3 and again.draft == GOOD


def test_a_cycles_dates_are_read_once_and_still_decide_due_dates(org, library):
    """A cycle's dates never change once launched: the first command that enters a state
    reads them, later ones reuse them, and the due day they set still holds."""
    from datetime import date

    from engine.clock import end_of_day
    from engine.dates import CycleDates
    from engine.store import Task

    commands.launch(library, "review", "2026", now=T0,
                    dates=CycleDates(states={"manager": date(2026, 3, 20)}))
    reads = []
    for email in ("ann@x.com", "bob@x.com"):
        with captured() as seen:
            commands.submit(task_of(email, "self-review").id, email, GOOD, now=T0)
        reads.append(len(_reads(seen, "cycle")))
        assert task_of(email, "self-review", "submitted")
    assert reads == [1, 0]
    due = {t.due_at for t in Task.select().where(Task.form_id == "manager-review")}
    assert due == {end_of_day(date(2026, 3, 20))}  # the cycle's day, not the line's 7d
