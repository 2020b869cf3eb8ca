"""The fast paths launch takes (bulk inserts, INSERT ... RETURNING, cached form sets)
give exactly what the plain paths give. No timings here: speed is measured in bench/."""

import importlib
from datetime import datetime

import pytest

from engine import commands, store, versions
from engine.lifecycle import many_forms
from engine.store import (
    Cycle,
    Event,
    Instance,
    InstanceStatus,
    Person,
    Task,
    TaskStatus,
)

from .conftest import T0

# engine.commands exports the launch function under the module's name
launch_module = importlib.import_module("engine.commands.launch")


def _outcome(cycle_name: str) -> list:
    """Everything a launch wrote for one cycle, without ids, tokens or the cycle's name."""
    cycle = Cycle.get(Cycle.name == cycle_name)
    out = []
    for inst in Instance.select().where(Instance.cycle == cycle.id).order_by(Instance.subject):
        tasks = sorted((t.task_key, t.form_id, t.role, t.assignee_id, t.status, t.entry,
                        t.state, t.created_at, t.due_at, t.remind_at, t.escalate_at, t.draft)
                       for t in Task.select().where(Task.instance == inst.id))
        history = [(e.kind, e.actor, e.at, e.from_state, e.to_state, e.trigger,
                    {k: v for k, v in e.detail.items() if k != "cycle"})
                   for e in Event.select().where(Event.instance == inst.id).order_by(Event.id)]
        out.append((inst.subject_id, inst.state, inst.status, inst.entry, inst.started_at,
                    inst.entered_at, inst.finished_at, inst.timer_at, inst.parent_id,
                    inst.workflow_id, tasks, history))
    return out


def test_launch_without_returning_writes_the_same_rows(org, library, monkeypatch):
    """The fallback for SQLite before 3.35 (re-reading the batch by its token)."""
    fast = commands.launch(library, "review", "fast", now=T0, batch_size=4)
    monkeypatch.setattr(store, "can_return", lambda: False)
    slow = commands.launch(library, "review", "slow", now=T0, batch_size=4)
    assert (fast.created, fast.existing) == (slow.created, slow.existing) == (6, 0)
    assert _outcome("fast") == _outcome("slow")
    assert len(_outcome("fast")) == 6 and all(o[10] for o in _outcome("fast"))


def test_instances_built_from_returning_equal_the_rows_read_back(org, library):
    version = versions.ensure(library, "review", T0)
    cycle = Cycle.create(name="c", workflow_id="review", definition=version.definition_id,
                         filters=[], created_at=T0)
    people = list(Person.select().order_by(Person.id))
    rows = [{"definition": version.definition_id, "workflow_id": "review", "cycle": cycle.id,
             "subject": p.id, "state": "self", "status": InstanceStatus.RUNNING.value,
             "entry": 1, "started_at": T0, "entered_at": T0,
             "timer_at": datetime(2026, 3, 9, 9, 0), "launch_token": "tok"} for p in people]
    with store.db.atomic():
        built = launch_module._insert_instances(rows, cycle.id, "tok")
    read = store.select_matching(Instance, {"cycle": cycle.id, "launch_token": "tok"})
    assert [b.__data__ for b in built] == [r.__data__ for r in read]
    assert len(built) == len(people)


def test_insert_returning_returns_only_the_rows_it_inserted(org, library):
    if not store.can_return():
        pytest.skip("this SQLite has no INSERT ... RETURNING")
    version = versions.ensure(library, "review", T0)
    cycle = Cycle.create(name="c", workflow_id="review", definition=version.definition_id,
                         filters=[], created_at=T0)
    ann, bob = Person.get(email="ann@x.com"), Person.get(email="bob@x.com")

    def row(person):
        return {"definition": version.definition_id, "workflow_id": "review",
                "cycle": cycle.id, "subject": person.id, "state": "self",
                "status": "running", "entry": 1, "started_at": T0, "entered_at": T0}

    first = store.insert_returning(Instance, [row(ann)], ("id", "subject"), True)
    both = store.insert_returning(Instance, [row(ann), row(bob)], ("id", "subject"), True)
    assert [s for _, s in first] == [ann.id] and [s for _, s in both] == [bob.id]
    assert {i.id for i in Instance.select()} == {first[0][0], both[0][0]}


