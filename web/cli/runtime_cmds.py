"""Runtime commands: db init, people import, launch, tasks, submit, draft, fire, tick,
show, cycles, reassign, cancel, nudge.

Every command takes ``--json``. Errors go to stderr (as JSON with ``--json``) and exit
with the error type's ``exit_code``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum

import click

from engine import anonymity, commands, directory, queries, scores, store, timers
from engine.clock import local_day
from engine.dates import CycleDates, DatesInvalid
from engine.errors import DefinitionError, ImportRejected, ReviewflowError, SubmissionInvalid

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value):
        return _plain(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if isinstance(value, Mapping):  # an instance's roles, read as they are listed
        return dict(value)
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):  # its HR
        return list(value)
    return str(value)


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)
                if f.name != "spec"}
    return value


def emit(value, as_json: bool, text: str | None = None) -> None:
    """Print a result: JSON with ``--json``, else ``text``."""
    if as_json:
        click.echo(json.dumps(_plain(value), default=_default, indent=2, sort_keys=True))
    elif text is not None:
        click.echo(text)


def _error_payload(exc: ReviewflowError) -> dict:
    payload = {"error": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, SubmissionInvalid):
        payload["errors"] = exc.errors
    if isinstance(exc, ImportRejected):
        payload["rows"] = [{"line": line, "message": msg} for line, msg in exc.row_errors]
    if isinstance(exc, DefinitionError):
        payload["problems"] = [p.as_dict() for p in exc.problems]
    if isinstance(exc, DatesInvalid):
        payload["dates"] = exc.problems  # field (due:STATE, date:NAME) -> its problem
    return payload


def runtime(func=None, *, create_tables: bool = True):
    """Connect to the database (creating or upgrading its tables unless told not to), run,
    and turn engine errors into stderr + exit code."""
    if func is None:
        return functools.partial(runtime, create_tables=create_tables)

    @functools.wraps(func)
    @click.pass_obj
    def wrapper(obj, *args, **kwargs):
        as_json = kwargs.get("as_json", False)
        try:
            store.connect(obj.db_url)
            if create_tables:
                store.create_tables()
            return func(obj, *args, **kwargs)
        except ReviewflowError as exc:
            if as_json:
                click.echo(json.dumps(_error_payload(exc), default=_default), err=True)
            else:
                click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        finally:
            store.close()

    return wrapper


def _load_library(obj):
    from engine.definitions.library import load_library

    return load_library(obj.library_paths)


def _read_data(source: str | None):
    if source is None:
        return None
    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SubmissionInvalid({"": ["The data is not UTF-8 text."]}) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionInvalid({"": [f"The data is not valid JSON: {exc.msg} "
                                      f"(line {exc.lineno}, column {exc.colno})."]}) from None
    except RecursionError:
        raise SubmissionInvalid({"": ["The data is nested too deeply."]}) from None


def _parse_now(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return commands.utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO-8601 time", param_hint="--now") from None


def _task_line(t: queries.TaskItem) -> str:
    due = f" due {local_day(t.due_at):%Y-%m-%d}" if t.due_at else ""
    late = " OVERDUE" if t.overdue else ""
    who = t.assignee_email or t.assignee_name or "(unassigned)"
    return (f"#{t.id} [{t.status}] {t.form_id} for {t.subject_email} -> {who} "
            f"(instance {t.instance_id}, {t.state}){due}{late}")


def _result_text(result: commands.CommandResult) -> str:
    fired = f" after {', '.join(result.fired)}" if result.fired else ""
    return f"instance {result.instance_id}: {result.state} ({result.status}){fired}"


# ------------------------------------------------------------------------- commands


@click.group("db")
def db_group() -> None:
    """The database."""


@db_group.command("init")
@click.option("--fresh", is_flag=True, help="Drop every table first (loses all data).")
@json_option
@runtime
def db_init(obj, fresh: bool, as_json: bool) -> None:
    """Create the tables (idempotent)."""
    if fresh:
        store.drop_tables()
        store.create_tables()
    emit({"database": obj.db_url, "tables": [m._meta.table_name for m in store.MODELS]},
         as_json, f"database ready: {obj.db_url}")


@db_group.command("upgrade")
@json_option
@runtime(create_tables=False)
def db_upgrade(obj, as_json: bool) -> None:
    """Bring the tables to this release's schema (idempotent).

    A fresh database gets the newest tables; an older one runs the steps it has not had,
    in order, each in its own transaction. Every other command does the same before it
    starts; run this one after installing a new release to see what changed.
    """
    from web import database

    done = database.upgrade()
    lines = []
    for part in done:
        if part.from_version is None:
            lines.append(f"{part.part}: created at version {part.to_version}")
        elif not part.changed:
            lines.append(f"{part.part}: version {part.to_version}, up to date")
        else:
            lines.append(f"{part.part}: version {part.from_version} -> {part.to_version}")
            lines += [f"  applied {name}" for name in part.applied]
    emit({"database": obj.db_url, "parts": [dataclasses.asdict(p) for p in done]}, as_json,
         "\n".join(lines))


@click.group("people")
def people_group() -> None:
    """The directory of people."""


@people_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--sync", is_flag=True,
              help="Also mark the active people missing from FILE as left (refused if it "
                   "would leave no active HR member or mark the --as person as left).")
@click.option("--as", "actor", default=None,
              help="Who imports (an email, for the history; a sync never marks them as left).")
@json_option
@runtime
def people_import(obj, file: str, sync: bool, actor: str | None, as_json: bool) -> None:
    """Import people from a CSV file (all or nothing): adds and updates people; with
    --sync, people missing from the file are marked as left."""
    summary = directory.import_people(file, sync=sync, actor=actor)
    text = str(summary)
    if summary.open_tasks:
        text += f"; {summary.open_tasks} open task(s) of people who left need a new holder"
    emit(summary, as_json, text)


@click.command("launch")
@click.argument("workflow")
@click.option("--cycle", required=True, help="Name of the cycle (launch again to add the missing).")
@click.option("--where", "where", multiple=True, metavar="FIELD=VALUE",
              help="Population filter: department, title, group, manager, email or any attribute.")
@click.option("--as", "actor", default="system", help="Who launches (for the history).")
@click.option("--due-date", "due_date", metavar="YYYY-MM-DD",
              help="The first tasks are due at the end of this day (organisation time zone, "
                   "REVIEWFLOW_TIMEZONE), instead of their 'due' after the launch.")
@click.option("--due", "state_dues", multiple=True, metavar="STATE=YYYY-MM-DD",
              help="The tasks of STATE are due at the end of this day whenever the state "
                   "starts (repeatable).")
@click.option("--date", "named_dates", multiple=True, metavar="NAME=YYYY-MM-DD",
              help="A date of the workflow's dates: that a due counts from (repeatable).")
@json_option
@runtime
def launch_cmd(obj, workflow: str, cycle: str, where, actor: str, due_date, state_dues,
               named_dates, as_json: bool) -> None:
    """Launch WORKFLOW for a population, one instance per person."""
    for item in where:
        if "=" not in item:
            raise click.BadParameter(f"{item!r} is not FIELD=VALUE", param_hint="--where")
    day = _day(due_date, "--due-date") if due_date else None
    dates = CycleDates(_days(state_dues, "--due", "STATE"), _days(named_dates, "--date", "NAME"))
    result = commands.launch(_load_library(obj), workflow, cycle, where, actor=actor,
                             due_date=day, dates=dates)
    emit(result, as_json, f"cycle '{result.cycle}': {result.created} instance(s) created, "
                          f"{result.existing} already there")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date like 2027-01-31",
                                 param_hint=option) from None


def _days(items, option: str, what: str) -> dict[str, date]:
    """``("self_review=2027-01-31", ...)`` -> ``{"self_review": date(2027, 1, 31)}``."""
    out: dict[str, date] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not {what}=YYYY-MM-DD", param_hint=option)
        if name.strip() in out:
            raise click.BadParameter(f"{name.strip()} is given twice", param_hint=option)
        out[name.strip()] = _day(text, option)
    return out


@click.command("start")
@click.argument("workflow")
@click.option("--subject", required=True, help="Email of the person the instance is about.")
@click.option("--as", "actor", required=True,
              help="Who starts it: HR, the manager, or a role of the workflow's started_by.")
@click.option("--parent", type=int,
              help="A workflow with parent: the running instance it changes (default: the "
                   "subject's running one).")
@json_option
@runtime
def start_cmd(obj, workflow: str, subject: str, actor: str, parent, as_json: bool) -> None:
    """Start one instance of WORKFLOW for one person, outside any cycle (a workflow with
    parent: from the subject's running instance of that workflow, linked to it)."""
    result = commands.start(_load_library(obj), workflow, subject, actor, parent=parent)
    emit(result, as_json, "started " + _result_text(result))


@click.command("tasks")
@click.option("--assignee", help="Only this person's tasks.")
@click.option("--open", "open_only", is_flag=True, help="Only open tasks.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1),
              help="At most this many tasks.")
@json_option
@runtime
def tasks_cmd(obj, assignee, open_only: bool, limit: int, as_json: bool) -> None:
    """List tasks."""
    items = queries.tasks(assignee=assignee, open_only=open_only, limit=limit)
    if not assignee:  # one person's own list names them anyway; a full list does not
        items = anonymity.mask_tasks(items)
    emit(items, as_json, "\n".join(_task_line(t) for t in items) or "no tasks")


@click.command("submit")
@click.argument("task", type=int)
@click.option("--as", "actor", required=True, help="Email of the person submitting.")
@click.option("--data", "data_file", required=True, help="JSON file of answers ('-' for stdin).")
@click.option("--trigger", help="Also fire this manual trigger (a decision).")
@click.option("--trigger-data", "trigger_file",
              help="JSON file for the decision's own form, e.g. a send-back reason.")
@json_option
@runtime
def submit_cmd(obj, task: int, actor: str, data_file: str, trigger, trigger_file,
               as_json: bool) -> None:
    """Submit a task's form."""
    if data_file == "-" and trigger_file == "-":
        raise click.BadParameter("only one of --data and --trigger-data may read stdin")
    result = commands.submit(task, actor, _read_data(data_file), trigger=trigger,
                             trigger_data=_read_data(trigger_file))
    emit(result, as_json, _result_text(result))


@click.command("draft")
@click.argument("task", type=int)
@click.option("--as", "actor", required=True)
@click.option("--data", "data_file", required=True, help="JSON file ('-' for stdin).")
@json_option
@runtime
def draft_cmd(obj, task: int, actor: str, data_file: str, as_json: bool) -> None:
    """Save a draft of a task's answers (not validated)."""
    result = commands.save_draft(task, actor, _read_data(data_file))
    emit(result, as_json, f"draft saved on task {task}")


@click.command("fire")
@click.argument("instance", type=int)
@click.argument("trigger")
@click.option("--as", "actor", required=True)
@click.option("--data", "data_file", help="JSON file for the transition's form ('-' for stdin).")
@json_option
@runtime
def fire_cmd(obj, instance: int, trigger: str, actor: str, data_file, as_json: bool) -> None:
    """Fire a manual trigger of an instance."""
    result = commands.fire(instance, trigger, actor, _read_data(data_file))
    emit(result, as_json, _result_text(result))


@click.command("tick")
@click.option("--now", "now_text", metavar="ISO-8601", help="The time to act at (default: now).")
@json_option
@runtime
def tick_cmd(obj, now_text, as_json: bool) -> None:
    """Fire due timers, create repeated tasks, queue reminders and escalations."""
    report = timers.tick(_parse_now(now_text))
    emit(report.as_dict(), as_json,
         f"{len(report.fired)} timer(s) fired, {report.repeated} task(s) repeated, "
         f"{report.reminders} reminder(s), {report.escalations} escalation(s)")


def _show_text(d: queries.InstanceDetail) -> str:
    lines = [f"instance {d.id}: {d.workflow_id} v{d.version} about {d.subject['email']}",
             f"state: {d.state} ({d.status}) since {d.entered_at:%Y-%m-%d %H:%M}",
             "tasks:"]
    lines += ["  " + _task_line(t) for t in d.tasks] or ["  (none)"]
    if d.scores:
        lines.append("scores:")
        lines += ["  " + _score_line(s) for s in d.scores.values()]
    lines.append("history:")
    for e in d.history:
        if e.from_state and e.to_state:
            move = f" {e.from_state} -> {e.to_state}"
        elif e.to_state:
            move = f" -> {e.to_state}"
        else:
            move = f" in {e.from_state}" if e.from_state else ""
        trig = f" {e.trigger}" if e.trigger else ""
        why = f" ({e.detail['reason']})" if e.detail.get("reason") else ""
        lines.append(f"  {e.at:%Y-%m-%d %H:%M} {e.actor} {e.kind}{trig}{move}{why}")
    return "\n".join(lines)


def _score_line(score) -> str:
    """``final: 78.5 (missing parts: reweight; self score 80 x 20, ...)``."""
    value = "no value" if score.value is None else f"{score.value:g}"
    parts = ", ".join(
        f"{p.title} {'missing' if p.value is None else format(p.value, 'g')} x {p.weight:g}"
        + (" (skipped)" if p.counted == 0 else "") for p in score.parts)
    return f"{score.name}: {value} (missing parts: {score.missing}; {parts})"


@click.command("show")
@click.argument("instance", type=int)
@click.option("--reveal-anonymous", "reveal", is_flag=True,
              help="Also name who holds and wrote anonymous tasks (HR only; recorded in "
                   "the history).")
@click.option("--as", "actor", help="Who reveals (an HR member; needed with --reveal-anonymous).")
@click.option("--reason", help="Why the anonymous authors are revealed (kept in the history).")
@json_option
@runtime
def show_cmd(obj, instance: int, reveal: bool, actor, reason, as_json: bool) -> None:
    """Show an instance: state, tasks with assignees and status, history.

    Anonymous tasks and answers are shown without their holders and authors.
    """
    if reveal:
        if not actor:
            raise click.UsageError("--reveal-anonymous needs --as EMAIL (an HR member)")
        commands.reveal_anonymous(instance, actor, reason)
    detail = queries.instance_detail(instance)
    if not reveal:
        detail = anonymity.mask_detail(detail)
    detail.scores = scores.of_instance(instance)
    emit(detail, as_json, _show_text(detail))


@click.command("cycles")
@json_option
@runtime
def cycles_cmd(obj, as_json: bool) -> None:
    """Cycles with their progress."""
    items = queries.cycles()
    text = "\n".join(f"{c.name}: {c.workflow_id}, {c.total} instance(s), {c.completion}% done, "
                     f"{c.overdue_tasks} overdue task(s)" for c in items) or "no cycles"
    emit(items, as_json, text)


@click.command("decline")
@click.argument("task", type=int)
@click.option("--as", "actor", required=True, help="The task's holder.")
@click.option("--reason", required=True, help="Why (told to whoever named you, else HR).")
@json_option
@runtime
def decline_cmd(obj, task: int, actor: str, reason: str, as_json: bool) -> None:
    """Decline a request (a task whose line is declinable), with a reason."""
    result = commands.decline(task, actor, reason)
    emit(result, as_json, f"task {task} declined; " + _result_text(result))


@click.command("reassign")
@click.argument("task", type=int)
@click.option("--to", "to_email", help="New assignee (default: resolve the task's role again).")
@click.option("--as", "actor", required=True)
@click.option("--reason")
@json_option
@runtime
def reassign_cmd(obj, task: int, to_email: str, actor: str, reason, as_json: bool) -> None:
    """Give an open task to someone else (HR, or the assignee of a delegable task)."""
    result = commands.reassign(task, to_email, actor, reason)
    emit(result, as_json, f"task {task} reassigned ({result.state})")


@click.command("cancel")
@click.argument("instance", type=int)
@click.option("--as", "actor", required=True)
@click.option("--reason", required=True)
@json_option
@runtime
def cancel_cmd(obj, instance: int, actor: str, reason: str, as_json: bool) -> None:
    """Cancel an instance (HR)."""
    result = commands.cancel(instance, actor, reason)
    emit(result, as_json, _result_text(result))


@click.command("nudge")
@click.argument("task", type=int)
@click.option("--as", "actor", required=True, help="Who sends the reminder (an HR member).")
@click.option("--message", help="A line of your own added to the reminder.")
@click.option("--base-url", default=None, metavar="URL",
              help="Where people reach reviewflow, for a link to the task (default: "
                   "$REVIEWFLOW_BASE_URL; without either the reminder names the task's number).")
@json_option
@runtime
def nudge_cmd(obj, task: int, actor: str, message, base_url, as_json: bool) -> None:
    """Remind the holder of open TASK now (HR): an email in the outbox, a line in history."""
    base = base_url or os.environ.get("REVIEWFLOW_BASE_URL")
    link = f"{base.rstrip('/')}/tasks/{task}" if base else None
    result = commands.nudge(task, actor, message, link=link)
    emit(result, as_json, f"reminder queued for {result.recipient_name} <{result.recipient}> "
                          f"about task {result.task_id} ({result.form_id})")


def register(main: click.Group) -> None:
    """Add this module's commands to the ``reviewflow`` group."""
    for command in (db_group, people_group, launch_cmd, start_cmd, tasks_cmd, submit_cmd,
                    draft_cmd, fire_cmd, tick_cmd, show_cmd, cycles_cmd, reassign_cmd,
                    decline_cmd, cancel_cmd, nudge_cmd):
        main.add_command(command)
