"""Launch, submit, fire, reassign, cancel: behaviour, refusals and unchanged databases."""

from datetime import timedelta

import pytest

from engine import commands, queries
from engine.errors import Conflict, NotAllowed, NotFound, SubmissionInvalid
from engine.store import Instance, Outbox, Submission, Task

from .conftest import T0, events, snapshot, task_of, without_events

GOOD = {"rating": 4, "summary": "A good year"}


@pytest.fixture
def review(org, library):
    commands.launch(library, "review", "2026", now=T0)
    return library


def instance_of(email):
    return Instance.get(Instance.subject == task_of(email, "self-review").assignee_id)


def test_launch_creates_one_instance_per_active_subject_and_is_idempotent(org, library):
    first = commands.launch(library, "review", "2026", where=[("department", "Sales")], now=T0)
    assert (first.created, first.existing) == (4, 0)
    again = commands.launch(library, "review", "2026", now=T0)
    assert (again.created, again.existing) == (2, 4)
    assert commands.launch(library, "review", "2026", now=T0).created == 0
    assert Instance.select().count() == 6
    assert Task.select().where(Task.form_id == "self-review").count() == 6


@pytest.mark.parametrize(("where", "expected"), [
    ([("group", "hr")], {"hal@x.com"}),
    ([("manager", "mia@x.com")], {"ann@x.com", "bob@x.com", "cat@x.com"}),
    ([("location", "Lyon")], {"ann@x.com", "bob@x.com"}),
    ([("title", "Rep"), ("title", "Senior Rep")], {"ann@x.com", "bob@x.com", "cat@x.com"}),
    ([("department", "Sales"), ("location", "Paris")], {"mia@x.com", "cat@x.com"}),
])
def test_launch_filters_the_population(org, library, where, expected):
    commands.launch(library, "review", "c", where=where, now=T0)
    subjects = {i.subject.email for i in Instance.select()}
    assert subjects == expected


def test_launch_refuses_a_cycle_of_another_workflow_and_unknown_workflows(review):
    with pytest.raises(Conflict, match="cycle '2026' runs workflow 'review'"):
        commands.launch(review, "pip", "2026", now=T0)
    with pytest.raises(NotFound, match="no workflow 'reveiw'.*review"):
        commands.launch(review, "reveiw", "x", now=T0)


def test_launch_in_batches_gives_the_same_result(org, library):
    result = commands.launch(library, "review", "b", now=T0, batch_size=2)
    assert result.created == 6 and Instance.select().count() == 6


def test_a_role_resolving_to_nobody_leaves_the_task_unassigned_and_tells_hr(review):
    ceo = instance_of("ceo@x.com")
    task = task_of("ceo@x.com", "self-review")
    commands.submit(task.id, "ceo@x.com", GOOD, now=T0)
    manager_task = Task.get((Task.instance == ceo.id) & (Task.form_id == "manager-review"))
    assert manager_task.assignee_id is None
    assert [e.detail["role"] for e in events(ceo.id, "unassigned")] == ["manager"]
    assert Outbox.get(Outbox.kind == "unassigned").recipient == "hal@x.com"
    hr_inbox = queries.inbox("hal@x.com", now=T0)
    assert [t.id for t in hr_inbox.unassigned] == [manager_task.id]
    commands.reassign(manager_task.id, "hal@x.com", "hal@x.com", reason="no manager", now=T0)
    assert task_of("hal@x.com", "manager-review").id == manager_task.id
    assert events(ceo.id, "reassigned")[0].detail["to"] == "hal@x.com"


def test_submit_moves_on_by_auto_transition(review):
    task = task_of("ann@x.com", "self-review")
    result = commands.submit(task.id, "ann@x.com", GOOD, now=T0)
    assert (result.state, result.fired) == ("manager", ("self_done",))
    assert task_of("mia@x.com", "manager-review").state == "manager"
    sub = Submission.get(Submission.task == task.id)
    assert sub.data == GOOD and sub.author.email == "ann@x.com"


