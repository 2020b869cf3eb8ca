"""The Machine per version, the runner, auto-loop guard and races between commands."""

import threading

import pytest

from engine import commands, lifecycle, machine
from engine.definitions.library import load_library
from engine.errors import Conflict
from engine.store import Instance

from .conftest import DEFINITIONS, T0, events, task_of


def test_one_machine_per_version_that_keeps_no_models(library):
    spec = library.workflow("review")
    first, _ = machine.machine_for(spec)
    assert machine.machine_for(spec)[0] is first
    approve = next(t for t in spec.transitions if t.trigger == "approve")
    assert machine.move(spec, "manager", approve) == "hr_check"
    assert first.models == []
    with pytest.raises(Conflict, match="cannot fire from state 'self'"):
        machine.move(spec, "self", approve)
    assert first.models == []


def test_the_machine_takes_exactly_the_chosen_candidate(library):
    spec = library.workflow("pip")
    succeed = next(t for t in spec.transitions if t.trigger == "succeed")
    assert machine.move(spec, "review", succeed) == "passed"


def test_auto_transitions_that_loop_are_stopped_and_recorded(org):
    extra = load_library([DEFINITIONS / "extra" / "workflows", DEFINITIONS / "forms"])
    result = commands.start(extra, "loop", "ann@x.com", "hal@x.com", now=T0)
    assert result.status == "running" and len(result.fired) == lifecycle.MAX_AUTO_STEPS
    stopped = events(result.instance_id, "auto-loop-stopped")
    assert stopped[0].detail["limit"] == lifecycle.MAX_AUTO_STEPS
    assert commands.fire(result.instance_id, "stop", "ann@x.com", now=T0).state == "end"


def test_start_is_for_hr_or_the_manager(org, library):
    from engine.errors import NotAllowed

    with pytest.raises(NotAllowed, match="HR or the manager"):
        commands.start(library, "pip", "ann@x.com", "bob@x.com", now=T0)
    assert commands.start(library, "pip", "ann@x.com", "mia@x.com", now=T0).state == "active"


def test_two_racing_fires_make_exactly_one_transition(org, library, db):
    """Threads on separate connections; the loser gets Conflict, nothing is lost."""
    from engine import store

    commands.launch(library, "review", "r", where=[("email", "ann@x.com")], now=T0)
    commands.submit(task_of("ann@x.com", "self-review").id, "ann@x.com",
                    {"rating": 3, "summary": "s"}, now=T0)
    inst = Instance.get().id
    store.close()
    barrier = threading.Barrier(2)
    outcomes = []

    def fire(actor):
        store.db.connect(reuse_if_open=True)
        try:
            barrier.wait(timeout=10)
            commands.fire(inst, "send_back", actor, data={"reason": actor}, now=T0)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(f"conflict: {exc}")
        finally:
            store.db.close()

    threads = [threading.Thread(target=fire, args=(a,)) for a in ("mia@x.com", "ceo@x.com")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    store.db.connect(reuse_if_open=True)
    assert sorted(o[:8] for o in outcomes) == ["conflict", "ok"], outcomes
    assert len(events(inst, "transition")) == 2  # self_done, then one send_back
    assert Instance.get_by_id(inst).state == "self"
