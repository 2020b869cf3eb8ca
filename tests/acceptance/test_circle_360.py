"""The full 360 circle through the CLI: an upward reviewer (the subject's report), peers by
manager, the HR business partner named in the directory's ``hrbp_email`` column, and a
client outside the directory who answers through the signed link their mail carries
(a real SMTP server, the worker, the web app on the same database; no account)."""

from __future__ import annotations

import json
import re

import pytest

from engine import store
from engine.config import shipped_library
from tests.acceptance.conftest import HERE, Cli
from tests.mail.smtpd import SmtpServer
from web.cli import main

CIRCLE = HERE / "circle"
CLIENT = "client@partner.example"

# Emma manages Dan, Dina and Dora; Dan (the subject) manages Ian; Hana is everyone's HRBP.
PEOPLE = """email,name,manager_email,department,title,groups,hrbp_email
ceo@acme.test,Cora Chief,,Exec,CEO,,
em@acme.test,Emma Manager,ceo@acme.test,Engineering,Engineering Manager,,hr@acme.test
dev1@acme.test,Dan Dev,em@acme.test,Engineering,Tech Lead,,hr@acme.test
dev2@acme.test,Dina Dev,em@acme.test,Engineering,Engineer,,hr@acme.test
dev3@acme.test,Dora Dev,em@acme.test,Engineering,Engineer,,hr@acme.test
ian@acme.test,Ian Intern,dev1@acme.test,Engineering,Intern,,hr@acme.test
hr@acme.test,Hana Hr,ceo@acme.test,People,HRBP,hr,
"""


@pytest.fixture
def circle(db, tmp_path, monkeypatch):
    store.close()
    run = Cli(db, CIRCLE, tmp_path)
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE)
    run("db", "init")
    run("people", "import", people)
    server = SmtpServer().start()
    monkeypatch.setenv("REVIEWFLOW_SMTP_URL", server.url)
    monkeypatch.setenv("REVIEWFLOW_MAIL_FROM", "reviewflow@acme.test")
    monkeypatch.setenv("REVIEWFLOW_BASE_URL", "http://reviewflow.test")
    run.smtp = server
    yield run
    server.stop()
    store.connect(db)


def _mail_to(server, address: str):
    found = [m for m in server.received if address in m.recipients]
    assert len(found) == 1, [m.recipients for m in server.received]
    return found[0]


def _web(db_url: str, tmp_path):
    from web import create_app

    return create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "circle",
                       "LIBRARY_PATHS": [str(CIRCLE / "workflows"), str(CIRCLE / "forms")],
                       "WTF_CSRF_ENABLED": True, "SERVER_NAME": None})


def test_a_360_reaches_reports_peers_the_hrbp_and_a_client_through_a_link(circle, db,
                                                                          tmp_path):
    cli = circle
    iid = cli.json("start", "circle-360", "--subject", "dev1@acme.test",
                   "--as", "hr@acme.test")["instance_id"]
    # the nomination names someone outside the directory: a well-formed email is enough
    refused = cli.error("submit", cli.task("dev1@acme.test", "client-nomination", iid),
                        "--as", "dev1@acme.test", "--data", "-",
                        input={"clients": ["not an email"]})
    assert refused["errors"] == {"clients[0]": ["not an email is not an email address."]}
    moved = cli.submit("dev1@acme.test", "client-nomination", iid, {"clients": [CLIENT]})
    assert moved["state"] == "approve"
    assert cli.json("fire", iid, "approve", "--as", "em@acme.test")["state"] == "collect"

    tasks = cli.json("tasks", "--open")
    holders = sorted((t["assignee_email"], t["form_id"]) for t in tasks)
    assert holders == [(CLIENT, "circle-feedback"),  # the client, outside the directory
                       ("dev2@acme.test", "circle-feedback"),  # peers by manager
                       ("dev3@acme.test", "circle-feedback"),
                       ("hr@acme.test", "hrbp-note"),  # from the hrbp_email column
                       ("ian@acme.test", "circle-feedback")]  # upward: Dan's report
    roles = cli.show(iid)["roles"]
    assert roles["upward"] == ["ian@acme.test"]
    assert roles["peers"] == ["dev2@acme.test", "dev3@acme.test"]
    assert roles["hrbp"] == ["hr@acme.test"]
    assert roles["clients"] == [CLIENT]
    assert not [e for e in cli.show(iid)["history"] if e["kind"] in ("role-problems",
                                                                     "unassigned")]

    # the worker mails the client a link of their own; nobody else's mail has one
    cli("worker", "--once")
    mail = _mail_to(cli.smtp, CLIENT)
    links = re.findall(r"http://reviewflow\.test/x/[\w.\-]+", mail.text)
    assert len(links) == 1 and "settings page" not in mail.text
    assert "/x/" not in _mail_to(cli.smtp, "ian@acme.test").text
    path = links[0].removeprefix("http://reviewflow.test")

    # everyone in the directory answers; the client's answer still counts for the step
    cli.submit("ian@acme.test", "circle-feedback", iid, {"rating": 4, "comment": "clear"})
    cli.submit("dev2@acme.test", "circle-feedback", iid, {"rating": 5})
    cli.submit("hr@acme.test", "hrbp-note", iid, {"note": "on track"})
    assert cli.show(iid)["state"] == "collect"

    app = _web(db, tmp_path)
    browser = app.test_client()
    page = browser.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Client feedback" in html and "Dan Dev" in html and CLIENT in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert browser.post(path, data={"rating": "3"}).status_code == 400  # no CSRF token
    bad = browser.post(path, data={"csrf_token": token, "rating": "9"})
    assert bad.status_code == 422
    done = browser.post(path, data={"csrf_token": token, "rating": "4",
                                    "comment": "Responsive and precise"})
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    again = browser.get(path)
    assert "answered already" in again.get_data(as_text=True)
    assert browser.post(path, data={"csrf_token": token, "rating": "1"}).status_code == 200
    assert browser.get("/tasks/1").status_code in (302, 401)  # the link signs nobody in

    shown = cli.show(iid)
    assert (shown["state"], shown["status"]) == ("done", "finished")
    client_answers = [s for s in shown["submissions"] if s.get("author_email") == CLIENT]
    assert [s["data"] for s in client_answers] == [{"rating": 4,
                                                    "comment": "Responsive and precise"}]


