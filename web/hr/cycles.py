"""HR console: cycles and their dashboards, launching a cycle, nudging and reassigning.

The definition library and people import live in ``web.hr.library`` and ``web.hr.people``;
all of them are for members of the HR groups only.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from engine import commands, queries, versions
from engine.clock import organisation_zone
from engine.dates import NONE
from engine.errors import NotAllowed, NotFound, ReviewflowError
from web import i18n, library
from web.auth import hr_required, safe_path
from web.helpers import humanize, utcnow
from web.hr import launching

bp = Blueprint("admin", __name__, url_prefix="/hr")


@bp.route("/")
@hr_required
def home():
    """The console starts at the cycles."""
    return redirect(url_for("admin.cycles"))


@bp.route("/cycles")
@hr_required
def cycles():
    """Every cycle with its progress."""
    progress = queries.cycles(now=utcnow())
    titles = {c.id: versions.version_for(c.definition_id).spec.title for c in progress}
    return render_template("admin/cycles.html", cycles=progress, titles=titles)


def _cycle_instances(cycle_id: int, now, after: int | None = None) -> list[dict]:
    """One page of the cycle's instances with their open tasks (one more than a page is
    read, to know whether there is a next one)."""
    out = []
    for item in queries.cycle_instances(cycle_id, now=now, after=after,
                                        limit=queries.DASHBOARD_PAGE + 1):
        spec = versions.version_for(item.definition_id).spec
        state = spec.states.get(item.state)
        tasks = list(item.waiting_on)
        out.append({"item": item, "spec": spec,
                    "state_title": state.title if state and state.title
                    else humanize(item.state),
                    "tasks": tasks, "waiting": waiting_on(tasks, now),
                    "overdue": [t for t in tasks if t.overdue]})
    return out


def waiting_on(tasks, now, names: int = 3) -> list[dict]:
    """Open tasks grouped by form: ``Calibration: Finn, Gina, Hal and 1 more`` rather than
    one line per member of a pool."""
    groups: dict[str, dict] = {}
    for task in tasks:
        group = groups.setdefault(task.form_id, {"what": humanize(task.form_id), "who": [],
                                                 "overdue": False, "anonymous": 0})
        if task.anonymous:  # raters are named to nobody here, HR included (reveal first)
            group["anonymous"] += 1
        else:
            group["who"].append(task.assignee_name or _("nobody"))
        group["overdue"] |= task.overdue
    for group in groups.values():
        extra = len(group["who"]) - names
        shown = ", ".join(group["who"][:names])
        if extra > 0:
            shown = _("%(names)s and %(num)d more", names=shown, num=extra)
        parts = [shown] if group["who"] else []
        if group["anonymous"]:
            parts.append(_("%(num)d waiting", num=group["anonymous"]))
        group["text"] = "; ".join(parts)
    return list(groups.values())


def _state_bars(progress, spec) -> list[dict]:
    total = progress.total or 1
    order = list(spec.states) if spec else sorted(progress.by_state)
    bars = []
    for name in order:
        n = progress.by_state.get(name, 0)
        if n:
            state = spec.states.get(name) if spec else None
            bars.append({"name": name, "title": state.title if state and state.title
                         else humanize(name), "count": n, "pct": round(100 * n / total),
                         "final": bool(state and state.final)})
    return bars


@bp.route("/cycles/<int:cycle_id>")
@hr_required
def cycle(cycle_id: int):
    """A cycle's dashboard: instances per state, completion, overdue tasks."""
    now = utcnow()
    progress = queries.cycle_progress(cycle_id, now=now)
    if progress is None:
        abort(404)
    heading = queries.cycle(cycle_id)
    spec = versions.version_for(heading.definition_id).spec
    after = request.args.get("after", type=int)
    instances = _cycle_instances(cycle_id, now, after)
    more = len(instances) > queries.DASHBOARD_PAGE
    instances = instances[:queries.DASHBOARD_PAGE]
    return render_template("admin/cycle.html", progress=progress, cycle=heading, spec=spec,
                           launched_by=heading.created_by_name,
                           bars=_state_bars(progress, spec), instances=instances,
                           # (none to look for before a deadline passes: the counts say so)
                           overdue=queries.overdue_in_cycle(cycle_id, now=now)
                           if progress.overdue_tasks else [],
                           next_after=instances[-1]["item"].id if more else None,
                           first_page=after is None, filters=heading.filters,
                           calibrations=queries.calibration.sessions(current_user.email,
                                                                     cycle_id)
                           if spec.calibrated_fields() else [])


