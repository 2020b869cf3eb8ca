"""A cycle's dashboard pages through its processes by key (100 a page, the same cost on
every page), and its overdue list is one bounded query of its own."""

from __future__ import annotations

import re
from datetime import timedelta

from engine import commands
from engine.directory import import_csv
from engine.store import Instance
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, sign_in
from tests.web.test_web_query_counts import counting
from web.helpers import utcnow

HANA = "hana@acme.test"
MANY = "".join(f"p{i:03d}@acme.test,Person {i:03d},bob@acme.test,Support,Agent,\n"
               for i in range(130))


def _rows(html: str) -> list[str]:
    table = html.split('data-testid="cycle-instances"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="/instances/(\d+)"', table)


def test_the_dashboard_pages_through_every_process_once(app):
    with app.app_context():
        import_csv(ORG + MANY)
        cycle_id = commands.launch(scenario.library(app), "feedback-360", "360 Support",
                                   where=[("department", "Support")], actor=HANA).cycle_id
        everyone = {str(i.id) for i in Instance.select().where(Instance.cycle == cycle_id)}
    hana = sign_in(app.test_client(), app, HANA)
    first = hana.get(f"/hr/cycles/{cycle_id}").get_data(as_text=True)
    page_one = _rows(first)
    assert len(page_one) == 100
    after = re.search(r'href="/hr/cycles/\d+\?after=(\d+)" rel="next"', first).group(1)
    assert after == page_one[-1]
    second = hana.get(f"/hr/cycles/{cycle_id}?after={after}").get_data(as_text=True)
    page_two = _rows(second)
    assert len(page_two) == 30 and 'rel="next"' not in second
    assert set(page_one) | set(page_two) == everyone and not set(page_one) & set(page_two)
    assert "First page" in second
    with counting(app) as seen_one:
        hana.get(f"/hr/cycles/{cycle_id}")
    with counting(app) as seen_two:
        hana.get(f"/hr/cycles/{cycle_id}?after={after}")
    assert len(seen_two) <= len(seen_one) + 1  # the key of the page before: one query


def test_the_overdue_list_is_bounded_and_names_the_process(app):
    with app.app_context():
        import_csv(ORG + MANY)
        long_ago = utcnow() - timedelta(days=30)  # every first task is overdue now
        cycle_id = commands.launch(scenario.library(app), "feedback-360", "360 late",
                                   where=[("department", "Support")], actor=HANA,
                                   now=long_ago).cycle_id
    hana = sign_in(app.test_client(), app, HANA)
    html = hana.get(f"/hr/cycles/{cycle_id}").get_data(as_text=True)
    overdue = html.split('data-testid="overdue"', 1)[1].split("</table>", 1)[0]
    assert overdue.count("<tr>") - 1 == 50  # header row aside: the 50 longest overdue
    assert "about Person 0" in overdue


def test_the_overdue_list_is_looked_for_only_when_the_counts_have_some(app):
    """Before any deadline the dashboard's counts say nothing is overdue, and it does not
    read the cycle's open tasks once more to list none; once some are, it lists them."""
    with app.app_context():
        import_csv(ORG)
        on_time = commands.launch(scenario.library(app), "feedback-360", "360 now",
                                  where=[("email", "sam@acme.test")], actor=HANA).cycle_id
        late = commands.launch(scenario.library(app), "feedback-360", "360 late",
                               where=[("email", "pat@acme.test")], actor=HANA,
                               now=utcnow() - timedelta(days=30)).cycle_id
    hana = sign_in(app.test_client(), app, HANA)
    pages = {}
    for cycle_id in (on_time, late):
        hana.get(f"/hr/cycles/{cycle_id}")  # warm the per-version caches
        with counting(app) as seen:
            pages[cycle_id] = hana.get(f"/hr/cycles/{cycle_id}").get_data(as_text=True)
        pages[cycle_id, "statements"] = len(seen)
    assert 'data-testid="overdue"' not in pages[on_time]
    assert "about Pat" in pages[late].split('data-testid="overdue"', 1)[1]
    assert pages[late, "statements"] == pages[on_time, "statements"] + 1
