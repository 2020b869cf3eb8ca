"""The running OKR quarter's page offers its subject "Propose a change to these goals"
(the shipped goal-change, ``started_by: [employee]``, ``parent: quarterly-goals``), with a
CSRF token; nobody else sees it; the manager's approval shows on both pages' histories.
On SQLite and PostgreSQL, with the shipped library."""

from __future__ import annotations

import copy
import re

import pytest

from tests.library.test_scored_reviews import PLAN
from tests.web.conftest import ORG, SHIPPED, make_app, sign_in

SAM, BOB, HANA = "sam@acme.test", "bob@acme.test", "hana@acme.test"


def _app(db, tmp_path, **config):
    from engine.directory import import_csv

    app = make_app(tmp_path / "unused.sqlite3", DATABASE_URL=db, LIBRARY_PATHS=SHIPPED,
                   **config)
    with app.app_context():
        from web.database import open_connection

        open_connection()
        import_csv(ORG)
    return app


def _quarter(app, approved: bool = True) -> int:
    """Sam's quarter, the plan submitted (and approved by Bob)."""
    from engine import commands
    from tests.web import webscenario as scenario

    with app.app_context():
        lib = scenario.library(app)
        commands.launch(lib, "quarterly-goals", "Q1", where=[("email", SAM)])
        from engine.store import Instance

        iid = Instance.get(Instance.workflow_id == "quarterly-goals").id
        commands.submit(scenario.open_task(iid, SAM).id, SAM, PLAN)
        if approved:
            commands.submit(scenario.open_task(iid, BOB).id, BOB, {"comments": "Go."},
                            trigger="approve")
    return iid


@pytest.fixture
def app(db, tmp_path):
    return _app(db, tmp_path)


def _html(client, url: str, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_only_the_subject_sees_the_button_once_the_goals_are_approved(app):
    iid = _quarter(app, approved=False)
    sam = sign_in(app.test_client(), app, SAM)
    assert 'data-testid="start-goal-change"' not in _html(sam, f"/instances/{iid}")
    with app.app_context():
        from engine import commands
        from tests.web import webscenario as scenario

        commands.submit(scenario.open_task(iid, BOB).id, BOB, {"comments": "Go."},
                        trigger="approve")
    page = _html(sam, f"/instances/{iid}")
    assert 'data-testid="start-goal-change"' in page
    assert "Propose a change to these goals" in page
    assert f'name="parent" value="{iid}"' in page
    danish = _html(sam, f"/instances/{iid}", **{"Accept-Language": "da"})
    assert "Foreslå en ændring af disse mål" in danish
    for other in (BOB, HANA):  # they read the page, but the change is Sam's to propose
        page = _html(sign_in(app.test_client(), app, other), f"/instances/{iid}")
        assert 'data-testid="start-goal-change"' not in page, other
    assert "goal-change" not in _html(sam, "/start/")  # offered on the quarter, not there


def test_proposing_approving_and_both_histories(app):
    iid = _quarter(app)
    sam = sign_in(app.test_client(), app, SAM)
    response = sam.post("/start/", data={"workflow": "goal-change", "subject": _sam_id(app),
                                         "parent": str(iid)})
    assert response.status_code == 303
    task = int(re.search(r"/tasks/(\d+)$", response.headers["Location"]).group(1))
    with app.app_context():
        from engine import commands
        from engine.store import Instance, Task

        change = Task.get_by_id(task).instance_id
        assert Instance.get_by_id(change).parent_id == iid
        assert Task.get_by_id(task).draft["objectives"] == PLAN["objectives"]
        objectives = copy.deepcopy(PLAN["objectives"])
        objectives[0]["objective"] = "Ship the direct channel"
        commands.submit(task, SAM, {"reason": "The project was cancelled.",
                                    "objectives": objectives})
    _edit_proposal(app, change, "Ship")  # under the plan's 5 characters
    bob = sign_in(app.test_client(), app, BOB)
    refused = bob.post(f"/instances/{change}/fire/approve_change")
    assert refused.status_code == 303
    page = _html(bob, f"/instances/{change}")
    assert "the change does not fit the answer it changes" in page
    assert "objectives[0].objective: Must be at least 5 characters." in page
    assert "Nothing was changed." in page
    with app.app_context():
        assert Instance.get_by_id(change).state == "decide"
    _edit_proposal(app, change, "Ship the direct channel")
    done = bob.post(f"/instances/{change}/fire/approve_change")
    assert done.status_code == 303
    quarter_page = _html(sam, f"/instances/{iid}")
    assert "approved the proposed change: “Objectives and key results for the quarter” now " \
           "has it." in quarter_page
    assert f"“Change of OKRs” (process #{change}) ended: Change approved." in quarter_page
    assert 'data-testid="start-goal-change"' in quarter_page  # another change may follow
    change_page = _html(sam, f"/instances/{change}")
    assert f"approved the change: it is now “Objectives and key results for the quarter” " \
           f"of process #{iid}." in change_page


def _sam_id(app) -> str:
    with app.app_context():
        from web.people import person_by_email

        return str(person_by_email(SAM).id)


def _edit_proposal(app, change: int, objective: str) -> None:
    """Set the first objective of the stored proposal: a proposal the plan's form no longer
    accepts (as if the form had changed since), and back. The shipped forms agree, so
    no submission can make one."""
    with app.app_context():
        from engine.store import Submission

        row = Submission.get((Submission.instance == change)
                             & (Submission.form_id == "goal-change"))
        data = copy.deepcopy(row.data)
        data["objectives"][0]["objective"] = objective
        Submission.update(data=data).where(Submission.id == row.id).execute()


def test_the_button_carries_a_csrf_token_and_a_post_without_it_is_refused(db, tmp_path):
    app = _app(db, tmp_path, WTF_CSRF_ENABLED=True)
    iid = _quarter(app)
    sam = sign_in(app.test_client(), app, SAM)
    page = _html(sam, f"/instances/{iid}")
    form = re.search(r'<section class="card" data-testid="propose-goal-change">(.*?)</form>',
                     page, re.S).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    posted = {"workflow": "goal-change", "subject": _sam_id(app), "parent": str(iid)}
    assert sam.post("/start/", data=posted).status_code == 400
    assert sam.post("/start/", data={**posted, "csrf_token": token}).status_code == 303
