"""Inbox decisions for any role kind: field: roles, manager chains of any depth."""

import pytest

from engine import commands, directory, queries
from engine.store import Instance

from .conftest import ORG_CSV, T0, captured, copy_library, library_at, task_of

# kid -> ann -> mia -> ceo: ceo is kid's third-level manager
DEEP_ORG = ORG_CSV + "kid@x.com,Kid Intern,ann@x.com,Sales,Intern,,,Lyon\n" + (
    "nobob@x.com,No Bob,mia@x.com,Sales,Rep,,,Lyon\n") + "".join(
    f"k{i}@x.com,Kid {i},ann@x.com,Sales,Intern,,,Lyon\n" for i in range(6))

DECIDE = """workflow: decide
version: 1
subject: person
roles:
  employee: subject
  approver: field:nomination.peers
  great_grand: subject.manager.manager.manager
initial: pick
states:
  pick:
    tasks:
      - form: nomination
        assignee: employee
  decide:
    tasks: []
  done:
    final: true
transitions:
  - trigger: picked
    source: pick
    dest: decide
    auto: true
  - trigger: approve
    source: decide
    dest: done
    allowed: [approver]
  - trigger: overrule
    source: decide
    dest: done
    allowed: [great_grand]
"""


@pytest.fixture
def decide(db, tmp_path):
    directory.import_csv(DEEP_ORG, now=T0)
    root = copy_library(tmp_path)
    (root / "workflows" / "decide.yaml").write_text(DECIDE)
    return library_at(root)


def pick(library, subject: str, peers: list[str], cycle: str = "c") -> int:
    commands.launch(library, "decide", cycle, where=[("email", subject)], now=T0)
    task = task_of(subject, "nomination")
    return commands.submit(task.id, subject, {"peers": peers}, now=T0).instance_id


def decisions(email: str) -> list:
    return [(d.instance_id, d.triggers) for d in queries.inbox(email, now=T0).decisions]


def test_a_field_role_and_a_third_level_manager_see_their_decisions(decide):
    inst = pick(decide, "kid@x.com", ["BOB@x.com"])
    assert Instance.get_by_id(inst).state == "decide"
    assert decisions("bob@x.com") == [(inst, ("approve",))]
    assert decisions("ceo@x.com") == [(inst, ("overrule",))]
    assert decisions("mia@x.com") == [] and decisions("cat@x.com") == []
    assert commands.fire(inst, "approve", "bob@x.com", now=T0).status == "finished"
    assert decisions("bob@x.com") == [] and decisions("ceo@x.com") == []


def test_a_field_role_matches_the_named_email_not_a_longer_one(decide):
    pick(decide, "kid@x.com", ["nobob@x.com", "cat@x.com"])
    assert decisions("bob@x.com") == []
    assert [t for _, t in decisions("cat@x.com")] == [("approve",)]


def test_field_and_chain_decisions_take_a_constant_number_of_queries(decide):
    def count(email):
        queries.inbox(email, now=T0)  # warm the per-version caches
        with captured() as seen:
            queries.inbox(email, now=T0)
        return len(seen)

    pick(decide, "kid@x.com", ["bob@x.com"])
    small = {who: count(who) for who in ("bob@x.com", "ceo@x.com")}
    for i in range(6):
        pick(decide, f"k{i}@x.com", ["bob@x.com"], cycle=f"c{i}")
    assert len(decisions("bob@x.com")) == 7 and len(decisions("ceo@x.com")) == 7
    assert {who: count(who) for who in ("bob@x.com", "ceo@x.com")} == small