@bp.route("/launch", methods=["GET", "POST"])
@hr_required
def launch():
    """Choose a workflow, a cycle name and a population; preview; then launch."""
    lib = library.current()
    if library.state().problems:  # pages go on with the last good library; launching waits
        abort(503, description="The process library has errors; HR can see them in the "
                               "console.")
    form = request.form
    workflow_id = form.get("workflow", request.args.get("workflow", ""))
    cycle_name = form.get("cycle", "").strip()
    where = launching.filters_from_form(form) if request.method == "POST" else []
    spec = lib.workflows.get(workflow_id)
    dates, date_errors = NONE, {}
    preview, errors = None, []
    if request.method == "POST":
        if workflow_id not in lib.workflows:
            errors.append(_("Choose a workflow."))
        if not cycle_name:
            errors.append(_("Give the cycle a name, for example “Annual review 2026”."))
        dates, date_errors = launching.dates_from_form(form, spec, cycle_name, utcnow())
        if date_errors:
            errors.append(_("Check the dates below."))
        if not errors:
            preview = launching.preview(lib, workflow_id, cycle_name, where)
            if preview.problem:
                errors.append(preview.problem)
        fingerprint = launching.fingerprint(workflow_id, cycle_name, where, dates)
        if not errors and form.get("confirm") == "1":
            if form.get("previewed") == fingerprint:
                return _launch(lib, workflow_id, cycle_name, where, dates)
            flash(_("The choice changed since the preview: check the new preview, then "
                    "launch."), "warning")
    return render_template("admin/launch.html", workflows=lib.workflows,
                           choices=launching.choices(), workflow_id=workflow_id,
                           cycle_name=cycle_name, form=form,
                           preview=preview, errors=errors,
                           fingerprint=launching.fingerprint(workflow_id, cycle_name, where,
                                                             dates),
                           where=where, date_fields=launching.date_fields(
                               spec.localized(i18n.language()) if spec else None),
                           date_errors=date_errors,
                           zone=organisation_zone().key), (422 if errors else 200)


def _launch(lib, workflow_id: str, cycle_name: str, where, dates):
    try:
        result = commands.launch(lib, workflow_id, cycle_name, where=where,
                                 actor=current_user.email, dates=dates)
    except ReviewflowError as error:
        flash(_("Nothing was launched: %(reason)s", reason=error), "error")
        return redirect(url_for("admin.launch", workflow=workflow_id), code=303)
    text = ngettext("Launched “%(cycle)s”: %(num)d new process",
                    "Launched “%(cycle)s”: %(num)d new processes", result.created,
                    cycle=result.cycle)
    if result.existing:
        text += " " + _("(%(num)d already running)", num=result.existing)
    flash(text + ".", "success")
    return redirect(url_for("admin.cycle", cycle_id=result.cycle_id), code=303)


@bp.route("/tasks/<int:task_id>/nudge", methods=["POST"])
@hr_required
def nudge(task_id: int):
    """Queue a reminder to the holder of an open task (the engine's ``nudge`` command;
    the outbox delivers it), with HR's optional ``message``."""
    try:
        result = commands.nudge(task_id, current_user.email, request.form.get("message"),
                                link=url_for("tasks.show", task_id=task_id, _external=True))
    except (NotFound, NotAllowed):
        raise
    except ReviewflowError as refused:  # no longer open, nobody holds it, message too long
        text = str(refused)
        flash(f"{text[:1].upper()}{text[1:]}: nothing was sent.", "error")
    else:
        flash(_("A reminder is on its way to %(name)s.", name=result.recipient_name),
              "success")
    return redirect(safe_path(request.form.get("next"), url_for("admin.cycles")), code=303)
