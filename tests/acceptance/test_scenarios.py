"""Four processes HR designed for this test, run end to end through the CLI.

Each step is a separate ``reviewflow`` invocation that re-reads the database; the
checks read states, tasks and history back with ``show --json``.
"""

from __future__ import annotations

from .conftest import later

NOMINATION = {
    "target_level": "senior",
    "case": "Dan led the billing rewrite end to end and mentors two engineers.",
    "ratings": [{"competency": "delivery", "rating": 3},
                {"competency": "craft", "rating": 3, "example": "Wrote the RFC process."}],
}


def kinds(detail: dict) -> list[str]:
    return [e["kind"] for e in detail["history"]]


def moves(detail: dict) -> list[tuple[str, str, str]]:
    return [(e["trigger"], e["from_state"], e["to_state"]) for e in detail["history"]
            if e["kind"] == "transition"]


def launch(cli, workflow: str, cycle: str, *where: str) -> dict:
    args = ["launch", workflow, "--cycle", cycle]
    for w in where:
        args += ["--where", w]
    return cli.json(*args)


def instance_of(cli, subject: str, form: str, assignee: str) -> int:
    [task] = [t for t in cli.open_tasks(assignee)
              if t["subject_email"] == subject and t["form_id"] == form]
    return task["instance_id"]


def test_promotion_decline_renominate_vote_and_follow_up(cli):
    launched = launch(cli, "promotion", "Promotions H1", "department=Engineering",
                      "title=Engineer")
    assert (launched["created"], launched["existing"]) == (3, 0)
    inst = instance_of(cli, "dev1@acme.test", "promo-nomination", "em@acme.test")

    # Invalid nomination: conditional rules of the form (dependentRequired, if/then).
    bad = dict(NOMINATION, target_level="manager", off_cycle=True,
               ratings=[{"competency": "delivery", "rating": 5}])
    tid = cli.task("em@acme.test", "promo-nomination", inst)
    error = cli.error("submit", tid, "--as", "em@acme.test", "--data", "-", input=bad)
    assert error["error"] == "SubmissionInvalid"
    assert set(error["errors"]) == {"ratings", "ratings[0].rating", "off_cycle_reason",
                                    "salary_change"}
    assert cli.show(inst)["state"] == "nominate"

    assert cli.submit("em@acme.test", "promo-nomination", inst, NOMINATION)["state"] == "endorse"
    # Not the skip-level: refused and recorded.
    refusal = cli.error("fire", inst, "endorse", "--as", "em@acme.test")
    assert refusal["error"] == "NotAllowed" and "only skip may" in refusal["message"]
    # Declining needs the reason form.
    assert cli.error("fire", inst, "decline", "--as", "vp@acme.test")["errors"] == {
        "reason": ["This field is required."]}
    cli.json("fire", inst, "decline", "--as", "vp@acme.test", "--data", "-",
             input={"reason": "Needs one more project."})
    assert cli.show(inst)["state"] == "nominate"

    cli.submit("em@acme.test", "promo-nomination", inst, NOMINATION)
    decided = cli.submit("vp@acme.test", "promo-endorsement", inst, {"comment": "Yes."},
                         "--trigger", "endorse")
    assert decided["state"] == "committee"
    voters = sorted(t["assignee_email"] for t in cli.json("tasks", "--open")
                    if t["instance_id"] == inst)
    assert voters == ["ceo@acme.test", "hr@acme.test", "vp@acme.test"]
    assert cli.submit("ceo@acme.test", "promo-vote", inst, {"score": 4})["state"] == "committee"
    # avg(4, 3) = 3.5 and a senior target: promoted on the quorum of two.
    done = cli.submit("hr@acme.test", "promo-vote", inst, {"score": 3})
    assert (done["state"], done["status"], done["fired"]) == ("promoted", "finished", ["decide"])

    detail = cli.show(inst)
    assert moves(detail) == [("nominated", "nominate", "endorse"),
                             ("decline", "endorse", "nominate"),
                             ("nominated", "nominate", "endorse"),
                             ("endorse", "endorse", "committee"),
                             ("decide", "committee", "promoted")]
    assert "refused" in kinds(detail) and "started" in kinds(detail)
    statuses = {t["assignee_email"]: t["status"] for t in detail["tasks"]
                if t["form_id"] == "promo-vote"}
    assert statuses == {"ceo@acme.test": "submitted", "hr@acme.test": "submitted",
                        "vp@acme.test": "cancelled"}
    [child] = detail["children"]
    assert child["workflow_id"] == "new-role-checkin"
    assert cli.show(child["id"])["parent_id"] == inst

    [cycle] = cli.json("cycles")
    assert (cycle["name"], cycle["total"], cycle["finished"], cycle["running"]) == (
        "Promotions H1", 3, 1, 2)
    assert "Promotions H1: promotion, 3 instance(s), 33.3% done" in cli("cycles").stdout


