"""`reviewflow migrate`: running instances moved to a new version of their workflow, through
the CLI, on SQLite and PostgreSQL (the `db` fixture), dry run first, then for real."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine import store
from engine.store import Definition, Event, EventKind, Instance, Task, TaskStatus
from web.cli import main

from .conftest import ORG_CSV, copy_library, snapshot

#: Version 2 of the test review: "manager" is now "manager_review", the self review's
#: summary is shorter, and the self step also asks the manager to acknowledge.
REVIEW_V2_CHANGES = [
    ("version: 1", "version: 2"),
    ("  manager:\n    tasks:", "  manager_review:\n    tasks:"),
    ("        escalate: manager\n",
     "        escalate: manager\n      - form: ack\n        assignee: manager\n"),
    ("    source: self\n    dest: manager\n", "    source: self\n    dest: manager_review\n"),
    ("    source: manager\n", "    source: manager_review\n"),
]


def _write_v2(root) -> None:
    path = root / "workflows" / "review.yaml"
    text = path.read_text()
    for old, new in REVIEW_V2_CHANGES:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    form = root / "forms" / "self-review.json"
    form.write_text(form.read_text().replace('"maxLength": 200', '"maxLength": 20'))


def _people_csv(extra: int) -> str:
    rows = [f"rep{i:03}@x.com,Rep {i:03},mia@x.com,Sales,Rep,,," for i in range(extra)]
    return ORG_CSV + "\n".join(rows) + "\n"


@pytest.fixture
def cli(db, tmp_path):
    store.close()
    root = copy_library(tmp_path)
    runner = CliRunner()

    def run(*args, ok=True, input=None):
        base = ["--db", db, "--library", str(root / "workflows"),
                "--library", str(root / "forms")]
        result = runner.invoke(main, [*base, *args], input=input)
        if ok:
            assert result.exit_code == 0, (result.output, result.stderr)
        return result

    run.root, run.tmp = root, tmp_path
    yield run
    store.connect(db)


def _json(result):
    return json.loads(result.stdout)


def _launch(run, extra: int) -> list[dict]:
    csv = run.tmp / "people.csv"
    csv.write_text(_people_csv(extra))
    run("people", "import", str(csv))
    launched = _json(run("launch", "review", "--cycle", "2026", "--where", "department=Sales",
                         "--json"))
    assert launched["created"] == extra + 4  # mia, ann, bob, cat and the extra reps
    return _json(run("tasks", "--open", "--limit", "1000", "--json"))


def _submit(run, task_id: int, email: str, data: dict) -> dict:
    return _json(run("submit", str(task_id), "--as", email, "--data", "-", "--json",
                     input=json.dumps(data)))


def test_a_hundred_running_instances_move_to_version_2_dry_run_first(cli, db):
    tasks = _launch(cli, 96)
    by_subject = {t["subject_email"]: t for t in tasks if t["form_id"] == "self-review"}
    assert len(by_subject) == 100
    # ten are with their manager already (state "manager", not in version 2)
    ahead = sorted(by_subject)[:10]
    for email in ahead:
        assert _submit(cli, by_subject[email]["id"], email,
                       {"rating": 3, "summary": "fine"})["state"] == "manager"
    # one rep has a draft that still fits the shorter summary
    drafted = sorted(by_subject)[50]
    cli("draft", str(by_subject[drafted]["id"]), "--as", drafted, "--data", "-",
        input=json.dumps({"rating": 4, "summary": "short"}))
    _write_v2(cli.root)
    before = _state_of_db(db)

    dry = cli("migrate", "review", "--to", "2", "--map", "manager=manager_review",
              "--dry-run", "--as", "hal@x.com")
    lines = dry.stdout.splitlines()
    assert lines[-1] == "review -> version 2: 100 would move, 0 refused (dry run: nothing changed)"
    assert len(lines) == 101
    ahead_id = by_subject[ahead[0]]["instance_id"]
    assert (f"instance {ahead_id} ({ahead[0]}): would move from version 1 to 2, state manager "
            "-> manager_review, 1 open task(s) kept") in lines
    waiting = by_subject[sorted(by_subject)[-1]]
    assert (f"instance {waiting['instance_id']} ({sorted(by_subject)[-1]}): would move from "
            "version 1 to 2, state self, 1 open task(s) kept, new task line(s): ack") in lines
    assert _state_of_db(db) == before  # not even version 2 is stored by a dry run

    moved = _json(cli("migrate", "review", "--to", "2", "--map", "manager=manager_review",
                      "--as", "hal@x.com", "--json"))
    assert (moved["dry_run"], len(moved["instances"])) == (False, 100)
    assert all(i["ok"] for i in moved["instances"])

    store.connect(db)
    v2 = Definition.get((Definition.workflow_id == "review") & (Definition.version == 2))
    rows = list(Instance.select())
    assert {r.definition_id for r in rows} == {v2.id}
    states = {r.subject.email: r.state for r in rows}
    assert {states[e] for e in ahead} == {"manager_review"}
    assert sum(s == "self" for s in states.values()) == 90
    # the manager acknowledges in every migrated self step: the new task line's tasks
    acks = Task.select().where((Task.form_id == "ack") & (Task.status == TaskStatus.OPEN))
    assert acks.count() == 90
    kept = Task.get(Task.id == by_subject[drafted]["id"])
    assert (kept.status, kept.draft, kept.state) == ("open", {"rating": 4, "summary": "short"},
                                                     "self")
    event = Event.get((Event.instance == ahead_id) & (Event.kind == EventKind.MIGRATED))
    assert (event.actor, event.from_state, event.to_state) == ("hal@x.com", "manager",
                                                              "manager_review")
    assert (event.detail["from_version"], event.detail["to_version"]) == (1, 2)
    store.close()

    # the moved instances run on version 2: the manager's decision leaves manager_review
    manager_task = _json(cli("tasks", "--assignee", "mia@x.com", "--open", "--limit", "1000",
                             "--json"))
    review = next(t for t in manager_task if t["form_id"] == "manager-review"
                  and t["instance_id"] == ahead_id)
    decided = _json(cli("submit", str(review["id"]), "--as", "mia@x.com", "--data", "-",
                        "--trigger", "approve", "--json", input='{"rating": 3}'))
    assert decided["state"] == "hr_check"
    again = cli("migrate", "review", "--to", "2", "--as", "hal@x.com")
    assert again.stdout.strip() == "review -> version 2: 0 moved, 0 refused, 100 already " \
                                   "on version 2"


@pytest.fixture
def small(cli, db):
    """Four running reviews (mia, ann, bob, cat), version 2 on disk; ann is with mia."""
    tasks = _launch(cli, 0)
    self_tasks = {t["subject_email"]: t for t in tasks if t["form_id"] == "self-review"}
    _submit(cli, self_tasks["ann@x.com"]["id"], "ann@x.com", {"rating": 3, "summary": "ok"})
    _write_v2(cli.root)
    return cli, self_tasks


def _state_of_db(db):
    store.connect(db)
    try:
        return snapshot()
    finally:
        store.close()


def test_an_unmapped_state_is_refused_for_its_instance_and_the_others_move(small, db):
    cli, self_tasks = small
    result = cli("migrate", "review", "--to", "2", "--as", "hal@x.com", ok=False)
    assert result.exit_code == 1
    ann = self_tasks["ann@x.com"]["instance_id"]
    assert (f"instance {ann} (ann@x.com): refused: state 'manager' is not in version 2; map "
            "it to one that is (--map manager=STATE: self, manager_review, hr_check)"
            ) in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1] == "review -> version 2: 3 moved, 1 refused"
    store.connect(db)
    row = Instance.get_by_id(ann)
    assert (row.definition.version, row.state) == (1, "manager")
    refusal = Event.get((Event.instance == ann) & (Event.kind == EventKind.REFUSED))
    assert refusal.trigger == "migrate" and "state 'manager' is not in version 2" in \
        refusal.detail["reason"]
    assert not Event.select().where((Event.instance == ann)
                                    & (Event.kind == EventKind.MIGRATED)).exists()
    store.close()


def test_a_draft_the_new_form_refuses_keeps_its_instance_on_the_old_version(small, db):
    cli, self_tasks = small
    bob = self_tasks["bob@x.com"]
    cli("draft", str(bob["id"]), "--as", "bob@x.com", "--data", "-",
        input=json.dumps({"rating": 9, "summary": "a summary far longer than twenty"}))
    cat = self_tasks["cat@x.com"]
    cli("draft", str(cat["id"]), "--as", "cat@x.com", "--data", "-",
        input=json.dumps({"summary": "ok"}))  # no rating yet: a draft may be unfinished
    result = cli("migrate", "review", "--to", "2", "--map", "manager=manager_review",
                 "--dry-run", "--as", "hal@x.com", ok=False)
    line = next(x for x in result.stdout.splitlines() if "(bob@x.com)" in x)
    assert line == (f"instance {bob['instance_id']} (bob@x.com): refused: the draft of task "
                    f"{bob['id']} (bob@x.com) does not fit form 'self-review' of version 2: "
                    "rating: Must be at most 5.; summary: Must be at most 20 characters.")
    assert "(cat@x.com): would move" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("3 would move, 1 refused (dry run: "
                                                   "nothing changed)")


def test_an_unknown_version_or_state_or_a_non_hr_actor_changes_nothing(small, db):
    cli, _ = small
    before = _state_of_db(db)
    cases = [
        (["--to", "3", "--as", "hal@x.com"],
         "error: workflow 'review' has no version 3 (stored versions: 1; the library has "
         "version 2)"),
        (["--to", "2", "--map", "manager=manager_reveiw", "--as", "hal@x.com"],
         "error: --map manager=manager_reveiw: version 2 of 'review' has no state "
         "'manager_reveiw' (did you mean 'manager_review'?)"),
        (["--to", "2", "--map", "manager", "--as", "hal@x.com"],
         "error: --map takes OLD=NEW (a state of the old version, then one of the new), "
         "not 'manager'"),
        (["--to", "2", "--as", "mia@x.com"],
         "error: mia@x.com may not move instances to another version (HR may)"),
    ]
    for args, message in cases:
        result = cli("migrate", "review", *args, ok=False)
        assert (result.exit_code, result.stderr.strip()) == (1, message)
    assert _state_of_db(db) == before
