"""One instance in full: its tasks, submissions, history, triggers and roles.
"""

from __future__ import annotations

from datetime import datetime

import peewee as pw

from engine import roles
from engine.commands import utc
from engine.definitions.specs import WorkflowSpec
from engine.directory import normalize_email
from engine.errors import NotFound
from engine.queries.items import (
    EventItem,
    InstanceDetail,
    Manager,
    Subject,
    SubmissionItem,
    TriggerItem,
    _task_list,
    _version,
)
from engine.store import (
    Cycle,
    Event,
    Instance,
    InstanceStatus,
    Person,
    PersonGroup,
    Submission,
)


def _event_item(e: Event) -> EventItem:
    return EventItem(e.id, e.at, e.actor, e.kind, e.trigger, e.from_state, e.to_state,
                     e.task_id, e.detail or {})


def history(instance_id) -> list[EventItem]:
    """The instance's events in order (append-only)."""
    inst = _instance_row(instance_id)
    return [_event_item(e) for e in Event.select().where(Event.instance == inst.id)
            .order_by(Event.id)]


def _instance_row(instance_id) -> Instance:
    try:
        found = (Instance.select(Instance, Subject, Manager, Cycle)
                 .join(Subject, on=(Instance.subject == Subject.id))
                 .join(Manager, pw.JOIN.LEFT_OUTER, on=(Subject.manager == Manager.id))
                 .switch(Instance)
                 .join(Cycle, pw.JOIN.LEFT_OUTER, on=(Instance.cycle == Cycle.id))
                 .where(Instance.id == int(instance_id)).first())
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound(f"no instance {instance_id}")
    return found


def instance_detail(instance_id, now: datetime | None = None) -> InstanceDetail:
    """Everything the instance page shows; constant query count."""
    now = utc(now)
    inst = _instance_row(instance_id)
    spec = _version(inst.definition_id).spec
    tasks = _task_list('t."instance_id" = {p}', [inst.id], now=now)
    subs = list(Submission.select(Submission, Person)
                .join(Person, on=(Submission.author == Person.id))
                .where(Submission.instance == inst.id).order_by(Submission.id))
    keys = {t.id: t.task_key for t in tasks}
    events = [_event_item(e) for e in Event.select().where(Event.instance == inst.id)
              .order_by(Event.id)]
    children = [{"id": c.id, "workflow_id": c.workflow_id, "state": c.state,
                 "status": c.status} for c in Instance.select().where(Instance.parent == inst.id)]
    submissions = [_submission_item(s, keys) for s in subs]
    manager = inst.subject.manager if inst.subject.manager_id else None
    state = spec.states.get(inst.state)
    return InstanceDetail(
        id=inst.id, workflow_id=inst.workflow_id, workflow_title=spec.title,
        version=spec.version, definition_id=inst.definition_id, state=inst.state,
        state_title=state.title if state else None, status=inst.status, entry=inst.entry,
        subject=_subject_dict(inst.subject, manager),
        cycle=inst.cycle.name if inst.cycle_id else None,
        started_at=inst.started_at, entered_at=inst.entered_at, finished_at=inst.finished_at,
        parent_id=inst.parent_id, children=children,
        tasks=tasks, submissions=submissions,
        history=events, triggers=_triggers(spec, inst.state, inst.status),
        roles=_instance_roles(spec, inst, manager, submissions),
        hr=[p.email for p in _group_members([roles.HR_GROUP])[roles.HR_GROUP]],
        states_entered={e.to_state for e in events if e.to_state}, spec=spec,
    )


def _submission_item(s: Submission, keys: dict) -> SubmissionItem:
    task_key = keys.get(s.task_id)
    return SubmissionItem(s.id, s.task_id, s.form_id, s.author.email, s.author.name, s.data,
                          s.trigger, s.entry, s.state, s.submitted_at, task_key)


def _subject_dict(person: Person, manager: Person | None) -> dict:
    return {"id": person.id, "email": person.email, "name": person.name,
            "department": person.department, "title": person.title,
            "manager_email": manager.email if manager else None,
            "manager_name": manager.name if manager else None, "active": person.active,
            "manager_id": person.manager_id}


def _group_members(names) -> dict[str, list[Person]]:
    out = {n: [] for n in names}
    query = (Person.select(Person, PersonGroup.group).join(PersonGroup)
             .where(PersonGroup.group.in_(sorted(out)) & (Person.active == True))  # noqa: E712
             .order_by(Person.email).objects())
    for p in query:
        out[p.group].append(p)
    return out


def _instance_roles(spec: WorkflowSpec, inst: Instance, manager: Person | None,
                    submissions: list[SubmissionItem]) -> dict:
    """Role name -> emails, with a constant number of queries (chains beyond the skip
    level cost one query per level of the longest chain)."""
    groups = _group_members({r.group for r in spec.roles.values() if r.kind == "group"}
                            | {roles.HR_GROUP})
    out: dict[str, list[str]] = {}
    chain = [inst.subject, manager]
    depth = roles.chain_depth(spec)
    while len(chain) <= depth and chain[-1] is not None:
        chain.append(Person.get_or_none(Person.id == chain[-1].manager_id)
                     if chain[-1].manager_id else None)
    rows = [(s.form_id, s.data, s.entry) for s in submissions]
    from engine.machine import forms_from_rows

    forms = forms_from_rows(spec, rows)
    for name, role in spec.roles.items():
        if role.kind == "subject":
            out[name] = [inst.subject.email]
        elif role.kind == "chain":
            person = chain[len(role.steps)] if len(role.steps) < len(chain) else None
            out[name] = [person.email] if person is not None and person.active else []
        elif role.kind == "group":
            out[name] = [p.email for p in groups.get(role.group, [])]
        elif role.kind == "field":
            out[name] = [normalize_email(e) for e in roles.field_emails(forms, role.form,
                                                                         role.field)]
        elif role.kind == "person":
            out[name] = [normalize_email(role.email or "")]
    return out


def _triggers(spec: WorkflowSpec, state: str, status: str) -> list[TriggerItem]:
    if status != InstanceStatus.RUNNING:
        return []
    seen, out = set(), []
    for t in spec.transitions_from(state):
        if t.manual and t.trigger not in seen:
            seen.add(t.trigger)
            out.append(TriggerItem(t.trigger, t.title, t.dest, t.allowed, t.form))
    return out
