"""The shipped balanced-scorecard and MBO reviews, and an OKR quarter that starts from the
previous quarter, through the `reviewflow` command line: computed values and scores are
worked out and stored, a wrong weight sum is refused with its field message (nothing
stored), and the forms start from earlier answers (``prefill``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from engine import store
from tests.library.conftest import ORG_CSV
from web.cli import main


def later(weeks: int) -> str:
    """``weeks`` from now, for ``tick --now`` (the other commands act at the real time)."""
    return (datetime.now(UTC) + timedelta(weeks=weeks)).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture
def cli(db, tmp_path, project_root):
    store.close()  # each command connects by itself, as a real invocation does
    runner = CliRunner()
    base = ["--db", db, "--library", str(project_root / "workflows"),
            "--library", str(project_root / "forms")]

    def run(*args, data=None, ok=True):
        result = runner.invoke(main, [*base, *args],
                               input=json.dumps(data) if data is not None else None)
        if ok:
            assert result.exit_code == 0, (result.output, result.stderr)
        return result

    people = tmp_path / "people.csv"
    people.write_text(ORG_CSV)
    run("db", "init")
    run("people", "import", str(people))
    yield run
    store.connect(db)


def out(result):
    return json.loads(result.stdout)


def task(run, email: str, form: str) -> dict:
    found = [t for t in out(run("tasks", "--assignee", email, "--open", "--json"))
             if t["form_id"] == form]
    assert len(found) == 1, found
    return found[0]


def submit(run, email, form, data, *extra, ok=True):
    return run("submit", str(task(run, email, form)["id"]), "--as", email, "--data", "-",
               "--json", *extra, data=data, ok=ok)


def stored(db_url, form: str, index: int = -1) -> dict:
    """A submission's data as stored (read with the engine, outside the CLI)."""
    store.connect(db_url)
    try:
        rows = list(store.Submission.select().where(store.Submission.form_id == form)
                    .order_by(store.Submission.id))
        return rows[index].data
    finally:
        store.close()


def draft(db_url, form: str) -> dict | None:
    store.connect(db_url)
    try:
        row = (store.Task.select().where((store.Task.form_id == form)
                                         & (store.Task.status == "open")).get())
        return row.draft
    finally:
        store.close()


KPIS = [
    {"perspective": "financial", "kpi": "Revenue (kEUR)", "target": 1200, "weight": 40},
    {"perspective": "customer", "kpi": "NPS", "target": 40, "weight": 20},
    {"perspective": "process", "kpi": "Deals closed on time (%)", "target": 90, "weight": 20},
    {"perspective": "learning", "kpi": "Certifications", "target": 2, "weight": 20},
]
ACTUALS = [1320, 30, 90, 3]


def test_balanced_scorecard_year_with_computed_results_and_a_blocking_final_score(cli, db):
    run = cli
    launched = out(run("launch", "balanced-scorecard", "--cycle", "BSC 2026", "--where",
                       "email=eve@acme.test", "--json"))
    assert launched["created"] == 1
    wrong = [dict(k, weight=30) if k["kpi"] == "NPS" else k for k in KPIS]  # 110
    wrong[3] = dict(wrong[3], target=0)
    refused = submit(run, "eve@acme.test", "bsc-plan", {"kpis": wrong}, ok=False)
    assert refused.exit_code == 1
    assert "kpis: The weights add up to 110; they must add up to 100." in refused.stderr
    assert "kpis[3].target: A target must be above zero." in refused.stderr
    assert task(run, "eve@acme.test", "bsc-plan")["status"] == "open"
    submit(run, "eve@acme.test", "bsc-plan", {"kpis": KPIS})
    assert stored(db, "bsc-plan")["weight_total"] == 100
    iid = launched_instance(run)
    submit(run, "mia@acme.test", "mbo-approval", {"comments": "Agreed."}, "--trigger",
           "approve")
    run("tick", "--now", later(49))  # 48 weeks on
    start = draft(db, "bsc-self-assessment")
    assert [r["kpi"] for r in start["kpis"]] == [k["kpi"] for k in KPIS]  # prefilled
    rows = [dict(k, actual=a) for k, a in zip(start["kpis"], ACTUALS, strict=True)]
    submit(run, "eve@acme.test", "bsc-self-assessment",
           {"kpis": rows, "rating": 4, "comments": "A strong year."})
    own = stored(db, "bsc-self-assessment")
    assert [r["achievement"] for r in own["kpis"]] == [110, 75, 100, 120]  # 150 % capped
    assert own["kpi_result"] == 44 + 15 + 20 + 24 and own["self_score"] == 80
    shown = out(run("show", str(iid), "--json"))
    assert shown["state"] == "assessment"
    assert shown["scores"]["final"]["value"] is None  # missing: block, two parts to come
    start = draft(db, "bsc-assessment")
    corrected = [dict(r, actual=1200) if r["kpi"].startswith("Revenue") else r
                 for r in start["kpis"]]
    submit(run, "mia@acme.test", "bsc-assessment",
           {"kpis": corrected, "rating": 3, "summary": "Met the plan."})
    manager = stored(db, "bsc-assessment")
    assert manager["goal_achievement"] == 40 + 15 + 20 + 24 and manager["manager_score"] == 60
    final = out(run("show", str(iid), "--json"))["scores"]["final"]
    assert final["value"] == (80 * 10 + 60 * 40 + 99 * 50) / 100 == 81.5
    text = run("show", str(iid)).stdout
    assert "final: 81.5 (missing parts: block; Self score 80 x 10" in text
    assert out(run("fire", str(iid), "sign_off", "--as", "hana@acme.test",
                   "--json"))["status"] == "finished"


