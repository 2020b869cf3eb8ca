"""Field roles, quorum, anonymity, readers, timers, repeat, start: and versions."""

from datetime import timedelta

import pytest

from engine import commands, directory, queries, timers, visibility
from engine.errors import DefinitionError, SubmissionInvalid
from engine.store import Definition, Instance, Outbox, Task

from .conftest import ORG_CSV, T0, copy_library, events, library_at, snapshot, task_of

DAY = timedelta(days=1)


@pytest.fixture
def feedback(org, library):
    commands.launch(library, "feedback", "fb", where=[("email", "ann@x.com")], now=T0)
    return Instance.get()


def nominate(peers):
    task = task_of("ann@x.com", "nomination")
    return commands.submit(task.id, "ann@x.com", {"peers": peers}, now=T0)


def test_people_named_in_a_field_role_must_be_active_others_than_the_subject(feedback):
    before = snapshot()
    with pytest.raises(SubmissionInvalid) as invalid:
        nominate(["bob@x.com", "ghost@x.com", "ANN@x.com", "bob@x.com"])
    assert invalid.value.errors == {
        "peers[1]": ["ghost@x.com is not in the directory."],
        "peers[2]": ["Ann Rep is the person this process is about and cannot be named here."],
        "peers[3]": ["Bob Rep is named twice."],
    }
    assert snapshot() == before
    directory.import_csv(ORG_CSV.replace("cat@x.com,Cat Rep,mia@x.com,Sales,Senior Rep,,,Paris\n",
                                         ""), now=T0, sync=True)
    with pytest.raises(SubmissionInvalid) as invalid:
        nominate(["bob@x.com", "cat@x.com"])
    assert invalid.value.errors == {"peers[1]": ["Cat Rep has left and cannot be named."]}


def test_field_role_gives_one_task_per_nominated_peer_and_quorum_completes(feedback):
    result = nominate(["bob@x.com", "CAT@x.com", "ceo@x.com"])
    assert result.state == "collect"
    peers = Task.select().where(Task.form_id == "peer-feedback")
    assert sorted(t.assignee.email for t in peers) == ["bob@x.com", "cat@x.com", "ceo@x.com"]
    assert events(feedback.id, "role-problems") == []
    first = commands.submit(task_of("bob@x.com", "peer-feedback").id, "bob@x.com",
                            {"rating": 4, "comment": "solid"}, now=T0)
    assert first.state == "collect"
    second = commands.submit(task_of("cat@x.com", "peer-feedback").id, "cat@x.com",
                             {"rating": 2, "comment": "ok"}, now=T0)
    assert second.state == "debrief" and second.fired == ("collected",)
    # the third peer's task is cancelled when the state is left
    assert task_of("ceo@x.com", "peer-feedback", "cancelled")


def test_anonymous_answers_private_fields_and_readers(feedback):
    nominate(["bob@x.com", "cat@x.com"])
    commands.submit(task_of("bob@x.com", "peer-feedback").id, "bob@x.com",
                    {"rating": 4, "comment": "solid"}, now=T0)
    commands.submit(task_of("cat@x.com", "peer-feedback").id, "cat@x.com",
                    {"rating": 2, "comment": "ok"}, now=T0)
    debrief = task_of("mia@x.com", "debrief-notes")
    detail = queries.instance_detail(feedback.id, now=T0)
    # the manager is shown peer-feedback, but only aggregated, and only at the threshold (3)
    views, aggregates = visibility.visible_submissions("mia@x.com", detail)
    assert views == [] and aggregates == []
    assert visibility.aggregate("peer-feedback", [{"rating": 4}, {"rating": 2}]).count == 2
    views, aggregates = visibility.visible_submissions("bob@x.com", detail)
    assert [(v.form_id, v.author_email) for v in views] == [("peer-feedback", "bob@x.com")]
    result = commands.submit(debrief.id, "mia@x.com",
                             {"summary": "Good year", "note_to_hr": "promote"}, now=T0)
    assert result.state == "shared"
    detail = queries.instance_detail(feedback.id, now=T0)
    ann_views, _ = visibility.visible_submissions("ann@x.com", detail)
    notes = [v for v in ann_views if v.form_id == "debrief-notes"]
    assert notes[0].data == {"summary": "Good year"}  # private field removed
    hr_views, _ = visibility.visible_submissions("hal@x.com", detail)
    assert [v.data for v in hr_views if v.form_id == "debrief-notes"][0]["note_to_hr"] == "promote"
    bob_views, _ = visibility.visible_submissions("bob@x.com", detail)
    assert "debrief-notes" not in {v.form_id for v in bob_views}
    agg = visibility.aggregate("peer-feedback", [{"rating": 4, "comment": "b"},
                                                 {"rating": 2, "comment": "a"}])
    assert agg.numbers["rating"]["avg"] == 3 and agg.texts["comment"] == ["a", "b"]


