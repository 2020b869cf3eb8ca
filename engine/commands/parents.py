"""Starting an instance from a running one (``parent:``): a proposed change to the goals.

A workflow with ``parent: quarterly-goals`` is started about a person only while an
instance of ``quarterly-goals`` runs for them (and, with ``after``, once that one has
entered the named state: its goals approved); the new instance is linked to it as its
parent, and the parent's history says that a proposal started. The parent goes on in
whatever state it is in; an approved proposal writes its forms with ``revise:
{parent.FORM: ...}`` (see :meth:`engine.lifecycle.Run.revise_parent`).
"""

from __future__ import annotations

from engine import statements
from engine.commands.base import instance_id_of
from engine.definitions.specs import WorkflowSpec
from engine.errors import Conflict, NotFound
from engine.lifecycle import Run
from engine.messages import N_
from engine.store import Event, EventKind, Instance, InstanceStatus, Person


def parent_for(spec: WorkflowSpec, subject: Person, parent=None) -> Instance | None:
    """The running instance a new ``spec`` instance about ``subject`` is started from
    (None: ``spec`` has no ``parent``). ``parent`` names it by id (the button on its page);
    without it, the subject's newest running one. A clear Conflict when there is none."""
    if spec.parent is None:
        return None
    wanted = spec.parent.workflow
    if parent is not None:
        row = statements.get_row(Instance, instance_id_of(parent))
        if row is None or row.workflow_id != wanted or row.subject_id != subject.id:
            raise NotFound(f"no '{wanted}' instance {parent} about {subject.email}")
    else:
        row = (Instance.select().where((Instance.workflow_id == wanted)
                                       & (Instance.subject == subject.id)
                                       & (Instance.status == InstanceStatus.RUNNING))
               .order_by(Instance.id.desc()).first())
        if row is None:
            raise Conflict(N_("%(person)s has no running '%(parent)s' for '%(workflow)s' to "
                              "change; it starts from a running one", person=subject.email,
                              parent=wanted, workflow=spec.id))
    if row.status != InstanceStatus.RUNNING:
        raise Conflict(N_("Process #%(num)s (%(parent)s) has ended: there is nothing "
                          "running for '%(workflow)s' to change", num=row.id, parent=wanted,
                          workflow=spec.id))
    after = spec.parent.after
    if after and not _entered(row, after):
        raise Conflict(N_("Process #%(num)s (%(parent)s) has not reached '%(state)s' yet; "
                          "'%(workflow)s' can start once it has", num=row.id, parent=wanted,
                          state=after, workflow=spec.id))
    return row


def _entered(row: Instance, state: str) -> bool:
    """Has instance ``row`` ever been in ``state`` (now, or by an earlier transition)?"""
    return row.state == state or (Event.select(Event.id).where(
        (Event.instance == row.id) & (Event.to_state == state)).exists())


def announce_child(run: Run, parent: Instance | None, actor: str) -> None:
    """The parent's history: ``actor`` started the proposal ``run`` (a ``started``
    event naming the child, as a transition's ``start:`` writes)."""
    if parent is None:
        return
    run.pending.events.append({
        "instance": parent.id, "at": run.now, "actor": actor, "kind": EventKind.STARTED,
        "trigger": None, "from_state": None, "to_state": None, "task": None,
        "detail": {"child": run.row.id, "workflow": run.spec.id}})
