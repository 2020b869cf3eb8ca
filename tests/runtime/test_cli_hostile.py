"""A property test of the CLI: every command with --json given random and hostile values
answers with a JSON error or a result, never a traceback, and a refused command leaves the
database as it was (but for the history's record of the refusal)."""

from __future__ import annotations

import json
import random

from click.testing import CliRunner

from engine import commands
from web.cli import main

from .conftest import DEFINITIONS, T0, snapshot, task_of, without_events

HOSTILE = ["", "\x00", "²", "-1", "0", str(10**25), str(2**63), "9" * 30, "x" * 3000,
           "ann@x.com", "hal@x.com", "nobody@x.com", "approve", "review", "'; DROP TABLE task",
           "9999-12-31", "9999-12-31T23:59:59", "0001-01-01", "not-a-time"]
COMMANDS = {
    "show": ["{id}"], "tasks": ["--assignee", "{email}"], "cycles": [],
    "submit": ["{id}", "--as", "{email}", "--data", "{file}"],
    "draft": ["{id}", "--as", "{email}", "--data", "{file}"],
    "fire": ["{id}", "{word}", "--as", "{email}"],
    "reassign": ["{id}", "--to", "{email}", "--as", "{email}"],
    "cancel": ["{id}", "--as", "{email}", "--reason", "{word}"],
    "nudge": ["{id}", "--as", "{email}"], "tick": ["--now", "{word}"],
    "start": ["{word}", "--subject", "{email}", "--as", "{email}"],
    "launch": ["{word}", "--cycle", "{word}", "--as", "{email}"],
}
FILES = ['{"rating": 3, "summary": "s"}', "[" * 50000 + "]" * 50000, '{"rating": 1e999}',
         '"just text"', "{", '{"summary": "\\u0000"}']


def test_hostile_cli_commands_answer_in_json_and_change_nothing_when_refused(org, library,
                                                                            tmp_path, db):
    commands.launch(library, "review", "c", where=[("email", "ann@x.com")], now=T0)
    real = str(task_of("ann@x.com", "self-review").id)
    base = ["--db", db, "--library", str(DEFINITIONS / "workflows"), "--library",
            str(DEFINITIONS / "forms")]
    rng = random.Random(9)
    files = []
    for i, text in enumerate(FILES):
        path = tmp_path / f"data{i}.json"
        path.write_text(text)
        files.append(str(path))
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe")
    files.append(str(tmp_path / "bad.json"))
    runner = CliRunner()
    for _ in range(3):
        for name, template in COMMANDS.items():
            args = [a.format(id=rng.choice([real, "1", *HOSTILE]), email=rng.choice(HOSTILE),
                             word=rng.choice(HOSTILE), file=rng.choice(files))
                    for a in template]
            before = without_events(snapshot())
            result = runner.invoke(main, [*base, name, *args, "--json"])
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                name, args, repr(result.exception))
            assert "Traceback" not in result.output + result.stderr, (name, args)
            if result.exit_code == 1:
                assert json.loads(result.stderr)["error"], (name, args, result.stderr)
                assert without_events(snapshot()) == before, (name, args)
