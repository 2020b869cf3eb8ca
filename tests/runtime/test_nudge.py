"""HR's nudge: one outbox row and one ``nudged`` event, under the instance lock; refusals
recorded; nothing sent for a task that is not open or that nobody active holds."""

from __future__ import annotations

import threading

import pytest

from engine import commands, directory, store
from engine.errors import Conflict, NotAllowed, NotFound, ReviewflowError
from engine.locking import lock_instance, transaction
from engine.store import Outbox, Task, TaskStatus

from .conftest import ORG_CSV, T0, events, snapshot, task_of, without_events


@pytest.fixture
def review(org, library):
    commands.launch(library, "review", "2026", where=[("email", "ann@x.com")], now=T0)
    return library


def test_nudge_queues_one_reminder_and_records_it(review):
    task = task_of("ann@x.com", "self-review")
    result = commands.nudge(task.id, "HAL@x.com", "Due before the calibration.",
                            link=f"https://reviews.example/tasks/{task.id}", now=T0)
    assert (result.task_id, result.recipient, result.recipient_name) == (
        task.id, "ann@x.com", "Ann Rep")
    (mail,) = Outbox.select().where(Outbox.kind == "nudge")
    assert (mail.recipient, mail.task_id, mail.instance_id) == ("ann@x.com", task.id,
                                                                task.instance_id)
    assert mail.subject.startswith("Reminder: ") and mail.created_at == T0
    assert "HR (Hal Hr) reminds you" in mail.body and "about Ann Rep" in mail.body
    assert "Due before the calibration." in mail.body
    assert f"Open it: https://reviews.example/tasks/{task.id}" in mail.body
    (event,) = events(task.instance_id, "nudged")
    assert (event.actor, event.task_id, event.at) == ("hal@x.com", task.id, T0)
    assert event.detail == {"form": "self-review", "to": "ann@x.com",
                            "message": "Due before the calibration."}


def test_without_a_link_the_reminder_names_the_task(review):
    task = task_of("ann@x.com", "self-review")
    commands.nudge(task.id, "hal@x.com", now=T0)
    assert f"It is task {task.id} in reviewflow." in Outbox.get(Outbox.kind == "nudge").body
    assert events(task.instance_id, "nudged")[0].detail["message"] is None


def test_only_hr_may_nudge_and_the_refusal_is_recorded(review):
    task = task_of("ann@x.com", "self-review")
    before = snapshot()
    with pytest.raises(NotAllowed, match="may not nudge"):
        commands.nudge(task.id, "mia@x.com", now=T0)
    assert without_events(snapshot()) == without_events(before)
    (refused,) = events(task.instance_id, "refused")
    assert (refused.actor, refused.trigger, refused.task_id) == ("mia@x.com", "nudge", task.id)


def test_nothing_is_sent_for_a_task_that_is_not_open(review):
    task = task_of("ann@x.com", "self-review")
    commands.submit(task.id, "ann@x.com", {"rating": 4, "summary": "s"}, now=T0)
    before = snapshot()
    with pytest.raises(Conflict, match=f"task {task.id} is submitted, not open"):
        commands.nudge(task.id, "hal@x.com", now=T0)
    assert snapshot() == before


def test_nothing_is_sent_when_the_holder_left(review):
    task = task_of("ann@x.com", "self-review")
    directory.import_csv(ORG_CSV.replace("ann@x.com,Ann Rep,mia@x.com,Sales,Rep,,2020-01-01,"
                                         "Lyon\n", ""), now=T0, sync=True)  # Ann left
    before = snapshot()
    with pytest.raises(Conflict, match="nobody active holds"):
        commands.nudge(task.id, "hal@x.com", now=T0)
    assert snapshot() == before


def test_bad_nudges_are_clear_errors_and_change_nothing(review):
    task = task_of("ann@x.com", "self-review")
    before = snapshot()
    with pytest.raises(NotFound, match="no task 9999"):
        commands.nudge(9999, "hal@x.com", now=T0)
    with pytest.raises(ReviewflowError, match="keep it to 2000"):
        commands.nudge(task.id, "hal@x.com", "x" * 2001, now=T0)
    assert snapshot() == before


def test_a_nudge_waits_for_a_command_holding_the_instance(review, db):
    """The nudge reads the task under the lock, after the submission that held it."""
    task = task_of("ann@x.com", "self-review")
    locked, release = threading.Event(), threading.Event()

    def submit_under_lock():
        store.db.connect(reuse_if_open=True)
        try:
            with transaction():
                lock_instance(task.instance_id)
                Task.update(status=TaskStatus.SUBMITTED).where(Task.id == task.id).execute()
                locked.set()
                release.wait(timeout=10)
        finally:
            store.db.close()

    holder = threading.Thread(target=submit_under_lock)
    holder.start()
    assert locked.wait(timeout=10)
    threading.Timer(0.5, release.set).start()
    with pytest.raises(Conflict, match="is submitted, not open"):
        commands.nudge(task.id, "hal@x.com", now=T0)
    holder.join(timeout=15)
    assert not holder.is_alive()
    assert not Outbox.select().where(Outbox.kind == "nudge").exists()
