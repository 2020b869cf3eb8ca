"""Who plays a role, asked from every side: the engine's commands, the inbox, the instance
page's role lists. All of them follow engine/roles.py, so they agree, in particular about
people who left (inactive): they play no role anywhere."""

import pytest

from engine import commands, queries, roles
from engine.directory import People
from engine.errors import NotAllowed, SubmissionInvalid
from engine.store import Person

from .conftest import T0, events, task_of


def _leave(email: str) -> None:
    """The person left: inactive, still named as a manager by their reports."""
    Person.update(active=False).where(Person.email == email).execute()


def test_an_inactive_nominee_is_neither_given_a_task_nor_listed_as_a_peer(org, library):
    commands.launch(library, "feedback", "fb", where=[("email", "ann@x.com")], now=T0)
    _leave("cat@x.com")
    nomination = task_of("ann@x.com", "nomination")
    with pytest.raises(SubmissionInvalid, match="Cat Rep has left and cannot be named"):
        commands.submit(nomination.id, "ann@x.com", {"peers": ["bob@x.com", "cat@x.com"]},
                        now=T0)
    Person.update(active=True).where(Person.email == "cat@x.com").execute()
    commands.submit(nomination.id, "ann@x.com", {"peers": ["bob@x.com", "cat@x.com"]}, now=T0)
    _leave("cat@x.com")  # after being named: no longer listed as a peer
    detail = queries.instance_detail(nomination.instance_id, now=T0)
    assert detail.roles["peers"] == ["bob@x.com"]
    assert sorted(t.assignee_email for t in detail.tasks if t.form_id == "peer-feedback") == [
        "bob@x.com", "cat@x.com"]  # her task stays, in history; HR may reassign it


def test_an_inactive_manager_gets_no_decision_in_the_inbox_and_cannot_fire(org, library):
    commands.launch(library, "review", "c", where=[("email", "ann@x.com")], now=T0)
    ann = task_of("ann@x.com", "self-review")
    commands.submit(ann.id, "ann@x.com", {"rating": 3, "summary": "s"}, now=T0)
    assert [d.triggers for d in queries.inbox("mia@x.com", now=T0).decisions] == [
        ("approve", "start_pip", "send_back")]
    _leave("mia@x.com")
    assert queries.inbox("mia@x.com", now=T0).decisions == []
    detail = queries.instance_detail(ann.instance_id, now=T0)
    assert detail.roles["manager"] == []
    with pytest.raises(NotAllowed, match="may not fire 'start_pip'"):
        commands.fire(ann.instance_id, "start_pip", "mia@x.com", now=T0)
    assert events(ann.instance_id, "refused")[-1].actor == "mia@x.com"


def test_an_inactive_hr_member_is_not_hr(org, library):
    people = People()
    assert roles.is_hr("hal@x.com", people)
    _leave("hal@x.com")
    assert not roles.is_hr("hal@x.com", People())
    assert queries.inbox("hal@x.com", now=T0).unassigned == []


@pytest.mark.parametrize("kind", ["chain", "field", "group", "person", "subject"])
def test_every_role_kind_answers_the_same_from_every_side(org, library, kind):
    """The instance page's list, the engine's plays() and the inbox SQL agree per kind."""
    from engine.definitions.specs import RoleSpec

    role = {"subject": RoleSpec("r", "subject"),
            "chain": RoleSpec("r", "chain", steps=("manager", "manager")),
            "group": RoleSpec("r", "group", group="hr"),
            "field": RoleSpec("r", "field", form="nomination", field="peers"),
            "person": RoleSpec("r", "person", email="cat@x.com")}[kind]
    expected = {"subject": ["ann@x.com"], "chain": ["ceo@x.com"], "group": ["hal@x.com"],
                "field": ["bob@x.com"], "person": ["cat@x.com"]}[kind]
    people = People()
    ann = people.find("ann@x.com")
    facts = roles.Facts(ann.id, people, {"nomination": {"peers": ["bob@x.com"]}})
    assert roles.emails(role, facts) == expected
    for email in ("ann@x.com", "bob@x.com", "cat@x.com", "ceo@x.com", "hal@x.com",
                  "mia@x.com"):
        person = people.find(email)
        assert roles.KINDS[kind].holds(role, person, facts) == (email in expected), email


def test_the_table_has_an_entry_for_every_role_kind_of_the_language():
    from typing import get_args

    from engine.definitions.specs import RoleKind

    assert sorted(roles.KINDS) == sorted(get_args(RoleKind))
