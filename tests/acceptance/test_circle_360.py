"""The full 360 circle through the CLI: an upward reviewer (the subject's report), peers by
manager, the HR business partner named in the directory's ``hrbp_email`` column, and a
client outside the directory who answers through the signed link their mail carries
(a real SMTP server, the worker, the web app on the same database; no account)."""

from __future__ import annotations

import re

import pytest

from engine import store
from tests.acceptance.conftest import HERE, Cli
from tests.mail.smtpd import SmtpServer

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
    assert moved["state"] == "collect"

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
