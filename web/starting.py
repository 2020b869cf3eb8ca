"""Start a self-service process: ask a colleague for feedback, book a 1:1.

Lists the workflows with ``started_by`` that the signed-in person may start, for
themselves and for each direct report; the engine (``commands.may_start`` /
``commands.start``) decides, so the page never offers what a POST would be refused.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine import commands, queries
from engine.errors import Conflict, NotAllowed
from web import i18n, library
from web.access import ANONYMOUS_LABEL
from web.helpers import humanize

bp = Blueprint("starting", __name__, url_prefix="/start")
log = logging.getLogger(__name__)


def start_options(user) -> dict:
    """What ``user`` may start: ``mine`` (about themselves) and ``reports`` (per report)."""
    options = queries.start_options(library.current().workflows.values(), user.email)
    return {"mine": options.mine,
            "reports": [{"person": p, "workflows": specs} for p, specs in options.reports]}


@bp.route("/")
@login_required
def index():
    """The processes I may start, for me and for my direct reports."""
    options = start_options(current_user)
    return render_template("starting/index.html", mine=options["mine"],
                           reports=options["reports"])


def _first_task(instance_id: int, email: str) -> queries.TaskItem | None:
    """The new instance's open task held by the person who started it, if any."""
    return next((t for t in queries.open_tasks_of(instance_id) if t.assignee_email == email),
                None)


@bp.route("/", methods=["POST"])
@login_required
def start():
    """Start ``workflow`` about ``subject`` (a person id); the engine decides who may."""
    lib = library.current()
    spec = lib.workflows.get(request.form.get("workflow", ""))
    subject = _subject(request.form.get("subject", ""))
    if spec is None or subject is None:
        abort(404)
    parent = request.form.get("parent") or None  # a change proposed from that instance
    try:
        result = commands.start(lib, spec.id, subject.email, current_user.email, parent=parent)
    except Conflict as conflict:  # nothing running to change: said where the button was
        flash(_("That was refused: %(reason)s", reason=i18n.translate(conflict.args[0])),
              "error")
        back = (url_for("instances.show", instance_id=int(parent)) if parent
                and parent.isdigit() else url_for("starting.index"))
        return redirect(back, code=303)
    except NotAllowed as refused:
        # no instance exists to carry a history event: the refusal goes to the app log
        log.warning("refused start of %s about %s by %s: %s", spec.id, subject.email,
                    current_user.email, refused.reason)
        raise
    title = spec.title or spec.id
    about = _("you") if subject.id == current_user.person_id else subject.name
    task = _first_task(result.instance_id, current_user.email)
    if task is not None:
        step = _task_title(spec, task)
        flash(_("“%(title)s” started for %(about)s. Your first step: %(step)s.", title=title,
                about=about, step=step), "success")
        return redirect(url_for("tasks.show", task_id=task.id), code=303)
    flash(_("“%(title)s” started for %(about)s.", title=title, about=about)
          + _next_steps(spec, result.instance_id), "success")
    return redirect(url_for("instances.show", instance_id=result.instance_id), code=303)


def _next_steps(spec, instance_id: int) -> str:
    """" Next: <task> (<holder>)." for the new instance's open tasks, or nothing."""
    open_tasks = [t for t in queries.open_tasks_of(instance_id) if t.assignee_email]
    steps = [f"{_task_title(spec, t)} ({_holder(t)})" for t in open_tasks]
    return " " + _("Next: %(steps)s.", steps="; ".join(steps)) if steps else ""


def _holder(task: queries.TaskItem) -> str:
    """Who holds ``task``, unnamed when its line is anonymous (as on the team page)."""
    return ANONYMOUS_LABEL if task.anonymous else task.assignee_name


def _task_title(spec, task: queries.TaskItem) -> str:
    """The task line's title in the definition, else its form's title."""
    state = spec.states.get(task.state)
    for line in state.tasks if state is not None else ():
        if line.key == task.task_key and line.title:
            return line.title
    form = library.current().forms.get(task.form_id)
    return (form.title if form is not None and form.title else None) or humanize(task.form_id)


def _subject(value: str) -> queries.PersonItem | None:
    """The active person a posted ``subject`` id names, or ``None``."""
    person = queries.people.person(value)
    return person if person is not None and person.active else None
