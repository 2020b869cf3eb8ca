"""HR console: people import (all or nothing), form preview (nothing stored), a library
with errors, launch validation, and the pages on PostgreSQL."""

from __future__ import annotations

import io
import re

import pytest

from engine.store import Cycle, Instance, Person, Submission
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, make_app, sign_in


def _upload(client, text: str):
    return client.post("/hr/people/import", data={"file": (io.BytesIO(text.encode()), "p.csv")},
                       content_type="multipart/form-data")


def test_import_with_bad_rows_changes_nothing_and_lists_them(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    bad = ORG + "new@acme.test,New Person,ghost@acme.test,Sales,AE,\nbroken-email,X,,Sales,AE,\n"
    response = _upload(hana, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported from p.csv" in html and "2 rows need fixing" in html
    assert '<td class="num">10</td><td>unknown manager ghost@acme.test' in html
    assert '<td class="num">11</td><td>malformed email' in html
    with app.app_context():
        assert Person.get_or_none(Person.email == "new@acme.test") is None


def test_import_applies_a_good_file(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    response = _upload(hana, ORG + "new@acme.test,New Person,bob@acme.test,Engineering,Eng,\n")
    assert response.status_code == 303
    page = hana.get("/hr/people/?q=new@").get_data(as_text=True)
    assert "1 added" in page and "New Person" in page
    with app.app_context():
        assert Person.get(Person.email == "new@acme.test").manager.email == "bob@acme.test"


def test_import_without_a_file(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    response = hana.post("/hr/people/import", data={}, follow_redirects=True)
    assert "Choose a CSV file" in response.get_data(as_text=True)


def test_form_preview_shows_errors_and_data_but_stores_nothing(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    response = hana.post("/hr/library/forms/send-back-reason", data={"reason": "short"})
    html = response.get_data(as_text=True)
    assert 'data-testid="preview-errors"' in html and 'value="short"' not in html
    assert "short" in html  # kept in the textarea
    response = hana.post("/hr/library/forms/send-back-reason",
                         data={"reason": "Please add measures to every goal."})
    html = response.get_data(as_text=True)
    assert 'data-testid="preview-valid"' in html
    assert "&#34;reason&#34;: &#34;Please add measures to every goal.&#34;" in html
    with app.app_context():
        assert Submission.select().count() == 0
    assert hana.get("/hr/library/forms/no-such-form").status_code == 404


def test_library_page_and_workflow(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    html = hana.get("/hr/library/").get_data(as_text=True)
    assert 'data-testid="library-valid"' in html and "feedback-360" in html
    page = hana.get("/hr/library/workflows/feedback-360").get_data(as_text=True)
    assert "<svg" in page and "<script" not in page.split("<svg", 1)[1].split("</svg>")[0]
    assert hana.get("/hr/library/workflows/nope").status_code == 404


def test_a_library_with_errors_is_shown_and_blocks_launching(tmp_path):
    broken = tmp_path / "lib"
    (broken / "workflows").mkdir(parents=True)
    (broken / "forms").mkdir()
    (broken / "workflows" / "bad.yaml").write_text(
        "workflow: bad\nversion: 1\ntitle: Bad\ninitial: nowhere\nstates:\n  a:\n    final: true\n"
        "transitions: []\n")
    app = make_app(tmp_path / "b.sqlite3",
                   LIBRARY_PATHS=[str(broken / "workflows"), str(broken / "forms")])
    from engine.directory import import_csv

    with app.app_context():
        import_csv(ORG)
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    html = hana.get("/hr/library/").get_data(as_text=True)
    assert 'data-testid="library-problems"' in html and "bad.yaml:" in html
    launch = hana.get("/hr/launch")
    assert launch.status_code == 503
    assert "library has errors" in launch.get_data(as_text=True)


def test_launch_form_refuses_missing_name_and_reused_cycle_name(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    response = hana.post("/hr/launch", data={"workflow": "annual-review", "cycle": "",
                                             "confirm": "1"})
    assert response.status_code == 422 and "Give the cycle a name" in response.get_data(
        as_text=True)
    choice = {"workflow": "annual-review", "cycle": "Q4", "department": "Sales"}
    preview = hana.post("/hr/launch", data={**choice, "preview": "1"}).get_data(as_text=True)
    previewed = re.search(r'name="previewed" value="(\w+)"', preview).group(1)
    changed = hana.post("/hr/launch", data={**choice, "department": "Engineering",
                                            "previewed": previewed, "confirm": "1"})
    assert changed.status_code == 200  # not launched: the preview was for Sales
    assert "changed since the preview" in changed.get_data(as_text=True)
    with app.app_context():
        assert Instance.select().count() == 0
    ok = hana.post("/hr/launch", data={**choice, "previewed": previewed, "confirm": "1"})
    assert ok.status_code == 303
    clash = hana.post("/hr/launch", data={"workflow": "feedback-360", "cycle": "Q4",
                                          "preview": "1"})
    assert clash.status_code == 422 and "already used" in clash.get_data(as_text=True)
    with app.app_context():
        assert Cycle.select().count() == 1
        assert Instance.select().count() == 2  # Rita and Uma in Sales
    again = hana.post("/hr/launch", data={"workflow": "annual-review", "cycle": "Q4",
                                          "department": "Sales", "preview": "1"})
    html = again.get_data(as_text=True)
    assert 'data-testid="preview-instances">0<' in html and "already have a process" in html


@pytest.mark.postgres
def test_pages_on_postgresql(postgres_url, tmp_path):
    from engine import store
    from engine.directory import import_csv
    from web.database import WEB_MODELS

    app = make_app(tmp_path / "unused.sqlite3", DATABASE_URL=postgres_url)
    with app.app_context():
        tables = ", ".join(f'"{m._meta.table_name}"' for m in (*store.MODELS, *WEB_MODELS))
        store.db.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        import_csv(ORG)
        iid = scenario.to_debrief(app)
    for email, urls in {
        "bob@acme.test": ["/", "/team/", f"/instances/{iid}"],
        "hana@acme.test": ["/hr/cycles", "/hr/pips/", "/hr/people/", f"/instances/{iid}"],
    }.items():
        client = sign_in(app.test_client(), app, email)
        for url in urls:
            assert client.get(url).status_code == 200, (email, url)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    with app.app_context():
        debrief = scenario.open_task(iid, "bob@acme.test").id
    response = bob.post(f"/tasks/{debrief}", data={
        "themes": "Reliable and collaborative; share plans earlier.",
        "__rows__:agreed_actions": "1", "agreed_actions[0].action": "Weekly plan post",
        "_submit": "1"})
    assert response.status_code == 303
    with app.app_context():
        assert Instance.get_by_id(iid).state == "shared"
    store.close()


def test_launch_preview_names_an_unknown_directory_column(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    response = hana.post("/hr/launch", data={"workflow": "annual-review", "cycle": "X",
                                             "attributes": "locaton=Berlin", "preview": "1"})
    assert response.status_code == 422
    assert "no directory field &#39;locaton&#39;" in response.get_data(as_text=True)


def test_one_yaml_typo_does_not_take_the_start_page_down(tmp_path):
    import shutil

    from tests.web.conftest import HERE

    lib = tmp_path / "lib"
    shutil.copytree(HERE / "library", lib)
    app = make_app(tmp_path / "t.sqlite3",
                   LIBRARY_PATHS=[str(lib / "workflows"), str(lib / "forms")])
    from engine.directory import import_csv

    with app.app_context():
        import_csv(ORG)
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    assert sam.get("/start/").status_code == 200
    path = lib / "workflows" / "pip.yaml"
    path.write_text(path.read_text().replace("states:", "states:\n  oops: [", 1))
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    hana.post("/hr/library/reload")
    assert sam.get("/start/").status_code == 200  # the last good library still serves
    html = hana.get("/hr/library/").get_data(as_text=True)
    assert 'data-testid="library-problems"' in html and "pip.yaml:" in html
    assert hana.get("/hr/launch").status_code == 503


def test_a_library_broken_when_the_server_starts_still_serves_its_sound_part(tmp_path):
    """Nothing loaded before to fall back on: every file without a problem serves (and
    what depends on a broken file is left out too); HR sees the problems."""
    import shutil

    from tests.web.conftest import HERE

    lib = tmp_path / "lib"
    shutil.copytree(HERE / "library", lib)
    path = lib / "workflows" / "pip.yaml"
    path.write_text(path.read_text().replace("states:", "states:\n  oops: [", 1))
    app = make_app(tmp_path / "t.sqlite3",
                   LIBRARY_PATHS=[str(lib / "workflows"), str(lib / "forms")])
    from engine.directory import import_csv

    with app.app_context():
        import_csv(ORG)
        from web import library

        served = library.state().library
        assert "pip" not in served.workflows and "feedback-360" in served.workflows
        # the annual review starts a PIP: it depends on the broken file, so it waits too
        assert "annual-review" not in served.workflows
    bob = sign_in(app.test_client(), app, "bob@acme.test")  # Sam's manager
    start = bob.get("/start/")
    assert start.status_code == 200 and "<h1>Start a process</h1>" in start.get_data(
        as_text=True)
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    html = hana.get("/hr/library/").get_data(as_text=True)
    assert 'data-testid="library-problems"' in html and "pip.yaml:" in html
    assert hana.get("/hr/launch").status_code == 503  # launching waits for a sound library


def test_the_library_page_of_a_workflow_names_the_role_of_each_task(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    html = hana.get("/hr/library/workflows/feedback-360").get_data(as_text=True)
    steps = html.split("<h2>Steps</h2>", 1)[1].split("</section>", 1)[0]
    # each task line: "<task> · <role>", e.g. the nomination is the employee's
    assert re.search(r"Choose your reviewers</a> · employee\b", steps), steps[:600]
    assert re.search(r"</a> · peers\b", steps)


def test_checking_the_library_says_so_in_the_reader_language(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    page = hana.post("/hr/library/check", follow_redirects=True).get_data(as_text=True)
    assert "All definitions are valid." in page
    danish = hana.post("/hr/library/check", headers={"Accept-Language": "da"},
                       follow_redirects=True)
    assert "Alle definitioner er gyldige." in danish.get_data(as_text=True)
