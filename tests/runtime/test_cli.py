"""The runtime commands of the `reviewflow` CLI, end to end with --json."""

import json

import pytest
from click.testing import CliRunner

from engine import store
from web.cli import main

from .conftest import DEFINITIONS, ORG_CSV


@pytest.fixture
def cli(db, tmp_path):
    store.close()  # each command connects by itself, as a real invocation does
    runner = CliRunner()
    base = ["--db", db, "--library", str(DEFINITIONS / "workflows"),
            "--library", str(DEFINITIONS / "forms")]

    def run(*args, input=None, ok=True):
        result = runner.invoke(main, [*base, *args], input=input)
        if ok:
            assert result.exit_code == 0, (result.output, result.stderr)
        return result

    yield run, tmp_path
    store.connect(db)


def out(result):
    return json.loads(result.stdout)


def test_cli_runs_a_review_end_to_end(cli):
    run, tmp = cli
    csv = tmp / "people.csv"
    csv.write_text(ORG_CSV)
    assert out(run("db", "init", "--json"))["tables"]
    assert out(run("people", "import", str(csv), "--json"))["created"] == 6
    launched = out(run("launch", "review", "--cycle", "2026", "--where", "department=Sales",
                       "--json"))
    assert (launched["created"], launched["existing"]) == (4, 0)
    tasks = out(run("tasks", "--assignee", "ann@x.com", "--open", "--json"))
    assert [t["form_id"] for t in tasks] == ["self-review"]
    task = tasks[0]["id"]
    data = tmp / "answers.json"
    data.write_text(json.dumps({"rating": 4, "summary": "good"}))
    run("draft", str(task), "--as", "ann@x.com", "--data", str(data), "--json")
    done = out(run("submit", str(task), "--as", "ann@x.com", "--data", "-", "--json",
                   input=data.read_text()))
    assert (done["state"], done["fired"]) == ("manager", ["self_done"])
    manager_task = [t["id"] for t in out(run("tasks", "--assignee", "mia@x.com", "--open",
                                             "--json")) if t["form_id"] == "manager-review"][0]
    decided = out(run("submit", str(manager_task), "--as", "mia@x.com", "--data", "-",
                      "--trigger", "approve", "--json", input='{"rating": 3}'))
    assert decided["state"] == "hr_check"
    fired = out(run("fire", str(done["instance_id"]), "close", "--as", "hal@x.com", "--json"))
    assert fired["status"] == "finished"
    shown = out(run("show", str(done["instance_id"]), "--json"))
    assert shown["state"] == "done"
    assert [e["kind"] for e in shown["history"]][-2:] == ["transition", "finished"]
    text = run("show", str(done["instance_id"])).stdout
    assert "hal@x.com transition close hr_check -> done" in text
    cycles = out(run("cycles", "--json"))
    assert cycles[0]["name"] == "2026" and cycles[0]["finished"] == 1
    ticked = out(run("tick", "--now", "2030-01-01T00:00:00Z", "--json"))
    assert len(ticked["fired"]) == 3  # the others expired


def test_cli_errors_go_to_stderr_with_exit_1(cli):
    run, tmp = cli
    csv = tmp / "people.csv"
    csv.write_text(ORG_CSV + "bad,Bad,,S,T,,,X\n")
    result = run("people", "import", str(csv), "--json", ok=False)
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(result.stderr)["rows"] == [{"line": 8, "message": "malformed email 'bad'"}]
    csv.write_text(ORG_CSV)
    run("people", "import", str(csv))
    run("launch", "review", "--cycle", "c")
    [item] = out(run("tasks", "--assignee", "ann@x.com", "--json"))
    task, inst = item["id"], str(item["instance_id"])
    bad = run("submit", str(task), "--as", "ann@x.com", "--data", "-", "--json",
              input='{"rating": 0}', ok=False)
    assert bad.exit_code == 1
    assert set(json.loads(bad.stderr)["errors"]) == {"rating", "summary"}
    broken = run("submit", str(task), "--as", "ann@x.com", "--data", "-", input="{nope",
                 ok=False)
    assert broken.exit_code == 1 and "not valid JSON" in broken.stderr
    other = run("submit", str(task), "--as", "bob@x.com", "--data", "-", input="{}", ok=False)
    assert other.exit_code == 1 and "not assigned to bob@x.com" in other.stderr
    missing = run("fire", "999", "close", "--as", "hal@x.com", ok=False)
    assert missing.exit_code == 1 and "no instance 999" in missing.stderr
    refused = run("cancel", inst, "--as", "ann@x.com", "--reason", "x", "--json", ok=False)
    assert json.loads(refused.stderr)["error"] == "NotAllowed"
    assert out(run("cancel", inst, "--as", "hal@x.com", "--reason", "left", "--json"))[
        "status"] == "cancelled"
    moved = run("reassign", str(task), "--to", "cat@x.com", "--as", "hal@x.com", ok=False)
    assert moved.exit_code == 1 and "is cancelled, not running" in moved.stderr
    history = run("show", inst).stdout
    assert "ann@x.com refused" in history and "hal@x.com cancelled" in history
    assert run("tick", "--now", "yesterday", ok=False).exit_code == 2


