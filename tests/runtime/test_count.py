"""``count(form)`` counts every submission of the form in the instance (docs/definitions.md),
so a loop "until 4 check-ins" ends; the other aggregates still see the latest round."""

from engine import commands
from engine.store import Instance, Submission

from .conftest import T0, copy_library, library_at, task_of

LOOP = """\
workflow: checkins
version: 1
roles:
  employee: subject
  manager: subject.manager
initial: checkin
states:
  checkin:
    tasks:
      - form: checkin
        assignee: employee
  done:
    final: true
transitions:
  - trigger: enough
    source: checkin
    dest: done
    auto: true
    conditions: "count('checkin') >= 4"
  - trigger: again
    source: checkin
    dest: checkin
    auto: true
"""


def test_a_loop_until_four_checkins_ends_after_the_fourth(org, tmp_path):
    root = copy_library(tmp_path)
    (root / "workflows" / "checkins.yaml").write_text(LOOP)
    library = library_at(root)
    commands.launch(library, "checkins", "q1", where=[("email", "ann@x.com")], now=T0)
    states = []
    for week in range(4):
        result = commands.submit(task_of("ann@x.com", "checkin").id, "ann@x.com",
                                 {"progress": f"week {week + 1}"}, now=T0)
        states.append((result.state, result.fired))
    assert states == [("checkin", ("again",))] * 3 + [("done", ("enough",))]
    instance = Instance.get()
    assert instance.status == "finished"
    assert Submission.select().where(Submission.form_id == "checkin").count() == 4
