"""One ``transitions.Machine`` per definition version, and the plain runner it moves.

The Machine knows the states and transitions of a version and nothing else: our own code
evaluates ``conditions``/``unless`` (in the expression sandbox) and chooses the first
candidate whose conditions hold; the Machine is then asked to take exactly that
candidate, which it recognises by the ``chosen`` index passed to its condition callable.
A plain runner carrying only ``state`` is moved for one command (the event is fired on
it directly, never ``add_model``), so the Machine holds no models between commands and is
never bound to a peewee row.
"""

from __future__ import annotations

import threading

from transitions import Machine, MachineError

from engine.definitions.specs import TransitionSpec, WorkflowSpec
from engine.errors import Conflict

_machines: dict[tuple, tuple[Machine, threading.Lock]] = {}
_build_lock = threading.Lock()


class Runner:
    """The lightweight object a Machine moves for one command (its ``state`` only)."""

    state: str


def _is_chosen(index: int):
    def condition(*_args, chosen: int | None = None, **_kwargs) -> bool:
        return chosen == index

    return condition


def build_machine(spec: WorkflowSpec) -> Machine:
    """A Machine for one workflow version: states, and one transition per spec line."""
    machine = Machine(model=None, states=list(spec.states), initial=None,
                      auto_transitions=False, send_event=False)
    for t in spec.transitions:
        machine.add_transition(t.trigger, list(t.sources), t.dest,
                               conditions=[_is_chosen(t.index)])
    return machine


def machine_for(spec: WorkflowSpec) -> tuple[Machine, threading.Lock]:
    """The cached Machine of ``spec``'s version (built once per process)."""
    key = (spec.id, spec.version, spec.sha256 or id(spec))
    found = _machines.get(key)
    if found is None:
        with _build_lock:
            found = _machines.setdefault(key, (build_machine(spec), threading.Lock()))
    return found


def move(spec: WorkflowSpec, state: str, transition: TransitionSpec) -> str:
    """Take ``transition`` from ``state`` on the version's Machine; return the new state.

    The runner is never added to the Machine's models: firing the event on it directly
    (``machine.events[name].trigger(runner)``) costs a third of ``add_model`` and leaves
    nothing behind between commands.
    """
    machine, lock = machine_for(spec)
    runner = Runner()
    runner.state = state
    with lock:  # a Machine is not thread-safe
        try:
            moved = machine.events[transition.trigger].trigger(runner, chosen=transition.index)
        except MachineError as exc:
            raise Conflict(f"'{transition.trigger}' cannot fire from state '{state}': "
                           f"{exc.value}") from None
    if not moved:
        raise Conflict(f"'{transition.trigger}' cannot fire from state '{state}'")
    return runner.state
