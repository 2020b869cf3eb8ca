"""Read models: inbox, decisions, instance page, cycles, team; bounded query counts."""

from datetime import timedelta

import pytest

from engine import commands, directory, queries
from engine.errors import NotFound

from .conftest import ORG_CSV, T0, captured, task_of

DAY = timedelta(days=1)


def grow_org(extra: int) -> None:
    """Add ``extra`` reports under mia (each gets an instance, so mia gets tasks)."""
    rows = [f"r{i}@x.com,Report {i},mia@x.com,Sales,Rep,,,Nice" for i in range(extra)]
    directory.import_csv(ORG_CSV + "\n".join(rows) + "\n", now=T0)


def manager_tasks(library, n):
    grow_org(n)
    commands.launch(library, "review", "c", where=[("manager", "mia@x.com")], now=T0)
    for task in queries.tasks(open_only=True):
        if task.form_id == "self-review" and task.subject_email.startswith("r"):
            commands.submit(task.id, task.assignee_email, {"rating": 3, "summary": "s"}, now=T0)


def count(fn, *args, **kwargs):
    fn(*args, **kwargs)  # warm the per-version caches, as a running server has them
    with captured() as seen:
        fn(*args, **kwargs)
    return len(seen)


@pytest.mark.parametrize("fn", ["inbox", "team", "drafts", "recently_done"])
def test_list_queries_run_a_constant_number_of_queries(org, library, fn):
    manager_tasks(library, 2)
    small = count(getattr(queries, fn), "mia@x.com", now=T0)
    manager_tasks(library, 12)
    assert len(queries.inbox("mia@x.com", now=T0).tasks) == 12
    assert count(getattr(queries, fn), "mia@x.com", now=T0) == small


def test_instance_page_runs_a_constant_number_of_queries(org, library):
    commands.launch(library, "feedback", "fb", where=[("email", "ann@x.com")], now=T0)
    inst = task_of("ann@x.com", "nomination").instance_id
    commands.submit(task_of("ann@x.com", "nomination").id, "ann@x.com",
                    {"peers": ["bob@x.com", "cat@x.com"]}, now=T0)
    small = count(queries.instance_detail, inst, now=T0)
    directory.import_csv(ORG_CSV + "".join(
        f"p{i}@x.com,Peer {i},mia@x.com,Sales,Rep,,,Nice\n" for i in range(15)), now=T0)
    commands.launch(library, "feedback", "fb2", where=[("email", "bob@x.com")], now=T0)
    other = task_of("bob@x.com", "nomination")
    commands.submit(other.id, "bob@x.com", {"peers": [f"p{i}@x.com" for i in range(15)]},
                    now=T0)
    detail = queries.instance_detail(other.instance_id, now=T0)
    assert len(detail.tasks) == 16
    assert count(queries.instance_detail, other.instance_id, now=T0) == small


def test_inbox_lists_tasks_with_titles_and_decisions(org, library):
    commands.launch(library, "review", "c", where=[("manager", "mia@x.com")], now=T0)
    ann = task_of("ann@x.com", "self-review")
    commands.submit(ann.id, "ann@x.com", {"rating": 3, "summary": "s"}, now=T0)
    box = queries.inbox("mia@x.com", now=T0 + 8 * DAY)
    assert [(t.form_title, t.subject_name, t.overdue) for t in box.tasks] == [
        ("Manager review", "Ann Rep", False)]
    # mia may fire approve / start_pip / send_back on ann's instance (manager of the subject)
    assert [(d.subject_email, d.triggers, d.task_id) for d in box.decisions] == [
        ("ann@x.com", ("approve", "start_pip", "send_back"), box.tasks[0].id)]
    # the skip level (ceo) may send back: a decision without a task
    ceo = queries.inbox("ceo@x.com", now=T0)
    assert [(d.subject_email, d.triggers, d.task_id) for d in ceo.decisions] == [
        ("ann@x.com", ("send_back",), None)]
    bob = queries.inbox("bob@x.com", now=T0 + 8 * DAY)
    assert bob.tasks[0].overdue and bob.decisions == []
    with pytest.raises(NotFound):
        queries.inbox("ghost@x.com")


def test_hr_decisions_for_a_state_without_tasks(org, library):
    commands.launch(library, "review", "c", where=[("email", "bob@x.com")], now=T0)
    from engine import timers

    timers.tick(T0 + 14 * DAY)  # expire -> hr_check, which has no tasks
    box = queries.inbox("hal@x.com", now=T0 + 14 * DAY)
    assert [(d.subject_email, d.state, d.triggers) for d in box.decisions] == [
        ("bob@x.com", "hr_check", ("close",))]


def test_cycles_progress_and_team_view(org, library):
    commands.launch(library, "review", "2026", where=[("department", "Sales")], now=T0)
    commands.submit(task_of("ann@x.com", "self-review").id, "ann@x.com",
                    {"rating": 3, "summary": "s"}, now=T0)
    bob_inst = task_of("bob@x.com", "self-review").instance_id
    commands.cancel(bob_inst, "hal@x.com", "left", now=T0)
    [cycle] = queries.cycles(now=T0 + 8 * DAY)
    assert (cycle.name, cycle.total, cycle.running, cycle.cancelled) == ("2026", 4, 3, 1)
    assert cycle.by_state == {"self": 3, "manager": 1}
    assert cycle.completion == 25.0
    assert (cycle.open_tasks, cycle.overdue_tasks) == (3, 2)
    # a dashboard reads its own cycle's figures alone: the same
    assert queries.cycle_progress(cycle.id, now=T0 + 8 * DAY) == cycle
    assert queries.cycle_progress(cycle.id + 1, now=T0) is None
    team = queries.team("mia@x.com", now=T0)
    waiting = {i.subject_email: [(t.form_id, t.assignee_email) for t in i.waiting_on]
               for i in team}
    assert waiting == {"ann@x.com": [("manager-review", "mia@x.com")],
                       "cat@x.com": [("self-review", "cat@x.com")]}
    detail = queries.instance_detail(bob_inst)
    assert detail.status == "cancelled" and detail.triggers == []
    with pytest.raises(NotFound):
        queries.instance_detail(99999)
    with pytest.raises(NotFound):
        queries.task_detail("abc")


def test_recently_done_and_who_may_view_an_instance(org, library):
    from engine import visibility

    commands.launch(library, "review", "c", where=[("email", "ann@x.com")], now=T0)
    task = task_of("ann@x.com", "self-review")
    commands.submit(task.id, "ann@x.com", {"rating": 3, "summary": "s"}, now=T0 + DAY)
    done = queries.recently_done("ANN@x.com")
    assert [(t.id, t.status, t.submitted_at) for t in done] == [(task.id, "submitted", T0 + DAY)]
    commands.fire(task.instance_id, "send_back", "mia@x.com", data={"reason": "why"}, now=T0)
    detail = queries.instance_detail(task.instance_id)
    assert [visibility.can_view_instance(e, detail) for e in
            ("ann@x.com", "mia@x.com", "ceo@x.com", "hal@x.com", "bob@x.com")] == [
        True, True, True, True, False]
    reason = next(s for s in detail.submissions if s.form_id == "send-back-reason")
    assert visibility.can_read_submission("ann@x.com", reason, detail)
    assert not visibility.can_read_submission("bob@x.com", reason, detail)
    self_review = next(s for s in detail.submissions if s.form_id == "self-review")
    assert not visibility.can_read_submission("mia@x.com", self_review, detail)
    assert visibility.can_read_submission("hal@x.com", self_review, detail)
