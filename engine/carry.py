"""Work that carries forward: earlier answers a new task starts from (``prefill``).

A task line may say where its form starts::

    - form: okr-plan
      assignee: employee
      prefill:
        objectives: "previous.forms['okr-plan'].objectives | rejectattr('done') | list"

Each value is an expression with the names of conditions, and two more that read other
instances about the same subject:

- ``previous``: the previous instance of the same workflow (the latest started before
  this one and not cancelled): ``previous.forms``, ``previous.state``, ``previous.cycle``;
  empty when there is none;
- ``instances(workflow)``: every instance of ``workflow`` about the subject (this one
  left out), oldest first, each with ``forms``, ``state``, ``status``, ``cycle``,
  ``started_at``: the annual review's goals from the year's quarterly plans;
- ``parent``: the instance this one was started from (``parent:``, ``start:``), the
  same view as ``previous``: a proposed change starts from the running quarter's plan.

They are read only when an expression asks (a condition that never names them costs no
query). A prefill value that cannot be worked out (there is no previous instance) leaves
its field empty; answers of a task sent back (the same person, the same task line) come
first, prefill only fills a task that has none.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from engine.expressions import ExpressionError, compile_expression
from engine.store import Instance, InstanceStatus

#: At most this many instances of a workflow are read for ``instances(workflow)``.
MAX_INSTANCES = 100


def _forms_of(row: Instance) -> dict:
    from engine import versions
    from engine.lifecycle import load_forms

    # load_forms reads the current revision of each answer (a calibrated rating, not the
    # manager's original), as the instance's own conditions do
    return load_forms(versions.version_for(row.definition_id).spec, row.id)


def _view(row: Instance) -> dict:
    from engine.lifecycle import aware

    cycle = row.cycle.name if row.cycle_id else None
    return {"id": row.id, "workflow": row.workflow_id, "state": row.state,
            "status": row.status, "cycle": cycle, "started_at": aware(row.started_at),
            "finished_at": aware(row.finished_at), "forms": _forms_of(row)}


class Previous(Mapping):
    """The previous instance of the same workflow for the same subject, read on first use."""

    def __init__(self, row: Instance):
        self._row = row
        self._data: dict | None = None

    def _find(self) -> Instance | None:
        return (Instance.select()
                .where((Instance.subject == self._row.subject_id)
                       & (Instance.workflow_id == self._row.workflow_id)
                       & (Instance.id < self._row.id)  # ids grow as instances start
                       & (Instance.status != InstanceStatus.CANCELLED))
                .order_by(Instance.id.desc()).first())

    def _load(self) -> dict:
        if self._data is None:
            found = self._find()
            self._data = _view(found) if found is not None else {}
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


class Parent(Previous):
    """The instance this one was started from (``parent:``, ``start:``), read on first
    use: ``parent.forms['okr-plan']`` is the plan's current revision; empty without one."""

    def _find(self) -> Instance | None:
        if self._row.parent_id is None:
            return None
        return Instance.select().where(Instance.id == self._row.parent_id).first()


def instances_function(row: Instance):
    """``instances(workflow)`` for the instance ``row``: the subject's other instances of
    ``workflow`` (not cancelled), oldest first."""
    def instances(workflow_id) -> list[dict]:
        query = (Instance.select()
                 .where((Instance.subject == row.subject_id)
                        & (Instance.workflow_id == str(workflow_id))
                        & (Instance.id != row.id)
                        & (Instance.status != InstanceStatus.CANCELLED))
                 .order_by(Instance.started_at, Instance.id).limit(MAX_INSTANCES))
        return [_view(r) for r in query]
    return instances


def prefilled(line, context: dict) -> dict | None:
    """The answers a new task of ``line`` starts from (None: no prefill, or nothing of it
    could be worked out)."""
    out = {}
    for field, text in line.prefill:
        try:
            value = compile_expression(text).evaluate(context)
        except ExpressionError:
            continue
        if value is not None and not (isinstance(value, list | dict) and not value):
            out[field] = _plain(value)
    return out or None


def _plain(value):
    """A value as JSON data: generators (``rejectattr``) as lists, mappings as dicts."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or hasattr(value, "__next__"):
        return [_plain(v) for v in value]
    return copy.deepcopy(value)