def test_promotion_low_votes_or_frozen_department_is_not_promoted(cli):
    launch(cli, "promotion", "Promotions H2", "email=dev2@acme.test")
    inst = instance_of(cli, "dev2@acme.test", "promo-nomination", "em@acme.test")
    cli.submit("em@acme.test", "promo-nomination", inst, NOMINATION)
    cli.submit("vp@acme.test", "promo-endorsement", inst, {}, "--trigger", "endorse")
    cli.submit("vp@acme.test", "promo-vote", inst, {"score": 4})
    done = cli.submit("ceo@acme.test", "promo-vote", inst, {"score": 2})
    assert (done["state"], done["status"]) == ("not_promoted", "finished")
    assert cli.show(inst)["children"] == []


def test_promotion_withdrawn_from_any_state_by_hr(cli):
    launch(cli, "promotion", "Promotions H3", "email=dev3@acme.test")
    inst = instance_of(cli, "dev3@acme.test", "promo-nomination", "em@acme.test")
    assert cli.error("fire", inst, "withdraw", "--as", "dev3@acme.test")["error"] == "NotAllowed"
    fired = cli.json("fire", inst, "withdraw", "--as", "hr@acme.test")
    assert (fired["state"], fired["status"]) == ("not_promoted", "finished")
    assert cli.open_tasks("em@acme.test") == []
    assert cli.error("fire", inst, "withdraw", "--as", "hr@acme.test")["error"] == "Conflict"


def test_new_role_checkins_repeat_then_the_timer_waits_for_three(cli):
    started = cli.json("launch", "new-role-checkin", "--cycle", "New roles",
                       "--where", "email=dev1@acme.test")
    assert started["created"] == 1
    inst = instance_of(cli, "dev1@acme.test", "role-checkin", "dev1@acme.test")
    coach_task = cli.task("coach@acme.test", "coach-notes", inst)  # a person: role

    # if/then/else: "other" only and always with kind "other".
    tid = cli.task("dev1@acme.test", "role-checkin", inst)
    for data, errors in (({"confidence": 3, "kind": "other"},
                          {"other": ["This field is required."]}),
                         ({"confidence": 3, "kind": "tools", "other": "a laptop"},
                          {"other": ["Leave this field empty."]})):
        assert cli.error("submit", tid, "--as", "dev1@acme.test", "--data", "-",
                         input=data)["errors"] == errors
    cli.submit("dev1@acme.test", "role-checkin", inst,
               {"confidence": 3, "kind": "other", "other": "A mentor"})
    cli.json("submit", coach_task, "--as", "coach@acme.test", "--data", "-",
             input={"summary": "Fine.", "concerns": "None yet."})

    report = cli.json("tick", "--now", later(days=8))
    assert report["repeated"] == 1
    cli.submit("dev1@acme.test", "role-checkin", inst, {"confidence": 4})
    cli.json("tick", "--now", later(days=15))
    cli.submit("dev1@acme.test", "role-checkin", inst, {"confidence": 5})
    assert cli.show(inst)["state"] == "settling"  # repeated tasks keep the state open

    # After four weeks, with three check-ins, the timer closes it.
    report = cli.json("tick", "--now", later(days=29))
    assert report["fired"] and cli.show(inst)["status"] == "finished"
    detail = cli.show(inst)
    assert moves(detail) == [("four_weeks", "settling", "wrapped")]
    assert all(t["status"] != "open" for t in detail["tasks"])


