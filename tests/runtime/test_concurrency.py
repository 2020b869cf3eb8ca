"""Races between real processes, on a real SQLite file and on PostgreSQL.

The workers are processes forked by this file run as a script (``python
test_concurrency.py FD:FD ...``, a fresh interpreter that never opened a database): each
connects to the test's database on its own, loads the library, then runs one command per
JSON line it reads and answers with one JSON line. The test sends every worker its
command for a round together with a start time a few milliseconds ahead, so the
commands really start together; a reply that does not come within the timeout fails
the test instead of hanging it.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

import pytest

REPLY_TIMEOUT_S = 60
START_AHEAD_S = 0.01  # the moment every worker starts its command, from when it is sent
FIRE_ROUNDS = 100
FANOUT_ROUNDS = 20
LAUNCH_ROUNDS = 5

ORG_CSV = "\n".join(
    ["email,name,manager_email,department,title,groups",
     "boss@x.com,Bo Boss,,Exec,CEO,",
     "hr1@x.com,Hana One,boss@x.com,HR,HRBP,hr",
     "hr2@x.com,Hugo Two,boss@x.com,HR,HRBP,hr"]
    + [f"e{i:03d}@x.com,Emp {i},boss@x.com,Eng,Engineer," for i in range(FIRE_ROUNDS)]
    + [f"o{i:02d}@x.com,Ops {i},boss@x.com,Ops,Operator," for i in range(FANOUT_ROUNDS)]
    + [f"r{i}@x.com,Rev {i},boss@x.com,Review,Reviewer,reviewers" for i in range(8)]
) + "\n"

RACE_FIRE = """\
workflow: race-fire
version: 1
title: Two people press the same button
subject: person
roles:
  employee: subject
  hr: group:hr
initial: waiting
states:
  waiting:
    tasks: []
  approved:
    tasks: []
  done:
    final: true
transitions:
  - trigger: approve
    source: waiting
    dest: approved
    allowed: [hr]
  - trigger: finish
    source: approved
    dest: done
    allowed: [hr]
"""

RACE_FANOUT = """\
workflow: race-fanout
version: 1
title: Eight reviewers submit at once
subject: person
roles:
  employee: subject
  reviewers: group:reviewers
initial: collect
states:
  collect:
    tasks:
      - form: race-note
        assignee: reviewers
  wrapup:
    tasks:
      - form: race-note
        assignee: employee
  done:
    final: true
transitions:
  - trigger: collected
    source: collect
    dest: wrapup
    auto: true
  - trigger: wrapped
    source: wrapup
    dest: done
    auto: true
"""

RACE_PLAN = """\
workflow: race-plan
version: 1
title: A plan two proposals change at once
subject: person
roles:
  employee: subject
  hr: group:hr
initial: write
states:
  write:
    tasks:
      - form: race-goals
        assignee: employee
  running:
    tasks: []
  done:
    final: true
transitions:
  - trigger: written
    source: write
    dest: running
    auto: true
  - trigger: finish
    source: running
    dest: done
    allowed: [hr]
"""

#: A proposal changing one field of the plan (its form has that field only), started
#: from the running plan and approved by HR: ``race-change-a`` and ``race-change-b``.
RACE_CHANGE = """\
workflow: race-change-{x}
version: 1
title: Change {x}
subject: person
parent: race-plan
roles:
  employee: subject
  hr: group:hr
initial: propose
states:
  propose:
    tasks:
      - form: race-{x}
        assignee: employee
  review:
    tasks: []
  done:
    final: true
transitions:
  - trigger: proposed
    source: propose
    dest: review
    auto: true
  - trigger: approve
    source: review
    dest: done
    allowed: [hr]
    revise:
      parent.race-goals: race-{x}
