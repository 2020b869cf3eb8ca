"""The real ``reviewflow`` program, as a user runs it in a shell: stdin, stdout, exit codes.

Each run starts a Python process (about a second), so this test is short and on SQLite
only; the in-process CLI tests cover the rest on both databases.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import LIBRARY, PEOPLE

REVIEWFLOW = Path(sys.executable).with_name("reviewflow")


def run(url: str, *args, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(REVIEWFLOW), "--db", url, "--library", str(LIBRARY),
                           *map(str, args)], input=input, capture_output=True, text=True,
                          timeout=60)


def test_a_pulse_in_a_shell(tmp_path):
    db = f"sqlite:///{tmp_path / 'shell.sqlite3'}"
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE)
    assert run(db, "db", "init").returncode == 0
    assert "8 added" in run(db, "people", "import", people).stdout
    launched = run(db, "launch", "team-pulse", "--cycle", "Pulse", "--where",
                   "email=em@acme.test", "--json")
    assert json.loads(launched.stdout)["created"] == 1
    [setup] = json.loads(run(db, "tasks", "--assignee", "hr@acme.test", "--open",
                             "--json").stdout)
    bad = run(db, "submit", setup["id"], "--as", "hr@acme.test", "--data", "-",
              input='{"team": ["dev1@acme.test",]}')
    assert (bad.returncode, bad.stdout) == (1, "")
    assert bad.stderr.startswith("error: submission is invalid")
    team = {"team": ["dev1@acme.test", "dev2@acme.test", "dev3@acme.test"]}
    ok = run(db, "submit", setup["id"], "--as", "hr@acme.test", "--data", "-",
             input=json.dumps(team))
    assert ok.returncode == 0 and "survey" in ok.stdout
    data = tmp_path / "answer.json"
    data.write_text(json.dumps({"clarity": 2, "support": 3}))
    answered = run(db, "submit", setup["id"] + 1, "--as", "dev1@acme.test", "--data", data)
    assert answered.returncode == 0, answered.stderr
    assert run(db, "cycles").stdout.startswith("Pulse: team-pulse, 1 instance(s)")
