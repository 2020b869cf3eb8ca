"""Answering and deciding: drafts, submissions, and manual triggers (buttons).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine import computed, roles, statements
from engine.commands.base import (
    CommandResult,
    instance_id_of,
    locked_run,
    locked_task_run,
    require_running,
    result_of,
    utc,
)
from engine.commands.pickers import check_named_people
from engine.definitions.specs import TransitionSpec
from engine.directory import normalize_email
from engine.errors import Conflict, NotAllowed, NotFound, SubmissionInvalid
from engine.lifecycle import Run
from engine.source import did_you_mean
from engine.store import (
    Event,
    EventKind,
    Submission,
    Task,
    TaskStatus,
)
from engine.submissions import (
    MAX_PAYLOAD_BYTES,
    check_submission,
    payload_size,
    strip_unknown,
    too_large_message,
)


def locked_task(run: Run, task_id: int) -> Task:
    """Read the task again under the lock (it may have changed while we waited): from the
    tasks of the current visit, which the command reads anyway, else by itself."""
    task_id = int(task_id)
    found = next((t for t in run.tasks() if t.id == task_id), None)
    return found if found is not None else statements.get_row(Task, task_id)


def _check_actor(task: Task, actor: str, run: Run, draft: bool = False) -> None:
    """The assignee answers; the escalation target only where the line lets them
    (``escalate_may_answer``), and never into the assignee's draft."""
    require_running(run.row)
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task {task.id} is already {task.status}")
    assignee = run.people.get(task.assignee_id)
    if assignee is not None and assignee.email == actor:
        return
    target = run.people.get(task.escalated_to_id)
    if target is not None and target.email == actor:
        line = run.line_of(task)
        if line is None or not line.escalate_may_answer:
            raise NotAllowed(f"task {task.id} was escalated to {actor}, who may nudge or "
                             "reassign it but not answer it")
        if draft:
            raise NotAllowed(f"the draft of task {task.id} is its assignee's; {actor} may "
                             "answer the task but not save a draft on it")
        return
    raise NotAllowed(f"task {task.id} is not assigned to {actor}")


def _payload(data) -> dict:
    if not isinstance(data, dict):
        raise SubmissionInvalid({"": ["The submission must be a JSON object."]})
    return data


def _answerable_task(run: Run, task_id, actor: str, draft: bool = False):
    """The locked task ``actor`` may answer now, and the form it is answered with."""
    task = locked_task(run, task_id)
    _check_actor(task, actor, run, draft)
    return task, run.version.form(task.form_id)


def save_draft(task_id, actor: str, data: dict, now: datetime | None = None) -> CommandResult:
    """Keep unfinished answers on the task (not validated; only the assignee)."""
    now, actor = utc(now), normalize_email(actor)
    with locked_task_run(task_id, actor, now) as run:
        task, form = _answerable_task(run, task_id, actor, draft=True)
        draft = strip_unknown(form, _payload(data))
        size = payload_size(draft)
        if size > MAX_PAYLOAD_BYTES:  # a draft is limited like the submission it becomes
            raise SubmissionInvalid({"": [too_large_message(size)]})
        statements.update_row(Task, task.id, draft=draft)
        if not _saved_lately(run.row.id, task.id, actor, now):
            run.event(EventKind.DRAFT_SAVED, actor, task_id=task.id, form=task.form_id)
        return result_of(run, task.id)


#: Draft saves of one person on one task within this long are one history event: the
#: history stays readable (and the instance page fast) however often someone saves.
DRAFT_EVENT_EVERY = timedelta(hours=1)


def _saved_lately(instance_id: int, task_id: int, actor: str, now: datetime) -> bool:
    """Has ``actor`` a ``draft-saved`` event on ``task_id`` within the last hour? (Every
    draft save asks, so its SQL is built once.)"""
    found = statements.prepared("draft saved lately", _saved_lately_query).execute(
        instance_id, task_id, actor, Event.at.db_value(now - DRAFT_EVENT_EVERY))
    return found.fetchone() is not None


def _saved_lately_query():
    instance, task, actor, since = (statements.marker() for _ in range(4))
    query = (Event.select(Event.id)
             .where((Event.instance == instance) & (Event.task == task)
                    & (Event.kind == EventKind.DRAFT_SAVED) & (Event.actor == actor)
                    & (Event.at > since))
             .limit(1))
    return query, instance, task, actor, since


def submit(task_id, actor: str, data: dict, trigger: str | None = None,
           now: datetime | None = None, trigger_data: dict | None = None) -> CommandResult:
    """Submit a task's form (validated; nothing stored when invalid).

    With ``trigger``, also fire that manual trigger in the same command (a decision:
    "Approve", "Send back"); ``trigger_data`` is the data of the transition's own
    ``form`` (a send-back reason), validated and stored like :func:`fire` does: without
    it, a transition with a ``form`` is refused with that form's per-field errors and
    nothing is stored. Auto transitions that the submission completes fire too.
    """
    now, actor = utc(now), normalize_email(actor)
    with locked_task_run(task_id, actor, now, trigger) as run:
        task, form = _answerable_task(run, task_id, actor)
        data = computed.apply(form, strip_unknown(form, _payload(data)))  # never as posted
        check_submission(form, data)
        check_named_people(run.spec, task.form_id, data, run.people, run.row.subject_id)
        _record_submission(run, task, actor, data, trigger)
        if trigger:
            chosen = choose_manual(run, trigger, actor)
            if chosen.form:  # missing data is checked too: a decision needs its reason
                _transition_form(run, chosen, actor, trigger_data)
            run.take(chosen, actor)
        run.advance(actor)
        return result_of(run, task.id)


