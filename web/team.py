"""My team: a manager's direct reports, their running processes and what waits on whom."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from engine import queries, versions, visibility
from web.access import ANONYMOUS_LABEL
from web.helpers import humanize, task_title, utcnow

bp = Blueprint("team", __name__, url_prefix="/team")


def _waiting(task, spec) -> dict:
    """Who a task waits on, as the manager may see it (anonymous reviewers unnamed)."""
    line = visibility.line_for(spec, task.state, task.task_key)
    anonymous = line is not None and line.anonymous
    return {"task": task, "who": ANONYMOUS_LABEL if anonymous
            else (task.assignee_name or "Nobody (HR to reassign)"), "anonymous": anonymous}


def _grouped(waiting: list[dict]) -> list[dict]:
    """One line per task kind: "Calibration: Finn, Gina, Hal" (a group's shared task)."""
    lines: dict[str, dict] = {}
    for w in waiting:
        title = task_title(w["task"])  # the task's one name, as its own page shows it
        line = lines.setdefault(title, {"title": title,
                                                       "who": [], "task": w["task"],
                                                       "overdue": False, "mine": None})
        line["who"].append(w["who"])
        line["overdue"] = line["overdue"] or w["task"].overdue
        if w["task"].assignee_email == w.get("viewer"):
            line["mine"] = w["task"]
    return list(lines.values())


def team_rows(user) -> list[dict]:
    """One row per direct report: their running processes with what waits on whom."""
    from web.inbox import my_inbox

    now = utcnow()
    items = queries.team(user.email, now=now)
    my_decisions = {d.instance_id for d in my_inbox(user).decisions}
    by_person: dict[str, list] = {}
    for item in items:
        spec = versions.version_for(item.definition_id).spec
        state = spec.states.get(item.state)
        waiting = [dict(_waiting(t, spec), viewer=user.email) for t in item.waiting_on]
        anonymous = [w for w in waiting if w["anonymous"]]
        named = [w for w in waiting if not w["anonymous"]]
        by_person.setdefault(item.subject_email, []).append({
            "item": item, "title": spec.title,
            "state_title": state.title if state and state.title else humanize(item.state),
            "waiting": _grouped(named), "anonymous_open": len(anonymous),
            "my_decision": item.id in my_decisions,
            "overdue": any(w["task"].overdue for w in waiting)})
    reports = queries.people.reports(user.person_id)
    return [{"person": p, "processes": by_person.get(p.email, [])} for p in reports]


@bp.route("/")
@login_required
def index():
    """My direct reports and their processes."""
    rows = team_rows(current_user)
    return render_template("team/index.html", rows=rows,
                           running=sum(len(r["processes"]) for r in rows))
