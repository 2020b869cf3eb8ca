"""The cycle report page: HR's whole cycle with filters and server-drawn charts (an SVG
with a table beside it), a manager's own people, nothing for others, and a number of
queries that does not grow with the cycle."""

from __future__ import annotations

import re

from engine import commands
from engine.directory import import_csv
from engine.store import Cycle
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, sign_in
from tests.web.test_web_query_counts import counting

SAM, BOB, HANA, UMA = "sam@acme.test", "bob@acme.test", "hana@acme.test", "uma@acme.test"
MORE = "".join(f"e{i}@acme.test,Engineer {i},bob@acme.test,Engineering,Engineer,\n"
               for i in range(50))
#: 30 managers in Engineering, each with one report: more managers than a page shows
TEAMS = "".join(f"m{i:02}@acme.test,Manager {i:02},bob@acme.test,Engineering,Manager,\n"
                f"r{i:02}@acme.test,Report {i:02},m{i:02}@acme.test,Engineering,Engineer,\n"
                for i in range(30))
MANAGER_ROW = re.compile(r'<tr><th scope="row">([^<]+)</th>')


def _launch(app, where) -> int:
    with app.app_context():
        return commands.launch(scenario.library(app), "feedback-360", "360 Eng", where=where,
                               actor=HANA).cycle_id


def _answer_nominations(app, cycle_id: int) -> None:
    with app.app_context():
        for instance in Cycle.get_by_id(cycle_id).instances:
            email = instance.subject.email
            peers = [p for p in [*scenario.PEERS, "uma@acme.test"] if p != email][:3]
            commands.submit(scenario.open_task(instance.id, email).id, email,
                            {"peers": peers})  # nobody names themselves (refused)


def test_hr_sees_the_whole_cycle_with_charts_and_filters(app):
    cycle_id = _launch(app, [("department", "Engineering")])
    _answer_nominations(app, cycle_id)
    hana = sign_in(app.test_client(), app, HANA)
    dashboard = hana.get(f"/hr/cycles/{cycle_id}").get_data(as_text=True)
    assert f'href="/cycles/{cycle_id}/report"' in dashboard
    html = hana.get(f"/cycles/{cycle_id}/report").get_data(as_text=True)
    assert 'data-testid="report-steps"' in html
    assert 'data-step="nominate:peer-nomination"' in html
    assert "100%" in html  # every nomination is in
    assert 'data-testid="report-departments"' in html and "Engineering" in html
    filtered = hana.get(f"/cycles/{cycle_id}/report?manager=carla@acme.test")
    assert filtered.status_code == 200
    # the manager is typed (the directory's search), and the field keeps what was typed
    assert 'name="manager" list="report-managers-list" value="carla@acme.test"' \
        in filtered.get_data(as_text=True)


def test_a_chart_is_an_svg_with_its_table(app):
    iid_cycle = _launch(app, [("email", SAM)])
    with app.app_context():
        (instance,) = Cycle.get_by_id(iid_cycle).instances
        iid = instance.id
        commands.submit(scenario.open_task(iid, SAM).id, SAM, {"peers": scenario.PEERS})
        commands.submit(scenario.open_task(iid, BOB).id, BOB, {"comments": "ok"},
                        trigger="approve")
        scenario.peers_answer(iid)
    hana = sign_in(app.test_client(), app, HANA)
    html = hana.get(f"/cycles/{iid_cycle}/report").get_data(as_text=True)
    assert '<svg class="chart" role="img"' in html
    assert 'data-testid="dist-peer-feedback-' in html
    assert "<th>Answer</th>" in html  # the table beside the chart


def test_a_manager_sees_their_people_and_a_stranger_nothing(app):
    cycle_id = _launch(app, [("department", "Engineering")])
    bob = sign_in(app.test_client(), app, BOB)
    html = bob.get(f"/cycles/{cycle_id}/report").get_data(as_text=True)
    assert "The processes about your direct reports." in html
    uma = sign_in(app.test_client(), app, UMA)
    assert uma.get(f"/cycles/{cycle_id}/report").status_code == 404
    assert uma.get("/cycles/999/report").status_code == 404


def test_the_report_runs_as_many_queries_for_fifty_people_as_for_one(app):
    small = _launch(app, [("email", SAM)])
    with app.app_context():
        import_csv(ORG + MORE)
        big = commands.launch(scenario.library(app), "feedback-360", "360 all",
                              where=[("department", "Engineering")], actor=HANA).cycle_id
    _answer_nominations(app, big)
    hana = sign_in(app.test_client(), app, HANA)
    counts = []
    for cycle_id in (small, big):
        hana.get(f"/cycles/{cycle_id}/report")  # warm the caches
        with counting(app) as seen:
            assert hana.get(f"/cycles/{cycle_id}/report").status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1]
    assert counts[0] <= 40


def _manager_rows(html: str) -> list[str]:
    table = html.split('data-testid="report-managers"', 1)[1].split("</table>", 1)[0]
    return MANAGER_ROW.findall(table)


def test_the_managers_table_is_paged_by_name_and_keeps_the_filters(app):
    with app.app_context():
        import_csv(ORG + TEAMS)
    cycle_id = _launch(app, [("department", "Engineering")])
    hana = sign_in(app.test_client(), app, HANA)
    first = hana.get(f"/cycles/{cycle_id}/report?state=nominate").get_data(as_text=True)
    rows = _manager_rows(first)
    # Carla (Bob's manager), Bob (the managers' and three engineers') and the 30 managers
    assert rows == ["Bob Boss", "Carla Chief"] + [f"Manager {i:02}" for i in range(23)]
    assert "Page 1 of 2 (32 people)." in first
    assert 'rel="prev"' not in first
    (next_link,) = re.findall(r'data-testid="managers-pager">.*?href="([^"]+)"', first, re.S)
    next_link = next_link.replace("&amp;", "&")
    assert "managers_page=2" in next_link and "state=nominate" in next_link
    second = hana.get(next_link).get_data(as_text=True)
    assert _manager_rows(second) == [f"Manager {i:02}" for i in range(23, 30)]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # the counts above the tables still count the whole cycle: 64 engineers' processes
    assert '<div class="value">64</div><div class="label">processes</div>' in second
    # a page past the end shows the last page; one before the first or not a number, the first
    assert _manager_rows(hana.get(f"/cycles/{cycle_id}/report?managers_page=9")
                         .get_data(as_text=True)) == _manager_rows(second)
    for not_a_page in ("x", "-3", "0"):
        assert _manager_rows(hana.get(f"/cycles/{cycle_id}/report?managers_page={not_a_page}")
                             .get_data(as_text=True)) == rows