def test_new_role_timer_held_without_enough_checkins(cli):
    cli.json("launch", "new-role-checkin", "--cycle", "New roles", "--where",
             "email=dev2@acme.test")
    inst = instance_of(cli, "dev2@acme.test", "role-checkin", "dev2@acme.test")
    cli.json("tick", "--now", later(days=29))
    detail = cli.show(inst)
    assert detail["state"] == "settling"
    held = [e for e in detail["history"] if e["kind"] == "timer-held"]
    assert held and "count('role-checkin') >= 3" in held[0]["detail"]["reason"]
    assert cli.json("fire", inst, "stop", "--as", "hr@acme.test")["state"] == "wrapped"


def pulse(cli, team: list[str]) -> int:
    cli.json("launch", "team-pulse", "--cycle", "Pulse Q3", "--where", "email=em@acme.test")
    inst = instance_of(cli, "em@acme.test", "pulse-setup", "hr@acme.test")
    assert cli.submit("hr@acme.test", "pulse-setup", inst, {"team": team})["state"] == "survey"
    return inst


def test_pulse_closes_on_the_timer_with_a_quorum_and_stays_anonymous(cli):
    team = ["dev1@acme.test", "dev2@acme.test", "dev3@acme.test", "coach@acme.test"]
    inst = pulse(cli, team)
    for email, score in zip(team[:3], (2, 4, 5), strict=True):
        cli.submit(email, "pulse-answer", inst, {"clarity": score, "support": 5,
                                                 "comment": f"from {email}"})
    assert cli.show(inst)["state"] == "survey"  # the fourth has not answered
    report = cli.json("tick", "--now", later(days=11))
    assert report["fired"]
    detail = cli.show(inst)
    assert detail["state"] == "results"
    [reflect] = [t for t in detail["tasks"] if t["form_id"] == "pulse-reflection"]
    assert reflect["assignee_email"] == "em@acme.test"
    assert [t["status"] for t in detail["tasks"] if t["form_id"] == "pulse-answer"].count(
        "cancelled") == 1
    done = cli.submit("em@acme.test", "pulse-reflection", inst, {"actions": "Clearer goals."})
    assert done["status"] == "finished"


def test_pulse_gives_up_with_too_few_answers(cli):
    team = ["dev1@acme.test", "dev2@acme.test", "dev3@acme.test"]
    inst = pulse(cli, team)
    cli.submit("dev1@acme.test", "pulse-answer", inst, {"clarity": 1, "support": 1})
    cli.json("tick", "--now", later(days=11))
    detail = cli.show(inst)
    assert detail["state"] == "survey"
    assert [e["kind"] for e in detail["history"]].count("timer-held") == 1
    cli.json("tick", "--now", later(days=15))
    detail = cli.show(inst)
    assert (detail["state"], detail["status"]) == ("low_response", "finished")


def test_pulse_setup_rejects_a_short_or_malformed_team(cli):
    cli.json("launch", "team-pulse", "--cycle", "Pulse Q4", "--where", "email=em@acme.test")
    inst = instance_of(cli, "em@acme.test", "pulse-setup", "hr@acme.test")
    tid = cli.task("hr@acme.test", "pulse-setup", inst)
    errors = cli.error("submit", tid, "--as", "hr@acme.test", "--data", "-",
                       input={"team": ["dev1@acme.test", "not-an-email"]})["errors"]
    assert set(errors) == {"team", "team[1]"}
    assert cli.show(inst)["state"] == "setup"


ASSESSMENT = {"nine_box": {"performance": "high", "potential": "high"},
              "retention_risk": "low",
              "moves": [{"kind": "stretch", "when": "2027-03-01",
                         "mentors": [{"email": "vp@acme.test"}]}],
              "notes": "Keep close."}


def calibrate(cli, assessment: dict, scores: list[int], subject="dev1@acme.test") -> int:
    inst = instance_of(cli, subject, "talent-assessment", "em@acme.test")
    assert cli.submit("em@acme.test", "talent-assessment", inst, assessment)["state"] == (
        "panel_setup")
    panel = {"members": [{"email": "ceo@acme.test", "seat": "chair"},
                         {"email": "vp@acme.test"}, {"email": "coach@acme.test"}]}
    assert cli.submit("hr@acme.test", "talent-panel", inst, panel)["state"] == "panel_review"
    for email, score in zip(["ceo@acme.test", "vp@acme.test"], scores, strict=True):
        result = cli.submit(email, "panel-score", inst, {"potential": score})
    return inst, result


