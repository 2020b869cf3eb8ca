"""The Start page: people start self-service processes (feedback requests, 1:1s) themselves.

On SQLite and PostgreSQL (the ``db`` fixture), with the shipped library, whose
continuous-feedback (``started_by: [requester]``) and one-on-one
(``started_by: [employee, manager]``) are the self-service workflows.
"""

from __future__ import annotations

import logging
import re

import pytest

from tests.web.conftest import ORG, SHIPPED, make_app, sign_in


@pytest.fixture
def start_app(db, tmp_path):
    """The app on the ``db`` database with the company and the shipped library."""
    from engine.directory import import_csv

    app = make_app(tmp_path / "unused.sqlite3", DATABASE_URL=db, LIBRARY_PATHS=SHIPPED)
    with app.app_context():
        from web.database import open_connection

        open_connection()
        import_csv(ORG)
    return app


def _id(app, email: str) -> int:
    with app.app_context():
        from web.people import person_by_email

        return person_by_email(email).id


def _instances(app) -> list:
    with app.app_context():
        from web.database import open_connection

        open_connection()
        from engine.store import Instance

        return list(Instance.select().order_by(Instance.id))


def _page(client) -> str:
    response = client.get("/start/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_employee_sees_the_self_service_processes(start_app):
    sam = sign_in(start_app.test_client(), start_app, "sam@acme.test")
    sam_id = _id(start_app, "sam@acme.test")
    html = _page(sam)
    assert f'data-testid="start-continuous-feedback-{sam_id}"' in html
    assert f'data-testid="start-one-on-one-{sam_id}"' in html
    assert "Feedback request" in html and "1:1 check-in" in html
    assert "start-pip-" not in html and "start-annual-review-" not in html  # HR/manager only
    assert 'data-testid="start-reports"' not in html  # Sam manages nobody
    assert 'href="/start/"' in sam.get("/").get_data(as_text=True)  # in the main nav


def test_manager_may_book_a_one_on_one_for_each_report_but_not_ask_for_them(start_app):
    bob = sign_in(start_app.test_client(), start_app, "bob@acme.test")
    html = _page(bob)
    for email in ("sam@acme.test", "pat@acme.test", "quinn@acme.test"):
        report = _id(start_app, email)
        assert f'data-testid="start-one-on-one-{report}"' in html
        # feedback requests are the requester's own: started_by [requester] only
        assert f'data-testid="start-continuous-feedback-{report}"' not in html
    assert f'start-one-on-one-{_id(start_app, "rita@acme.test")}"' not in html  # not Bob's


def test_starting_lands_on_the_first_task(start_app):
    sam = sign_in(start_app.test_client(), start_app, "sam@acme.test")
    sam_id = _id(start_app, "sam@acme.test")
    response = sam.post("/start/", data={"workflow": "continuous-feedback",
                                         "subject": str(sam_id)})
    assert response.status_code == 303
    task_id = int(re.search(r"/tasks/(\d+)$", response.headers["Location"]).group(1))
    (instance,) = _instances(start_app)
    assert instance.workflow_id == "continuous-feedback" and instance.subject_id == sam_id
    assert instance.cycle_id is None and instance.status == "running"
    with start_app.app_context():
        from engine.store import Task

        task = Task.get_by_id(task_id)
        assert (task.instance_id, task.assignee_id, task.form_id) == (
            instance.id, sam_id, "feedback-request")
    page = sam.get(response.headers["Location"]).get_data(as_text=True)
    assert "“Feedback request” started for you. Your first step: Ask for feedback." in page


def test_manager_starting_a_one_on_one_lands_on_the_process(start_app):
    bob = sign_in(start_app.test_client(), start_app, "bob@acme.test")
    sam_id = _id(start_app, "sam@acme.test")
    response = bob.post("/start/", data={"workflow": "one-on-one", "subject": str(sam_id)})
    assert response.status_code == 303
    (instance,) = _instances(start_app)
    assert instance.workflow_id == "one-on-one" and instance.subject_id == sam_id
    # the agenda is Sam's task, so Bob lands on the process page
    assert response.headers["Location"].endswith(f"/instances/{instance.id}")
    page = bob.get(response.headers["Location"])
    assert page.status_code == 200
    assert ("“1:1 check-in” started for Sam Subject. Next: Set the agenda for your 1:1 "
            "(Sam Subject).") in page.get_data(as_text=True)


def test_a_colleague_who_may_not_start_gets_403_and_nothing_is_created(start_app, caplog):
    uma = sign_in(start_app.test_client(), start_app, "uma@acme.test")
    sam_id = _id(start_app, "sam@acme.test")
    assert f"-{sam_id}\"" not in _page(uma)  # nothing offered about Sam
    with caplog.at_level(logging.WARNING, logger="web.starting"):
        for workflow in ("one-on-one", "continuous-feedback", "pip"):
            response = uma.post("/start/", data={"workflow": workflow, "subject": str(sam_id)})
            assert response.status_code == 403, workflow
            assert "may not start" in response.get_data(as_text=True)
    assert _instances(start_app) == []
    refusals = [r.getMessage() for r in caplog.records if r.name == "web.starting"]
    assert len(refusals) == 3
    assert "refused start of one-on-one about sam@acme.test by uma@acme.test" in refusals[0]


def test_unknown_workflow_or_person_is_404(start_app):
    sam = sign_in(start_app.test_client(), start_app, "sam@acme.test")
    sam_id = str(_id(start_app, "sam@acme.test"))
    assert sam.post("/start/", data={"workflow": "nope", "subject": sam_id}).status_code == 404
    for subject in ("999999", "x", ""):
        response = sam.post("/start/", data={"workflow": "one-on-one", "subject": subject})
        assert response.status_code == 404, subject
    assert _instances(start_app) == []


def test_signed_out_is_sent_to_sign_in(start_app):
    client = start_app.test_client()
    response = client.get("/start/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    sam_id = str(_id(start_app, "sam@acme.test"))
    response = client.post("/start/", data={"workflow": "one-on-one", "subject": sam_id})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _instances(start_app) == []


def test_post_without_csrf_token_is_refused(db, tmp_path):
    from engine.directory import import_csv

    app = make_app(tmp_path / "unused.sqlite3", DATABASE_URL=db, LIBRARY_PATHS=SHIPPED,
                   WTF_CSRF_ENABLED=True)
    with app.app_context():
        from web.database import open_connection

        open_connection()
        import_csv(ORG)
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    sam_id = str(_id(app, "sam@acme.test"))
    response = sam.post("/start/", data={"workflow": "one-on-one", "subject": sam_id})
    assert response.status_code == 400
    assert "expired or was sent from somewhere else" in response.get_data(as_text=True)
    assert _instances(app) == []
    token = re.search(r'name="csrf_token" value="([^"]+)"', _page(sam)).group(1)
    response = sam.post("/start/", data={"workflow": "one-on-one", "subject": sam_id,
                                         "csrf_token": token})
    assert response.status_code == 303
    assert [i.workflow_id for i in _instances(app)] == ["one-on-one"]


PULSE = """workflow: pulse
version: 1
title: Pulse check
subject: person
started_by: [employee]
roles:
  employee: subject
  manager: subject.manager
initial: ask
states:
  ask:
    title: Asking
    tasks:
      - form: feedback-response
        title: Answer the pulse
        assignee: manager
        anonymous: true
  done:
    title: Done
    final: true
transitions:
  - trigger: answered
    source: ask
    dest: done
    auto: true
"""


def test_the_flash_never_names_an_anonymous_first_step_holder(tmp_path):
    from engine.directory import import_csv
    from web.access import ANONYMOUS_LABEL

    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "pulse.yaml").write_text(PULSE)
    app = make_app(tmp_path / "pulse.sqlite3",
                   LIBRARY_PATHS=[str(tmp_path / "workflows"), SHIPPED[1]])
    with app.app_context():
        import_csv(ORG)
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    response = sam.post("/start/", data={"workflow": "pulse",
                                         "subject": str(_id(app, "sam@acme.test"))})
    assert response.status_code == 303 and "/instances/" in response.headers["Location"]
    with sam.session_transaction() as session:
        (_category, message), = session["_flashes"]
    assert message == f"“Pulse check” started for you. Next: Answer the pulse ({ANONYMOUS_LABEL})."
    assert "Bob" not in message
