"""Fixtures of the runtime tests: a small organisation and a small library."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from engine import directory
from engine.definitions.library import load_library
from tests.statements import statements_run

HERE = Path(__file__).resolve().parent
DEFINITIONS = HERE / "definitions"
T0 = datetime(2026, 3, 2, 9, 0)

ORG_CSV = """email,name,manager_email,department,title,groups,start_date,location
ceo@x.com,Cee Oh,,Exec,CEO,,2010-01-01,Paris
mia@x.com,Mia Manager,ceo@x.com,Sales,Manager,,2015-01-01,Paris
ann@x.com,Ann Rep,mia@x.com,Sales,Rep,,2020-01-01,Lyon
bob@x.com,Bob Rep,mia@x.com,Sales,Rep,,,Lyon
cat@x.com,Cat Rep,mia@x.com,Sales,Senior Rep,,,Paris
hal@x.com,Hal Hr,ceo@x.com,HR,HRBP,hr;people-team,,Paris
"""


def copy_library(tmp_path: Path) -> Path:
    """A writable copy of the test library (to change a file under the same version)."""
    root = tmp_path / "library"
    for kind in ("workflows", "forms"):
        (root / kind).mkdir(parents=True)
        for f in (DEFINITIONS / kind).iterdir():
            (root / kind / f.name).write_text(f.read_text())
    return root


def library_at(root: Path):
    return load_library([root / "workflows", root / "forms"])


@pytest.fixture(scope="session")
def library():
    return library_at(DEFINITIONS)


@pytest.fixture
def org(db):
    """The database with a small organisation imported (ceo > mia > ann/bob/cat, hal in hr)."""
    directory.import_csv(ORG_CSV, now=T0)
    return db


def snapshot() -> dict:
    """Every table's rows (sorted), to compare a database before and after a bad command."""
    from engine import store

    out = {}
    for model in store.MODELS:
        rows = [tuple(sorted((k, str(v)) for k, v in r.items())) for r in model.select().dicts()]
        out[model._meta.table_name] = sorted(rows)
    return out


def without_events(snap: dict) -> dict:
    return {k: v for k, v in snap.items() if k != "event"}


def task_of(email: str, form_id: str, status: str = "open"):
    """The task row of ``form_id`` assigned to ``email`` (exactly one expected)."""
    from engine.store import Person, Task

    rows = list(Task.select().join(Person, on=(Task.assignee == Person.id))
                .where((Person.email == email) & (Task.form_id == form_id)
                       & (Task.status == status)))
    assert len(rows) == 1, rows
    return rows[0]


def events(instance_id: int, kind: str | None = None) -> list:
    from engine.store import Event

    query = Event.select().where(Event.instance == instance_id).order_by(Event.id)
    return [e for e in query if kind is None or e.kind == kind]


def captured():
    """Every SQL statement (with its parameters) the engine's database runs inside the
    block (:func:`tests.statements.statements_run`)."""
    from engine import store

    return statements_run(store.db.obj)