def _record_submission(run: Run, task: Task, actor: str, data: dict, trigger) -> None:
    author = run.people.find(actor)
    statements.insert_rows(Submission, [{
        "instance": run.row.id, "task": task.id, "form_id": task.form_id, "author": author.id,
        "data": data, "trigger": trigger, "entry": task.entry, "state": task.state,
        "submitted_at": run.now}])
    fields = {"status": TaskStatus.SUBMITTED, "submitted_at": run.now, "submitted_by": actor,
              "draft": None, "remind_at": None, "escalate_at": None}
    statements.update_row(Task, task.id, **fields)
    for row in run.tasks():
        if row.id == task.id:
            for name, value in fields.items():
                setattr(row, name, value)
    run.note_submission(task.form_id, data, author.id, task)
    assignee = run.people.get(task.assignee_id)
    written_for = {"written_for": assignee.email} if (
        assignee is not None and assignee.email != actor) else {}
    run.event(EventKind.SUBMITTED, actor, task_id=task.id, form=task.form_id, state=task.state,
              **written_for)


# ------------------------------------------------------------------------- triggers


def choose_manual(run: Run, trigger: str, actor: str) -> TransitionSpec:
    """The transition ``actor`` fires with ``trigger`` now, or a clear refusal.

    Unknown trigger: NotFound. Not from this state: Conflict. Not manual, not an allowed
    role, or no candidate's conditions hold: NotAllowed (recorded by the caller).
    """
    spec, state = run.spec, run.row.state
    named = [t for t in spec.transitions if t.trigger == trigger]
    if not named:
        hint = did_you_mean(trigger, sorted({t.trigger for t in spec.transitions}))
        raise NotFound(f"workflow '{spec.id}' has no trigger '{trigger}'"
                       + (f" ({hint})" if hint else ""))
    here = [t for t in named if state in t.sources]
    if not here:
        sources = sorted({s for t in named for s in t.sources})
        raise Conflict(f"instance {run.row.id} is in state '{state}'; '{trigger}' applies "
                       f"only from {', '.join(sources)}")
    manual = [t for t in here if t.manual]
    if not manual:
        raise NotAllowed(f"'{trigger}' fires by itself (auto or timer), not by hand")
    permitted = [t for t in manual if may_fire(run, t, actor)]
    if not permitted:
        who = sorted({r for t in manual for r in roles.deciders(t)})
        raise NotAllowed(f"{actor} may not fire '{trigger}': only {' or '.join(who)} may")
    reasons = []
    for t in permitted:
        ok, reason = run.holds(t)
        if ok:
            return t
        reasons.append(reason)
    messages = tuple(r for r in reasons if getattr(r, "message", None))
    raise NotAllowed(f"'{trigger}' refused: {'; '.join(r for r in reasons if r)}", messages)


def may_fire(run: Run, transition: TransitionSpec, actor: str) -> bool:
    """Does ``actor`` play one of the transition's ``allowed`` roles (HR when none given)?"""
    return run.plays(actor, roles.deciders(transition)) is not None


def fire(instance_id, trigger: str, actor: str, data: dict | None = None,
         now: datetime | None = None) -> CommandResult:
    """Fire a manual trigger (a button), with the transition's ``form`` data if it has one."""
    now, actor = utc(now), normalize_email(actor)
    instance_id = instance_id_of(instance_id)
    with locked_run(instance_id, actor, now, trigger) as run:
        require_running(run.row)
        chosen = choose_manual(run, trigger, actor)
        if chosen.form:
            _transition_form(run, chosen, actor, data)
        run.take(chosen, actor)
        run.advance(actor)
        return result_of(run)




def _record_amendment(run: Run, form_id: str, data: dict, actor: str, trigger: str) -> None:
    """Who a decision's form added to or removed from the people a form names (the
    ``field:``/``external:`` roles reading it), as an ``amended`` event."""
    before_forms = run.forms()
    if form_id not in before_forms:
        return
    for role in run.spec.roles.values():
        if not role.named or role.form != form_id:
            continue
        before = {normalize_email(e) for e in roles.field_emails(before_forms, form_id,
                                                                  role.field)}
        after = {normalize_email(e) for e in roles.field_emails({form_id: data}, form_id,
                                                                 role.field)}
        if before != after:
            run.event(EventKind.AMENDED, actor, trigger=trigger, form=form_id, role=role.name,
                      added=sorted(after - before), removed=sorted(before - after))


def _transition_form(run: Run, transition: TransitionSpec, actor: str, data) -> None:
    form = run.version.form(transition.form)
    data = computed.apply(form, strip_unknown(form, _payload(data if data is not None else {})))
    check_submission(form, data)
    # a decision with the nomination form itself amends the list (add or remove someone)
    check_named_people(run.spec, form.id, data, run.people, run.row.subject_id)
    _record_amendment(run, form.id, data, actor, transition.trigger)
    author = run.people.find(actor)
    Submission.create(instance=run.row.id, task=None, form_id=form.id, author=author.id,
                      data=data, trigger=transition.trigger, entry=run.row.entry,
                      state=run.row.state, submitted_at=run.now)
    run.note_submission(form.id, data, author.id)
