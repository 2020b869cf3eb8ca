"""Scores across forms on the instance page and in the export: HR and the score's
``readers`` see them (with how a missing part is handled); others do not."""

from __future__ import annotations

from engine import commands, exports
from engine.store import Instance
from tests.runtime.test_scores import FLOW, SCORE_FORM
from tests.web import webscenario as scenario
from tests.web.conftest import one_off_app, sign_in


def _rated(tmp_path):
    files = {"workflows/rated.yaml": FLOW.format(missing="reweight")}
    for name in ("self-score", "manager-score", "goal-score"):
        files[f"forms/{name}.json"] = SCORE_FORM
    return one_off_app(tmp_path, files, "rated")


def test_the_manager_and_hr_see_the_score_and_its_parts_the_employee_not_yet(tmp_path):
    app, iid, task = _rated(tmp_path)
    with app.app_context():
        commands.submit(task, "bob@acme.test", {"score": 70})
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    page = bob.get(f"/instances/{iid}").get_data(as_text=True)
    assert 'data-testid="scores"' in page and "Final score" in page
    assert '<strong data-testid="score-final">70</strong>' in page
    assert "Self: missing" in page and "skipped" in page
    assert "A missing part is skipped; the other weights count in proportion." in page
    danish = bob.get(f"/instances/{iid}", headers={"Accept-Language": "da"}).get_data(
        as_text=True)
    assert "Scorer" in danish and "vægt 50" in danish
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    assert 'data-testid="scores"' not in sam.get(f"/instances/{iid}").get_data(as_text=True)
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    assert 'data-testid="score-final"' in hana.get(f"/instances/{iid}").get_data(as_text=True)


def test_the_export_has_a_scores_row_for_those_who_may_read_it(tmp_path):
    app, iid, task = _rated(tmp_path)
    with app.app_context():
        commands.submit(task, "bob@acme.test", {"score": 70})
        commands.submit(scenario.open_task(iid, "sam@acme.test").id, "sam@acme.test",
                        {"score": 90})
        commands.launch(scenario.library(app), "rated", "2026",
                        where=[("email", "pat@acme.test")])
        pats = max(i.id for i in Instance.select())
        commands.submit(scenario.open_task(pats, "bob@acme.test").id, "bob@acme.test",
                        {"score": 80})
        mine = exports.cycle_export("2026", "bob@acme.test")
        others = exports.cycle_export("2026", "pat@acme.test")
    rows = [r for r in mine.rows if r["form"] == "scores"]
    assert len(rows) == 1 and rows[0]["subject_email"] == "pat@acme.test"
    assert rows[0]["scores.final"] == 80 and rows[0]["scores.final.parts[2]"] == 80
    assert rows[0]["scores.final.parts[1]"] is None
    assert not [r for r in others.rows if r["form"] == "scores"]  # after closed only