def test_an_invalid_submission_stores_nothing_and_says_which_fields(review):
    task = task_of("ann@x.com", "self-review")
    before = snapshot()
    with pytest.raises(SubmissionInvalid) as info:
        commands.submit(task.id, "ann@x.com", {"rating": 9, "summary": "x" * 300}, now=T0)
    assert set(info.value.errors) == {"rating", "summary"}
    with pytest.raises(SubmissionInvalid) as info:
        commands.submit(task.id, "ann@x.com", {}, now=T0)
    assert info.value.errors["rating"] == ["This field is required."]
    with pytest.raises(SubmissionInvalid):
        commands.submit(task.id, "ann@x.com", ["not", "an", "object"], now=T0)
    assert snapshot() == before


def test_bad_task_commands_are_clear_errors_and_change_nothing(review):
    task = task_of("ann@x.com", "self-review")
    before = snapshot()
    with pytest.raises(NotFound, match="no task 9999"):
        commands.submit(9999, "ann@x.com", GOOD, now=T0)
    assert snapshot() == before
    with pytest.raises(NotAllowed, match=f"task {task.id} is not assigned to bob@x.com"):
        commands.submit(task.id, "bob@x.com", GOOD, now=T0)
    assert without_events(snapshot()) == without_events(before)
    refused = events(task.instance_id, "refused")
    assert refused[0].actor == "bob@x.com" and "not assigned" in refused[0].detail["reason"]
    commands.submit(task.id, "ann@x.com", GOOD, now=T0)
    after_submit = snapshot()
    with pytest.raises(Conflict, match="already submitted"):
        commands.submit(task.id, "ann@x.com", GOOD, now=T0)
    with pytest.raises(Conflict, match="already submitted"):
        commands.save_draft(task.id, "ann@x.com", GOOD, now=T0)
    assert snapshot() == after_submit


def test_drafts_are_kept_unvalidated_for_the_assignee(review):
    task = task_of("ann@x.com", "self-review")
    commands.save_draft(task.id, "ann@x.com", {"rating": 9, "junk": 1}, now=T0)
    assert Task.get_by_id(task.id).draft == {"rating": 9}
    assert [t.id for t in queries.drafts("ann@x.com", now=T0)] == [task.id]
    commands.submit(task.id, "ann@x.com", GOOD, now=T0)
    assert Task.get_by_id(task.id).draft is None


def test_the_inbox_lists_my_own_drafts_not_an_escalated_tasks(review):
    from engine import timers

    task = task_of("ann@x.com", "self-review")
    commands.save_draft(task.id, "ann@x.com", {"rating": 3}, now=T0)
    assert [t.id for t in queries.inbox("ann@x.com", now=T0).drafts] == [task.id]
    assert timers.tick(T0 + timedelta(days=7)).escalations >= 1  # now Mia's to chase too
    later = T0 + timedelta(days=7, hours=1)
    mia = queries.inbox("mia@x.com", now=later)
    assert task.id in [t.id for t in mia.tasks] and mia.drafts == []  # Ann's draft
    assert [t.id for t in queries.inbox("ann@x.com", now=later).drafts] == [task.id]
    assert [t.id for t in queries.drafts("ann@x.com", now=later)] == [task.id]


def test_draft_saves_within_an_hour_are_one_history_event(review):
    task = task_of("ann@x.com", "self-review")
    for minutes in (0, 5, 30, 59):
        commands.save_draft(task.id, "ann@x.com", {"rating": 1 + minutes % 5},
                            now=T0 + timedelta(minutes=minutes))
    assert len(events(task.instance_id, "draft-saved")) == 1
    assert Task.get_by_id(task.id).draft == {"rating": 5}  # the last save is what is kept
    commands.save_draft(task.id, "ann@x.com", {"rating": 2}, now=T0 + timedelta(minutes=61))
    saved = events(task.instance_id, "draft-saved")
    assert [e.at for e in saved] == [T0, T0 + timedelta(minutes=61)]


