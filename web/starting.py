"""Start a self-service process: ask a colleague for feedback, book a 1:1.

Lists the workflows with ``started_by`` that the signed-in person may start, for
themselves and for each direct report; the engine (``commands.may_start`` /
``commands.start``) decides, so the page never offers what a POST would be refused.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import commands, roles, visibility
from engine.directory import People
from engine.errors import NotAllowed
from engine.store import Person, Task, TaskStatus
from web import library
from web.access import ANONYMOUS_LABEL
from web.helpers import humanize

bp = Blueprint("starting", __name__, url_prefix="/start")
log = logging.getLogger(__name__)


def _self_service(lib) -> list:
    """The library's workflows people start themselves (``started_by``), by title."""
    return sorted((s for s in lib.workflows.values() if s.started_by),
                  key=lambda s: (s.title or s.id).lower())


def _offered(spec, subject: Person, actor: str, people: People) -> bool:
    """May ``actor`` start ``spec`` about ``subject`` by one of its ``started_by`` roles?

    HR may start anything, but HR's own page should not list every report's feedback
    requests: only the roles of ``started_by`` put a workflow on the page.
    """
    may, _who = commands.may_start(spec, subject, actor, people)
    facts = roles.Facts(subject.id, people, {})
    return may and roles.plays_any(actor, spec.started_by, spec, facts) is not None


def _reports(person_id: int) -> list[Person]:
    return list(Person.select().where((Person.manager == person_id)
                                      & (Person.active == True))  # noqa: E712
                .order_by(Person.name, Person.id))


def start_options(user) -> dict:
    """What ``user`` may start: ``mine`` (about themselves) and ``reports`` (per report)."""
    specs = _self_service(library.current())
    people = People()
    me = people.find(user.email)
    reports = _reports(user.person_id)
    people.add(reports)
    mine = [s for s in specs if me is not None and _offered(s, me, user.email, people)]
    rows = []
    for report in reports:
        offered = [s for s in specs if _offered(s, report, user.email, people)]
        if offered:
            rows.append({"person": report, "workflows": offered})
    return {"mine": mine, "reports": rows}


@bp.route("/")
@login_required
def index():
    """The processes I may start, for me and for my direct reports."""
    options = start_options(current_user)
    return render_template("starting/index.html", mine=options["mine"],
                           reports=options["reports"])


def _first_task(instance_id: int, person_id: int) -> Task | None:
    """The new instance's open task held by the person who started it, if any."""
    return (Task.select().where((Task.instance == instance_id)
                                & (Task.status == TaskStatus.OPEN)
                                & (Task.assignee == person_id))
            .order_by(Task.id).first())


@bp.route("/", methods=["POST"])
@login_required
def start():
    """Start ``workflow`` about ``subject`` (a person id); the engine decides who may."""
    lib = library.current()
    spec = lib.workflows.get(request.form.get("workflow", ""))
    subject = _subject(request.form.get("subject", ""))
    if spec is None or subject is None:
        abort(404)
    try:
        result = commands.start(lib, spec.id, subject.email, current_user.email)
    except NotAllowed as refused:
        # no instance exists to carry a history event: the refusal goes to the app log
        log.warning("refused start of %s about %s by %s: %s", spec.id, subject.email,
                    current_user.email, refused.reason)
        raise
    title = spec.title or spec.id
    about = "you" if subject.id == current_user.person_id else subject.name
    task = _first_task(result.instance_id, current_user.person_id)
    if task is not None:
        step = _task_title(spec, task)
        flash(f"“{title}” started for {about}. Your first step: {step}.", "success")
        return redirect(url_for("tasks.show", task_id=task.id), code=303)
    flash(f"“{title}” started for {about}.{_next_steps(spec, result.instance_id)}", "success")
    return redirect(url_for("instances.show", instance_id=result.instance_id), code=303)


def _next_steps(spec, instance_id: int) -> str:
    """" Next: <task> (<holder>)." for the new instance's open tasks, or nothing."""
    open_tasks = (Task.select(Task, Person).join(Person, on=(Task.assignee == Person.id))
                  .where((Task.instance == instance_id) & (Task.status == TaskStatus.OPEN))
                  .order_by(Task.id))
    steps = [f"{_task_title(spec, t)} ({_holder(spec, t)})" for t in open_tasks]
    return f" Next: {'; '.join(steps)}." if steps else ""


def _holder(spec, task: Task) -> str:
    """Who holds ``task``, unnamed when its line is anonymous (as on the team page)."""
    line = visibility.line_for(spec, task.state, task.task_key)
    return ANONYMOUS_LABEL if line is not None and line.anonymous else task.assignee.name


def _task_title(spec, task: Task) -> str:
    """The task line's title in the definition, else its form's title."""
    state = spec.states.get(task.state)
    for line in state.tasks if state is not None else ():
        if line.key == task.task_key and line.title:
            return line.title
    form = library.current().forms.get(task.form_id)
    return (form.title if form is not None and form.title else None) or humanize(task.form_id)


def _subject(value: str) -> Person | None:
    """The active person a posted ``subject`` id names, or ``None``."""
    try:
        person_id = int(value)
    except ValueError:
        return None
    person = Person.get_or_none(Person.id == person_id)
    return person if person is not None and person.active else None