def test_cli_decision_with_a_transition_form_reads_trigger_data(cli):
    run, tmp = cli
    csv = tmp / "people.csv"
    csv.write_text(ORG_CSV)
    run("people", "import", str(csv))
    run("launch", "review", "--cycle", "c", "--where", "email=ann@x.com")
    [mine] = out(run("tasks", "--assignee", "ann@x.com", "--json"))
    run("submit", str(mine["id"]), "--as", "ann@x.com", "--data", "-",
        input='{"rating": 4, "summary": "good"}')
    [review] = out(run("tasks", "--assignee", "mia@x.com", "--open", "--json"))
    bare = run("submit", str(review["id"]), "--as", "mia@x.com", "--data", "-", "--json",
               "--trigger", "send_back", input='{"rating": 3}', ok=False)
    assert bare.exit_code == 1 and list(json.loads(bare.stderr)["errors"]) == ["reason"]
    reason = tmp / "reason.json"
    reason.write_text('{"reason": "More examples"}')
    sent = out(run("submit", str(review["id"]), "--as", "mia@x.com", "--data", "-", "--json",
                   "--trigger", "send_back", "--trigger-data", str(reason),
                   input='{"rating": 3}'))
    assert (sent["state"], sent["fired"]) == ("self", ["send_back"])


def test_cli_start_one_instance_outside_a_cycle(cli):
    run, tmp = cli
    csv = tmp / "people.csv"
    csv.write_text(ORG_CSV)
    run("people", "import", str(csv))
    refused = run("start", "pip", "--subject", "ann@x.com", "--as", "bob@x.com", "--json",
                  ok=False)
    assert refused.exit_code == 1 and json.loads(refused.stderr)["error"] == "NotAllowed"
    started = out(run("start", "pip", "--subject", "ann@x.com", "--as", "mia@x.com", "--json"))
    assert (started["state"], started["status"]) == ("active", "running")
    assert "started instance" in run("start", "pip", "--subject", "bob@x.com",
                                     "--as", "hal@x.com").stdout


def test_cli_show_and_tasks_never_pair_anonymous_answers_with_authors(cli):
    run, tmp = cli
    csv = tmp / "people.csv"
    csv.write_text(ORG_CSV)
    run("people", "import", str(csv))
    run("launch", "feedback", "--cycle", "fb", "--where", "email=ann@x.com")
    [nomination] = out(run("tasks", "--assignee", "ann@x.com", "--json"))
    inst = str(nomination["instance_id"])
    run("submit", str(nomination["id"]), "--as", "ann@x.com", "--data", "-",
        input='{"peers": ["bob@x.com", "cat@x.com"]}')
    for peer, rating in (("bob@x.com", 5), ("cat@x.com", 1)):
        [mine] = out(run("tasks", "--assignee", peer, "--open", "--json"))
        run("submit", str(mine["id"]), "--as", peer, "--data", "-",
            input=json.dumps({"rating": rating, "comment": f"from {peer}"}))
    shown = out(run("show", inst, "--json"))
    answers = [s for s in shown["submissions"] if s["form_id"] == "peer-feedback"]
    assert sorted(a["data"]["rating"] for a in answers) == [1, 5]  # the answers stay
    assert all(a["author_email"] is None and a["task_id"] is None for a in answers)
    peers = [t for t in shown["tasks"] if t["form_id"] == "peer-feedback"]
    assert {t["assignee_email"] for t in peers} == {None}
    assert [s["author_email"] for s in shown["submissions"]
            if s["form_id"] == "nomination"] == ["ann@x.com"]  # named lines keep names
    # who was asked is known (the nomination, the role); who wrote what is not
    assert not {e["actor"] for e in shown["history"]} & {"bob@x.com", "cat@x.com"}
    text = run("show", inst).stdout
    assert "bob@x.com" not in text and "(anonymous) submitted" in text
    listed = out(run("tasks", "--json"))
    assert {t["assignee_email"] for t in listed if t["form_id"] == "peer-feedback"} == {None}
    # revealing is HR's, explicit and recorded
    refused = run("show", inst, "--reveal-anonymous", "--as", "mia@x.com", ok=False)
    assert refused.exit_code == 1 and "may not reveal" in refused.stderr
    assert run("show", inst, "--reveal-anonymous", ok=False).exit_code == 2
    revealed = out(run("show", inst, "--json", "--reveal-anonymous", "--as", "hal@x.com",
                       "--reason", "harassment complaint"))
    assert {s["author_email"] for s in revealed["submissions"]
            if s["form_id"] == "peer-feedback"} == {"bob@x.com", "cat@x.com"}
    kinds = [(e["kind"], e["actor"], e["detail"].get("reason")) for e in revealed["history"]]
    assert ("anonymity-revealed", "hal@x.com", "harassment complaint") in kinds
    assert ("refused", "mia@x.com", "mia@x.com may not reveal anonymous authors (HR may)") \
        in [(e["kind"], e["actor"], e["detail"].get("reason")) for e in revealed["history"]]


