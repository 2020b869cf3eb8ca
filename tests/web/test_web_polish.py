"""Small things people notice: the other members of an HR pool read "not needed" once one of
them answered (not "cancelled"), and on a phone the task page's "For your reference" comes
before the form, while a wide screen keeps it in the side column.

The pool tests run in-process on SQLite; the layout test needs real Chromium (``-m browser``).
"""

from __future__ import annotations

import os
import re

import pytest

from engine import commands
from engine.directory import import_csv
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, PASSWORD, make_app
from tests.web.weblive import CHROMIUM, LiveServer, chromium
from web import accounts

# A second HR partner, so the PIP's "HR checks the plan" (assignee: hr, quorum: 1) goes to a
# pool of two.
TWO_HR = ORG + "harry@acme.test,Harry Human,carla@acme.test,People,HR Partner,hr\n"


@pytest.fixture
def pool_app(app):
    with app.app_context():
        import_csv(TWO_HR)
    return app


def _to_hr_approval(app, subject: str) -> int:
    """A PIP for ``subject`` whose plan Bob drafted: both HR partners hold a review task."""
    iid = commands.start(scenario.library(app), "pip", subject, "hana@acme.test").instance_id
    commands.submit(scenario.open_task(iid, "bob@acme.test").id, "bob@acme.test",
                    scenario.PIP_PLAN)
    return iid


def _task_row(html: str, name: str, step: str) -> str:
    """The instance page's task row held by ``name`` in the step titled ``step``."""
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S)
    found = [r for r in rows if name in r and f"<td>{step}</td>" in r]
    assert len(found) == 1, (name, step, found)
    return found[0]


def _outcome(row: str) -> str:
    """The status pill of a task row (its last cell)."""
    return re.findall(r'<span class="pill[^"]*"[^>]*>([^<]*)</span>', row)[-1]


def test_the_rest_of_an_hr_pool_is_not_needed_once_one_answers(pool_app, as_user):
    with pool_app.app_context():
        iid = _to_hr_approval(pool_app, "sam@acme.test")
        harry_task = scenario.open_task(iid, "harry@acme.test").id
        commands.submit(scenario.open_task(iid, "hana@acme.test").id, "hana@acme.test", {},
                        trigger="approve")
    html = as_user("hana@acme.test").get(f"/instances/{iid}").get_data(as_text=True)
    assert _outcome(_task_row(html, "Harry Human", "HR checks the plan")) == "not needed"
    assert _outcome(_task_row(html, "Hana Human", "HR checks the plan")) == "submitted"
    assert 'data-testid="not-needed-note"' in html
    page = as_user("harry@acme.test").get(f"/tasks/{harry_task}").get_data(as_text=True)
    assert re.search(r'data-testid="task-status">not needed<', page)
    assert "This task is no longer needed" in page and "was cancelled" not in page


def test_a_pool_withdrawn_before_anyone_answered_stays_cancelled(pool_app, as_user):
    with pool_app.app_context():
        iid = _to_hr_approval(pool_app, "pat@acme.test")
        harry_task = scenario.open_task(iid, "harry@acme.test").id
        commands.cancel(iid, "hana@acme.test", "Pat moved to another team")
    html = as_user("hana@acme.test").get(f"/instances/{iid}").get_data(as_text=True)
    for name in ("Harry Human", "Hana Human"):
        assert _outcome(_task_row(html, name, "HR checks the plan")) == "cancelled"
    assert "not needed" not in html.lower()
    page = as_user("harry@acme.test").get(f"/tasks/{harry_task}").get_data(as_text=True)
    assert re.search(r'data-testid="task-status">cancelled<', page)
    assert "This task was cancelled" in page


def test_tasks_every_one_of_which_was_needed_stay_cancelled(app, as_user):
    """A line without a quorum (the manager's draft) is never "not needed", even with
    other tasks of the process submitted."""
    with app.app_context():
        iid = scenario.pip_active(app)
        commands.cancel(iid, "hana@acme.test", "Left the company")
    html = as_user("hana@acme.test").get(f"/instances/{iid}").get_data(as_text=True)
    outcomes = [_outcome(r) for r in re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S)
                if "<td>" in r]
    assert "cancelled" in outcomes and "submitted" in outcomes
    assert "not needed" not in outcomes


# --------------------------------------------------------------------------- the layout

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def debrief_site(tmp_path_factory):
    """Bob's 360 debrief (it shows Sam's self-assessment and the peers' combined answers)."""
    tmp = tmp_path_factory.mktemp("polish")
    app = make_app(tmp / "polish.sqlite3", WTF_CSRF_ENABLED=True, TESTING=False)
    with app.app_context():
        import_csv(ORG)
        accounts.set_password("bob@acme.test", PASSWORD)
        feedback = scenario.to_debrief(app)
        debrief = scenario.open_task(feedback, "bob@acme.test").id
    server = LiveServer(app).start()
    yield {"url": server.url, "debrief": debrief}
    server.stop()


def _boxes(browser, site, viewport) -> tuple[dict, dict]:
    """Bounding boxes of the task page's reference card and its form, seen at ``viewport``."""
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        url = site["url"]
        page.goto(f"{url}/login")
        page.fill("#email", "bob@acme.test")
        page.fill("#password", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_url(f"{url}/")
        page.goto(f"{url}/tasks/{site['debrief']}")
        reference = page.locator("section:has(> #shown-h)")
        assert reference.count() == 1
        assert "For your reference" in reference.inner_text()
        return reference.bounding_box(), page.locator("section.task-form").bounding_box()
    finally:
        context.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium")
def test_reference_comes_before_the_form_on_a_phone_and_beside_it_on_a_wide_screen(
        browser, debrief_site):
    reference, form = _boxes(browser, debrief_site, PHONE)
    assert reference["y"] + reference["height"] <= form["y"] + 1  # read first, then answer
    assert reference["width"] <= PHONE["width"]
    reference, form = _boxes(browser, debrief_site, DESKTOP)
    assert reference["x"] >= form["x"] + form["width"]  # the side column
    assert abs(reference["y"] - form["y"]) < 40  # both at the top of their columns
