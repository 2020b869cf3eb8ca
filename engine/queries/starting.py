"""What a person may start themselves: the library's ``started_by`` workflows, for
themselves and for each direct report (the engine's own start rule decides).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine import roles
from engine.commands.launch import may_start
from engine.directory import People
from engine.queries.items import PersonItem
from engine.queries.people import person_item
from engine.store import Person


@dataclass
class StartOptions:
    mine: list = field(default_factory=list)  # workflow specs about the person themselves
    reports: list[tuple[PersonItem, list]] = field(default_factory=list)  # (report, specs)


def _self_service(workflows) -> list:
    """The workflows people start themselves (``started_by``), by title; not those started
    from a running instance (``parent:``), which its page offers (:func:`changes_offered`)."""
    return sorted((s for s in workflows if s.started_by and s.parent is None),
                  key=lambda s: (s.title or s.id).lower())


def changes_offered(workflows, detail, actor: str) -> list:
    """The ``parent:`` workflows ``actor`` may start from the running instance ``detail``
    (an :class:`~engine.queries.items.InstanceDetail`): of its workflow, past their
    ``after`` state, and only by one of their ``started_by`` roles (the subject asking to
    change their own goals), as :func:`start_options` offers."""
    if detail.status != "running":
        return []
    specs = [s for s in workflows if s.started_by and s.parent is not None
             and s.parent.workflow == detail.workflow_id
             and (s.parent.after is None or s.parent.after in detail.states_entered
                  or s.parent.after == detail.state)]
    if not specs:
        return []
    people = People()
    subject = people.get(detail.subject["id"])
    if subject is None or not subject.active:
        return []
    return sorted((s for s in specs if _offered(s, subject, actor, people)),
                  key=lambda s: (s.title or s.id).lower())


def _offered(spec, subject: Person, actor: str, people: People) -> bool:
    """May ``actor`` start ``spec`` about ``subject`` by one of its ``started_by`` roles?

    HR may start anything, but HR's own page should not list every report's feedback
    requests: only the roles of ``started_by`` put a workflow on the page.
    """
    may, _who = may_start(spec, subject, actor, people)
    facts = roles.Facts(subject.id, people, {})
    return may and roles.plays_any(actor, spec.started_by, spec, facts) is not None


def start_options(workflows, actor: str) -> StartOptions:
    """What ``actor`` may start from ``workflows`` (specs): about themselves and per
    active direct report."""
    specs = _self_service(workflows)
    people = People()
    me = people.find(actor)
    out = StartOptions()
    if me is None:
        return out
    reports = list(Person.select()
                   .where((Person.manager == me.id) & (Person.active == True))  # noqa: E712
                   .order_by(Person.name, Person.id))
    people.add(reports)
    out.mine = [s for s in specs if _offered(s, me, actor, people)]
    for report in reports:
        offered = [s for s in specs if _offered(s, report, actor, people)]
        if offered:
            out.reports.append((person_item(report), offered))
    return out
