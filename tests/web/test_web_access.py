"""Who may open and do what: every page and action x every kind of person.

Sam's 360 is collecting feedback: Sam (subject) owes a self assessment, Pat, Quinn and
Rita (peer raters) owe anonymous feedback. Bob is Sam's manager, Carla Bob's manager (the
360's ``skip_manager``), Hana is HR, Uma has nothing to do with it.
"""

from __future__ import annotations

import pytest

from engine.store import Event, Instance, Task, TaskStatus
from tests.web import webscenario as scenario
from tests.web.conftest import sign_in

PEOPLE = {
    "subject": "sam@acme.test",
    "manager": "bob@acme.test",
    "skip": "carla@acme.test",
    "peer": "pat@acme.test",
    "hr": "hana@acme.test",
    "unrelated": "uma@acme.test",
    "signed_out": None,
}
EVERYONE = {who: 200 for who in PEOPLE} | {"signed_out": 302}
HR_ONLY = {who: 403 for who in PEOPLE} | {"hr": 200, "signed_out": 302}


@pytest.fixture
def world(app):
    with app.app_context():
        iid = scenario.to_collect(app)
        return {
            "instance": iid,
            "subject_task": scenario.open_task(iid, "sam@acme.test").id,
            "peer_task": scenario.open_task(iid, "pat@acme.test").id,
        }


def client_for(app, who):
    email = PEOPLE[who]
    client = app.test_client()
    return sign_in(client, app, email) if email else client