"""

RACE_GOALS = {"schema": {"title": "Goals", "type": "object", "required": ["a", "b"],
                         "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}}

RACE_NOTE = {
    "schema": {
        "title": "Note",
        "type": "object",
        "required": ["note"],
        "properties": {"note": {"type": "string", "maxLength": 200}},
    }
}


# --------------------------------------------------------------------------- the worker


def _run_command(cmd: dict, library) -> dict:
    from engine import commands

    if cmd["op"] == "fire":
        result = commands.fire(cmd["instance"], cmd["trigger"], cmd["actor"])
        return {"fired": list(result.fired), "state": result.state}
    if cmd["op"] == "submit":
        result = commands.submit(cmd["task"], cmd["actor"], cmd["data"])
        return {"fired": list(result.fired), "state": result.state}
    if cmd["op"] == "launch":
        result = commands.launch(library, cmd["workflow"], cmd["cycle"], where=cmd["where"])
        return {"created": result.created, "existing": result.existing}
    raise ValueError(f"unknown op {cmd['op']!r}")


def serve(commands_in, replies_out) -> None:
    """Worker loop: one JSON command per line read, one JSON reply per line written.

    ``connect`` points the worker at a test's database and library, ``disconnect``
    lets go of it (so the next test can empty the tables); the others run a command.
    """
    from engine import store
    from engine.definitions.library import load_library
    from engine.errors import ReviewflowError

    def answer(reply: dict) -> None:
        replies_out.write(json.dumps(reply) + "\n")
        replies_out.flush()

    library = None
    answer({"ready": os.getpid()})
    for line in commands_in:
        cmd = json.loads(line)
        if cmd["op"] == "connect":
            store.connect(cmd["url"])
            root = Path(cmd["library"])
            library = load_library([root / "workflows", root / "forms"])
            answer({"ok": True})
            continue
        if cmd["op"] == "disconnect":
            store.close()
            answer({"ok": True})
            continue
        delay = cmd["at"] - time.time()
        if delay > 0:
            time.sleep(delay)
        try:
            reply = {"ok": True, **_run_command(cmd, library)}
        except ReviewflowError as exc:
            reply = {"ok": False, "error": type(exc).__name__, "message": str(exc)}
        except Exception as exc:  # anything else is a bug the test must report
            reply = {"ok": False, "error": type(exc).__name__, "message": repr(exc),
                     "unexpected": True}
        answer(reply)
    store.close()


def fork_workers(pipes: list[tuple[int, int]]) -> None:
    """Import the engine once, then fork one worker per (commands fd, replies fd) pair.

    This runs in a fresh process (``python test_concurrency.py FD:FD ...``) that has never
    opened a database, so the workers share nothing but the imported code; each opens its
    own connection. Forking spares every worker the second or more of imports.
    """
    import engine.commands  # noqa: F401
    import engine.definitions.library  # noqa: F401

    children = []
    for commands_fd, replies_fd in pipes:
        pid = os.fork()
        if pid == 0:
            for other in pipes:
                for fd in other:
                    if fd not in (commands_fd, replies_fd):
                        os.close(fd)
            code = 0
            try:
                with os.fdopen(commands_fd) as cin, os.fdopen(replies_fd, "w") as cout:
                    serve(cin, cout)
            except BaseException:
                traceback.print_exc()  # into the launcher's log, shown by a failing test
                sys.stderr.flush()
                code = 1
            os._exit(code)
        children.append(pid)
    for fd in (fd for pair in pipes for fd in pair):
        os.close(fd)
    for pid in children:
        os.waitpid(pid, 0)


# --------------------------------------------------------------------------- the test side


class Workers:
    """Worker processes; ``round`` runs one command on each of the first few at once.

    One launcher process imports the engine and forks the workers (see
    :func:`fork_workers`); one pool serves every test of this module and is pointed at
    each test's database in turn.
    """

    def __init__(self, n: int, logs: Path):
        self.logs = logs
        self.to_workers, self.from_workers, theirs = [], [], []
        for _ in range(n):
            cmd_r, cmd_w = os.pipe()
            rep_r, rep_w = os.pipe()
            theirs.append((cmd_r, rep_w))
            self.to_workers.append(os.fdopen(cmd_w, "w"))
            self.from_workers.append(os.fdopen(rep_r))
        passed = [fd for pair in theirs for fd in pair]
        with open(logs / "workers.log", "w") as log:
            self.launcher = subprocess.Popen(
                [sys.executable, __file__, *(f"{a}:{b}" for a, b in theirs)],
                pass_fds=passed, stdin=subprocess.DEVNULL, stderr=log,
                cwd=Path(__file__).resolve().parents[2])
        for fd in passed:
            os.close(fd)
        self.procs = list(range(n))
        self.pids = [self._reply(i)["ready"] for i in self.procs]

    def all(self, cmd: dict) -> None:
        """Send the same bookkeeping command to every worker and wait for each."""
        for i in self.procs:
            self._send(i, cmd)
        for i in self.procs:
            reply = self._reply(i)
            assert reply["ok"], (reply, self._stderr())

    def round(self, commands: list[dict]) -> list[dict]:
        """Command i to worker i, all starting at the same moment; return the replies."""
        workers = self.procs[: len(commands)]
        assert len(workers) == len(commands)
        at = time.time() + START_AHEAD_S
        for i, cmd in zip(workers, commands, strict=True):
            self._send(i, {**cmd, "at": at})
        replies = [self._reply(i) for i in workers]
        unexpected = [r for r in replies if r.get("unexpected")]
        assert not unexpected, (unexpected, self._stderr())
        return replies

    def _send(self, i: int, cmd: dict) -> None:
        self.to_workers[i].write(json.dumps(cmd) + "\n")
        self.to_workers[i].flush()

    def _reply(self, i: int) -> dict:
        stream = self.from_workers[i]
        ready, _, _ = select.select([stream], [], [], REPLY_TIMEOUT_S)
        line = stream.readline() if ready else ""
        if not line:
            self.close()
            pytest.fail(f"worker {i} gave no answer within {REPLY_TIMEOUT_S} s:\n"
                        + self._stderr())
        return json.loads(line)

    def _stderr(self) -> str:
        return (self.logs / "workers.log").read_text()

    def close(self) -> None:
        """End of input: the workers finish, then the launcher; kill it if it hangs."""
        for stream in self.to_workers:
            if not stream.closed:
                stream.close()
        try:
            self.launcher.wait(timeout=10)
        except subprocess.TimeoutExpired:
            for pid in getattr(self, "pids", []):
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
            self.launcher.kill()
            self.launcher.wait(timeout=10)
        for stream in self.from_workers:
            stream.close()


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """Eight worker processes for the whole module."""
    workers = Workers(8, tmp_path_factory.mktemp("race-workers"))
    yield workers
    workers.close()


@pytest.fixture
def race_library(tmp_path) -> Path:
    root = tmp_path / "library"
    (root / "workflows").mkdir(parents=True)
    (root / "forms").mkdir()
    (root / "workflows" / "race-fire.yaml").write_text(RACE_FIRE)
    (root / "workflows" / "race-fanout.yaml").write_text(RACE_FANOUT)
    (root / "forms" / "race-note.json").write_text(json.dumps(RACE_NOTE))
    (root / "workflows" / "race-plan.yaml").write_text(RACE_PLAN)
    (root / "forms" / "race-goals.json").write_text(json.dumps(RACE_GOALS))
    for x in "ab":
        (root / "workflows" / f"race-change-{x}.yaml").write_text(RACE_CHANGE.format(x=x))
        (root / "forms" / f"race-{x}.json").write_text(json.dumps({"schema": {
            "title": x, "type": "object", "required": [x],
            "properties": {x: {"type": "string"}}}}))
    return root


@pytest.fixture
def race_org(db, race_library):
    """The database (connected here too) with the org imported; yields its URL."""
    from engine import directory

    directory.import_csv(ORG_CSV)
    return db


@pytest.fixture
def workers(race_org, race_library, pool):
    """The pool, connected to this test's database; let go of it at the end."""
    pool.all({"op": "connect", "url": race_org, "library": str(race_library)})
    yield pool
    pool.all({"op": "disconnect"})


