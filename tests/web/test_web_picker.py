"""The people picker: a task page offers the people nearest the rater, and a search finds
anyone active in the directory as they type (the page never lists the whole directory)."""

from __future__ import annotations

import json
import re

from engine.directory import import_csv
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, sign_in

# Fay reports to Rita (Sales): nobody near Sam. Ivy left Sam's team.
FAR = ("fay@acme.test,Fay Faraway,rita@acme.test,Sales,Account Executive,\n"
       "ivy@acme.test,Ivy Inactive,bob@acme.test,Engineering,Engineer,\n")


def _sam_nomination(app, extra: str = FAR):
    with app.app_context():
        import_csv(ORG + extra)
        import_csv(ORG + extra.replace("ivy@acme.test,Ivy Inactive,bob@acme.test,Engineering,"
                                       "Engineer,\n", ""), sync=True)
        iid = scenario.start_360(app)
        return scenario.open_task(iid, "sam@acme.test").id


def _offered(html: str) -> set[str]:
    picker = re.search(r'<datalist id="rf-people"[^>]*>(.*?)</datalist>', html, re.S).group(1)
    return set(re.findall(r'<option value="([^"]+)">', picker))


def test_the_task_pages_picker_offers_the_people_nearest_the_rater(app):
    task = _sam_nomination(app)
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    offered = _offered(sam.get(f"/tasks/{task}").get_data(as_text=True))
    # the manager, the team, and the manager's peers (Carla's other reports)
    assert offered == {"bob@acme.test", "pat@acme.test", "quinn@acme.test",
                       "rita@acme.test", "hana@acme.test", "uma@acme.test"}
    # never the rater, nobody who left, nobody far away (Fay is found by the search)
    assert not offered & {"sam@acme.test", "ivy@acme.test", "fay@acme.test"}


def test_the_picker_search_finds_anyone_active_by_name_or_email(app):
    _sam_nomination(app)
    sam = sign_in(app.test_client(), app, "sam@acme.test")

    def found(text: str):
        response = sam.get("/people/picker", query_string={"q": text})
        assert response.status_code == 200
        return json.loads(response.get_data(as_text=True))

    assert found("faraway") == [{"email": "fay@acme.test",
                                 "label": "Fay Faraway (Account Executive, Sales)"}]
    assert [p["email"] for p in found("FAY@ACME")] == ["fay@acme.test"]
    assert found("ivy") == []  # left the company
    assert found("f") == []  # one letter matches everybody: type more
    assert [p["email"] for p in found("peer")] == ["pat@acme.test", "quinn@acme.test",
                                                   "rita@acme.test"]  # by name


def test_the_picker_search_sends_at_most_twenty(app):
    many = "".join(f"z{i:02d}@acme.test,Zed {i:02d},carla@acme.test,Sales,Rep,\n"
                   for i in range(30))
    _sam_nomination(app, many)
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    people = json.loads(sam.get("/people/picker?q=zed").get_data(as_text=True))
    assert [p["email"] for p in people] == [f"z{i:02d}@acme.test" for i in range(20)]


def test_the_picker_search_is_for_signed_in_people_only(app):
    _sam_nomination(app)
    response = app.test_client().get("/people/picker?q=faraway")
    assert response.status_code in (302, 401)
    assert b"fay@acme.test" not in response.get_data()
