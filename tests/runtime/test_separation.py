"""Separation of duties: the subject of an instance never holds a task or a decision about
themselves through another role (HR group, manager chain, peer nomination, a fixed person,
a delegate or a reassignment target). They are left out of the role for that instance and
the history says why; when nobody is left the task is unassigned and HR is told. A task
line may allow the overlap explicitly (``allow_subject: true``)."""

import pytest

from engine import commands, directory, queries, roles
from engine.definitions.library import load_library
from engine.directory import People
from engine.errors import NotAllowed, SubmissionInvalid
from engine.store import Event, Person, Task

from .conftest import DEFINITIONS, T0, events, snapshot, task_of, without_events

# Ann is a sales rep and also in HR; Hal is the other HR member.
SOD_CSV = """email,name,manager_email,department,title,groups,start_date,location
ceo@x.com,Cee Oh,,Exec,CEO,,2010-01-01,Paris
mia@x.com,Mia Manager,ceo@x.com,Sales,Manager,,2015-01-01,Paris
ann@x.com,Ann Rep,mia@x.com,Sales,Rep,hr,2020-01-01,Lyon
bob@x.com,Bob Rep,mia@x.com,Sales,Rep,,,Lyon
hal@x.com,Hal Hr,ceo@x.com,HR,HRBP,hr,,Paris
"""


@pytest.fixture(scope="module")
def sod_library():
    return load_library([DEFINITIONS / "sod" / "workflows", DEFINITIONS / "workflows",
                         DEFINITIONS / "forms"])


@pytest.fixture
def sod_org(db):
    directory.import_csv(SOD_CSV, now=T0)
    return db


def _start(library, workflow: str, subject: str) -> int:
    commands.launch(library, workflow, f"{workflow}-{subject}", where=[("email", subject)],
                    now=T0)
    return task_of(subject, "nomination").instance_id if workflow == "hr-check" else (
        Task.select().order_by(Task.id.desc()).get().instance_id)


def _holders(instance_id: int, form_id: str) -> list:
    rows = Task.select().where((Task.instance == instance_id) & (Task.form_id == form_id)
                               & (Task.status == "open"))
    return sorted((Person.get_by_id(t.assignee_id).email if t.assignee_id else "")
                  for t in rows)


def test_a_subject_in_hr_named_as_a_peer_and_as_a_fixed_person_holds_none_of_it(
        sod_org, sod_library):
    iid = _start(sod_library, "hr-check", "ann@x.com")
    with pytest.raises(SubmissionInvalid) as invalid:  # a self-nomination is refused at once
        commands.submit(task_of("ann@x.com", "nomination").id, "ann@x.com",
                        {"peers": ["ann@x.com", "bob@x.com"]}, now=T0)
    assert list(invalid.value.errors) == ["peers[0]"]
    commands.submit(task_of("ann@x.com", "nomination").id, "ann@x.com",
                    {"peers": ["bob@x.com"]}, now=T0)
    assert _holders(iid, "ack") == ["hal@x.com"]  # the rest of group hr
    assert _holders(iid, "peer-feedback") == ["bob@x.com"]
    assert _holders(iid, "checkin") == ["", "ceo@x.com"]  # person:ann -> nobody -> HR
    problems = [p for e in events(iid) for p in e.detail.get("problems", ())]
    assert "ann@x.com is the subject of this instance (left out of role 'hr')" in problems
    assert "ann@x.com is the subject of this instance (left out of role 'auditor')" in problems
    unassigned = events(iid, "unassigned")
    assert [e.detail["role"] for e in unassigned] == ["auditor"]
    detail = queries.instance_detail(iid, now=T0)
    assert detail.roles["hr"] == ["hal@x.com"] and detail.roles["auditor"] == []
    assert "ann@x.com" not in detail.hr
    assert queries.inbox("ann@x.com", now=T0).tasks == []
    assert queries.inbox("ann@x.com", now=T0).unassigned == []
    assert [t.form_id for t in queries.inbox("hal@x.com", now=T0).unassigned] == ["checkin"]