def _load(race_library: Path):
    from engine.definitions.library import load_library

    return load_library([race_library / "workflows", race_library / "forms"])


def _transitions(instance_id: int, trigger: str) -> int:
    from engine.store import Event

    return (Event.select().where((Event.instance == instance_id) & (Event.kind == "transition")
                                 & (Event.trigger == trigger)).count())


def test_two_processes_firing_the_same_trigger_make_one_transition(race_library, workers):
    from engine import commands
    from engine.store import Instance

    launched = commands.launch(_load(race_library), "race-fire", "fire-race",
                               where=[("department", "Eng")])
    assert launched.created == FIRE_ROUNDS
    ids = [i.id for i in Instance.select(Instance.id).order_by(Instance.id)]
    pool = workers
    outcomes = Counter()
    for instance_id in ids:
        replies = pool.round([
            {"op": "fire", "instance": instance_id, "trigger": "approve", "actor": actor}
            for actor in ("hr1@x.com", "hr2@x.com")])
        winners = [r for r in replies if r["ok"]]
        assert len(winners) == 1, replies
        assert winners[0]["fired"] == ["approve"] and winners[0]["state"] == "approved"
        loser = next(r for r in replies if not r["ok"])
        assert loser["error"] in ("Conflict", "NotAllowed"), loser
        outcomes[loser["error"]] += 1
    for instance_id in ids:
        assert _transitions(instance_id, "approve") == 1
        assert Instance.get_by_id(instance_id).state == "approved"
    assert sum(outcomes.values()) == FIRE_ROUNDS


def _fanout_tasks(instance_ids: list[int]) -> dict[int, dict[str, int]]:
    """instance id -> reviewer email -> the id of their open task."""
    from engine.store import Person, Task

    out: dict[int, dict[str, int]] = {i: {} for i in instance_ids}
    query = (Task.select(Task.id, Task.instance, Person.email)
             .join(Person, on=(Task.assignee == Person.id))
             .where(Task.instance.in_(instance_ids) & (Task.status == "open")).tuples())
    for task_id, instance_id, email in query:
        out[instance_id][email] = task_id
    return out