def test_fire_by_an_allowed_role_with_conditions(review):
    commands.submit(task_of("ann@x.com", "self-review").id, "ann@x.com", GOOD, now=T0)
    manager_task = task_of("mia@x.com", "manager-review")
    inst = manager_task.instance_id
    # the condition reads the manager's review: without one it fails, and is refused
    with pytest.raises(NotAllowed, match="'approve' refused: expression .* failed"):
        commands.fire(inst, "approve", "mia@x.com", now=T0)
    with pytest.raises(NotAllowed, match="may not fire 'approve': only manager may"):
        commands.fire(inst, "approve", "ann@x.com", now=T0)
    reasons = [e.detail["reason"] for e in events(inst, "refused")]
    assert len(reasons) == 2 and "has no attribute 'manager-review'" in reasons[0]
    assert Instance.get_by_id(inst).state == "manager"
    result = commands.submit(manager_task.id, "mia@x.com", {"rating": 3}, trigger="approve",
                             now=T0)
    assert (result.state, result.fired) == ("hr_check", ("approve",))
    with pytest.raises(NotAllowed, match="only hr may"):
        commands.fire(inst, "close", "mia@x.com", now=T0)
    assert commands.fire(inst, "close", "hal@x.com", now=T0).status == "finished"


def test_a_refused_decision_stores_nothing_of_the_submission(review):
    commands.submit(task_of("ann@x.com", "self-review").id, "ann@x.com", GOOD, now=T0)
    manager_task = task_of("mia@x.com", "manager-review")
    before = snapshot()
    with pytest.raises(NotAllowed, match="does not hold"):
        commands.submit(manager_task.id, "mia@x.com", {"rating": 1}, trigger="approve", now=T0)
    assert without_events(snapshot()) == without_events(before)
    assert len(events(manager_task.instance_id, "refused")) == 1


def test_wrong_triggers(review):
    inst = instance_of("ann@x.com").id
    before = snapshot()
    with pytest.raises(NotFound, match="no trigger 'aprove' \\(did you mean 'approve'"):
        commands.fire(inst, "aprove", "mia@x.com", now=T0)
    with pytest.raises(Conflict, match="in state 'self'; 'approve' applies only from manager"):
        commands.fire(inst, "approve", "mia@x.com", now=T0)
    with pytest.raises(NotFound, match="no instance"):
        commands.fire(424242, "approve", "mia@x.com", now=T0)
    assert snapshot() == before
    with pytest.raises(NotAllowed, match="fires by itself"):
        commands.fire(inst, "self_done", "ann@x.com", now=T0)
    assert without_events(snapshot()) == without_events(before)


def test_send_back_needs_its_form_and_reenters_with_fresh_tasks(review):
    first = task_of("ann@x.com", "self-review")
    commands.submit(first.id, "ann@x.com", GOOD, now=T0)
    inst = first.instance_id
    with pytest.raises(SubmissionInvalid) as info:
        commands.fire(inst, "send_back", "mia@x.com", data={}, now=T0)
    assert "reason" in info.value.errors
    # the skip-level manager plays `skip`, also allowed
    result = commands.fire(inst, "send_back", "ceo@x.com", data={"reason": "More detail"},
                           now=T0)
    assert result.state == "self"
    again = task_of("ann@x.com", "self-review")
    assert again.id != first.id and again.entry == 3
    assert Task.get_by_id(task_of("mia@x.com", "manager-review", "cancelled").id)
    sub = Submission.get(Submission.trigger == "send_back")
    assert sub.task_id is None and sub.data == {"reason": "More detail"}


def test_a_decision_or_a_button_without_its_transition_form_is_refused(review):
    commands.submit(task_of("ann@x.com", "self-review").id, "ann@x.com", GOOD, now=T0)
    manager_task = task_of("mia@x.com", "manager-review")
    inst = manager_task.instance_id
    before = snapshot()
    with pytest.raises(SubmissionInvalid) as decided:
        commands.submit(manager_task.id, "mia@x.com", {"rating": 3}, trigger="send_back",
                        now=T0)
    assert list(decided.value.errors) == ["reason"]
    with pytest.raises(SubmissionInvalid) as fired:
        commands.fire(inst, "send_back", "mia@x.com", now=T0)
    assert list(fired.value.errors) == ["reason"]
    with pytest.raises(SubmissionInvalid) as empty:
        commands.submit(manager_task.id, "mia@x.com", {"rating": 3}, trigger="send_back",
                        trigger_data={"reason": ""}, now=T0)
    assert list(empty.value.errors) == ["reason"]
    assert snapshot() == before
    result = commands.submit(manager_task.id, "mia@x.com", {"rating": 3}, trigger="send_back",
                             trigger_data={"reason": "Add examples"}, now=T0)
    assert (result.state, result.fired) == ("self", ("send_back",))
    reason = Submission.get(Submission.trigger == "send_back", Submission.task.is_null())
    assert reason.data == {"reason": "Add examples"}


