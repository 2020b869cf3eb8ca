"""HR's *Nudge* on a cycle's dashboard: a reminder queued in the outbox and a ``nudged``
event, written by the engine's ``nudge`` command under the instance lock."""

from __future__ import annotations

import threading

from engine import store
from engine.locking import lock_instance, transaction
from engine.store import Event, Outbox, Task, TaskStatus
from tests.web import webscenario as scenario
from tests.web.conftest import sign_in


def _nudge(client, task_id: int, **data):
    return client.post(f"/hr/tasks/{task_id}/nudge", data={"next": "/hr/cycles", **data})


def test_nudge_queues_a_reminder_with_a_link_and_records_it(app):
    with app.app_context():
        iid = scenario.to_collect(app)
        task = scenario.open_task(iid, "pat@acme.test").id
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    response = _nudge(hana, task, message="The calibration is on Friday.")
    assert response.status_code == 303 and response.headers["Location"] == "/hr/cycles"
    page = hana.get("/hr/cycles").get_data(as_text=True)
    assert "A reminder is on its way to Pat Peer." in page
    with app.app_context():
        (mail,) = Outbox.select().where(Outbox.kind == "nudge")
        (event,) = Event.select().where(Event.kind == "nudged")
    assert mail.recipient == "pat@acme.test" and (mail.task_id, mail.instance_id) == (task, iid)
    assert mail.subject.startswith("Reminder: ")
    assert "HR (Hana Human) reminds you" in mail.body
    assert "The calibration is on Friday." in mail.body
    assert f"http://localhost/tasks/{task}" in mail.body
    assert (event.actor, event.task_id) == ("hana@acme.test", task)
    assert event.detail["to"] == "pat@acme.test"


def test_nudge_of_a_task_no_longer_open_sends_nothing(app):
    with app.app_context():
        iid = scenario.to_collect(app)
        task = scenario.open_task(iid, "pat@acme.test").id
        scenario.peers_answer(iid, ["pat@acme.test"])
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    response = _nudge(hana, task)
    assert response.status_code == 303
    assert "nothing was sent" in hana.get("/hr/cycles").get_data(as_text=True)
    with app.app_context():
        assert not Outbox.select().where(Outbox.kind == "nudge").exists()
        assert not Event.select().where(Event.kind == "nudged").exists()


def test_nudge_of_a_missing_task_is_404(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    assert _nudge(hana, 99999).status_code == 404


def test_nudge_waits_for_the_instance_lock(app):
    """A submission holding the instance's lock ends before the nudge reads the task: the
    nudge then finds the task done and sends nothing (it used to send regardless)."""
    with app.app_context():
        iid = scenario.to_collect(app)
        task = scenario.open_task(iid, "pat@acme.test").id
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    locked, release = threading.Event(), threading.Event()

    def submit_under_lock():
        with app.app_context():
            store.db.connect(reuse_if_open=True)
            with transaction():
                lock_instance(iid)
                Task.update(status=TaskStatus.SUBMITTED).where(Task.id == task).execute()
                locked.set()
                release.wait(timeout=10)

    holder = threading.Thread(target=submit_under_lock)
    holder.start()
    assert locked.wait(timeout=10)
    threading.Timer(0.5, release.set).start()  # the nudge below must wait for this
    response = _nudge(hana, task)
    holder.join(timeout=15)
    assert response.status_code == 303
    with app.app_context():
        assert not Outbox.select().where(Outbox.kind == "nudge").exists()
        assert not Event.select().where(Event.kind == "nudged").exists()