def test_readers_after_a_state_see_nothing_before_it(feedback):
    nominate(["bob@x.com", "cat@x.com"])
    for who in ("bob@x.com", "cat@x.com"):
        commands.submit(task_of(who, "peer-feedback").id, who, {"rating": 3}, now=T0)
    detail = queries.instance_detail(feedback.id, now=T0)
    sub = type("S", (), {"author_email": "mia@x.com", "form_id": "debrief-notes",
                         "state": "debrief", "task_key": "0:debrief-notes"})()
    assert not visibility.can_read_submission("ann@x.com", sub, detail)
    detail.states_entered.add("shared")
    assert visibility.can_read_submission("ann@x.com", sub, detail)


def test_after_timer_fires_only_when_its_conditions_hold(feedback):
    nominate(["bob@x.com", "cat@x.com", "ceo@x.com"])
    report = timers.tick(T0 + 22 * DAY)
    assert report.fired == []
    assert events(feedback.id, "timer-held")[0].detail["reason"].startswith("condition")
    assert Instance.get_by_id(feedback.id).timer_at is None
    commands.submit(task_of("bob@x.com", "peer-feedback").id, "bob@x.com", {"rating": 3},
                    now=T0 + 23 * DAY)
    # the elapsed timer now applies: the submission that satisfies it moves on
    assert Instance.get_by_id(feedback.id).state == "debrief"


def test_after_timer_fires_on_tick(org, library):
    commands.launch(library, "review", "r", where=[("email", "bob@x.com")], now=T0)
    assert timers.tick(T0 + 13 * DAY).fired == []
    report = timers.tick(T0 + 14 * DAY)
    inst = Instance.get()
    assert report.fired == [(inst.id, "expire")] and inst.state == "hr_check"
    assert task_of("bob@x.com", "self-review", "cancelled")
    assert timers.tick(T0 + 15 * DAY).fired == []


def test_reminders_and_escalation_go_to_the_outbox_once(org, library):
    commands.launch(library, "review", "r", where=[("email", "bob@x.com")], now=T0)
    task = task_of("bob@x.com", "self-review")
    assert task.due_at == T0 + 7 * DAY and task.remind_at == T0 + 4 * DAY
    assert timers.tick(T0 + 4 * DAY).reminders == 1
    assert timers.tick(T0 + 4 * DAY).reminders == 0
    assert timers.tick(T0 + 6 * DAY).reminders == 1
    report = timers.tick(T0 + 7 * DAY)
    assert (report.reminders, report.escalations) == (0, 1)
    kinds = [(o.kind, o.recipient, o.sent_at) for o in Outbox.select()
             .where(Outbox.kind != "assigned").order_by(Outbox.id)]
    assert kinds == [("reminder", "bob@x.com", None), ("reminder", "bob@x.com", None),
                     ("escalation", "mia@x.com", None)]
    # the manager told of the overdue task sees it, and may remind Bob (not answer for him)
    assert [t.id for t in queries.inbox("mia@x.com", now=T0 + 8 * DAY).tasks] == [task.id]
    item = queries.inbox("bob@x.com", now=T0 + 8 * DAY).tasks[0]
    assert item.overdue is True
    commands.nudge(task.id, "mia@x.com", now=T0 + 8 * DAY)
    assert Outbox.select().where(Outbox.kind == "nudge").get().recipient == "bob@x.com"
    assert Instance.get().state == "self"


def test_a_tick_handles_every_due_row_once_over_many_pages(org, library, monkeypatch):
    """Due rows are paged by (due, id): rows due at the same moment span pages, one due
    earlier comes first, and none is handled twice or left out."""
    monkeypatch.setattr(timers, "_BATCH", 2)
    commands.launch(library, "review", "r", now=T0)
    tasks = list(Task.select().where(Task.form_id == "self-review").order_by(Task.id))
    assert len(tasks) > 4  # more than two pages of reminders due at one moment
    Task.update(remind_at=T0 + 3 * DAY).where(Task.id == tasks[-1].id).execute()
    report = timers.tick(T0 + 4 * DAY)
    assert report.reminders == len(tasks)
    reminded = [o.task_id for o in Outbox.select().where(Outbox.kind == "reminder")
                .order_by(Outbox.id)]
    assert reminded == [tasks[-1].id] + [t.id for t in tasks[:-1]]
    assert timers.tick(T0 + 4 * DAY).reminders == 0
    instances = Instance.select().count()
    assert len(timers.tick(T0 + 14 * DAY).fired) == instances > 2


