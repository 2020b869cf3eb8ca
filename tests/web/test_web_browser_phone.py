"""Real Chromium at a phone's width (390 px): no page is wider than the screen (wide
tables scroll inside their card), and the instance diagram scrolls to the current step.

Screenshots go to ``test-artifacts/screenshots`` (``phone-*.png``).
"""

from __future__ import annotations

import os

import pytest

from engine import commands
from engine.directory import import_csv
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, PASSWORD, ROOT, make_app
from tests.web.weblive import CHROMIUM, LiveServer, chromium, signed_in
from web import accounts

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium")]

SHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def phone_site(tmp_path_factory):
    """A 360 in its debrief, a running PIP and a launched cycle, served with CSRF on."""
    tmp = tmp_path_factory.mktemp("phone")
    app = make_app(tmp / "phone.sqlite3", WTF_CSRF_ENABLED=True, TESTING=False)
    with app.app_context():
        import_csv(ORG)
        for person in ("sam", "bob", "hana"):
            accounts.set_password(f"{person}@acme.test", PASSWORD)
        feedback = scenario.to_debrief(app)
        pip = scenario.pip_active(app, "pat@acme.test")
        commands.launch(scenario.library(app), "annual-review", "Annual review 2026",
                        [("department", "Sales")], "hana@acme.test")
        debrief = scenario.open_task(feedback, "bob@acme.test").id
    server = LiveServer(app).start()
    yield {"url": server.url, "feedback": feedback, "pip": pip, "debrief": debrief}
    server.stop()


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        yield launched


def _phone(browser, url: str, email: str):
    return signed_in(browser, url, email, PASSWORD, **PHONE)


def _too_wide(page, paths, url, prefix) -> dict:
    wide = {}
    for path in paths:
        response = page.goto(url + path)
        assert response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        name = prefix + (path.strip("/").replace("/", "-") or "inbox")
        page.screenshot(path=str(SHOTS / f"phone-{name}.png"), full_page=True)
        if width > PHONE["width"]:
            wide[path] = width
    return wide


def test_no_page_is_wider_than_a_phone(browser, phone_site):
    url = phone_site["url"]
    context, page = _phone(browser, url, "hana@acme.test")
    hr_pages = ["/", f"/instances/{phone_site['feedback']}", f"/instances/{phone_site['pip']}",
                "/hr/cycles", "/hr/cycles/1", "/hr/launch", "/hr/people/", "/hr/pips/",
                "/hr/library/", "/hr/library/workflows/annual-review",
                "/hr/library/forms/manager-review", f"/tasks/{phone_site['debrief']}"]
    assert _too_wide(page, hr_pages, url, "hr-") == {}
    context.close()
    context, page = _phone(browser, url, "bob@acme.test")
    manager_pages = ["/", "/team/", f"/tasks/{phone_site['debrief']}",
                     f"/instances/{phone_site['feedback']}"]
    assert _too_wide(page, manager_pages, url, "manager-") == {}
    context.close()


def test_the_diagram_scrolls_to_the_current_step_on_a_phone(browser, phone_site):
    url = phone_site["url"]
    context, page = _phone(browser, url, "bob@acme.test")
    page.goto(f"{url}/instances/{phone_site['pip']}")
    box = page.locator(".diagram")
    current = box.get_attribute("data-current")
    node = page.locator(f".diagram g.node:has(title:text-is('{current}'))")
    assert node.count() == 1
    outer, inner = box.bounding_box(), node.bounding_box()
    assert outer["width"] <= PHONE["width"]
    # the current step is inside the visible part of the scrolling box
    assert outer["x"] - 1 <= inner["x"] + inner["width"] / 2 <= outer["x"] + outer["width"] + 1
    assert outer["y"] - 1 <= inner["y"] + inner["height"] / 2 <= outer["y"] + outer["height"] + 1
    context.close()
