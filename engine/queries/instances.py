"""One instance in full: its tasks, submissions, history, triggers and roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import peewee as pw

from engine import roles, statements, versions
from engine.clock import utc
from engine.definitions.specs import WorkflowSpec
from engine.directory import People
from engine.errors import NotFound
from engine.lifecycle import current_revision
from engine.queries.items import (
    EventItem,
    InstanceDetail,
    Manager,
    Subject,
    SubmissionItem,
    TriggerItem,
    task_list,
)
from engine.store import (
    Cycle,
    Event,
    Instance,
    InstanceStatus,
    Person,
    Submission,
)


def _event_item(e: Event) -> EventItem:
    return EventItem(e.id, e.at, e.actor, e.kind, e.trigger, e.from_state, e.to_state,
                     e.task_id, e.detail or {})


def history(instance_id) -> list[EventItem]:
    """The instance's events in order (append-only)."""
    return _events(_instance_row(instance_id).id)


# The instance page's and task page's fixed-shape queries, their SQL built once (building
# it with peewee cost more than running it): each takes an instance id.


def _instance_query():
    instance_id = statements.marker()
    return (Instance.select(Instance, Subject, Manager, Cycle)
            .join(Subject, on=(Instance.subject == Subject.id))
            .join(Manager, pw.JOIN.LEFT_OUTER, on=(Subject.manager == Manager.id))
            .switch(Instance)
            .join(Cycle, pw.JOIN.LEFT_OUTER, on=(Instance.cycle == Cycle.id))
            .where(Instance.id == instance_id).limit(1), instance_id)


def _submissions_query():
    instance_id = statements.marker()
    return (Submission.select(Submission, Person)
            .join(Person, on=(Submission.author == Person.id))
            .where(Submission.instance == instance_id).order_by(Submission.id), instance_id)


def _events_query():
    instance_id = statements.marker()
    return Event.select().where(Event.instance == instance_id).order_by(Event.id), instance_id


def _children_query():
    instance_id = statements.marker()
    return (Instance.select(Instance.id, Instance.workflow_id, Instance.state, Instance.status)
            .where(Instance.parent == instance_id).order_by(Instance.id).dicts(), instance_id)


def _events(instance_id: int) -> list[EventItem]:
    return [_event_item(e) for e in
            statements.prepared("instances.events", _events_query).objects(Event, instance_id)]


def _instance_row(instance_id) -> Instance:
    try:
        rows = statements.prepared("instances.instance", _instance_query).rows(
            statements.row_id(instance_id))
    except (TypeError, ValueError):
        rows = []
    if not rows:
        raise NotFound(f"no instance {instance_id}")
    return rows[0]


def instance_detail(instance_id, now: datetime | None = None, *,
                    reader: tuple[Person, Iterable[str]] | None = None) -> InstanceDetail:
    """Everything the instance page shows; constant query count. A caller that has read
    the person who reads it and their groups (the signed-in reader) passes them as
    ``reader``, and the rules that ask who they are do not read them again."""
    now = utc(now)
    inst = _instance_row(instance_id)
    spec = versions.version_for(inst.definition_id).spec
    tasks = task_list('t."instance_id" = {p}', [inst.id], now=now)
    subs = statements.prepared("instances.submissions", _submissions_query).rows(inst.id)
    keys = {t.id: (t.task_key, t.assignee_email) for t in tasks}
    events = _events(inst.id)
    children = statements.prepared("instances.children", _children_query).rows(inst.id)
    items = [_submission_item(s, keys) for s in subs]
    revised = {s.revision_of for s in items if s.revision_of is not None}
    submissions = [s for s in items if s.id not in revised]
    manager = inst.subject.manager if inst.subject.manager_id else None
    people = People()
    people.add([inst.subject, *([manager] if manager else [])])
    if reader is not None:
        people.add([reader[0]])
        people.remember_groups(reader[0].id, reader[1])
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
        roles=_instance_roles(spec, inst, people, submissions),
        hr=roles.HrOf(people, inst.subject_id),
        states_entered={e.to_state for e in events if e.to_state}, spec=spec,
        replaced=[s for s in items if s.id in revised],
    )


def _submission_item(s: Submission, keys: dict) -> SubmissionItem:
    task_key, assignee = keys.get(s.task_id, (None, None))
    written_for = assignee if assignee and assignee != s.author.email else None
    return SubmissionItem(s.id, s.task_id, s.form_id, s.author.email, s.author.name, s.data,
                          s.trigger, s.entry, s.state, s.submitted_at, task_key, s.instance_id,
                          written_for, s.revision_of_id)


def submissions_of(instance_ids: Iterable[int], form_ids: Iterable[str]) -> dict[int, list]:
    """Submissions of ``form_ids`` in each of ``instance_ids``, oldest first (one query;
    read without visibility rules: the caller shows them to HR only)."""
    ids, forms = sorted(set(instance_ids)), sorted(set(form_ids))
    out: dict[int, list[SubmissionItem]] = {}
    if ids and forms:
        query = (Submission.select(Submission, Person)
                 .join(Person, on=(Submission.author == Person.id))
                 .where(Submission.instance.in_(ids) & Submission.form_id.in_(forms)
                        & current_revision())
                 .order_by(Submission.submitted_at, Submission.id))
        for s in query:
            out.setdefault(s.instance_id, []).append(_submission_item(s, {}))
    return out


def _subject_dict(person: Person, manager: Person | None) -> dict:
    return {"id": person.id, "email": person.email, "name": person.name,
            "department": person.department, "title": person.title,
            "manager_email": manager.email if manager else None,
            "manager_name": manager.name if manager else None, "active": person.active,
            "manager_id": person.manager_id}


def _instance_roles(spec: WorkflowSpec, inst: Instance, people: People,
                    submissions: list[SubmissionItem]) -> roles.RolePlayers:
    """Role name -> emails of the active people playing it, each role read when first
    asked for (a group in one query; :meth:`~engine.roles.RolePlayers.plays` answers for
    the viewer alone). Read here, in a constant number of queries: the people named by
    ``field:``/``person:`` roles in one, and one per level of the longest manager chain
    beyond the skip level."""
    people.preload_chains([inst.subject], roles.chain_depth(spec))
    from engine.lifecycle import forms_from_rows

    forms = forms_from_rows(spec, [(s.form_id, s.data, s.entry) for s in submissions])
    named = [e for r in spec.roles.values() if r.named
             for e in roles.field_emails(forms, r.form, r.field)]
    people.load_emails(named + [r.email for r in spec.roles.values() if r.kind == "person"])
    return roles.RolePlayers(spec, roles.Facts(inst.subject_id, people, forms))


def _triggers(spec: WorkflowSpec, state: str, status: str) -> list[TriggerItem]:
    if status != InstanceStatus.RUNNING:
        return []
    seen, out = set(), []
    for t in spec.transitions_from(state):
        if t.manual and t.trigger not in seen:
            seen.add(t.trigger)
            out.append(TriggerItem(t.trigger, t.title, t.dest, t.allowed, t.form))
    return out