def test_start_launches_a_linked_child_and_repeat_creates_weekly_tasks(org, library):
    commands.launch(library, "review", "r", where=[("email", "bob@x.com")], now=T0)
    commands.submit(task_of("bob@x.com", "self-review").id, "bob@x.com",
                    {"rating": 1, "summary": "hard year"}, now=T0)
    parent = Instance.get()
    result = commands.fire(parent.id, "start_pip", "mia@x.com", now=T0)
    assert result.status == "finished"
    child = Instance.get(Instance.parent == parent.id)
    assert (child.workflow_id, child.state, child.subject_id) == ("pip", "active",
                                                                  parent.subject_id)
    assert events(parent.id, "started")[0].detail["child"] == child.id
    first = task_of("mia@x.com", "checkin")
    assert first.due_at == T0 + 2 * DAY
    assert timers.tick(T0 + 6 * DAY).repeated == 0
    assert timers.tick(T0 + 7 * DAY).repeated == 1
    assert timers.tick(T0 + 7 * DAY).repeated == 0
    checkins = list(Task.select().where(Task.form_id == "checkin").order_by(Task.id))
    assert [t.created_at for t in checkins] == [T0, T0 + 7 * DAY]
    assert checkins[1].due_at == T0 + 9 * DAY
    items = queries.instances_of("pip", now=T0 + 8 * DAY)
    assert [i.id for i in items] == [child.id]
    assert items[0].next_task.id == checkins[0].id and items[0].next_task.overdue
    # unless: a condition that blocks the manual trigger
    report = timers.tick(T0 + 30 * DAY)
    assert (child.id, "end_of_plan") in report.fired
    assert commands.fire(child.id, "succeed", "hal@x.com", now=T0 + 31 * DAY).state == "passed"


def test_start_links_to_the_running_instance_instead_of_a_second_one(org, library):
    running = commands.start(library, "pip", "bob@x.com", "hal@x.com", now=T0).instance_id
    commands.launch(library, "review", "r", where=[("email", "bob@x.com")], now=T0)
    commands.submit(task_of("bob@x.com", "self-review").id, "bob@x.com",
                    {"rating": 1, "summary": "hard year"}, now=T0)
    parent = Instance.get(Instance.workflow_id == "review")
    assert commands.fire(parent.id, "start_pip", "mia@x.com", now=T0).status == "finished"
    pips = Instance.select().where((Instance.workflow_id == "pip")
                                   & (Instance.subject == parent.subject_id))
    assert [p.id for p in pips] == [running]  # one plan per person at a time
    (started,) = events(parent.id, "started")
    assert started.detail["child"] == running and started.detail["running"] is True
    assert Instance.get_by_id(running).parent_id is None  # it keeps its own origin


def test_a_changed_definition_under_the_same_version_is_refused(org, tmp_path):
    root = copy_library(tmp_path)
    commands.launch(library_at(root), "review", "r", where=[("email", "bob@x.com")], now=T0)
    path = root / "workflows" / "review.yaml"
    path.write_text(path.read_text().replace("due: 7d", "due: 9d"))
    with pytest.raises(DefinitionError) as info:
        commands.launch(library_at(root), "review", "r2", now=T0)
    text = str(info.value)
    assert "review.yaml:2:10: version: workflow 'review' version 1 is already in use" in text
    assert "bump `version` to 2" in text
    path.write_text(path.read_text().replace("version: 1", "version: 2"))
    commands.launch(library_at(root), "review", "r2", now=T0)
    assert sorted(d.version for d in Definition.select()) == [1, 1, 2]  # review 1, 2 and pip 1
    form = root / "forms" / "self-review.json"
    form.write_text(form.read_text().replace('"maximum": 5', '"maximum": 10'))
    with pytest.raises(DefinitionError, match="the form 'self-review' changed"):
        commands.launch(library_at(root), "review", "r3", now=T0)


def test_running_instances_keep_the_forms_they_started_with(org, tmp_path):
    from engine import versions
    from engine.errors import SubmissionInvalid

    root = copy_library(tmp_path)
    commands.launch(library_at(root), "review", "r", where=[("email", "bob@x.com")], now=T0)
    form = root / "forms" / "self-review.json"
    form.write_text(form.read_text().replace('"maximum": 5', '"maximum": 10'))
    path = root / "workflows" / "review.yaml"
    path.write_text(path.read_text().replace("version: 1", "version: 2"))
    commands.launch(library_at(root), "review", "r2", where=[("email", "cat@x.com")], now=T0)
    versions.clear_cache()  # as a new process would: rebuilt from the stored sources
    with pytest.raises(SubmissionInvalid):
        commands.submit(task_of("bob@x.com", "self-review").id, "bob@x.com",
                        {"rating": 8, "summary": "x"}, now=T0)
    result = commands.submit(task_of("cat@x.com", "self-review").id, "cat@x.com",
                             {"rating": 8, "summary": "x"}, now=T0)
    assert result.state == "manager"
