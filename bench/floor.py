"""The floor: the benchmark's rows written with plain ``sqlite3`` (or plain ``psycopg2``
on PostgreSQL, :class:`PgFloor`), and nothing else.

It does what the engine has to do for the bench-360 workflow, hard-coded (no definitions,
no ORM, no state machine): the engine's own tables and indexes (created from
``engine.store``'s models, so both pay the same index upkeep), one transaction where the
engine has one (``BEGIN IMMEDIATE``, the engine's lock on SQLite), a reused jsonschema
validator per form, the same look-ups (actor, manager, peers by email, hr membership) and
the same history rows. Its time is what any engine on SQLite must pay; the benchmark
prints the engine's time as a ratio to it. On PostgreSQL the same SQL runs through
psycopg2 in a database of its own on the same server, each command a transaction that
locks its instance row ``FOR UPDATE`` as the engine does.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from urllib.parse import urlparse, urlunparse

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

    BEGIN = "BEGIN IMMEDIATE"  # the engine's lock on SQLite
    FOR_UPDATE = ""  # SQLite locks the whole database instead

    def __init__(self, path: str, validators: dict, synchronous: str = "NORMAL"):
        create_schema(path)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.validators = validators
        self.definition_id = None
        self.statements = 0

    def close(self) -> None:
        self.db.close()

    #: ``active`` where it must not pick an index: the peers are read by the email index,
    #: as the engine reads them (with no statistics SQLite took person(active, department,
    #: ...) and read every active person for each self-assessment: 133 s against the
    #: engine's 23 at 30,000 people).
    ACTIVE = "+active"

    def sql(self, text: str, params=()):
        """Run one statement; the cursor."""
        self.statements += 1
        return self.db.execute(text, params)

    def many(self, text: str, rows) -> None:
        rows = list(rows)
        self.statements += len(rows)
        self.db.executemany(text, rows)

    def insert(self, text: str, params) -> int:
        """An INSERT ... RETURNING id: the new row's id."""
        return self.sql(text + " RETURNING id", params).fetchone()[0]

    def import_org(self, people: list) -> None:
        """One transaction: every person, then managers, then the groups."""
        now = _now()
        self.sql(self.BEGIN)
        self.many(
            "INSERT INTO person (email, name, department, title, attributes, active, updated_at)"
            " VALUES (?, ?, ?, '', '{}', TRUE, ?)",
            ((p.email, p.name, p.department, now) for p in people),
        )
        ids = dict(self.sql("SELECT email, id FROM person").fetchall())
        self.many(
            "UPDATE person SET manager_id = ? WHERE id = ?",
            ((ids[p.manager], ids[p.email]) for p in people if p.manager),
        )
        self.many(
            'INSERT INTO person_group (person_id, "group") VALUES (?, ?)',
            ((ids[p.email], g) for p in people for g in p.groups),
        )
        self.sql("COMMIT")

    def _begin_launch(self, cycle: str) -> int:
        """The definition and the cycle a launch starts with (inside its transaction); the
        cycle's id."""
        now = _now()
        self.definition_id = self.insert(
            "INSERT INTO definition (workflow_id, version, sha256, title, created_at)"
            " VALUES (?, 1, '', '', ?)", (WORKFLOW, now))
        return self.insert(
            "INSERT INTO cycle (name, workflow_id, definition_id, filters, created_at,"
            " created_by) VALUES (?, ?, ?, '[]', ?, 'system')",
            (cycle, WORKFLOW, self.definition_id, now))

    def launch(self, cycle: str, subjects, batch: int = 0) -> int:
        """One instance and its self-assessment task per subject, streamed.

        ``batch`` subjects per transaction (0: one transaction for the whole launch).
        """
        self.sql(self.BEGIN)
        cycle_id = self._begin_launch(cycle)
        count = 0
        for email in subjects:
            now = _now()
            (subject_id,) = self.sql(
                "SELECT id FROM person WHERE email = ? AND active = TRUE", (email,)
            ).fetchone()
            instance_id = self.insert(
                "INSERT INTO instance (definition_id, workflow_id, cycle_id, subject_id, state,"
                " status, entry, started_at, entered_at) VALUES (?, ?, ?, ?, 'self_review',"
                " 'running', 1, ?, ?)",
                (self.definition_id, WORKFLOW, cycle_id, subject_id, now, now),
            )
            self._event(instance_id, now, "system", "launched", to_state="self_review",
                        detail={"cycle": cycle})
            self._create_task(instance_id, "self_review", "0:self-assessment", "employee",
                              subject_id, now)
            count += 1
            if batch and count % batch == 0:
                self.sql("COMMIT")
                self.sql(self.BEGIN)
        self.sql("COMMIT")
        return count

    def submit(self, task_id: int, actor: str, data: dict) -> None:
        """Validate, store the submission, close the task, fire the auto transition."""
        self.sql(self.BEGIN)
        try:
            self._submit(task_id, actor, data)
        except BaseException:
            self.sql("ROLLBACK")
            raise
        self.sql("COMMIT")

    def _submit(self, task_id: int, actor: str, data: dict) -> None:
        now = _now()
        instance_id, form_id, assignee_id, status, task_state = self.sql(
            "SELECT instance_id, form_id, assignee_id, status, state FROM task WHERE id = ?",
            (task_id,),
        ).fetchone()
        state, subject_id, entry = self.sql(
            "SELECT state, subject_id, entry FROM instance WHERE id = ?" + self.FOR_UPDATE,
            (instance_id,)).fetchone()
        (actor_id,) = self.sql("SELECT id FROM person WHERE email = ?", (actor,)).fetchone()
        if status != "open" or state != task_state or actor_id != assignee_id:
            raise RuntimeError(f"floor: task {task_id} cannot be submitted")
        errors = list(self.validators[form_id].iter_errors(data))
        if errors:
            raise ValueError(errors[0].message)
        self.sql(
            "INSERT INTO submission (instance_id, task_id, form_id, author_id, data, entry,"
            " state, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (instance_id, task_id, form_id, actor_id, json.dumps(data, sort_keys=True), entry,
             state, now),
        )
        self.sql(
            "UPDATE task SET status = 'submitted', submitted_at = ?, submitted_by = ?,"
            " draft = NULL WHERE id = ?",
            (now, actor, task_id),
        )
        self._event(instance_id, now, actor, "submitted", task_id=task_id,
                    detail={"form": form_id, "state": state})
        (still_open,) = self.sql(
            "SELECT count(*) FROM task WHERE instance_id = ? AND entry = ? AND state = ?"
            " AND status = 'open'",
            (instance_id, entry, state),
        ).fetchone()
        if still_open:
            return
        if state == "self_review":
            self._enter(instance_id, entry, state, "collect", "start_collection", now, actor=actor)
            (manager_id,) = self.sql(
                "SELECT manager_id FROM person WHERE id = ?", (subject_id,)
            ).fetchone()
            marks = ",".join("?" * len(data["peers"]))
            peers = self.sql(
                f"SELECT id FROM person WHERE email IN ({marks}) AND {self.ACTIVE} = TRUE",
                data["peers"]
            ).fetchall()
            self._create_tasks(instance_id, "collect", entry + 1, now,
                               [("0:manager-review", "manager", manager_id)]
                               + [("1:peer-feedback", "peers", p) for (p,) in peers])
        elif state == "collect":
            self._enter(instance_id, entry, state, "hr_check", "collection_done", now, actor=actor)

    def fire(self, instance_id: int, trigger: str, actor: str) -> None:
        """HR closes an instance waiting in ``hr_check`` (a manual trigger)."""
        self.sql(self.BEGIN)
        now = _now()
        state, entry = self.sql(
            "SELECT state, entry FROM instance WHERE id = ?" + self.FOR_UPDATE, (instance_id,)
        ).fetchone()
        allowed = self.sql(  # HR, and not the subject
            'SELECT 1 FROM person_group g JOIN person p ON p.id = g.person_id'
            ' WHERE g."group" = \'hr\' AND p.email = ?'
            ' AND p.id <> (SELECT subject_id FROM instance WHERE id = ?)',
            (actor, instance_id),
        ).fetchone()
        if state != "hr_check" or not allowed:
            self.sql("ROLLBACK")
            raise RuntimeError(f"floor: {trigger} not allowed on {instance_id}")
        self._enter(instance_id, entry, state, "closed", trigger, now, final=True, actor=actor)
        self.sql("COMMIT")

    def _enter(self, instance_id, entry, source, dest, trigger, now, final=False,
               actor="system") -> None:
        self.sql(
            "UPDATE task SET status = 'cancelled', cancelled_at = ?"
            " WHERE instance_id = ? AND entry = ? AND status = 'open'",
            (now, instance_id, entry),
        )
        self.sql(
            "UPDATE instance SET state = ?, entry = ?, entered_at = ?, status = ?,"
            " finished_at = ? WHERE id = ?",
            (dest, entry + 1, now, "finished" if final else "running",
             now if final else None, instance_id),
        )
        self._event(instance_id, now, actor, "transition", trigger=trigger, from_state=source,
                    to_state=dest)
        if final:
            self._event(instance_id, now, "system", "finished", to_state=dest)

    def _create_tasks(self, instance_id, state, entry, now, lines) -> None:
        """A task and its outbox row for each ``(task key, role, assignee id)``."""
        for key, role, assignee_id in lines:
            self._create_task(instance_id, state, key, role, assignee_id, now, entry)

    def _create_task(self, instance_id, state, key, role, assignee_id, now, entry=1) -> None:
        form_id = key.split(":", 1)[1]
        due = datetime.fromisoformat(now) + DUE
        task_id = self.insert(
            "INSERT INTO task (instance_id, entry, state, task_key, form_id, role, assignee_id,"
            " status, created_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            (instance_id, entry, state, key, form_id, role, assignee_id, now,
             due.isoformat(" ")),
        )
        # the engine tells the assignee: an outbox row naming the task (as engine.lifecycle)
        self.sql(
            "INSERT INTO outbox (recipient, subject, body, kind, created_at, instance_id,"
            " task_id, status, attempts) SELECT email, ?, ?, 'assigned', ?, ?, ?, 'queued', 0"
            " FROM person WHERE id = ?",
            (f"{form_id} about someone", f"Your task '{form_id}'.", now, instance_id,
             task_id, assignee_id),
        )

    def _event(self, instance_id, now, actor, kind, trigger=None, from_state=None,
               to_state=None, task_id=None, detail=None) -> None:
        self.sql(
            "INSERT INTO event (instance_id, at, actor, kind, trigger, from_state, to_state,"
            " task_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (instance_id, now, actor, kind, trigger, from_state, to_state, task_id,
             json.dumps(detail or {})),
        )

    def open_tasks(self, among: set[str] | None = None) -> list[tuple[int, str, str]]:
        """(task id, form id, assignee email) of every open task, oldest first; with
        ``among``, only those of instances whose subject's email is in it (the sample)."""
        rows = self.sql(
            "SELECT t.id, t.form_id, p.email, s.email FROM task t"
            " JOIN person p ON p.id = t.assignee_id JOIN instance i ON i.id = t.instance_id"
            " JOIN person s ON s.id = i.subject_id WHERE t.status = 'open' ORDER BY t.id"
        ).fetchall()
        return [(task, form, email) for task, form, email, of in rows
                if among is None or of in among]

    def waiting(self, state: str) -> list[int]:
        """(id, subject email) of instances waiting in ``state``."""
        return [tuple(r) for r in self.sql(
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


class PgFloor(Floor):
    """The same rows with plain psycopg2, in a database of its own on the same server (the
    engine's tables and indexes, created by peewee once; dropped and made again each run)."""

    BEGIN = "BEGIN"
    FOR_UPDATE = " FOR UPDATE"  # the engine locks the instance row for each command

    def __init__(self, url: str, validators: dict):
        import psycopg2

        create_pg_schema(url)
        parts = urlparse(url)
        self.db = psycopg2.connect(host=parts.hostname, port=parts.port or 5432,
                                   user=parts.username, password=parts.password,
                                   dbname=parts.path.lstrip("/"))
        self.db.autocommit = True  # BEGIN and COMMIT are sent as the SQLite floor sends them
        self.cursor = self.db.cursor()
        self.validators = validators
        self.definition_id = None
        self.statements = 0

    ACTIVE = "active"  # PostgreSQL has statistics (and no unary plus on a boolean)

    def sql(self, text: str, params=()):
        self.statements += 1
        self.cursor.execute(text.replace("?", "%s"), params)
        return self.cursor

    def many(self, text: str, rows) -> None:
        from psycopg2.extras import execute_batch

        rows = list(rows)
        self.statements += len(rows)
        execute_batch(self.cursor, text.replace("?", "%s"), rows, page_size=1000)

    def values(self, text: str, rows: list, fetch: bool = False) -> list:
        """One multi-row INSERT (``VALUES %s``) of ``rows``; what RETURNING returned."""
        from psycopg2.extras import execute_values

        self.statements += 1
        return execute_values(self.cursor, text, rows, page_size=len(rows) or 1,
                              fetch=fetch) or []

    def _create_tasks(self, instance_id, state, entry, now, lines) -> None:
        """The tasks in one statement and their outbox rows in another (the engine's way)."""
        due = (datetime.fromisoformat(now) + DUE).isoformat(" ")
        made = self.values(
            "INSERT INTO task (instance_id, entry, state, task_key, form_id, role,"
            " assignee_id, status, created_at, due_at) VALUES %s"
            " RETURNING id, form_id, assignee_id",
            [(instance_id, entry, state, key, key.split(":", 1)[1], role, assignee_id, "open",
              now, due) for key, role, assignee_id in lines], fetch=True)
        self.values(
            "INSERT INTO outbox (recipient, subject, body, kind, created_at, instance_id,"
            " task_id, status, attempts) SELECT p.email, v.subject, v.body, 'assigned',"
            " v.at::timestamp, v.instance_id, v.task_id, 'queued', 0"
            " FROM (VALUES %s) AS v (subject, body, at, instance_id, task_id, person_id)"
            " JOIN person p ON p.id = v.person_id",
            [(f"{form_id} about someone", f"Your task '{form_id}'.", now, instance_id, tid,
              assignee_id) for tid, form_id, assignee_id in made])

    def launch(self, cycle: str, subjects, batch: int = 0) -> int:
        """As the SQLite floor's launch, but a batch of subjects at a time, each table's
        rows in one statement: a round trip per row is what plain psycopg2 code would not
        do (the engine does not), so the floor does not either."""
        self.sql(self.BEGIN)
        cycle_id = self._begin_launch(cycle)
        count, emails = 0, list(subjects)
        step = batch or len(emails) or 1
        for start in range(0, len(emails), step):
            if start:
                self.sql("COMMIT")
                self.sql(self.BEGIN)
            now = _now()
            due = (datetime.fromisoformat(now) + DUE).isoformat(" ")
            chunk = emails[start:start + step]
            ids = dict(self.sql("SELECT email, id FROM person WHERE email = ANY(?)"
                                " AND active = TRUE", (chunk,)).fetchall())
            people = [(ids[e], e) for e in chunk]
            made = self.values(
                "INSERT INTO instance (definition_id, workflow_id, cycle_id, subject_id,"
                " state, status, entry, started_at, entered_at) VALUES %s"
                " RETURNING id, subject_id",
                [(self.definition_id, WORKFLOW, cycle_id, pid, "self_review", "running", 1,
                  now, now) for pid, _ in people], fetch=True)
            instance_of = {subject: iid for iid, subject in made}
            detail = json.dumps({"cycle": cycle})
            self.values(
                "INSERT INTO event (instance_id, at, actor, kind, trigger, from_state,"
                " to_state, task_id, detail) VALUES %s",
                [(instance_of[pid], now, "system", "launched", None, None, "self_review",
                  None, detail) for pid, _ in people])
            tasks = self.values(
                "INSERT INTO task (instance_id, entry, state, task_key, form_id, role,"
                " assignee_id, status, created_at, due_at) VALUES %s"
                " RETURNING id, assignee_id",
                [(instance_of[pid], 1, "self_review", "0:self-assessment",
                  "self-assessment", "employee", pid, "open", now, due)
                 for pid, _ in people], fetch=True)
            email_of = dict(people)
            self.values(
                "INSERT INTO outbox (recipient, subject, body, kind, created_at, instance_id,"
                " task_id, status, attempts) VALUES %s",
                [(email_of[pid], "self-assessment about someone",
                  "Your task 'self-assessment'.", "assigned", now, instance_of[pid], tid,
                  "queued", 0) for tid, pid in tasks])
            count += len(people)
        self.sql("COMMIT")
        return count


def floor_url(engine_url: str) -> str:
    """The floor's database beside the engine's: ``<name>_floor`` on the same server."""
    parts = urlparse(engine_url)
    return urlunparse(parts._replace(path=parts.path.rstrip("/") + "_floor"))


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database ``url`` names if it does not exist yet."""
    import psycopg2

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(host=parts.hostname, port=parts.port or 5432,
                             user=parts.username, password=parts.password, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def create_pg_schema(url: str) -> None:
    """Create the floor's database if need be, then the engine's tables and indexes in it,
    fresh (not timed)."""
    ensure_database(url)
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    database = pw.PostgresqlDatabase(name, host=parts.hostname, port=parts.port or 5432,
                                     user=parts.username, password=parts.password)
    with database.bind_ctx(store.MODELS):
        database.drop_tables(store.MODELS, cascade=True)
        database.create_tables(store.MODELS)
    database.close()


class FloorSide:
    """The floor with the same interface as the engine's side: plain sqlite3 on a file, or
    plain psycopg2 when ``path`` is a PostgreSQL URL."""

    name = "floor"

    def __init__(self, path: str, launch_batch: int = 500):
        self.path = path
        self.launch_batch = launch_batch
        self.floor: Floor | None = None
        self.subjects: list[str] = []

    @property
    def statements(self) -> int:
        return self.floor.statements if self.floor else 0

    def setup(self) -> None:
        if self.path.startswith("postgres"):
            self.floor = PgFloor(self.path, validators())
        else:
            self.floor = Floor(self.path, validators())

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

    def open_tasks(self, among: set[str] | None = None):
        return self.floor.open_tasks(among)

    def waiting(self, state: str):
        return self.floor.waiting(state)

    def close(self) -> None:
        self.floor.close()
