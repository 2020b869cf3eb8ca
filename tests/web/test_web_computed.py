"""Computed values on the task page: read-only, worked out on the server as the person
types (a JSON answer the page's script shows), recomputed on submit; a form rule refuses
a submission with its message at the field, in the reader's language."""

from __future__ import annotations

import json
import os
import re

import pytest

from engine.store import Submission, Task
from tests.runtime.test_computed import GOALS
from tests.web.conftest import PASSWORD, one_off_app, sign_in
from tests.web.weblive import CHROMIUM, LiveServer, chromium, signed_in
from web import accounts

FLOW = """workflow: goals
version: 1
title: Goals
roles:
  employee: subject
  manager: subject.manager
initial: assess
states:
  assess:
    tasks:
      - form: goals
        assignee: manager
  done:
    final: true
transitions:
  - trigger: done
    source: assess
    dest: done
    auto: true
"""


def _goals(tmp_path):
    return one_off_app(tmp_path, {"workflows/goals.yaml": FLOW,
                                  "forms/goals.json": json.dumps(GOALS)}, "goals")


def typed(*rows):
    out = {"__rows__:objectives": str(len(rows))}
    for i, (weight, target, actual) in enumerate(rows):
        out.update({f"objectives[{i}].goal": f"goal {i}", f"objectives[{i}].weight": weight,
                    f"objectives[{i}].target": target, f"objectives[{i}].actual": actual})
    return out


def test_computed_fields_are_read_only_and_follow_the_typing(tmp_path):
    app, _iid, task = _goals(tmp_path)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    html = bob.get(f"/tasks/{task}").get_data(as_text=True)
    assert f'data-computed="/tasks/{task}/computed"' in html
    assert re.search(r'<input id="rf-score" name="score" readonly [^>]*type="number"', html)
    answer = bob.post(f"/tasks/{task}/computed", data=typed(("60", "10", "9"),
                                                            ("40", "4", "")))
    assert answer.status_code == 200
    assert answer.get_json() == {"objectives[0].achievement": 90,
                                 "objectives[1].achievement": "",
                                 "objectives[0].weighted": 54, "objectives[1].weighted": "",
                                 "weight_total": 100, "score": ""}
    with app.app_context():
        assert Submission.select().count() == 0
    uma = sign_in(app.test_client(), app, "uma@acme.test")
    assert uma.post(f"/tasks/{task}/computed", data=typed(("1", "1", "1"))).status_code == 403


def test_a_wrong_weight_sum_is_refused_at_its_field_and_a_forged_score_is_recomputed(tmp_path):
    app, _iid, task = _goals(tmp_path)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    refused = bob.post(f"/tasks/{task}", data={**typed(("50", "10", "9"), ("40", "0", "1")),
                                               "_submit": "1"},
                       headers={"Accept-Language": "da"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Vægtene giver 90; de skal give 100." in html
    assert "En målværdi skal være over nul." in html
    with app.app_context():
        assert Task.get_by_id(task).status == "open" and Submission.select().count() == 0
    done = bob.post(f"/tasks/{task}", data={**typed(("60", "10", "9"), ("40", "4", "6")),
                                            "score": "1000", "_submit": "1"})
    assert done.status_code == 303
    with app.app_context():
        data = Submission.get().data
    assert data["score"] == 102 and data["weight_total"] == 100
    page = bob.get(f"/tasks/{task}").get_data(as_text=True)
    assert "102" in page


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium")
def test_in_a_real_browser_the_score_follows_the_typing_with_csrf_on(tmp_path):
    from playwright.sync_api import expect

    app, _iid, task = one_off_app(tmp_path, {"workflows/goals.yaml": FLOW,
                                             "forms/goals.json": json.dumps(GOALS)}, "goals")
    app.config.update(WTF_CSRF_ENABLED=True, TESTING=False)
    with app.app_context():
        accounts.set_password("bob@acme.test", PASSWORD)
    server = LiveServer(app).start()
    try:
        with chromium() as browser:
            _context, page = signed_in(browser, server.url, "bob@acme.test", PASSWORD)
            page.goto(f"{server.url}/tasks/{task}")
            page.click('button[name="__add__:objectives"]')
            page.fill('input[name="objectives[0].goal"]', "Grow")
            page.fill('input[name="objectives[0].weight"]', "100")
            page.fill('input[name="objectives[0].target"]', "8")
            page.fill('input[name="objectives[0].actual"]', "6")
            expect(page.locator('input[name="score"]')).to_have_value("75")
            assert page.locator('input[name="objectives[0].achievement"]').input_value() == "75"
    finally:
        server.stop()
