"""Acceptance fixtures: a library the builders never saw, a small company, and the CLI.

Every step runs ``reviewflow`` in-process through click's CliRunner, exactly as a user
types it (``--db`` and ``--library`` first); each command connects to the database by
itself, so a step sees only what earlier steps stored. ``db`` (tests/conftest.py) makes
every test run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import store
from web.cli import main

HERE = Path(__file__).resolve().parent
LIBRARY = HERE / "library"

# Cora runs the company; Victor (VP) manages Emma, who manages three engineers.
# Hana is HR; the promotion committee is Cora, Victor and Hana; Cole is the coach.
PEOPLE = """email,name,manager_email,department,title,groups,start_date,level
ceo@acme.test,Cora Chief,,Exec,CEO,promo-committee,2010-01-01,exec
vp@acme.test,Victor Vp,ceo@acme.test,Engineering,VP Engineering,promo-committee,2012-01-01,exec
em@acme.test,Emma Manager,vp@acme.test,Engineering,Engineering Manager,,2016-01-01,m1
dev1@acme.test,Dan Dev,em@acme.test,Engineering,Engineer,,2020-01-01,ic2
dev2@acme.test,Dina Dev,em@acme.test,Engineering,Engineer,,2021-01-01,ic2
dev3@acme.test,Dora Dev,em@acme.test,Engineering,Engineer,,2022-01-01,ic1
hr@acme.test,Hana Hr,ceo@acme.test,People,HRBP,hr;promo-committee,2015-01-01,m1
coach@acme.test,Cole Coach,hr@acme.test,People,Coach,,2018-01-01,ic3
"""


def later(**delta) -> str:
    """An ISO time ``delta`` from now, for ``tick --now`` (launches use the real clock)."""
    return (datetime.now(UTC) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S")


class Cli:
    """``reviewflow --db URL --library ... ARGS`` in-process; ``json`` parses stdout."""

    def __init__(self, url: str, library: Path, tmp: Path):
        self.url, self.library, self.tmp = url, library, tmp
        self.runner = CliRunner()

    def __call__(self, *args, input=None, ok=True):
        base = ["--db", self.url, "--library", str(self.library)]
        result = self.runner.invoke(main, [*base, *map(str, args)], input=input)
        if ok:
            assert result.exit_code == 0, (args, result.output, result.stderr, result.exception)
        else:
            assert result.exit_code != 0, (args, result.output)
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                result.exception)
        return result

    def json(self, *args, input=None):
        """Run with ``--json`` and return the parsed output."""
        if input is not None and not isinstance(input, str):
            input = json.dumps(input)
        return json.loads(self(*args, "--json", input=input).stdout)

    def error(self, *args, input=None) -> dict:
        """Run with ``--json``, expecting an error: the parsed stderr."""
        if input is not None and not isinstance(input, str):
            input = json.dumps(input)
        result = self(*args, "--json", input=input, ok=False)
        assert result.exit_code == 1 and result.stdout == "", (result.stdout, result.stderr)
        return json.loads(result.stderr)

    def open_tasks(self, email: str) -> list[dict]:
        return self.json("tasks", "--assignee", email, "--open")

    def task(self, email: str, form: str, instance: int) -> int:
        """The id of ``email``'s open ``form`` task in ``instance`` (exactly one)."""
        ids = [t["id"] for t in self.open_tasks(email)
               if t["form_id"] == form and t["instance_id"] == instance]
        assert len(ids) == 1, (email, form, instance, self.open_tasks(email))
        return ids[0]

    def submit(self, email: str, form: str, instance: int, data, *extra) -> dict:
        return self.json("submit", self.task(email, form, instance), "--as", email,
                         "--data", "-", *extra, input=data)

    def show(self, instance: int) -> dict:
        return self.json("show", instance)


def copy_library(tmp: Path) -> Path:
    """A writable copy of the acceptance library (to edit files under the same version)."""
    target = tmp / "library"
    shutil.copytree(LIBRARY, target)
    return target


@pytest.fixture
def cli(db, tmp_path):
    """The CLI on the ``db`` database, with the acceptance library and the company."""
    store.close()  # each command connects by itself, as a real invocation does
    run = Cli(db, LIBRARY, tmp_path)
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE)
    run("db", "init")
    assert run.json("people", "import", people)["created"] == 8
    yield run
    store.connect(db)
