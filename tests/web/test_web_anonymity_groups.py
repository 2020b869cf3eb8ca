"""Anonymous answers grouped by relationship on the pages: Bob's instance page shows his
peers' summary, the small groups (his reports, his clients) merged into "Others", and
nothing of a group whose line says ``hide``; the engine's aggregates agree."""

from __future__ import annotations

from engine import commands, queries, visibility
from engine.directory import import_csv
from engine.store import Task, TaskStatus
from tests.web.conftest import ORG, make_app, sign_in
from tests.web.webscenario import library

WORKFLOW = """workflow: grouped
version: 1
title: Grouped 360
subject: person
anonymity_threshold: 2
roles:
  employee: subject
  manager: subject.manager
  upward: subject.reports
  peers: subject.manager.reports
  clients: external:nominate.clients
initial: nominate
states:
  nominate:
    tasks:
      - form: nominate
        assignee: employee
  collect:
    tasks:
      - form: fb
        assignee: peers
        anonymous: true
        anonymity_group: {en: Peers, da: Kolleger, sv: Kollegor}
        anonymity_threshold: 3
        readers: {employee: always}
      - form: fb
        assignee: upward
        anonymous: true
        anonymity_group: Direct reports
        anonymity_threshold: 3
        readers: {employee: always}
      - form: fb
        assignee: clients
        anonymous: true
        anonymity_group: Clients
        anonymity_threshold: 3
        readers: {employee: always}
      - form: fb
        assignee: manager
        anonymous: true
        anonymity_group: Manager
        below_threshold: hide
        readers: {employee: always}
  done:
    final: true
transitions:
  - trigger: nominated
    source: nominate
    dest: collect
    auto: true
  - trigger: close
    source: collect
    dest: done
"""
NOMINATE = ('{"schema": {"type": "object", "properties": {"clients": {"type": "array", '
            '"items": {"type": "string"}}}}}')
FEEDBACK = ('{"schema": {"title": "Feedback", "type": "object", "required": ["rating"], '
            '"properties": {"rating": {"title": "Rating", "type": "integer", "minimum": 1, '
            '"maximum": 5}}}}')
CLIENTS = ["c1@client.example", "c2@client.example"]


def _answer(iid: int, email: str, rating: int) -> None:
    from engine.store import Person

    task = (Task.select().join(Person, on=(Task.assignee == Person.id))
            .where((Task.instance == iid) & (Person.email == email)
                   & (Task.status == TaskStatus.OPEN)).get())
    commands.submit(task.id, email, {"rating": rating})


def _app(tmp_path):
    for name, text in {"workflows/grouped.yaml": WORKFLOW, "forms/nominate.json": NOMINATE,
                       "forms/fb.json": FEEDBACK}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    app = make_app(tmp_path / "grouped.sqlite3",
                   LIBRARY_PATHS=[str(tmp_path / "workflows"), str(tmp_path / "forms")])
    with app.app_context():
        import_csv(ORG)
        iid = commands.start(library(app), "grouped", "bob@acme.test",
                             "hana@acme.test").instance_id
        nomination = Task.get((Task.instance == iid) & (Task.form_id == "nominate"))
        commands.submit(nomination.id, "bob@acme.test", {"clients": CLIENTS})
        for email in ("carla@acme.test", "rita@acme.test", "hana@acme.test", "uma@acme.test",
                      "sam@acme.test", "pat@acme.test", *CLIENTS):
            _answer(iid, email, 4)
    return app, iid


def test_the_subject_reads_peers_apart_the_small_groups_as_others_and_never_the_hidden(
        tmp_path):
    app, iid = _app(tmp_path)
    with app.app_context():
        detail = queries.instance_detail(iid)
        _, aggregates = visibility.visible_submissions("bob@acme.test", detail)
        assert [(a.group, a.count, a.merged) for a in aggregates] == [
            ("Peers", 3, []), ("others", 4, ["Direct reports", "Clients"])]
    page = sign_in(app.test_client(), app, "bob@acme.test").get(
        f"/instances/{iid}").get_data(as_text=True)
    assert "Feedback: Peers" in page and "Feedback: Others" in page
    for hidden in ("Feedback: Manager", "Feedback: Clients", "Feedback: Direct reports"):
        assert hidden not in page
    danish = sign_in(app.test_client(), app, "bob@acme.test").get(
        f"/instances/{iid}", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert "Kolleger" in danish and "Andre" in danish