def test_an_hr_subject_cannot_decide_about_herself(sod_org, sod_library):
    iid = _start(sod_library, "hr-check", "ann@x.com")
    commands.submit(task_of("ann@x.com", "nomination").id, "ann@x.com",
                    {"peers": ["bob@x.com"]}, now=T0)
    commands.submit(task_of("hal@x.com", "ack").id, "hal@x.com", {"ok": True}, now=T0)
    commands.submit(task_of("bob@x.com", "peer-feedback").id, "bob@x.com", {"rating": 3},
                    now=T0)
    commands.submit(task_of("ceo@x.com", "checkin").id, "ceo@x.com", {"progress": "p"},
                    now=T0)
    orphan = Task.get((Task.instance == iid) & (Task.assignee.is_null()))
    commands.reassign(orphan.id, "ceo@x.com", "hal@x.com", now=T0)
    commands.submit(orphan.id, "ceo@x.com", {"progress": "p"}, now=T0)
    assert queries.instance_detail(iid, now=T0).state == "decide"
    assert queries.inbox("ann@x.com", now=T0).decisions == []
    assert [d.triggers for d in queries.inbox("hal@x.com", now=T0).decisions] == [
        ("approve", "reject")]
    before = without_events(snapshot())
    for trigger in ("approve", "reject"):
        with pytest.raises(NotAllowed, match=f"may not fire '{trigger}'"):
            commands.fire(iid, trigger, "ann@x.com", now=T0)
    assert without_events(snapshot()) == before
    assert [e.actor for e in events(iid, "refused")] == ["ann@x.com", "ann@x.com"]
    commands.fire(iid, "reject", "hal@x.com", now=T0)


def test_the_only_hr_member_as_subject_leaves_the_hr_task_unassigned_and_says_why(
        org, sod_library):
    iid = _start(sod_library, "hr-check", "hal@x.com")
    commands.submit(task_of("hal@x.com", "nomination").id, "hal@x.com",
                    {"peers": ["bob@x.com"]}, now=T0)
    assert _holders(iid, "ack") == [""]
    (event,) = [e for e in events(iid, "unassigned") if e.detail["role"] == "hr"]
    assert "hal@x.com is the subject of this instance (left out of role 'hr')" in (
        event.detail["problems"])


def test_a_manager_chain_that_loops_back_to_the_subject_leaves_them_out(sod_org, sod_library):
    Person.update(manager=Person.get(Person.email == "ann@x.com").id).where(
        Person.email == "mia@x.com").execute()
    iid = _start(sod_library, "hr-check", "ann@x.com")
    commands.submit(task_of("ann@x.com", "nomination").id, "ann@x.com",
                    {"peers": ["bob@x.com"]}, now=T0)
    assert "ann@x.com" not in _holders(iid, "checkin")  # skip = subject.manager.manager = ann
    people = People()
    ann = people.find("ann@x.com")
    facts = roles.Facts(ann.id, people, {})
    skip = sod_library.workflow("hr-check").roles["skip"]
    assert roles.emails(skip, facts) == []
    assert not roles.plays(ann, "skip", sod_library.workflow("hr-check"), facts)


def test_the_subject_is_refused_as_reassignment_target_and_as_delegate(sod_org, sod_library):
    iid = _start(sod_library, "hr-check", "ann@x.com")
    commands.submit(task_of("ann@x.com", "nomination").id, "ann@x.com",
                    {"peers": ["bob@x.com"]}, now=T0)
    peer = task_of("bob@x.com", "peer-feedback")
    before = without_events(snapshot())
    with pytest.raises(NotAllowed, match="ann@x.com is the subject"):
        commands.reassign(peer.id, "ann@x.com", "hal@x.com", now=T0)
    with pytest.raises(NotAllowed, match="may not reassign"):  # HR acts, but not on herself
        commands.reassign(peer.id, "ceo@x.com", "ann@x.com", now=T0)
    with pytest.raises(NotAllowed, match="may not cancel"):
        commands.cancel(iid, "ann@x.com", "mine", now=T0)
    with pytest.raises(NotAllowed, match="may not reveal"):
        commands.reveal_anonymous(iid, "ann@x.com", "curious", now=T0)
    assert without_events(snapshot()) == before
    assert len(events(iid, "refused")) == 4
    # the manager's delegable task in the next state: not to the subject either
    commands.submit(task_of("hal@x.com", "ack").id, "hal@x.com", {"ok": True}, now=T0)
    commands.submit(peer.id, "bob@x.com", {"rating": 3}, now=T0)
    for task in Task.select().where((Task.instance == iid) & (Task.status == "open")):
        if task.assignee_id is None:
            commands.reassign(task.id, "ceo@x.com", "hal@x.com", now=T0)
            task = Task.get_by_id(task.id)
        holder = Person.get_by_id(task.assignee_id).email
        commands.submit(task.id, holder, {"progress": "p"}, now=T0)
    mine = task_of("mia@x.com", "checkin")
    with pytest.raises(NotAllowed, match="ann@x.com is the subject"):
        commands.delegate(mine.id, "ann@x.com", "mia@x.com", now=T0)
    assert Event.select().where((Event.instance == iid) & (Event.kind == "refused")).count() == 5
    commands.delegate(mine.id, "bob@x.com", "mia@x.com", now=T0)


def test_a_task_line_may_allow_the_subject_explicitly(sod_org, sod_library):
    commands.launch(sod_library, "self-held", "c", where=[("email", "ann@x.com")], now=T0)
    assert sorted(t.assignee.email for t in Task.select()) == ["ann@x.com", "hal@x.com"]
