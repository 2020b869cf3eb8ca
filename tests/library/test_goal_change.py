"""Goals adjusted during the quarter, through the `reviewflow` command line: a running OKR
quarter, a change the employee proposes mid-quarter from its own process (`goal-change`,
started about themselves), approved by the manager into the plan's new revision, which
the next check-in, the scoring and the export then use; a second proposal, declined,
changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import csv
import io

from tests.library import test_scored_reviews as scored
from tests.library.test_scored_reviews import PLAN, draft, later, out, stored, submit, task

cli = scored.cli  # the fixture: the command line on the test's database, as a user runs it

EVE, MIA, HANA = "eve@acme.test", "mia@acme.test", "hana@acme.test"


def _quarter(run) -> int:
    """Eve's Q1, its OKRs approved: in ``first_half``."""
    run("launch", "quarterly-goals", "--cycle", "Q1 2026", "--where", f"email={EVE}")
    submit(run, EVE, "okr-plan", PLAN)
    quarter = task(run, MIA, "okr-approval")["instance_id"]
    submit(run, MIA, "okr-approval", {"comments": "Go."}, "--trigger", "approve")
    return quarter


def _propose(run, objectives: list, reason: str) -> int:
    started = out(run("start", "goal-change", "--subject", EVE, "--as", EVE, "--json"))
    submit(run, EVE, "goal-change", {"reason": reason, "objectives": objectives})
    return started["instance_id"]


def test_a_change_proposed_mid_quarter_is_approved_and_used_then_one_declined_is_not(
        cli, db, tmp_path):
    run = cli
    refused = run("start", "goal-change", "--subject", EVE, "--as", EVE, ok=False)
    assert refused.exit_code == 1
    assert "eve@acme.test has no running 'quarterly-goals' for 'goal-change' to change" \
        in refused.stderr
    quarter = _quarter(run)
    assert out(run("show", str(quarter), "--json"))["state"] == "first_half"
    # mid-quarter, before any check-in: the partner project is cancelled
    started = out(run("start", "goal-change", "--subject", EVE, "--as", EVE, "--json"))
    assert draft(db, "goal-change")["objectives"] == PLAN["objectives"]  # as approved
    changed = copy.deepcopy(PLAN["objectives"])
    changed[0]["objective"] = "Grow the direct channel"
    changed[0]["key_results"][0]["target"] = 25
    submit(run, EVE, "goal-change", {"reason": "The partner project was cancelled.",
                                     "objectives": changed})
    change = started["instance_id"]
    assert out(run("show", str(change), "--json"))["parent_id"] == quarter
    run("fire", str(change), "approve_change", "--as", MIA)
    shown = out(run("show", str(quarter), "--json"))
    assert shown["state"] == "first_half"  # the quarter went on where it was
    kinds = [e["kind"] for e in shown["history"]]
    assert kinds[-3:] == ["started", "revised", "follow-up-finished"]
    plan = stored(db, "okr-plan")  # the newest row: the plan's new revision
    assert plan == {"quarter": "2026-Q1", "objectives": changed}
    # the next check-in starts from the changed objectives
    run("tick", "--now", later(6))
    assert draft(db, "okr-checkin")["objectives"] == changed
    # a second proposal, declined with a reason, changes nothing
    second = copy.deepcopy(changed)
    second[1]["key_results"][0]["target"] = 5
    declined = _propose(run, second, "Onboarding is too hard this quarter.")
    reason = {"reason": "Keep the onboarding target; we will add help."}
    run("fire", str(declined), "decline_change", "--as", MIA, "--data", "-", data=reason)
    assert out(run("show", str(declined), "--json"))["state"] == "declined"
    assert stored(db, "okr-plan") == plan
    submit(run, EVE, "okr-checkin", {
        "key_results": [{"key_result": "Partners live", "current": 9, "confidence": 0.7}],
        "overall": "The direct channel is picking up.", "objectives": changed})
    submit(run, MIA, "okr-checkin-feedback", {"comments": "Good progress, keep going."},
           "--trigger", "keep_okrs")
    run("tick", "--now", later(12))
    assert draft(db, "okr-self-score")["objectives"] == changed  # scoring uses the revision
    exported = tmp_path / "q1.csv"  # the export reads the current revision too
    run("export", "--cycle", "Q1 2026", "--as", HANA, "-o", str(exported))
    rows = [r for r in csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig")))
            if r["form"] == "okr-plan"]
    assert [r["okr-plan.objectives[1].objective"] for r in rows] == ["Grow the direct channel"]
    assert [r["okr-plan.objectives[1].key_results[1].target"] for r in rows] == ["25"]
