"""The HR console's directory: import (add and update by default, sync after a preview)."""

from __future__ import annotations

import io
import re

from engine import commands
from engine.store import DirectoryEvent, Person
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, sign_in

HEADER = "email,name,manager_email,department,title,groups\n"


def _upload(client, text: str | bytes, **form):
    data = text.encode() if isinstance(text, str) else text
    return client.post("/hr/people/import",
                       data={"file": (io.BytesIO(data), "p.csv"), **form},
                       content_type="multipart/form-data")


def _active(app) -> int:
    with app.app_context():
        return Person.select().where(Person.active == True).count()  # noqa: E712


def test_a_header_only_file_is_refused_and_changes_nothing(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    for mode in ("add", "sync"):
        response = _upload(hana, HEADER, mode=mode)
        assert response.status_code == 422
        assert "the file has only the header line and no people" in response.get_data(
            as_text=True)
    assert _active(app) == 8


def test_a_one_row_file_adds_and_updates_only(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    response = _upload(hana, HEADER + "uma@acme.test,Uma Renamed,carla@acme.test,Sales,AE,\n")
    assert response.status_code == 303
    page = hana.get("/hr/people/").get_data(as_text=True)
    assert "Imported: 0 added, 1 updated, 0 marked as left, 0 unchanged." in page
    assert _active(app) == 8


def test_a_sync_shows_what_it_will_do_and_changes_only_when_confirmed(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    keep = HEADER + ("carla@acme.test,Carla Chief,,Executive,CEO,\n"
                     "hana@acme.test,Hana Human,carla@acme.test,People,HR Partner,hr\n"
                     "bob@acme.test,Bob Boss,carla@acme.test,Engineering,Engineering Manager,"
                     "hr\n")
    with app.app_context():
        commands.start(scenario.library(app), "annual-review", "sam@acme.test",
                       "hana@acme.test")
    preview = _upload(hana, keep, mode="sync")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'data-testid="sync-preview"' in html
    left = re.search(r'data-testid="sync-left">(.*?)</p>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", left) == (
        "5 people will be marked as left, 0 of them in HR, 1 open task will need a new holder.")
    assert _active(app) == 8  # nothing yet
    form = {name: value for name, value in re.findall(
        r'<input type="hidden" name="(\w+)" value="([^"]*)"', html)}
    form["csv"] = keep
    confirmed = hana.post("/hr/people/import", data=form)
    assert confirmed.status_code == 303, confirmed.get_data(as_text=True)
    assert _active(app) == 3
    with app.app_context():
        event = DirectoryEvent.select().order_by(DirectoryEvent.id.desc()).get()
        assert (event.kind, event.actor, event.detail["deactivated"]) == (
            "synced", "hana@acme.test", 5)


def test_a_confirmation_after_the_directory_moved_shows_the_new_preview(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    keep = HEADER + ("carla@acme.test,Carla Chief,,Executive,CEO,\n"
                     "hana@acme.test,Hana Human,carla@acme.test,People,HR Partner,hr\n")
    html = _upload(hana, keep, mode="sync").get_data(as_text=True)
    assert "6 people will be marked as left" in re.sub(r"<[^>]+>", "", html)
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    form["csv"] = keep
    _upload(hana, HEADER + "new@acme.test,New Person,carla@acme.test,Sales,AE,\n")
    again = hana.post("/hr/people/import", data=form)
    assert again.status_code == 200
    assert 'data-testid="sync-changed"' in again.get_data(as_text=True)
    assert _active(app) == 9


def test_a_sync_without_the_importer_or_without_hr_is_refused(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    no_hana = ORG.replace("hana@acme.test,Hana Human,carla@acme.test,People,HR Partner,hr\n", "")
    no_hana = no_hana.replace("Carla Chief,,Executive,CEO,", "Carla Chief,,Executive,CEO,hr")
    response = _upload(hana, no_hana, mode="sync")
    assert response.status_code == 409
    assert "the sync would mark you (hana@acme.test) as left" in response.get_data(as_text=True)
    no_hr = ORG.replace("HR Partner,hr", "HR Partner,")
    response = _upload(hana, no_hr, mode="sync")
    assert response.status_code == 409
    assert "would leave no active HR member" in response.get_data(as_text=True)
    assert _active(app) == 8


def test_a_semicolon_file_with_a_bom_from_excel_is_imported(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    text = "\ufeffemail;name;manager_email;department;title;groups\r\n" \
           "new@acme.test;Søren Ærø;carla@acme.test;Sales;AE;\r\n"
    assert _upload(hana, text.encode("utf-8")).status_code == 303
    with app.app_context():
        assert Person.get(Person.email == "new@acme.test").name == "Søren Ærø"
    latin1 = _upload(hana, text.replace("\ufeff", "").encode("cp1252"))
    assert latin1.status_code == 422
    assert "the file is not UTF-8 text (byte 0xf8 cannot be read)" in latin1.get_data(
        as_text=True)


def test_hr_adds_and_edits_one_person_recorded_in_history(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    form = {"email": "Nia@acme.test", "name": "Nia New", "manager_email": "bob@acme.test",
            "department": "Engineering", "title": "Engineer", "groups": "reviewers; mentors",
            "active": "1"}
    added = hana.post("/hr/people/new", data=form)
    assert added.status_code == 303
    with app.app_context():
        nia = Person.get(Person.email == "nia@acme.test")
        assert (nia.manager.email, nia.title, nia.active) == ("bob@acme.test", "Engineer", True)
        from engine import directory
        assert directory.groups_of(nia.id) == {"mentors", "reviewers"}
    changed = hana.post(f"/hr/people/{nia.id}", data={**form, "title": "Senior Engineer",
                                                      "manager_email": "carla@acme.test",
                                                      "groups": "mentors"})
    assert changed.status_code == 303
    page = hana.get(f"/hr/people/{nia.id}").get_data(as_text=True)
    history = page.split('data-testid="person-history"', 1)[1]
    assert "added this person" in history
    assert "title: Engineer → Senior Engineer" in history
    assert "manager_email: bob@acme.test → carla@acme.test" in history
    assert "groups: mentors;reviewers → mentors" in history
    with app.app_context():
        kinds = [e.kind for e in DirectoryEvent.select().where(DirectoryEvent.person == nia.id)
                 .order_by(DirectoryEvent.id)]
        assert kinds == ["person-added", "person-edited"]
        assert DirectoryEvent.select().where(DirectoryEvent.person == nia.id).get().actor == \
            "hana@acme.test"


def test_bad_person_input_is_refused_per_field_and_changes_nothing(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    with app.app_context():
        sam_id = Person.get(Person.email == "sam@acme.test").id
        bob_id = Person.get(Person.email == "bob@acme.test").id
        hana_id = Person.get(Person.email == "hana@acme.test").id
    response = hana.post("/hr/people/new", data={"email": "sam@acme.test", "name": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="p-email-errors"' in html and "sam@acme.test is already in the directory." in html
    assert 'id="p-name-errors"' in html and "This field is required." in html
    loop = hana.post(f"/hr/people/{bob_id}", data={"name": "Bob Boss",
                                                   "manager_email": "sam@acme.test",
                                                   "active": "1"})
    assert loop.status_code == 422
    assert "Sam Subject reports to Bob Boss (directly or further up)" in loop.get_data(
        as_text=True)
    unknown = hana.post(f"/hr/people/{sam_id}", data={"name": "Sam", "active": "1",
                                                      "manager_email": "ghost@acme.test"})
    assert "ghost@acme.test is not in the directory." in unknown.get_data(as_text=True)
    last_hr = hana.post(f"/hr/people/{hana_id}", data={"name": "Hana Human", "active": "1",
                                                       "groups": ""})
    assert last_hr.status_code == 422
    assert "Hana Human is the only active member of the group hr" in last_hr.get_data(
        as_text=True)
    with app.app_context():
        assert Person.get(Person.email == "bob@acme.test").manager.email == "carla@acme.test"
        assert Person.get(Person.email == "sam@acme.test").name == "Sam Subject"
        assert DirectoryEvent.select().where(DirectoryEvent.kind.startswith("person")).count() == 0


def test_the_export_imports_back_unchanged(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    exported = hana.get("/hr/people/export.csv")
    assert exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True)
    assert text.splitlines()[0] == (
        "email,name,manager_email,department,title,groups,start_date,language")
    assert "hana@acme.test,Hana Human,carla@acme.test,People,HR Partner,hr,," in text
    assert _upload(hana, text).status_code == 303
    page = hana.get("/hr/people/").get_data(as_text=True)
    assert "Imported: 0 added, 0 updated, 0 marked as left, 8 unchanged." in page


def test_the_people_pages_go_through_ten_thousand_people(tmp_path):
    from engine.directory import import_csv
    from tests.web.conftest import make_app

    app = make_app(tmp_path / "big.sqlite3")
    rows = "".join(f"p{i:05d}@acme.test,Person {i:05d},carla@acme.test,Dept {i % 7},T,\n"
                   for i in range(10_000))
    with app.app_context():
        import_csv(ORG + rows)
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    first = hana.get("/hr/people/").get_data(as_text=True)
    assert "Page 1 of 101 (10008 people)." in first and 'rel="prev"' not in first
    listed = []
    page, seen = first, 0
    while True:  # Next, page after page: everyone once, in the listing's order
        listed += re.findall(r'<a href="/hr/people/\d+">([^<]+)</a>', page)
        seen += 1
        assert f"Page {seen} of 101" in page
        after = re.search(r'rel="next" href="([^"]+)"', page)
        if after is None:
            break
        page = hana.get(after.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert seen == 101 and len(listed) == len(set(listed)) == 10_008
    last = hana.get("/hr/people/?last=1").get_data(as_text=True)
    assert "Page 101 of 101" in last and 'rel="next"' not in last
    names = re.findall(r'<a href="/hr/people/\d+">([^<]+)</a>', last)
    assert names == listed[-8:]
    back = hana.get(re.search(r'rel="prev" href="([^"]+)"', last).group(1)).get_data(
        as_text=True)  # Previous from the last page: page 100, the same people as before
    assert "Page 100 of 101" in back
    assert re.findall(r'<a href="/hr/people/\d+">([^<]+)</a>', back) == listed[-108:-8]
    found = hana.get("/hr/people/?q=Person 0999").get_data(as_text=True)
    assert "Page 1 of 1" not in found  # 10 matches: one page, no pager
    assert len(re.findall(r'<a href="/hr/people/\d+">Person 0999\d</a>', found)) == 10