def test_eight_processes_submitting_a_fan_out_fire_its_auto_transition_once(
        race_library, workers):
    from engine import commands
    from engine.store import Instance, Submission, Task

    reviewers = [f"r{i}@x.com" for i in range(8)]
    launched = commands.launch(_load(race_library), "race-fanout", "fanout-race",
                               where=[("department", "Ops")])
    assert launched.created == FANOUT_ROUNDS
    ids = [i.id for i in Instance.select(Instance.id).order_by(Instance.id)]
    tasks = _fanout_tasks(ids)
    assert all(sorted(t) == reviewers for t in tasks.values())
    pool = workers
    for instance_id in ids:
        replies = pool.round([
            {"op": "submit", "task": tasks[instance_id][email], "actor": email,
             "data": {"note": f"from {email}"}}
            for email in reviewers])
        assert all(r["ok"] for r in replies), replies  # no submission is lost or refused
        assert sorted(r["fired"] for r in replies) == [[]] * 7 + [["collected"]], replies
    for instance_id in ids:
        assert _transitions(instance_id, "collected") == 1
        assert Instance.get_by_id(instance_id).state == "wrapup"
        assert Submission.select().where(Submission.instance == instance_id).count() == 8
        states = Counter((t.state, t.status) for t in
                         Task.select().where(Task.instance == instance_id))
        assert states == {("collect", "submitted"): 8, ("wrapup", "open"): 1}


def test_two_launches_of_the_same_cycle_racing_make_no_duplicates(race_library, workers):
    from engine.store import Cycle, Event, Instance

    pool = workers
    for n in range(LAUNCH_ROUNDS):
        cycle = f"spring-{n}"
        replies = pool.round([
            {"op": "launch", "workflow": "race-fire", "cycle": cycle,
             "where": [["department", "Eng"]]}] * 2)
        assert all(r["ok"] or r["error"] == "Conflict" for r in replies), replies
        assert sum(r["created"] for r in replies if r["ok"]) == FIRE_ROUNDS, replies
        (cycle_row,) = Cycle.select().where(Cycle.name == cycle)
        instances = Instance.select().where(Instance.cycle == cycle_row.id)
        assert instances.count() == FIRE_ROUNDS
        assert len({i.subject_id for i in instances}) == FIRE_ROUNDS
        launched = Event.select().where(Event.instance.in_(instances) & (Event.kind == "launched"))
        assert launched.count() == FIRE_ROUNDS


def test_two_proposals_approved_at_once_both_land_in_the_plan(race_library, workers):
    """Two changes to one running plan, approved by two HR people at the same moment: the
    plan's row is locked, so the second revision builds on the first (neither is lost,
    the revisions form one chain)."""
    from engine import commands
    from engine.store import Instance, Submission, Task

    library = _load(race_library)
    commands.launch(library, "race-plan", "plans", where=[("department", "Ops")])
    plans = {i.subject_id: i.id for i in Instance.select()}
    for task in list(Task.select().where(Task.status == "open")):
        commands.submit(task.id, task.assignee.email, {"a": "a1", "b": "b1"})
    changes = []
    for subject in Instance.select().where(Instance.workflow_id == "race-plan"):
        email = subject.subject.email
        pair = [commands.start(library, f"race-change-{x}", email, "hr1@x.com").instance_id
                for x in "ab"]
        for x, iid in zip("ab", pair, strict=True):
            task = Task.get((Task.instance == iid) & (Task.status == "open"))
            commands.submit(task.id, email, {x: f"{x}2"})
        changes.append((subject.id, pair))
    assert len(changes) == FANOUT_ROUNDS
    for plan, (change_a, change_b) in changes:
        replies = workers.round([
            {"op": "fire", "instance": change_a, "trigger": "approve", "actor": "hr1@x.com"},
            {"op": "fire", "instance": change_b, "trigger": "approve", "actor": "hr2@x.com"}])
        assert all(r["ok"] for r in replies), replies  # neither refused
        rows = list(Submission.select().where((Submission.instance == plan)
                                              & (Submission.form_id == "race-goals"))
                    .order_by(Submission.id))
        assert rows[-1].data == {"a": "a2", "b": "b2"}, [r.data for r in rows]
        assert [r.revision_of_id for r in rows] == [None, rows[0].id, rows[1].id]
    assert sorted(plans.values()) == sorted(p for p, _pair in changes)


if __name__ == "__main__":
    fork_workers([tuple(int(fd) for fd in arg.split(":")) for arg in sys.argv[1:]])