def test_a_tampered_or_expired_link_opens_nothing(circle, db, tmp_path):
    cli = circle
    iid = cli.json("start", "circle-360", "--subject", "dev1@acme.test",
                   "--as", "hr@acme.test")["instance_id"]
    cli.submit("dev1@acme.test", "client-nomination", iid, {"clients": [CLIENT]})
    cli("fire", iid, "approve", "--as", "em@acme.test")
    cli("worker", "--once")
    path = re.search(r"http://reviewflow\.test(/x/[\w.\-]+)",
                     _mail_to(cli.smtp, CLIENT).text).group(1)
    browser = _web(db, tmp_path).test_client()
    tampered = browser.get(path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb"))
    assert tampered.status_code == 404 and "not valid" in tampered.get_data(as_text=True)
    store.connect(db)
    store.Task.update(link_expires_at=store.Task.created_at).where(
        store.Task.link_nonce.is_null(False)).execute()
    store.close()
    expired = browser.get(path)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    # HR cancels: the request is withdrawn
    store.connect(db)
    store.Task.update(link_expires_at=None).where(
        store.Task.link_nonce.is_null(False)).execute()
    store.close()
    cli("fire", iid, "cancel", "--as", "hr@acme.test")
    assert browser.get(path).status_code == 410


def test_the_manager_amends_the_list_when_approving_and_raters_decline_with_a_reason(
        circle, db, tmp_path):
    cli = circle
    iid = cli.json("start", "circle-360", "--subject", "dev1@acme.test",
                   "--as", "hr@acme.test")["instance_id"]
    cli.submit("dev1@acme.test", "client-nomination", iid,
               {"clients": [CLIENT, "gone@partner.example"]})
    amended = tmp_path / "amended.json"
    amended.write_text('{"clients": ["client@partner.example", "new@partner.example"]}')
    # the manager removes one client and adds another: no send back, one decision
    refused = cli.error("fire", iid, "approve_with_changes", "--as", "em@acme.test",
                        "--data", "-", input={"clients": [CLIENT, CLIENT]})
    assert refused["errors"] == {"clients[1]": ["client@partner.example is named twice."]}
    assert cli.json("fire", iid, "approve_with_changes", "--as", "em@acme.test",
                    "--data", amended)["state"] == "collect"
    shown = cli.show(iid)
    amendment = [e for e in shown["history"] if e["kind"] == "amended"]
    assert [(e["actor"], e["detail"]["added"], e["detail"]["removed"]) for e in amendment] == [
        ("em@acme.test", ["new@partner.example"], ["gone@partner.example"])]
    clients = sorted(t["assignee_email"] for t in cli.json("tasks", "--open")
                     if t["assignee_email"].endswith("@partner.example"))
    assert clients == [CLIENT, "new@partner.example"]

    # a peer declines in the CLI; a declinable line only, the holder only, with a reason
    peer_task = cli.task("dev3@acme.test", "circle-feedback", iid)
    assert cli.error("decline", peer_task, "--as", "dev3@acme.test", "--reason", " ")[
        "message"] == "a reason is required to decline a request"
    assert "not assigned to dev2@acme.test" in cli.error(
        "decline", peer_task, "--as", "dev2@acme.test", "--reason", "busy")["message"]
    hrbp_task = cli.task("hr@acme.test", "hrbp-note", iid)
    assert "cannot be declined" in cli.error(
        "decline", hrbp_task, "--as", "hr@acme.test", "--reason", "busy")["message"]
    cli("decline", peer_task, "--as", "dev3@acme.test", "--reason", "I joined last week")
    declined = [e for e in cli.show(iid)["history"] if e["kind"] == "declined"]
    assert [(e["actor"], e["detail"]["reason"]) for e in declined] == [
        ("dev3@acme.test", "I joined last week")]

    # a client declines through their link; whoever named them last (the manager) is told
    cli("worker", "--once")
    path = re.search(r"http://reviewflow\.test(/x/[\w.\-]+)",
                     _mail_to(cli.smtp, "new@partner.example").text).group(1)
    browser = _web(db, tmp_path).test_client()
    page = browser.get(path).get_data(as_text=True)
    assert 'data-testid="external-decline"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    gone = browser.post(path + "/decline", data={"csrf_token": token,
                                                 "reason": "We never worked with Dan"})
    assert gone.status_code == 200 and "You declined the request" in gone.get_data(
        as_text=True)
    assert browser.get(path).status_code == 410  # the request is closed now
    cli("worker", "--once")
    told = [m for m in cli.smtp.received if "em@acme.test" in m.recipients
            and "We never worked with Dan" in m.text]
    assert len(told) == 1
    assert told[0].subject.startswith("Declined: ") and "Dan Dev" in told[0].subject
    assert "new@partner.example declined " in told[0].text  # composed, in her language

    # the declined tasks count no more: the others' answers finish the step
    cli.submit("ian@acme.test", "circle-feedback", iid, {"rating": 4})
    cli.submit("dev2@acme.test", "circle-feedback", iid, {"rating": 5})
    cli.submit("hr@acme.test", "hrbp-note", iid, {"note": "ok"})
    cli.submit(CLIENT, "circle-feedback", iid, {"rating": 3})
    assert cli.show(iid)["status"] == "finished"


