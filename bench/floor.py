"""The floor: the benchmark's rows written with plain ``sqlite3``, and nothing else.

It does what the engine has to do for the bench-360 workflow, hard-coded (no definitions,
no ORM, no state machine): the engine's own tables and indexes (created from
``engine.store``'s models, so both pay the same index upkeep), one transaction where the
engine has one (``BEGIN IMMEDIATE``, the engine's lock on SQLite), a reused jsonschema
validator per form, the same look-ups (actor, manager, peers by email, hr membership) and
the same history rows. Its time is what any engine on SQLite must pay; the benchmark
prints the engine's time as a ratio to it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

import jsonschema
import peewee as pw
from jsonschema.validators import validator_for

from bench.org import subjects
from bench.workload import CYCLE, DEFINITIONS, WORKFLOW
from engine import store
from engine.clock import utcnow

DUE = timedelta(days=14)


def _now() -> str:
    # Naive UTC, written the way peewee writes a DateTimeField on SQLite.
    return utcnow().isoformat(" ")


def create_schema(path: str) -> None:
    """The engine's tables and indexes, created by peewee once (not timed)."""
    database = pw.SqliteDatabase(path, pragmas={"journal_mode": "wal"})
    with database.bind_ctx(store.MODELS):
        database.create_tables(store.MODELS)
    database.close()