def test_reassign_and_delegate_rules(review):
    commands.submit(task_of("ann@x.com", "self-review").id, "ann@x.com", GOOD, now=T0)
    task = task_of("mia@x.com", "manager-review")  # delegable
    with pytest.raises(NotAllowed, match="may not reassign"):
        commands.reassign(task.id, "bob@x.com", "ann@x.com", now=T0)
    commands.delegate(task.id, "cat@x.com", "mia@x.com", reason="on leave", now=T0)
    assert task_of("cat@x.com", "manager-review").id == task.id
    kinds = [e.kind for e in events(task.instance_id)]
    assert "delegated" in kinds
    self_task = task_of("bob@x.com", "self-review")  # not delegable
    with pytest.raises(NotAllowed, match="not delegable"):
        commands.reassign(self_task.id, "cat@x.com", "bob@x.com", now=T0)
    with pytest.raises(NotFound, match="no active person"):
        commands.reassign(self_task.id, "ghost@x.com", "hal@x.com", now=T0)
    commands.reassign(self_task.id, "cat@x.com", "hal@x.com", now=T0)
    told = Outbox.select().where(Outbox.kind == "assigned", Outbox.task == self_task.id)
    assert [o.recipient for o in told.order_by(Outbox.id)] == ["bob@x.com", "cat@x.com"]


def test_cancel_is_for_hr_and_cancels_open_tasks(review):
    inst = instance_of("bob@x.com").id
    with pytest.raises(NotAllowed, match="HR may"):
        commands.cancel(inst, "mia@x.com", "left", now=T0)
    with pytest.raises(Exception, match="reason is required"):
        commands.cancel(inst, "hal@x.com", " ", now=T0)
    result = commands.cancel(inst, "hal@x.com", "left the company", now=T0)
    assert result.status == "cancelled"
    assert Task.get(Task.instance == inst).status == "cancelled"
    with pytest.raises(Conflict, match="cancelled, not running"):
        commands.fire(inst, "close", "hal@x.com", now=T0)
    assert events(inst, "cancelled")[0].detail["reason"] == "left the company"


def test_history_records_who_did_what_and_when(review):
    task = task_of("ann@x.com", "self-review")
    later = T0 + timedelta(hours=3)
    commands.submit(task.id, "ann@x.com", GOOD, now=later)
    history = queries.history(task.instance_id)
    assert [(e.kind, e.actor, e.from_state, e.to_state) for e in history] == [
        ("launched", "system", None, "self"),
        ("submitted", "ann@x.com", None, None),
        ("transition", "ann@x.com", "self", "manager"),
    ]
    assert history[1].at == later and history[1].task_id == task.id


def test_reassign_by_rule_after_a_change_of_manager(review):
    from engine import directory

    from .conftest import ORG_CSV

    commands.submit(task_of("bob@x.com", "self-review").id, "bob@x.com", GOOD, now=T0)
    task = task_of("mia@x.com", "manager-review")
    directory.import_csv(ORG_CSV.replace("Bob Rep,mia@x.com", "Bob Rep,cat@x.com"), now=T0)
    with pytest.raises(NotAllowed, match="only HR"):
        commands.reassign(task.id, None, "mia@x.com", now=T0)
    commands.reassign(task.id, None, "hal@x.com", reason="new manager", now=T0)
    assert task_of("cat@x.com", "manager-review").id == task.id
    event = events(task.instance_id, "reassigned")[0]
    assert (event.actor, event.detail["previous"], event.detail["to"]) == (
        "hal@x.com", "mia@x.com", "cat@x.com")


def test_launch_with_an_unknown_filter_field_is_refused(org, library):
    with pytest.raises(NotFound, match="no directory field 'departement'"):
        commands.launch(library, "review", "c", where=[("departement", "Sales")], now=T0)
    assert Instance.select().count() == 0
