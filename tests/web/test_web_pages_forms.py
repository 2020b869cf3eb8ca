"""Forms on the pages: row buttons of a decision's own form, the draft button passing
browser validation, private fields kept from everyone but the author and HR, and overdue
marks on open tasks only."""

from __future__ import annotations

import re
from datetime import timedelta

from engine import commands
from engine.store import Instance, Submission, Task
from tests.web import webscenario as scenario
from tests.web.conftest import one_off_app, sign_in

ASKS = """workflow: asks
version: 1
title: Asks
subject: person
roles:
  employee: subject
  manager: subject.manager
  hr: group:hr
initial: review
states:
  review:
    tasks:
      - form: note
        assignee: manager
  redo:
    tasks:
      - form: note
        assignee: employee
  done:
    final: true
transitions:
  - trigger: send_back
    title: Send back
    source: review
    dest: redo
    allowed: [manager]
    form: change-list
  - trigger: finish
    title: Finish
    source: review
    dest: done
    allowed: [manager]
    form: closing
  - trigger: hr_close
    title: Close (HR)
    source: review
    dest: done
    allowed: [hr]
    form: change-list
  - trigger: redone
    source: redo
    dest: done
    auto: true
"""
NOTE = ('{"schema": {"type": "object", "required": ["text"],'
        ' "properties": {"text": {"type": "string"}}}}')
CHANGE_LIST = """{"schema": {"type": "object", "required": ["changes"], "properties": {
  "changes": {"type": "array", "title": "Changes", "minItems": 1,
              "items": {"type": "string", "minLength": 3}}}}}"""
CLOSING = ('{"schema": {"type": "object", "required": ["summary"],'
           ' "properties": {"summary": {"type": "string"}}}}')


def _asks_app(tmp_path):
    return one_off_app(tmp_path, {"workflows/asks.yaml": ASKS, "forms/note.json": NOTE,
                                  "forms/change-list.json": CHANGE_LIST,
                                  "forms/closing.json": CLOSING}, "asks")


def _nothing_stored(app, iid, task):
    with app.app_context():
        assert Task.get_by_id(task).status == "open"
        assert Instance.get_by_id(iid).state == "review"
        assert Submission.select().count() == 0