class Floor:
    """Plain-sqlite3 writer of the bench-360 rows; one method per engine command."""

    def __init__(self, path: str, validators: dict, synchronous: str = "NORMAL"):
        create_schema(path)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.validators = validators
        self.definition_id = None

    def close(self) -> None:
        self.db.close()

    def import_org(self, people: list) -> None:
        """One transaction: every person, then managers, then the groups."""
        db = self.db
        now = _now()
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO person (email, name, department, title, attributes, active, updated_at)"
            " VALUES (?, ?, ?, '', '{}', 1, ?)",
            ((p.email, p.name, p.department, now) for p in people),
        )
        ids = dict(db.execute("SELECT email, id FROM person"))
        db.executemany(
            "UPDATE person SET manager_id = ? WHERE id = ?",
            ((ids[p.manager], ids[p.email]) for p in people if p.manager),
        )
        db.executemany(
            'INSERT INTO person_group (person_id, "group") VALUES (?, ?)',
            ((ids[p.email], g) for p in people for g in p.groups),
        )
        db.execute("COMMIT")

    def launch(self, cycle: str, subjects, batch: int = 0) -> int:
        """One instance and its self-assessment task per subject, streamed.

        ``batch`` subjects per transaction (0: one transaction for the whole launch).
        """
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        now = _now()
        cur = db.execute(
            "INSERT INTO definition (workflow_id, version, sha256, title, created_at)"
            " VALUES (?, 1, '', '', ?)", (WORKFLOW, now))
        self.definition_id = cur.lastrowid
        cur = db.execute(
            "INSERT INTO cycle (name, workflow_id, definition_id, filters, created_at,"
            " created_by) VALUES (?, ?, ?, '[]', ?, 'system')",
            (cycle, WORKFLOW, self.definition_id, now))
        cycle_id = cur.lastrowid
        count = 0
        for email in subjects:
            now = _now()
            (subject_id,) = db.execute(
                "SELECT id FROM person WHERE email = ? AND active = 1", (email,)
            ).fetchone()
            cur = db.execute(
                "INSERT INTO instance (definition_id, workflow_id, cycle_id, subject_id, state,"
                " status, entry, started_at, entered_at) VALUES (?, ?, ?, ?, 'self_review',"
                " 'running', 1, ?, ?)",
                (self.definition_id, WORKFLOW, cycle_id, subject_id, now, now),
            )
            self._event(cur.lastrowid, now, "system", "launched", to_state="self_review",
                        detail={"cycle": cycle})
            self._create_task(cur.lastrowid, "self_review", "0:self-assessment", "employee",
                              subject_id, now)
            count += 1
            if batch and count % batch == 0:
                db.execute("COMMIT")
                db.execute("BEGIN IMMEDIATE")
        db.execute("COMMIT")
        return count

    def submit(self, task_id: int, actor: str, data: dict) -> None:
        """Validate, store the submission, close the task, fire the auto transition."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            self._submit(task_id, actor, data)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _submit(self, task_id: int, actor: str, data: dict) -> None:
        db = self.db
        now = _now()
        instance_id, form_id, assignee_id, status, task_state = db.execute(
            "SELECT instance_id, form_id, assignee_id, status, state FROM task WHERE id = ?",
            (task_id,),
        ).fetchone()
        state, subject_id, entry = db.execute(
            "SELECT state, subject_id, entry FROM instance WHERE id = ?", (instance_id,)
        ).fetchone()
        (actor_id,) = db.execute("SELECT id FROM person WHERE email = ?", (actor,)).fetchone()
        if status != "open" or state != task_state or actor_id != assignee_id:
            raise RuntimeError(f"floor: task {task_id} cannot be submitted")
        errors = list(self.validators[form_id].iter_errors(data))
        if errors:
            raise ValueError(errors[0].message)
        db.execute(
            "INSERT INTO submission (instance_id, task_id, form_id, author_id, data, entry,"
            " state, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (instance_id, task_id, form_id, actor_id, json.dumps(data, sort_keys=True), entry,
             state, now),
        )
        db.execute(
            "UPDATE task SET status = 'submitted', submitted_at = ?, submitted_by = ?,"
            " draft = NULL WHERE id = ?",
            (now, actor, task_id),
        )
        self._event(instance_id, now, actor, "submitted", task_id=task_id,
                    detail={"form": form_id, "state": state})
        (still_open,) = db.execute(
            "SELECT count(*) FROM task WHERE instance_id = ? AND entry = ? AND state = ?"
            " AND status = 'open'",
            (instance_id, entry, state),
        ).fetchone()
        if still_open:
            return
        if state == "self_review":
            self._enter(instance_id, entry, state, "collect", "start_collection", now, actor=actor)
            (manager_id,) = db.execute(
                "SELECT manager_id FROM person WHERE id = ?", (subject_id,)
            ).fetchone()
            self._create_task(instance_id, "collect", "0:manager-review", "manager",
                              manager_id, now, entry + 1)
            marks = ",".join("?" * len(data["peers"]))
            peers = db.execute(
                f"SELECT id FROM person WHERE email IN ({marks}) AND active = 1", data["peers"]
            ).fetchall()
            for (peer_id,) in peers:
                self._create_task(instance_id, "collect", "1:peer-feedback", "peers", peer_id,
                                  now, entry + 1)
        elif state == "collect":
            self._enter(instance_id, entry, state, "hr_check", "collection_done", now, actor=actor)

    def fire(self, instance_id: int, trigger: str, actor: str) -> None:
        """HR closes an instance waiting in ``hr_check`` (a manual trigger)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        now = _now()
        state, entry = db.execute(
            "SELECT state, entry FROM instance WHERE id = ?", (instance_id,)
        ).fetchone()
        allowed = db.execute(  # HR, and not the subject
            'SELECT 1 FROM person_group g JOIN person p ON p.id = g.person_id'
            ' WHERE g."group" = \'hr\' AND p.email = ?'
            ' AND p.id <> (SELECT subject_id FROM instance WHERE id = ?)',
            (actor, instance_id),
        ).fetchone()
        if state != "hr_check" or not allowed:
            db.execute("ROLLBACK")
            raise RuntimeError(f"floor: {trigger} not allowed on {instance_id}")
        self._enter(instance_id, entry, state, "closed", trigger, now, final=True, actor=actor)
        db.execute("COMMIT")

    def _enter(self, instance_id, entry, source, dest, trigger, now, final=False,
               actor="system") -> None:
        self.db.execute(
            "UPDATE task SET status = 'cancelled', cancelled_at = ?"
            " WHERE instance_id = ? AND entry = ? AND status = 'open'",
            (now, instance_id, entry),
        )
        self.db.execute(
            "UPDATE instance SET state = ?, entry = ?, entered_at = ?, status = ?,"
            " finished_at = ? WHERE id = ?",
            (dest, entry + 1, now, "finished" if final else "running",
             now if final else None, instance_id),
        )
        self._event(instance_id, now, actor, "transition", trigger=trigger, from_state=source,
                    to_state=dest)
        if final:
            self._event(instance_id, now, "system", "finished", to_state=dest)

    def _create_task(self, instance_id, state, key, role, assignee_id, now, entry=1) -> None:
        form_id = key.split(":", 1)[1]
        due = datetime.fromisoformat(now) + DUE
        cur = self.db.execute(
            "INSERT INTO task (instance_id, entry, state, task_key, form_id, role, assignee_id,"
            " status, created_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            (instance_id, entry, state, key, form_id, role, assignee_id, now,
             due.isoformat(" ")),
        )
        # the engine tells the assignee: an outbox row naming the task (as engine.lifecycle)
        self.db.execute(
            "INSERT INTO outbox (recipient, subject, body, kind, created_at, instance_id,"
            " task_id, status, attempts) SELECT email, ?, ?, 'assigned', ?, ?, ?, 'queued', 0"
            " FROM person WHERE id = ?",
            (f"{form_id} about someone", f"Your task '{form_id}'.", now, instance_id,
             cur.lastrowid, assignee_id),
        )

    def _event(self, instance_id, now, actor, kind, trigger=None, from_state=None,
               to_state=None, task_id=None, detail=None) -> None:
        self.db.execute(
            "INSERT INTO event (instance_id, at, actor, kind, trigger, from_state, to_state,"
            " task_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (instance_id, now, actor, kind, trigger, from_state, to_state, task_id,
             json.dumps(detail or {})),
        )

    def open_tasks(self) -> list[tuple[int, str, str]]:
        """(task id, form id, assignee email) of every open task, oldest first."""
        return self.db.execute(
            "SELECT t.id, t.form_id, p.email FROM task t JOIN person p ON p.id = t.assignee_id"
            " WHERE t.status = 'open' ORDER BY t.id"
        ).fetchall()

    def waiting(self, state: str) -> list[int]:
        """(id, subject email) of instances waiting in ``state``."""
        return [tuple(r) for r in self.db.execute(
            "SELECT i.id, p.email FROM instance i JOIN person p ON p.id = i.subject_id"
            " WHERE i.state = ? ORDER BY i.id", (state,))]


