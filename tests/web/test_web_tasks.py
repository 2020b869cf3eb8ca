"""The task page: inline validation errors keeping what was typed, drafts, row buttons,
decisions (with a transition's own form), conflicts, and where the process went."""

from __future__ import annotations

from engine import commands
from engine.store import Instance, Submission, Task
from tests.web import webscenario as scenario
from tests.web.conftest import one_off_app, sign_in


def _sam_task(app):
    with app.app_context():
        iid = scenario.start_360(app)
        return iid, scenario.open_task(iid, "sam@acme.test").id


def test_invalid_submission_shows_errors_inline_and_keeps_the_typing(app):
    iid, task = _sam_task(app)
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    response = sam.post(f"/tasks/{task}", data={
        "__rows__:peers": "3", "peers[0]": "pat@acme.test", "peers[1]": "not an email",
        "peers[2]": "rita@acme.test", "note_to_manager": "Kept note 123", "_submit": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-testid="error-summary"' in html
    assert "Enter a valid email address." in html
    assert 'value="not an email"' in html and "Kept note 123" in html
    with app.app_context():
        assert Task.get_by_id(task).status == "open"
        assert Submission.select().count() == 0


def test_draft_is_kept_and_offered_again(app):
    iid, task = _sam_task(app)
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    response = sam.post(f"/tasks/{task}", data={
        "__rows__:peers": "1", "peers[0]": "pat@acme.test", "_draft": "1"})
    assert response.status_code == 303
    html = sam.get(f"/tasks/{task}").get_data(as_text=True)
    assert 'value="pat@acme.test"' in html
    assert "Draft saved" in html
    inbox = sam.get("/").get_data(as_text=True)
    assert "draft saved" in inbox


def test_add_row_redisplays_without_storing(app):
    iid, task = _sam_task(app)
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    response = sam.post(f"/tasks/{task}", data={
        "__rows__:peers": "3", "peers[0]": "pat@acme.test", "peers[1]": "", "peers[2]": "",
        "__add__:peers": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="peers[3]"' in html and 'value="pat@acme.test"' in html
    with app.app_context():
        assert Task.get_by_id(task).status == "open"


def _at_approval(app):
    with app.app_context():
        iid = scenario.start_360(app)
        commands.submit(scenario.open_task(iid, "sam@acme.test").id, "sam@acme.test",
                        {"peers": scenario.PEERS})
        return iid, scenario.open_task(iid, "bob@acme.test").id


def test_decision_buttons_replace_submit(app):
    iid, task = _at_approval(app)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    html = bob.get(f"/tasks/{task}").get_data(as_text=True)
    assert 'data-testid="decide-approve"' in html and 'data-testid="decide-send_back"' in html
    assert 'data-testid="submit"' not in html
    assert "pat@acme.test" in html  # the nomination it `show`s
    assert bob.post(f"/tasks/{task}", data={"_submit": "1"}).status_code == 400


def test_send_back_needs_its_reason_then_returns_the_task_with_it(app):
    iid, task = _at_approval(app)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    response = bob.post(f"/tasks/{task}", data={"comments": "Mostly fine",
                                               "_trigger": "send_back"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Mostly fine" in html and "This field is required." in html
    response = bob.post(f"/tasks/{task}", data={
        "comments": "Mostly fine", "_trigger": "send_back",
        "t-send_back-reason": "Please add someone from Sales."})
    assert response.status_code == 303
    with app.app_context():
        assert Instance.get_by_id(iid).state == "nominate"
        again = scenario.open_task(iid, "sam@acme.test").id
        assert Submission.get(Submission.form_id == "send-back-reason").data == {
            "reason": "Please add someone from Sales."}
    page = sign_in(app.test_client(), app, "sam@acme.test").get(f"/tasks/{again}")
    assert "Please add someone from Sales." in page.get_data(as_text=True)


def test_approve_says_where_the_process_went(app):
    iid, task = _at_approval(app)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    response = bob.post(f"/tasks/{task}", data={"_trigger": "approve"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "moved on to: Collecting feedback" in html
    with app.app_context():
        assert Instance.get_by_id(iid).state == "collect"


def test_someone_else_moved_on_first_is_a_409_page(app):
    iid, task = _at_approval(app)
    with app.app_context():
        commands.cancel(iid, "hana@acme.test", "Sam left")
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    response = bob.post(f"/tasks/{task}", data={"_trigger": "approve"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else just moved this process on" in html
    assert "Traceback" not in html


def test_trigger_with_a_form_from_the_instance_page(app):
    """HR closes a PIP as successful: the transition's outcome form, validated inline."""
    with app.app_context():
        iid = scenario.pip_decision(app)
        assert Instance.get_by_id(iid).state == "decision"
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    page = hana.get(f"/instances/{iid}").get_data(as_text=True)
    assert 'data-testid="fire-successful"' in page and 'data-testid="fire-unsuccessful"' in page
    bob_page = sign_in(app.test_client(), app, "bob@acme.test").get(f"/instances/{iid}")
    assert 'data-testid="fire-unsuccessful"' not in bob_page.get_data(as_text=True)
    response = hana.post(f"/instances/{iid}/fire/successful",
                         data={"t-successful-summary": "too short"})
    assert response.status_code == 422
    assert "too short" in response.get_data(as_text=True)
    response = hana.post(f"/instances/{iid}/fire/successful", data={
        "t-successful-summary": "All objectives met; the plan closes successfully."})
    assert response.status_code == 303
    with app.app_context():
        assert Instance.get_by_id(iid).state == "completed"
    tracker = hana.get("/hr/pips/").get_data(as_text=True)
    assert "Completed successfully" in tracker


def test_pip_tracker_shows_days_left_and_next_check_in(app):
    with app.app_context():
        scenario.pip_active(app)
    html = sign_in(app.test_client(), app, "hana@acme.test").get("/hr/pips/").get_data(
        as_text=True)
    active = html.split('data-testid="pips-active"')[1].split("</table>")[0]
    assert "Sam Subject" in active and "Weekly check-in" in active
    assert "30 Jan 2027" in html  # 2026-12-01 + 60 days


def test_a_delegable_task_can_be_handed_on_by_its_holder(app):
    """The annual review's manager review is ``delegable``: Bob hands it to Carla."""
    with app.app_context():
        commands.launch(scenario.library(app), "annual-review", "Review 2026",
                        where=[("email", "sam@acme.test")], actor="hana@acme.test")
        iid = Instance.get().id
        commands.submit(scenario.open_task(iid, "sam@acme.test").id, "sam@acme.test",
                        {"achievements": "Shipped the billing platform on time.",
                         "self_rating": 4})
        task = scenario.open_task(iid, "bob@acme.test").id
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    assert "Hand this task to someone else" in bob.get(f"/tasks/{task}").get_data(as_text=True)
    response = bob.post(f"/instances/{iid}/tasks/{task}/reassign",
                        data={"to": "carla@acme.test", "reason": "On leave"})
    assert response.status_code == 303
    with app.app_context():
        assert Task.get_by_id(task).assignee.email == "carla@acme.test"
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    assert sam.post(f"/instances/{iid}/tasks/{task}/reassign",
                    data={"to": "sam@acme.test"}).status_code == 403


def test_my_team_shows_what_waits_on_whom(app):
    with app.app_context():
        scenario.to_collect(app)
        commands.launch(scenario.library(app), "annual-review", "Review 2026",
                        where=[("email", "pat@acme.test")], actor="hana@acme.test")
    html = sign_in(app.test_client(), app, "bob@acme.test").get("/team/").get_data(
        as_text=True)
    table = html.split('data-testid="team"')[1]
    assert "Assess yourself: Sam Subject" in table  # the task line's one name
    assert "3 anonymous reviewers still to answer" in table
    assert "Write your self review: Pat Peer" in table
    assert "Quinn Peer" in table and "Nothing running" in table
    assert sign_in(app.test_client(), app, "uma@acme.test").get("/team/").status_code == 200


GATE = """workflow: gate
version: 1
title: Gate
subject: person
roles:
  employee: subject
  manager: subject.manager
initial: review
states:
  review:
    tasks:
      - form: note
        assignee: manager
  done:
    final: true
transitions:
  - trigger: let_through
    title: Pass
    source: review
    dest: done
    allowed: [manager]
    conditions: "count('note') >= 5"
  - trigger: finish
    title: Finish
    source: review
    dest: done
    allowed: [manager]
"""
NOTE = '{"schema": {"type": "object", "properties": {"text": {"type": "string"}}}}'


def test_a_refused_decision_keeps_the_typing_and_says_why(tmp_path):
    app, iid, task = one_off_app(
        tmp_path, {"workflows/gate.yaml": GATE, "forms/note.json": NOTE}, "gate")
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    response = bob.post(f"/tasks/{task}", data={"text": "typed words",
                                                "_trigger": "let_through"})
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "That was refused" in html and "count(&#39;note&#39;) &gt;= 5" in html
    assert "typed words" in html
    with app.app_context():
        assert Task.get_by_id(task).status == "open"
    response = bob.post(f"/tasks/{task}", data={"text": "typed words", "_trigger": "finish"})
    assert response.status_code == 303
    with app.app_context():
        assert Instance.get_by_id(iid).state == "done"


def test_unassigned_task_reaches_hr_who_reassigns_it(app):
    """Carla has no manager: her 360's approval has nobody; HR sees it and hands it on."""
    with app.app_context():
        iid = scenario.start_360(app, "carla@acme.test")
        commands.submit(scenario.open_task(iid, "carla@acme.test").id, "carla@acme.test",
                        {"peers": scenario.PEERS})
        task = Task.get((Task.instance == iid) & (Task.status == "open")).id
        assert Task.get_by_id(task).assignee is None
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    inbox = hana.get("/").get_data(as_text=True)
    assert 'data-testid="unassigned"' in inbox and "Carla Chief" in inbox
    assert "Nobody (HR to reassign)" in hana.get(f"/instances/{iid}").get_data(as_text=True)
    response = hana.post(f"/instances/{iid}/tasks/{task}/reassign",
                         data={"to": "nobody@acme.test"}, follow_redirects=True)
    assert "Nobody active with the email nobody@acme.test" in response.get_data(as_text=True)
    hana.post(f"/instances/{iid}/tasks/{task}/reassign", data={"to": "uma@acme.test"})
    uma = sign_in(app.test_client(), app, "uma@acme.test")
    assert f"/tasks/{task}" in uma.get("/").get_data(as_text=True)
    assert uma.get(f"/tasks/{task}").status_code == 200


def test_decisions_without_a_task_are_in_the_inbox(app):
    with app.app_context():
        iid = scenario.pip_decision(app)
    for email in ("hana@acme.test", "bob@acme.test"):
        html = sign_in(app.test_client(), app, email).get("/").get_data(as_text=True)
        decisions = html.split('data-testid="decisions"')[1].split("</ul>")[0]
        assert f"/instances/{iid}" in decisions and "Sam Subject" in decisions
    sam = sign_in(app.test_client(), app, "sam@acme.test").get("/").get_data(as_text=True)
    assert 'data-testid="decisions"' not in sam


def test_a_trigger_from_another_step_is_a_409(app):
    iid, task = _at_approval(app)
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    response = hana.post(f"/instances/{iid}/fire/proceed")
    assert response.status_code == 409
    assert "no longer at a step" in response.get_data(as_text=True)
    assert hana.post(f"/instances/{iid}/fire/no_such_trigger").status_code == 404


NOTE_WITH_EXTRAS = """{"schema": {"type": "object", "properties": {
  "text": {"type": "string"},
  "level": {"type": "string", "default": "L2", "readOnly": true},
  "evidence": {"type": "string", "format": "data-url", "title": "Evidence"}}}}"""


def test_read_only_fields_cannot_be_changed_and_files_upload(tmp_path):
    import io

    app, iid, task = one_off_app(
        tmp_path, {"workflows/gate.yaml": GATE, "forms/note.json": NOTE_WITH_EXTRAS}, "gate")
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    page = bob.get(f"/tasks/{task}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    response = bob.post(f"/tasks/{task}", content_type="multipart/form-data", data={
        "text": "hi", "level": "L9", "evidence": (io.BytesIO(b"hello"), "proof.txt"),
        "_trigger": "finish"})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    with app.app_context():
        data = Submission.get(Submission.task == task).data
    assert data["level"] == "L2"
    assert data["evidence"].startswith("data:text/plain;name=proof.txt;base64,aGVsbG8=")


def test_a_decision_with_a_task_is_made_on_the_task_not_around_it(app):
    iid, task = _at_approval(app)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    html = bob.get(f"/instances/{iid}").get_data(as_text=True)
    assert 'data-testid="fire-approve"' not in html
    assert f'href="/tasks/{task}"' in html and 'data-testid="decide-on-task"' in html
    response = bob.post(f"/instances/{iid}/fire/approve")
    assert response.status_code == 303 and response.headers["Location"] == f"/tasks/{task}"
    with app.app_context():
        assert Instance.get_by_id(iid).state == "approve_nominations"


def test_a_task_sent_back_starts_from_the_previous_answers_and_shows_the_reason_once(app):
    iid, task = _at_approval(app)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    response = bob.post(f"/tasks/{task}", data={
        "comments": "Mostly fine", "_trigger": "send_back",
        "t-send_back-reason": "Please add someone from Sales."})
    assert response.status_code == 303
    with app.app_context():
        again = scenario.open_task(iid, "sam@acme.test")
        assert again.draft == {"peers": scenario.PEERS}  # a draft Sam sees at once
    html = sign_in(app.test_client(), app, "sam@acme.test").get(
        f"/tasks/{again.id}").get_data(as_text=True)
    assert html.count('data-testid="arrival"') == 1
    assert html.count("Please add someone from Sales.") == 1
    for i, email in enumerate(scenario.PEERS):
        assert f'name="peers[{i}]" placeholder="name@example.com" type="email" value="{email}"' \
            in html


def test_nomination_fields_are_people_pickers_checked_by_the_server(app):
    iid, task = _sam_task(app)
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    html = sam.get(f"/tasks/{task}").get_data(as_text=True)
    import re

    assert 'list="rf-people"' in re.search(r'<input[^>]*name="peers\[0\]"[^>]*>', html).group(0)
    assert '<option value="pat@acme.test">Pat Peer (Engineer, Engineering)</option>' in html
    response = sam.post(f"/tasks/{task}", data={
        "__rows__:peers": "3", "peers[0]": "pat@acme.test", "peers[1]": "sam@acme.test",
        "peers[2]": "nobody@acme.test", "_submit": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Sam Subject is the person this process is about and cannot be named here." in html
    assert "nobody@acme.test is not in the directory." in html
    with app.app_context():
        assert Submission.select().count() == 0


def test_the_approver_sees_names_and_whoever_cannot_be_asked_is_reported(app):
    from engine.directory import import_csv
    from engine.store import Outbox
    from tests.web.conftest import ORG

    iid, task = _at_approval(app)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    html = bob.get(f"/tasks/{task}").get_data(as_text=True)
    assert "Rita Peer (Account Executive, Sales)" in html
    with app.app_context():  # Rita leaves before Bob approves
        import_csv(ORG.replace("rita@acme.test,Rita Peer,carla@acme.test,Sales,"
                               "Account Executive,\n", ""), sync=True)
    assert bob.post(f"/tasks/{task}", data={"_trigger": "approve"}).status_code == 303
    with app.app_context():
        told = {o.recipient for o in Outbox.select().where(Outbox.kind == "role-problems")}
        body = Outbox.get(Outbox.kind == "role-problems").body
    assert told == {"hana@acme.test", "sam@acme.test"}
    assert "rita@acme.test" in body


def test_the_moved_on_page_keeps_what_was_typed_to_copy(app):
    iid, task = _at_approval(app)
    with app.app_context():
        commands.cancel(iid, "hana@acme.test", "Sam left")
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    response = bob.post(f"/tasks/{task}", data={"comments": "Three good names, Ærø too.",
                                               "_trigger": "approve"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else just moved this process on" in html
    kept = html.split('data-testid="kept-answers"', 1)[1]
    assert "Three good names, Ærø too." in kept
    assert '"comments": "Three good names, Ærø too."' in kept.replace("&#34;", '"')
