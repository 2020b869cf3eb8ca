"""The engine's side of the benchmark: every step through the engine's own commands.

Directory import, launch, every submission and the HR fire go through
``engine.directory`` and ``engine.commands`` exactly as the web pages and the CLI call
them; only the lists of what to do next (open task ids, waiting instances) are read
straight from the tables, outside the timed blocks.
"""

from __future__ import annotations

import csv
import io

from bench.org import Org
from bench.workload import CYCLE, DEFINITIONS, POPULATION, WORKFLOW
from engine import commands, directory, store
from engine.definitions.library import load_library
from engine.store import Instance, InstanceStatus, Person, Submission, Task, TaskStatus


def org_csv(org: Org) -> str:
    """The org as the directory CSV the engine imports."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "name", "manager_email", "department", "title", "groups"])
    for p in org.people:
        writer.writerow([p.email, p.name, p.manager or "", p.department, "", ";".join(p.groups)])
    return out.getvalue()


def reset(url: str) -> None:
    """Connect to ``url`` and start from empty runtime tables."""
    store.connect(url)
    store.drop_tables()
    store.create_tables()


def open_tasks(among: set[str] | None = None) -> list[tuple[int, str, str]]:
    """(task id, form id, assignee email) of every open task, oldest first; with
    ``among``, only those of instances whose subject's email is in it (the sample)."""
    subject = Person.alias("subject")
    query = (Task.select(Task.id, Task.form_id, Person.email, subject.email)
             .join(Person, on=(Task.assignee == Person.id))
             .switch(Task).join(Instance, on=(Task.instance == Instance.id))
             .join(subject, on=(Instance.subject == subject.id))
             .where(Task.status == TaskStatus.OPEN).order_by(Task.id).tuples())
    return [(task, form, email) for task, form, email, of in query
            if among is None or of in among]


class EngineSide:
    """The engine, driven the way the web and CLI drive it."""

    name = "engine"

    def __init__(self, url: str):
        self.url = url
        self.library = None
        self.statements = 0

    def setup(self) -> None:
        reset(self.url)
        self.library = load_library([DEFINITIONS])
        if not store.is_postgres():  # count SQL statements (BEGIN/COMMIT included)
            store.db.connection().set_trace_callback(self._count)

    def _count(self, _sql: str) -> None:
        self.statements += 1

    def import_org(self, org: Org) -> int:
        return directory.import_csv(org_csv(org)).created

    def launch(self) -> int:
        return commands.launch(self.library, WORKFLOW, CYCLE, where=POPULATION).created

    def submit(self, task_id: int, actor: str, data: dict) -> None:
        commands.submit(task_id, actor, data)

    def fire(self, instance_id: int, trigger: str, actor: str) -> None:
        commands.fire(instance_id, trigger, actor)

    def open_tasks(self, among: set[str] | None = None) -> list[tuple[int, str, str]]:
        return open_tasks(among)

    def waiting(self, state: str) -> list[int]:
        """(id, subject email) of running instances waiting in ``state``."""
        query = (Instance.select(Instance.id, Person.email)
                 .join(Person, on=(Instance.subject == Person.id))
                 .where((Instance.state == state) & (Instance.status == InstanceStatus.RUNNING))
                 .order_by(Instance.id).tuples())
        return [tuple(row) for row in query]

    def counts(self) -> dict:
        """What the run left in the tables (the benchmark checks it did the whole job)."""
        return {
            "instances": Instance.select().count(),
            "finished": Instance.select().where(
                Instance.status == InstanceStatus.FINISHED).count(),
            "tasks": Task.select().count(),
            "submitted": Task.select().where(Task.status == TaskStatus.SUBMITTED).count(),
            "submissions": Submission.select().count(),
        }

    def close(self) -> None:
        if not store.is_postgres():
            store.db.connection().set_trace_callback(None)
