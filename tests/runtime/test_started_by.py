"""Who may start an instance outside a cycle: HR, the manager, or the workflow's started_by."""

import pytest

from engine import commands
from engine.definitions.library import check_library
from engine.errors import NotAllowed
from engine.store import Instance

from .conftest import DEFINITIONS, T0, copy_library, events, library_at

SELF_SERVICE = """workflow: checkin-self
version: 1
subject: person
started_by: {started_by}
roles:
  employee: subject
  manager: subject.manager
  skip: subject.manager.manager
  ops: group:people-team
  nominee: field:nomination.peers
initial: talk
states:
  talk:
    tasks:
      - form: checkin
        assignee: employee
  done:
    final: true
transitions:
  - trigger: finish
    source: talk
    dest: done
    auto: true
"""


def _library(tmp_path, started_by: str):
    root = copy_library(tmp_path)
    (root / "workflows" / "checkin-self.yaml").write_text(
        SELF_SERVICE.format(started_by=started_by))
    return root


def test_started_by_names_declared_roles_known_before_the_start(tmp_path):
    library, problems = check_library([_library(tmp_path, "[employe, nominee]")])
    assert library is None
    messages = [str(p) for p in problems]
    assert any("started_by[0]: unknown role 'employe'" in m for m in messages), messages
    assert any("started_by[1]: role 'nominee' is a field: role" in m for m in messages)
    good, problems = check_library([_library(tmp_path / "ok", "employee")])
    assert problems == [] and good.workflow("checkin-self").started_by == ("employee",)


@pytest.mark.parametrize("who, actor, allowed", [
    ("[employee]", "ann@x.com", True),
    ("[employee]", "mia@x.com", False),   # started_by replaces the manager default
    ("[employee]", "bob@x.com", False),   # a colleague
    ("[skip]", "ceo@x.com", True),        # chains of any depth
    ("[ops]", "hal@x.com", True),
    ("[employee]", "hal@x.com", True),    # HR always may
])
def test_start_follows_started_by(org, tmp_path, who, actor, allowed):
    library = library_at(_library(tmp_path, who))
    if not allowed:
        with pytest.raises(NotAllowed, match="may not start 'checkin-self' for ann@x.com"):
            commands.start(library, "checkin-self", "ann@x.com", actor, now=T0)
        assert Instance.select().count() == 0
        return
    result = commands.start(library, "checkin-self", "ann@x.com", actor, now=T0)
    assert result.state == "talk"
    assert events(result.instance_id, "launched")[0].actor == actor


def test_without_started_by_hr_or_the_manager_start(org):
    library = library_at(DEFINITIONS)
    with pytest.raises(NotAllowed, match=r"only HR or the manager may"):
        commands.start(library, "pip", "ann@x.com", "ann@x.com", now=T0)
    assert commands.start(library, "pip", "ann@x.com", "mia@x.com", now=T0).state == "active"