def test_insert_rows_still_converts_values_of_other_types(org, library):
    """Enums, model objects for foreign keys, JSON documents, text for dates."""
    commands.launch(library, "review", "c", now=T0)
    instance = Instance.select().order_by(Instance.id).first()
    ann = Person.get(email="ann@x.com")
    store.insert_rows(Task, [{
        "instance": instance, "entry": 1, "state": "self", "task_key": "extra",
        "form_id": "self-review", "role": "employee", "assignee": ann,
        "status": TaskStatus.OPEN, "draft": {"rating": 3}, "created_at": "2026-03-02 09:00:00",
    }])
    store.insert_rows(Event, [{"instance": instance.id, "at": T0, "actor": "x@x.com",
                               "kind": "note", "detail": {"n": 1}},
                              {"instance": instance, "at": T0, "actor": "x@x.com",
                               "kind": "note", "detail": {}}])
    task = Task.get(Task.task_key == "extra")
    assert (task.instance_id, task.assignee_id, task.status, task.draft, task.created_at) == (
        instance.id, ann.id, "open", {"rating": 3}, T0)
    notes = list(Event.select().where(Event.kind == "note").order_by(Event.id))
    assert [(e.instance_id, e.detail) for e in notes] == [(instance.id, {"n": 1}),
                                                          (instance.id, {})]


def test_many_forms_is_computed_once_per_spec(library):
    spec = library.workflows["feedback"]
    assert many_forms(spec) == {"peer-feedback"}  # several peers fill it (quorum 2)
    assert many_forms(spec) is many_forms(spec)
    assert many_forms(library.workflows["review"]) == set()


def test_launch_in_small_batches_skips_the_subjects_already_launched(org, library):
    first = commands.launch(library, "review", "c", where=[("location", "Lyon")], now=T0)
    again = commands.launch(library, "review", "c", now=T0, batch_size=2)
    assert (first.created, again.created, again.existing) == (2, 4, 2)
    assert Instance.select().count() == 6
    assert Task.select().where(Task.form_id == "self-review").count() == 6


def test_prepared_queries_run_again_with_new_values(org):
    after = store.marker()
    query = store.Prepared(Person.select().where(Person.id > after).order_by(Person.id), after)
    everyone = query.objects(Person, 0)
    assert [p.email for p in everyone] == [p.email for p in Person.select().order_by(Person.id)]
    assert [p.id for p in query.objects(Person, everyone[2].id)] == [p.id for p in everyone[3:]]
    assert all(p.active is True and isinstance(p.attributes, dict) for p in everyone)
    with pytest.raises(ValueError, match="marker"):
        store.Prepared(Person.select(), store.marker())


def test_insert_rows_of_many_rows_all_land_or_none_with_a_clear_error(org, library):
    """Several rows go in one multi-row INSERT a page at a time on PostgreSQL (an
    executemany on SQLite): every row of more than a page lands; a row breaking a unique
    constraint is skipped when asked, else the whole insert fails as peewee's
    IntegrityError on both backends and leaves nothing behind."""
    from engine import statements

    commands.launch(library, "review", "c", now=T0)
    instance = Instance.select().order_by(Instance.id).first()
    many = [{"instance": instance.id, "at": T0, "actor": "x@x.com", "kind": "note",
             "detail": {"n": n}} for n in range(statements._VALUES_ROWS * 2 + 7)]
    store.insert_rows(Event, many)
    notes = [e.detail["n"] for e in Event.select().where(Event.kind == "note")
             .order_by(Event.id)]
    assert notes == list(range(len(many)))

    version = versions.ensure(library, "review", T0)
    cycle = Cycle.get(Cycle.name == "c")
    taken = Instance.select(Instance.subject).where(Instance.cycle == cycle.id).first()
    free = Person.create(email="new@x.com", name="New", department="Eng", title="",
                         attributes={}, active=True, updated_at=T0)
    rows = [{"definition": version.definition_id, "workflow_id": "review", "cycle": cycle.id,
             "subject": subject, "state": "self", "status": "running", "entry": 1,
             "started_at": T0, "entered_at": T0} for subject in (free.id, taken.subject_id)]
    before = Instance.select().count()
    with pytest.raises(store.pw.IntegrityError), store.db.atomic():
        store.insert_rows(Instance, rows)  # the second subject has one in this cycle
    assert Instance.select().count() == before
    store.insert_rows(Instance, rows, ignore_conflicts=True)
    assert Instance.select().count() == before + 1
    assert Instance.get(Instance.subject == free.id).cycle_id == cycle.id