def launched_instance(run) -> int:
    return task(run, "mia@acme.test", "mbo-approval")["instance_id"]


OBJECTIVES = {"year": 2026, "objectives": [
    {"perspective": "financial", "objective": "Grow revenue", "measure": "bookings",
     "target": "1.2M", "weight": 50},
    {"perspective": "customer", "objective": "Keep customers", "measure": "churn",
     "target": "below 2%", "weight": 30},
    {"perspective": "learning", "objective": "Certify", "measure": "certificate",
     "target": "passed", "weight": 10}]}


def test_mbo_review_refuses_weights_short_of_100_and_works_out_the_scores(cli, db):
    run = cli
    run("launch", "objectives-review", "--cycle", "MBO 2026", "--where",
        "email=eve@acme.test")
    refused = submit(run, "eve@acme.test", "mbo-objectives", OBJECTIVES, ok=False)
    assert "objectives: The weights add up to 90; they must add up to 100." in refused.stderr
    fixed = json.loads(json.dumps(OBJECTIVES))
    fixed["objectives"][2]["weight"] = 20
    submit(run, "eve@acme.test", "mbo-objectives", fixed)
    iid = launched_instance(run)
    submit(run, "mia@acme.test", "mbo-approval", {"comments": "Agreed."}, "--trigger",
           "approve")
    run("tick", "--now", later(27))
    submit(run, "mia@acme.test", "mbo-midyear",
           {"on_track": "on_track", "progress": "Bookings at 55% of target by June."})
    run("tick", "--now", later(23))
    rows = draft(db, "mbo-self-assessment")["results"]
    assert [r["objective"] for r in rows] == ["Grow revenue", "Keep customers", "Certify"]
    mine = [{"objective": r["objective"], "result": "done", "achievement": a}
            for r, a in zip(rows, [110, 100, 90], strict=True)]
    submit(run, "eve@acme.test", "mbo-self-assessment", {"results": mine})
    assert stored(db, "mbo-self-assessment")["self_score"] == 100
    rows = draft(db, "mbo-assessment")["results"]
    assert [(r["objective"], r["weight"]) for r in rows] == [
        ("Grow revenue", 50), ("Keep customers", 30), ("Certify", 20)]
    assessed = [dict(r, achievement=a) for r, a in zip(rows, [120, 100, 50], strict=True)]
    submit(run, "mia@acme.test", "mbo-assessment",
           {"results": assessed, "overall_score": 150,  # a forged score, worked out again
            "summary": "Targets met, revenue well beaten."})
    data = stored(db, "mbo-assessment")
    assert data["overall_score"] == 60 + 30 + 10 == 100
    assert [r["weighted"] for r in data["results"]] == [60, 30, 10]
    final = out(run("show", str(iid), "--json"))["scores"]["final"]
    assert final["value"] == (100 * 20 + 100 * 80) / 100