def test_cli_nudge_queues_a_reminder_and_refuses_clearly(cli, db, monkeypatch):
    run, tmp = cli
    csv = tmp / "people.csv"
    csv.write_text(ORG_CSV)
    run("people", "import", str(csv))
    run("launch", "review", "--cycle", "c", "--where", "email=ann@x.com")
    [item] = out(run("tasks", "--assignee", "ann@x.com", "--json"))
    task = str(item["id"])
    monkeypatch.setenv("REVIEWFLOW_BASE_URL", "https://reviews.example/")
    sent = out(run("nudge", task, "--as", "hal@x.com", "--message", "Before Friday, please.",
                   "--json"))
    assert (sent["recipient"], sent["recipient_name"], sent["task_id"]) == (
        "ann@x.com", "Ann Rep", item["id"])
    text = run("nudge", task, "--as", "hal@x.com", "--base-url", "https://hr.example").stdout
    assert text.strip() == f"reminder queued for Ann Rep <ann@x.com> about task {task} " \
                           "(self-review)"
    shown = out(run("show", str(item["instance_id"]), "--json"))
    nudged = [e for e in shown["history"] if e["kind"] == "nudged"]
    assert [e["detail"]["message"] for e in nudged] == ["Before Friday, please.", None]
    store.connect(db)
    bodies = [m.body for m in store.Outbox.select().where(store.Outbox.kind == "nudge")
              .order_by(store.Outbox.id)]
    store.close()
    assert f"Open it: https://reviews.example/tasks/{task}" in bodies[0]
    assert "Before Friday, please." in bodies[0]
    assert f"Open it: https://hr.example/tasks/{task}" in bodies[1]
    refused = run("nudge", task, "--as", "mia@x.com", "--json", ok=False)
    assert refused.exit_code == 1 and json.loads(refused.stderr)["error"] == "NotAllowed"
    assert "mia@x.com may not nudge" in json.loads(refused.stderr)["message"]
    missing = run("nudge", "999", "--as", "hal@x.com", ok=False)
    assert missing.exit_code == 1 and "no task 999" in missing.stderr
    assert run("nudge", task, ok=False).exit_code == 2  # --as is required


def test_people_import_adds_and_updates_and_only_sync_marks_people_as_left(cli):
    run, tmp = cli
    full, one = tmp / "people.csv", tmp / "one.csv"
    full.write_text(ORG_CSV)
    run("people", "import", str(full))
    one.write_text("email,name,manager_email,department,title,groups\n"
                   "hal@x.com,Hal Hr,,HR,HRBP,hr\n")
    plain = run("people", "import", str(one))
    assert plain.stdout.strip() == "0 added, 1 updated, 0 marked as left, 0 unchanged"
    refused = run("people", "import", str(one), "--sync", "--as", "ann@x.com", "--json",
                  ok=False)
    assert refused.exit_code == 1
    assert json.loads(refused.stderr)["message"] == (
        "the sync would mark you (ann@x.com) as left: add your own row to the file; "
        "nothing was changed")
    synced = out(run("people", "import", str(one), "--sync", "--as", "hal@x.com", "--json"))
    assert (synced["deactivated"], synced["deactivated_hr"], synced["sync"]) == (5, 0, True)
    header_only = tmp / "header.csv"
    header_only.write_text("email,name,manager_email,department,title,groups\n")
    result = run("people", "import", str(header_only), "--sync", ok=False)
    assert "line 1: the file has only the header line and no people" in result.stderr


def test_launch_with_a_due_date_makes_the_first_tasks_due_that_day_where_hr_is(cli,
                                                                                monkeypatch):
    run, tmp = cli
    csv = tmp / "people.csv"
    csv.write_text(ORG_CSV)
    run("db", "init")
    run("people", "import", str(csv))
    bad = run("launch", "review", "--cycle", "2026", "--due-date", "31/01/2027", ok=False)
    assert bad.exit_code == 2 and "is not a date like 2027-01-31" in bad.output
    past = run("launch", "review", "--cycle", "2026", "--due-date", "2020-01-31", ok=False)
    assert past.exit_code == 1 and "is not in the future" in past.stderr
    monkeypatch.setenv("REVIEWFLOW_TIMEZONE", "Europe/Copenhagen")
    run("launch", "review", "--cycle", "2026", "--where", "email=ann@x.com",
        "--due-date", "2099-01-31")
    tasks = out(run("tasks", "--assignee", "ann@x.com", "--open", "--json"))
    assert [t["due_at"][:16] for t in tasks] == ["2099-01-31T22:59"]  # 23:59 in Copenhagen