def test_row_buttons_of_a_decision_form_redisplay_without_storing(tmp_path):
    app, iid, task = _asks_app(tmp_path)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    page = bob.get(f"/tasks/{task}").get_data(as_text=True)
    assert 'name="t-send_back-__add__:changes"' in page
    typed = {"text": "main form words", "t-send_back-__rows__:changes": "1",
             "t-send_back-changes[0]": "first change", "t-finish-summary": "closing words"}

    response = bob.post(f"/tasks/{task}", data={**typed, "t-send_back-__add__:changes": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    assert 'name="t-send_back-changes[1]"' in html
    assert 'value="first change"' in html and "main form words" in html
    assert "closing words" in html  # the other decision's form keeps its typing too
    assert 'data-testid="error-summary"' not in html
    _nothing_stored(app, iid, task)

    two = {**typed, "t-send_back-__rows__:changes": "2", "t-send_back-changes[1]": "second"}
    response = bob.post(f"/tasks/{task}", data={**two, "t-send_back-__up__:changes:1": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.index('value="second"') < html.index('value="first change"')
    response = bob.post(f"/tasks/{task}", data={**two, "t-send_back-__remove__:changes:0": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="second"' in html and 'value="first change"' not in html
    assert 'name="t-send_back-changes[1]"' not in html
    _nothing_stored(app, iid, task)

    response = bob.post(f"/tasks/{task}", data={**two, "_trigger": "send_back"})
    assert response.status_code == 303
    with app.app_context():
        assert Instance.get_by_id(iid).state == "redo"
        reason = Submission.get(Submission.form_id == "change-list")
        assert reason.data == {"changes": ["first change", "second"]}


def test_a_main_form_row_button_keeps_the_decision_forms_typing(tmp_path):
    """The decision form's words survive a failed submit of the main form, too."""
    app, iid, task = _asks_app(tmp_path)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    response = bob.post(f"/tasks/{task}", data={
        "t-finish-summary": "typed summary", "_trigger": "send_back",
        "t-send_back-__rows__:changes": "1", "t-send_back-changes[0]": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "typed summary" in html and 'value="x"' in html
    _nothing_stored(app, iid, task)


def test_every_draft_button_skips_browser_validation(app):
    """Fields carry HTML ``required``; a draft must save half-filled answers anyway."""
    with app.app_context():
        iid = scenario.start_360(app)
        task = scenario.open_task(iid, "sam@acme.test").id
        other = scenario.start_360(app, "pat@acme.test")
        commands.submit(scenario.open_task(other, "pat@acme.test").id, "pat@acme.test",
                        {"peers": ["sam@acme.test", "quinn@acme.test", "rita@acme.test"]})
        approval = scenario.open_task(other, "bob@acme.test").id
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    pages = [sam.get(f"/tasks/{task}").get_data(as_text=True),
             bob.get(f"/tasks/{approval}").get_data(as_text=True)]  # a decision's page
    assert 'data-testid="decide-approve"' in pages[1]
    for html in pages:
        drafts = re.findall(r'<button[^>]*name="_draft"[^>]*>', html)
        assert drafts, "no draft button"
        for button in drafts:
            assert "formnovalidate" in button, button


def _annual_review_with_private_notes(app) -> int:
    """Sam's annual review, shared: Bob wrote a private note to HR, Hana private
    calibration notes."""
    with app.app_context():
        lib = scenario.library(app)
        iid = commands.start(lib, "annual-review", "sam@acme.test", "hana@acme.test").instance_id
        from engine import versions

        version = versions.version_for(Instance.get_by_id(iid).definition_id)

        def fill(form_id, **extra):
            from web.forms.builder import root_node
            from web.forms.defaults import initial_data

            data = initial_data(root_node(version.form(form_id))) or {}
            data.update(extra)
            return data

        task = scenario.open_task(iid, "sam@acme.test")
        commands.submit(task.id, "sam@acme.test", _valid(version, "self-review", fill))
        task = scenario.open_task(iid, "bob@acme.test")
        commands.submit(task.id, "bob@acme.test", _valid(
            version, "manager-review", fill, note_to_hr="PRIVATE-MANAGER-NOTE to HR"))
        task = scenario.open_task(iid, "hana@acme.test")
        commands.submit(task.id, "hana@acme.test", _valid(
            version, "calibration", fill, calibration_notes="PRIVATE-CALIBRATION-NOTE"))
        commands.fire(iid, "share", "bob@acme.test")
        assert Instance.get_by_id(iid).state == "shared"
    return iid


def _valid(version, form_id, fill, **extra):
    """Data that passes ``form_id``: every required field answered plausibly."""
    from engine.submissions import submission_errors

    form = version.form(form_id)
    data = fill(form_id, **extra)
    for name in form.schema.get("required", []):
        if name in data:
            continue
        prop = form.schema["properties"][name]
        if "oneOf" in prop:
            data[name] = prop["oneOf"][-1]["const"]
        elif "enum" in prop:
            data[name] = prop["enum"][-1]
        elif prop.get("type") == "integer":
            data[name] = prop.get("maximum", 3)
        elif prop.get("type") == "boolean":
            data[name] = True
        else:
            data[name] = "Answered in full for the test, long enough."
    assert submission_errors(form, data) == {}, submission_errors(form, data)
    return data


def test_private_fields_reach_only_the_author_and_hr(app):
    iid = _annual_review_with_private_notes(app)
    with app.app_context():
        tasks = [t.id for t in Task.select().where(Task.instance == iid)]
    manager_note, hr_note = "PRIVATE-MANAGER-NOTE", "PRIVATE-CALIBRATION-NOTE"
    seen = {}
    for email in ("sam@acme.test", "bob@acme.test", "carla@acme.test", "hana@acme.test"):
        client = sign_in(app.test_client(), app, email)
        pages = [client.get(f"/instances/{iid}"), client.get("/")]
        pages += [client.get(f"/tasks/{t}") for t in tasks]
        text = "".join(p.get_data(as_text=True) for p in pages if p.status_code == 200)
        assert client.get(f"/instances/{iid}").status_code == 200
        seen[email] = (manager_note in text, hr_note in text)
    assert seen["sam@acme.test"] == (False, False)
    assert seen["bob@acme.test"] == (True, False)  # his own note; never HR's
    assert seen["carla@acme.test"] == (False, False)
    assert seen["hana@acme.test"] == (True, True)


def test_private_field_titles_are_hidden_too(app):
    iid = _annual_review_with_private_notes(app)
    carla = sign_in(app.test_client(), app, "carla@acme.test")
    html = carla.get(f"/instances/{iid}").get_data(as_text=True)
    with app.app_context():
        from engine import versions

        version = versions.version_for(Instance.get_by_id(iid).definition_id)
        title = version.form("manager-review").schema["properties"]["note_to_hr"].get("title")
    assert "Overall summary" in html  # the manager review is shown to the skip-level
    assert title and title not in html


def test_overdue_marks_only_on_open_tasks(app):
    with app.app_context():
        iid = scenario.start_360(app)
        task = scenario.open_task(iid, "sam@acme.test")
        task.due_at = task.due_at - timedelta(days=30)
        task.save()
        late = task.id
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    assert "overdue" in sam.get(f"/tasks/{late}").get_data(as_text=True)
    assert "overdue" in sam.get("/").get_data(as_text=True)
    with app.app_context():
        commands.submit(late, "sam@acme.test", {"peers": scenario.PEERS})
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    for client in (sam, hana):
        html = client.get(f"/tasks/{late}").get_data(as_text=True)
        assert "overdue" not in html.lower(), re.findall(r".{80}overdue.{40}", html)
        assert "days late" in html
        instance = client.get(f"/instances/{iid}").get_data(as_text=True)
        row = re.search(r'<tr[^>]*>(?:(?!</tr>).)*Nominate(?:(?!</tr>).)*</tr>', instance, re.S)
        assert row is None or 'class="nowrap overdue"' not in row.group(0)
    inbox = sam.get("/").get_data(as_text=True)
    assert "overdue" not in inbox.lower()


def test_hr_reads_a_submitted_task_on_its_page(app):
    iid = _annual_review_with_private_notes(app)
    with app.app_context():
        review = Task.get((Task.instance == iid) & (Task.form_id == "manager-review")).id
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    html = hana.get(f"/tasks/{review}").get_data(as_text=True)
    assert "by Bob Boss" in html and "PRIVATE-MANAGER-NOTE" in html
    assert "Shown with this task" in html  # not "for your reference": HR does not hold it
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    html = bob.get(f"/tasks/{review}").get_data(as_text=True)
    assert "PRIVATE-MANAGER-NOTE" in html and "by Bob Boss" not in html


def test_the_instance_diagram_leaves_out_condition_expressions(app):
    """Participants see the steps and moves; HR's library page keeps the conditions."""
    with app.app_context():
        iid = scenario.to_collect(app)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    html = bob.get(f"/instances/{iid}").get_data(as_text=True)
    assert "<svg" in html and "Collection deadline" in html
    assert "count(" not in html
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    page = hana.get("/hr/library/workflows/feedback-360").get_data(as_text=True)
    diagram = page[page.index("<svg"):page.index("</svg>")]
    assert "count(" in diagram


def test_row_buttons_of_a_trigger_form_on_the_instance_page(tmp_path):
    app, iid, task = _asks_app(tmp_path)
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    page = hana.get(f"/instances/{iid}").get_data(as_text=True)
    assert 'name="t-hr_close-__add__:changes"' in page
    typed = {"t-hr_close-__rows__:changes": "1", "t-hr_close-changes[0]": "only change"}
    response = hana.post(f"/instances/{iid}/fire/hr_close",
                         data={**typed, "t-hr_close-__add__:changes": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="t-hr_close-changes[1]"' in html and 'value="only change"' in html
    _nothing_stored(app, iid, task)
    response = hana.post(f"/instances/{iid}/fire/hr_close", data=typed)
    assert response.status_code == 303
    with app.app_context():
        assert Instance.get_by_id(iid).state == "done"


def test_the_inbox_says_where_processes_about_me_stand(app):
    with app.app_context():
        iid = scenario.to_collect(app)
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    html = sam.get("/").get_data(as_text=True)
    assert 'data-testid="about-me"' in html
    assert f'href="/instances/{iid}"' in html and "now at Collecting feedback" in html
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    assert 'data-testid="about-me"' not in bob.get("/").get_data(as_text=True)


def test_the_diagram_stays_plain_svg_after_another_library_takes_the_default_namespace(app):
    """WeasyPrint (the review packet's PDF) registers its own default XML namespace; the
    diagram must still be ``<svg>``, which a browser draws, not ``<ns0:svg>``."""
    import xml.etree.ElementTree as ET

    from web.diagrams import sanitize_svg

    ET.register_namespace("", "http://www.w3.org/1999/xhtml")
    svg = sanitize_svg('<svg xmlns="http://www.w3.org/2000/svg"><g><text>x</text></g></svg>')
    assert svg.startswith("<svg") and "ns0:" not in svg and "<text>x</text>" in svg