PLAN = {"quarter": "2026-Q1", "objectives": [
    {"objective": "Launch the partner portal", "key_results": [
        {"description": "Partners live", "metric": "count", "target": 10, "confidence": 0.6},
        {"description": "Tickets per partner", "metric": "tickets", "target": 2,
         "confidence": 0.5}]},
    {"objective": "Cut onboarding time", "key_results": [
        {"description": "Days to first deal", "metric": "days", "target": 30,
         "confidence": 0.7},
        {"description": "Onboarding NPS", "metric": "nps", "target": 50, "confidence": 0.7}]}]}


def test_an_okr_quarter_starts_from_the_previous_quarters_unfinished_objectives(cli, db):
    run = cli
    run("launch", "quarterly-goals", "--cycle", "Q1 2026", "--where", "email=eve@acme.test")
    assert draft(db, "okr-plan") is None  # no earlier quarter: an empty plan
    submit(run, "eve@acme.test", "okr-plan", PLAN)
    submit(run, "mia@acme.test", "okr-approval", {"comments": "Go."}, "--trigger", "approve")
    run("tick", "--now", later(6))
    submit(run, "eve@acme.test", "okr-checkin",
           {"key_results": [{"key_result": "Partners live", "current": 4, "confidence": 0.5}],
            "overall": "The portal is late; onboarding is ahead."})
    submit(run, "mia@acme.test", "okr-checkin-feedback",
           {"comments": "Good update; focus on the portal."}, "--trigger", "keep_okrs")
    run("tick", "--now", later(6))
    ticks = draft(db, "okr-self-score")["objectives"]
    assert [o["objective"] for o in ticks] == ["Launch the partner portal",
                                               "Cut onboarding time"]
    submit(run, "eve@acme.test", "okr-self-score", {
        "key_results": [{"key_result": "Partners live", "final_value": 4, "score": 0.4}],
        "overall_score": 0.5, "learnings": "Start integrations earlier in the quarter.",
        "objectives": [{"objective": "Launch the partner portal", "finished": False},
                       {"objective": "Cut onboarding time", "finished": True}]})
    submit(run, "mia@acme.test", "okr-final-score",
           {"final_score": 0.5, "comments": "The portal carries over to Q2."})
    run("launch", "quarterly-goals", "--cycle", "Q2 2026", "--where", "email=eve@acme.test")
    carried = draft(db, "okr-plan")["objectives"]
    assert carried == [PLAN["objectives"][0]]  # the unfinished one, with its key results
    submit(run, "eve@acme.test", "okr-plan", {"quarter": "2026-Q2", "objectives": carried})
    submit(run, "mia@acme.test", "okr-approval", {"comments": "Go."}, "--trigger", "approve")
    # adjusted once: at the check-in Eve proposes a higher target, Mia approves the change
    run("tick", "--now", later(6))
    proposal = draft(db, "okr-checkin")["objectives"]
    assert proposal == carried  # the approved OKRs, to change
    proposal[0]["key_results"][0]["target"] = 15
    submit(run, "eve@acme.test", "okr-checkin", {
        "key_results": [{"key_result": "Partners live", "current": 9, "confidence": 0.7}],
        "overall": "Partners sign up faster than planned.", "objectives": proposal})
    submit(run, "mia@acme.test", "okr-checkin-feedback",
           {"comments": "Good: aim for 15 partners."}, "--trigger", "approve_changes")
    plan = stored(db, "okr-plan")  # the newest row: the plan's new revision
    assert plan["quarter"] == "2026-Q2"
    assert plan["objectives"][0]["key_results"][0]["target"] == 15
    run("tick", "--now", later(12))
    scoring = draft(db, "okr-self-score")["objectives"]  # scoring uses the revised plan
    assert scoring == plan["objectives"]
    q2 = task(run, "eve@acme.test", "okr-self-score")["instance_id"]
    shown = out(run("show", str(q2), "--json"))
    revised = [e for e in shown["history"] if e["kind"] == "revised"]
    assert len(revised) == 1 and revised[0]["detail"]["fields"] == ["objectives"]