PAGES = {
    "inbox": ("/", EVERYONE),
    "team": ("/team/", EVERYONE),
    "instance": ("/instances/{instance}", {
        "subject": 200, "manager": 200, "skip": 200, "peer": 200, "hr": 200,
        "unrelated": 403, "signed_out": 302}),
    "subject_task": ("/tasks/{subject_task}", {
        "subject": 200, "manager": 403, "skip": 403, "peer": 403, "hr": 200,
        "unrelated": 403, "signed_out": 302}),
    "peer_task": ("/tasks/{peer_task}", {
        "subject": 403, "manager": 403, "skip": 403, "peer": 200, "hr": 200,
        "unrelated": 403, "signed_out": 302}),
    "missing_task": ("/tasks/99999", {who: 404 for who in PEOPLE} | {"signed_out": 302}),
    "missing_instance": ("/instances/99999",
                         {who: 404 for who in PEOPLE} | {"signed_out": 302}),
    "hr_cycles": ("/hr/cycles", HR_ONLY),
    "hr_launch": ("/hr/launch", HR_ONLY),
    "hr_library": ("/hr/library/", HR_ONLY),
    "hr_workflow": ("/hr/library/workflows/feedback-360", HR_ONLY),
    "hr_form_preview": ("/hr/library/forms/peer-feedback", HR_ONLY),
    "hr_people": ("/hr/people/", HR_ONLY),
    "pip_tracker": ("/hr/pips/", HR_ONLY),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_pages(app, world, page):
    path, expected = PAGES[page]
    url = path.format(**world)
    got = {who: client_for(app, who).get(url).status_code for who in PEOPLE}
    assert got == expected


def _valid_self_assessment():
    return {"collaboration": "4", "communication": "4", "delivery": "3",
            "strengths": "Calm under pressure.", "improvements": "Write things down more.",
            "_submit": "1"}


# action -> (method+url, form data, expected status per person, check that it happened)
ACTIONS = {
    "submit_own_task": (
        "/tasks/{subject_task}", _valid_self_assessment(),
        {"subject": 303}, lambda w: Task.get_by_id(w["subject_task"]).status == "submitted"),
    "save_draft": (
        "/tasks/{subject_task}", {"strengths": "half", "_draft": "1"},
        {"subject": 303}, lambda w: Task.get_by_id(w["subject_task"]).draft is not None),
    "submit_peer_task": (
        "/tasks/{peer_task}", {**scenario.peer_feedback("pat@acme.test"), "_submit": "1"},
        {"peer": 303}, lambda w: Task.get_by_id(w["peer_task"]).status == "submitted"),
    "fire_hr_trigger": (
        "/instances/{instance}/fire/proceed", {},
        {"hr": 303}, lambda w: Instance.get_by_id(w["instance"]).state == "debrief"),
    "cancel_instance": (
        "/instances/{instance}/cancel", {"reason": "Left the company"},
        {"hr": 303}, lambda w: Instance.get_by_id(w["instance"]).status == "cancelled"),
    "reassign_task": (
        "/instances/{instance}/tasks/{peer_task}/reassign", {"to": "uma@acme.test"},
        {"hr": 303}, lambda w: Task.get_by_id(w["peer_task"]).assignee.email == "uma@acme.test"),
    "nudge_task": (
        "/hr/tasks/{peer_task}/nudge", {},
        {"hr": 303}, lambda w: Event.select().where(Event.kind == "nudged").exists()),
    "launch_preview": (
        "/hr/launch", {"workflow": "annual-review", "cycle": "Review 2026", "preview": "1"},
        {"hr": 200}, lambda w: True),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_actions(app, world, action):
    """Everyone else is refused and nothing changes; then the allowed person succeeds."""
    path, data, allowed, happened = ACTIONS[action]
    url = path.format(**world)
    for who in PEOPLE:
        if who in allowed:
            continue
        status = client_for(app, who).post(url, data=data).status_code
        assert status == (302 if who == "signed_out" else 403), (who, status)
        with app.app_context():
            assert not happened(world) or action == "launch_preview", who
            assert Task.get_by_id(world["peer_task"]).status == TaskStatus.OPEN
    for who, expected in allowed.items():
        response = client_for(app, who).post(url, data=data)
        assert response.status_code == expected, response.get_data(as_text=True)[:2000]
        with app.app_context():
            assert happened(world)


def test_console_is_open_to_the_admin_group(app):
    from engine.directory import import_csv
    from tests.web.conftest import ORG

    with app.app_context():
        import_csv(ORG.replace("carla@acme.test,Carla Chief,,Executive,CEO,",
                               "carla@acme.test,Carla Chief,,Executive,CEO,admin"))
    assert client_for(app, "skip").get("/hr/cycles").status_code == 200


def _carla_in_admin(app):
    from engine.directory import import_csv
    from tests.web.conftest import ORG

    with app.app_context():
        import_csv(ORG.replace("carla@acme.test,Carla Chief,,Executive,CEO,",
                               "carla@acme.test,Carla Chief,,Executive,CEO,admin"))


def test_admin_is_not_hr_and_the_web_agrees_with_the_engine(app, world):
    """One meaning of HR (group hr): a member of ``admin`` opens the console, but is not
    offered Reassign, and a reassign she posts anyway is refused before the engine."""
    _carla_in_admin(app)
    carla = client_for(app, "skip")
    page = carla.get(f"/tasks/{world['peer_task']}")
    assert page.status_code == 200
    assert "reassign-h" not in page.get_data(as_text=True)
    url = f"/instances/{world['instance']}/tasks/{world['peer_task']}/reassign"
    assert carla.post(url, data={"to": "uma@acme.test"}).status_code == 403
    with app.app_context():
        from engine import commands
        from engine.errors import NotAllowed

        assert Task.get_by_id(world["peer_task"]).assignee.email == "pat@acme.test"
        with pytest.raises(NotAllowed):
            commands.reassign(world["peer_task"], "uma@acme.test", "carla@acme.test")
    hana = client_for(app, "hr")
    assert "reassign-h" in hana.get(f"/tasks/{world['peer_task']}").get_data(as_text=True)


def _sam_in(app, group: str):
    from engine.directory import import_csv
    from tests.web.conftest import ORG

    with app.app_context():
        import_csv(ORG.replace("sam@acme.test,Sam Subject,bob@acme.test,Engineering,Engineer,",
                               f"sam@acme.test,Sam Subject,bob@acme.test,Engineering,Engineer,"
                               f"{group}"))


@pytest.mark.parametrize("group", ["hr", "admin"])
def test_a_subject_who_is_hr_or_admin_gets_no_power_over_their_own_process(app, world, group):
    """The personas that broke the matrix: the subject in HR, the subject in ``admin``.
    Neither sees who their reviewers are, reassigns a reviewer's task (to themselves or
    anyone), reveals the raters, or cancels their own process."""
    _sam_in(app, group)
    sam = client_for(app, "subject")
    iid, peer = world["instance"], world["peer_task"]
    html = sam.get(f"/instances/{iid}").get_data(as_text=True)
    assert all(name not in html for name in ("Pat Peer", "Quinn Peer", "Rita Peer"))
    assert sam.get(f"/tasks/{peer}").status_code in (200, 403)
    assert "reassign-h" not in sam.get(f"/tasks/{peer}").get_data(as_text=True)
    for url, data in [(f"/instances/{iid}/tasks/{peer}/reassign", {"to": "sam@acme.test"}),
                      (f"/instances/{iid}/tasks/{peer}/reassign", {"to": "uma@acme.test"}),
                      (f"/instances/{iid}/reveal", {"reason": "curious"}),
                      (f"/instances/{iid}/cancel", {"reason": "mine"})]:
        assert sam.post(url, data=data).status_code == 403, url
    with app.app_context():
        assert Task.get_by_id(peer).assignee.email == "pat@acme.test"
        assert Instance.get_by_id(iid).status == "running"
        assert not Event.select().where(Event.kind == "anonymity-revealed").exists()