def validators() -> dict:
    """One validator per form, built once and reused (formats checked, as the engine does)."""
    out = {}
    for path in sorted((DEFINITIONS / "forms").glob("*.json")):
        schema = json.loads(path.read_text())["schema"]
        cls = validator_for(schema, default=jsonschema.Draft7Validator)
        out[path.stem] = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return out


class FloorSide:
    """The floor with the same interface as the engine's side."""

    name = "floor"

    def __init__(self, path: str, launch_batch: int = 500):
        self.path = path
        self.launch_batch = launch_batch
        self.floor: Floor | None = None
        self.subjects: list[str] = []
        self.statements = 0

    def setup(self) -> None:
        self.floor = Floor(self.path, validators())
        self.floor.db.set_trace_callback(self._count)

    def _count(self, _sql: str) -> None:
        self.statements += 1

    def import_org(self, org) -> int:
        self.floor.import_org(org.people)
        self.subjects = list(subjects(org))
        return len(org.people)

    def launch(self) -> int:
        return self.floor.launch(CYCLE, iter(self.subjects), self.launch_batch)

    def submit(self, task_id: int, actor: str, data: dict) -> None:
        self.floor.submit(task_id, actor, data)

    def fire(self, instance_id: int, trigger: str, actor: str) -> None:
        self.floor.fire(instance_id, trigger, actor)

    def open_tasks(self):
        return self.floor.open_tasks()

    def waiting(self, state: str):
        return self.floor.waiting(state)

    def close(self) -> None:
        self.floor.db.set_trace_callback(None)
        self.floor.close()