def test_talent_calibration_list_conditions_pick_the_outcome(cli):
    launch(cli, "talent-calibration", "Talent 2026", "department=Engineering",
           "manager=em@acme.test")
    inst, result = calibrate(cli, ASSESSMENT, [5, 4])
    assert result["state"] == "hipo"
    # Same scores but no development moves: the list condition fails, next candidate.
    inst2, result = calibrate(cli, dict(ASSESSMENT, moves=[]), [5, 4], "dev2@acme.test")
    assert result["state"] == "core"
    risky = dict(ASSESSMENT, retention_risk="high", flight_reason="Offer elsewhere.")
    inst3, result = calibrate(cli, dict(risky, nine_box={"performance": "mid",
                                                         "potential": "high"}),
                              [5, 5], "dev3@acme.test")
    assert result["state"] == "watch"
    # The panel scored anonymously; private notes stay in the submission.
    detail = cli.show(inst)
    assert moves(detail)[-1] == ("scored", "panel_review", "hipo")


def test_talent_calibration_unless_skips_the_panel_for_executives(cli):
    launch(cli, "talent-calibration", "Talent execs", "email=vp@acme.test")
    [task] = [t for t in cli.open_tasks("ceo@acme.test") if t["subject_email"] == "vp@acme.test"]
    result = cli.submit("ceo@acme.test", "talent-assessment", task["instance_id"], ASSESSMENT)
    assert result["state"] == "core"  # subject.level == 'exec' (an extra CSV column)


def test_talent_reopen_from_any_state_and_assessment_rules(cli):
    launch(cli, "talent-calibration", "Talent reopen", "email=dev1@acme.test")
    inst = instance_of(cli, "dev1@acme.test", "talent-assessment", "em@acme.test")
    tid = cli.task("em@acme.test", "talent-assessment", inst)
    bad = {"nine_box": {"performance": "great"}, "retention_risk": "high",
           "moves": [{"kind": "sideways", "mentors": [{"email": "x"}]}]}
    errors = cli.error("submit", tid, "--as", "em@acme.test", "--data", "-", input=bad)["errors"]
    assert {"nine_box.performance", "nine_box.potential", "flight_reason",
            "moves[0].kind", "moves[0].mentors[0].email"} <= set(errors)
    cli.submit("em@acme.test", "talent-assessment", inst, ASSESSMENT)
    assert cli.error("fire", inst, "reopen", "--as", "em@acme.test")["error"] == "NotAllowed"
    assert cli.json("fire", inst, "reopen", "--as", "hr@acme.test")["state"] == "manager_input"
    assert cli.task("em@acme.test", "talent-assessment", inst)


def test_an_overdue_nomination_is_reminded_then_escalated_to_hr_who_may_submit_it(cli):
    launch(cli, "promotion", "Promotions late", "email=dev3@acme.test")
    inst = instance_of(cli, "dev3@acme.test", "promo-nomination", "em@acme.test")
    tid = cli.task("em@acme.test", "promo-nomination", inst)
    assert cli.error("submit", tid, "--as", "hr@acme.test", "--data", "-",
                     input=NOMINATION)["error"] == "NotAllowed"  # not yet escalated
    assert cli.json("tick", "--now", later(days=8))["reminders"] == 1
    report = cli.json("tick", "--now", later(days=11))
    assert report["escalations"] == 1
    [task] = [t for t in cli.json("tasks", "--open") if t["id"] == tid]
    assert task["escalated_to"] == "hr@acme.test"
    assert cli.json("submit", tid, "--as", "hr@acme.test", "--data", "-",
                    input=NOMINATION)["state"] == "endorse"
    assert {"reminded", "escalated"} <= set(kinds(cli.show(inst)))
    [submitted] = [e for e in cli.show(inst)["history"] if e["kind"] == "submitted"]
    assert (submitted["actor"], submitted["detail"]["written_for"]) == (
        "hr@acme.test", "em@acme.test")