def test_someone_nobody_reports_to_gets_no_upward_task_and_hr_is_not_bothered(circle):
    cli = circle
    iid = cli.json("start", "circle-360", "--subject", "dev2@acme.test",
                   "--as", "hr@acme.test")["instance_id"]
    cli.submit("dev2@acme.test", "client-nomination", iid, {"clients": [CLIENT]})
    cli("fire", iid, "approve", "--as", "em@acme.test")
    shown = cli.show(iid)
    titles = sorted(t["form_id"] + ":" + (t["assignee_email"] or "-") for t in shown["tasks"]
                    if t["status"] == "open")
    assert titles == ["circle-feedback:" + CLIENT, "circle-feedback:dev1@acme.test",
                      "circle-feedback:dev3@acme.test", "hrbp-note:hr@acme.test"]
    notes = [e["detail"] for e in shown["history"] if e["kind"] == "role-problems"]
    assert notes == [{"role": "upward", "form": "circle-feedback", "tasks": 0,
                      "problems": ["subject.reports: nobody (no one reports to "
                                   "dev2@acme.test)"]}]
    assert not [e for e in shown["history"] if e["kind"] == "unassigned"]


def test_the_shipped_full_circle_360_asks_everyone_around_the_employee(circle, db, tmp_path):
    base = [arg for path in shipped_library() for arg in ("--library", str(path))]

    def run(*args, input=None):
        result = circle.runner.invoke(main, ["--db", db, *base, *map(str, args), "--json"],
                                      input=input)
        assert result.exit_code == 0, (args, result.output, result.stderr)
        return json.loads(result.stdout)

    iid = run("start", "feedback-360-circle", "--subject", "dev1@acme.test",
              "--as", "hr@acme.test")["instance_id"]
    task = next(t["id"] for t in run("tasks", "--assignee", "dev1@acme.test", "--open"))
    assert run("submit", task, "--as", "dev1@acme.test", "--data", "-",
               input='{"clients": ["client@partner.example", "old@partner.example"]}'
               )["state"] == "approve_clients"
    assert run("fire", iid, "approve_with_changes", "--as", "em@acme.test", "--data", "-",
               input='{"clients": ["client@partner.example"]}')["state"] == "collect"
    # the CLI keeps the holders of anonymous tasks to itself: ask the database
    store.connect(db)
    try:
        holders = sorted((t.assignee.email, t.form_id) for t in store.Task.select().where(
            (store.Task.instance == iid) & (store.Task.status == "open")))
    finally:
        store.close()
    assert holders == [(CLIENT, "peer-feedback"), ("dev1@acme.test", "self-assessment"),
                       ("dev2@acme.test", "peer-feedback"), ("dev3@acme.test", "peer-feedback"),
                       ("ian@acme.test", "peer-feedback")]
    assert all(t["assignee_email"] is None for t in run("tasks", "--open")
               if t["form_id"] == "peer-feedback")
