"""Mistakes users make while a process runs: each is a clear error (exit 1, a message on
stderr) and changes nothing but, where the docs say so, the history."""

from __future__ import annotations

import json

from .conftest import PEOPLE, copy_library
from .test_definition_mistakes import edit
from .test_scenarios import NOMINATION, instance_of, launch


def snapshot(cli) -> tuple:
    """What a user can see of the database: every task, cycle and instance."""
    tasks = cli.json("tasks")
    return (tasks, cli.json("cycles"), [cli.show(i) for i in {t["instance_id"] for t in tasks}])


def to_committee(cli) -> int:
    launch(cli, "promotion", "Promo", "email=dev1@acme.test")
    inst = instance_of(cli, "dev1@acme.test", "promo-nomination", "em@acme.test")
    cli.submit("em@acme.test", "promo-nomination", inst, NOMINATION)
    cli.json("fire", inst, "endorse", "--as", "vp@acme.test")  # no endorsement submitted
    return inst


def test_expressions_failing_at_run_time_skip_their_transition_and_are_recorded(cli, tmp_path):
    lib = copy_library(tmp_path)
    edit(lib / "workflows" / "promotion.yaml", """  - trigger: decide
    source: committee
    dest: promoted""", """  - trigger: decide
    source: committee
    dest: not_promoted
    auto: true
    conditions: "1 / (count('promo-vote') - count('promo-vote')) > 0"
  - trigger: decide
    source: committee
    dest: not_promoted
    auto: true
    conditions: "forms['promo-endorsement'].comment == 'no'"
  - trigger: decide
    source: committee
    dest: promoted""")
    cli.library = lib
    inst = to_committee(cli)
    cli.submit("ceo@acme.test", "promo-vote", inst, {"score": 5})
    done = cli.submit("hr@acme.test", "promo-vote", inst, {"score": 4})
    assert (done["state"], done["fired"]) == ("promoted", ["decide"])
    errors = [e["detail"]["error"] for e in cli.show(inst)["history"]
              if e["kind"] == "expression-error"]
    assert len(errors) == 2
    assert errors[0].endswith("failed: division by zero")
    assert errors[1].endswith("(no submission of the form 'promo-endorsement' yet)")
    assert "expression-error decide" in cli("show", inst).stdout


def test_bad_csv_rows_import_nothing(cli, tmp_path):
    people = tmp_path / "more.csv"
    people.write_text(PEOPLE + "new@acme.test,,,Eng,Dev,,2020-13-01,ic1\n"
                      "bad-email,Bad,,Eng,Dev,,,ic1\n"
                      "dev1@acme.test,Dup Dev,em@acme.test,Eng,Dev,,,ic1\n"
                      "new2@acme.test,New Two,ghost@acme.test,Eng,Dev,,,ic1\n")
    error = cli.error("people", "import", people)
    assert error["error"] == "ImportRejected"
    lines = {row["line"] for row in error["rows"]}
    assert lines == {10, 11, 12, 13}
    text = " ".join(row["message"] for row in error["rows"])
    assert "bad-email" in text and "ghost@acme.test" in text
    # nothing applied: launching for the new person finds nobody
    assert cli.json("launch", "promotion", "--cycle", "X",
                    "--where", "email=new@acme.test")["created"] == 0
    assert cli.json("tasks") == []
    missing = tmp_path / "nope.csv"
    result = cli("people", "import", missing, ok=False)
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_wrong_payloads_are_refused_and_store_nothing(cli):
    launch(cli, "promotion", "Promo", "email=dev1@acme.test")
    inst = instance_of(cli, "dev1@acme.test", "promo-nomination", "em@acme.test")
    tid = cli.task("em@acme.test", "promo-nomination", inst)
    before = snapshot(cli)
    submit = ("submit", tid, "--as", "em@acme.test", "--data", "-")
    for payload in ("[1, 2]", "null", '"text"', "7", "{nope", ""):
        assert cli.error(*submit, input=payload)["error"] == "SubmissionInvalid", payload
    wrong = dict(NOMINATION, target_level=5, case=["x"], ratings=[{"rating": "3"}],
                 salary_change="ten")
    errors = cli.error(*submit, input=wrong)["errors"]
    assert {"target_level", "case", "ratings", "ratings[0].competency", "ratings[0].rating",
            "salary_change"} <= set(errors)
    for number in ("NaN", "Infinity", "-Infinity"):  # Python's JSON reader takes them
        raw = json.dumps(dict(NOMINATION, target_level="manager"))[:-1] + (
            f', "salary_change": {number}}}')
        assert cli.error(*submit, input=raw)["errors"] == {"salary_change": ["Enter a number."]}
    huge = dict(NOMINATION, case="x" * 300_000)
    [message] = cli.error(*submit, input=huge)["errors"][""]
    assert "too large" in message
    text = cli(*submit, input=json.dumps(wrong), ok=False)
    assert text.exit_code == 1 and text.stdout == ""
    assert "target_level: Must be text." in text.stderr
    assert snapshot(cli) == before


def test_acting_as_the_wrong_person_is_refused_and_recorded(cli):
    launch(cli, "promotion", "Promo", "email=dev1@acme.test")
    inst = instance_of(cli, "dev1@acme.test", "promo-nomination", "em@acme.test")
    tid = cli.task("em@acme.test", "promo-nomination", inst)
    error = cli.error("submit", tid, "--as", "dev1@acme.test", "--data", "-", input=NOMINATION)
    assert error["error"] == "NotAllowed" and "not assigned to dev1@acme.test" in error["message"]
    auto = cli.error("fire", inst, "nominated", "--as", "hr@acme.test")
    assert auto["error"] == "NotAllowed" and "by itself" in auto["message"]
    cli.submit("em@acme.test", "promo-nomination", inst, NOMINATION)
    before = cli.show(inst)
    cases = [
        (("fire", inst, "endorse", "--as", "dev1@acme.test"), "NotAllowed", "only skip may"),
        (("fire", inst, "endorce", "--as", "vp@acme.test"), "NotFound",
         "did you mean 'endorse'?"),
        (("fire", inst, "decide", "--as", "hr@acme.test"), "Conflict", "only from committee"),
        (("fire", 999, "endorse", "--as", "vp@acme.test"), "NotFound", "no instance 999"),
        (("cancel", inst, "--as", "em@acme.test", "--reason", "x"), "NotAllowed", ""),
    ]
    for args, kind, words in cases:
        error = cli.error(*args)
        assert (error["error"], words in error["message"]) == (kind, True), (args, error)
    after = cli.show(inst)
    assert (after["state"], after["tasks"]) == (before["state"], before["tasks"])
    refused = [e for e in after["history"] if e["kind"] == "refused"]
    assert {e["actor"] for e in refused} >= {"dev1@acme.test", "hr@acme.test", "em@acme.test"}


def test_a_definition_changed_under_the_same_version_is_refused(cli, tmp_path):
    lib = copy_library(tmp_path)
    cli.library = lib
    launch(cli, "promotion", "Promo", "email=dev1@acme.test")
    inst = instance_of(cli, "dev1@acme.test", "promo-nomination", "em@acme.test")
    edit(lib / "forms" / "promo-vote.json", '"Readiness"', '"Readiness now"')
    before = snapshot(cli)
    error = cli.error("launch", "promotion", "--cycle", "Promo", "--where",
                      "email=dev2@acme.test")
    assert error["error"] == "DefinitionError"
    [problem] = error["problems"]
    assert problem["path"] == "version" and problem["line"] == 2
    assert "version 1 is already in use with other content" in problem["message"]
    assert "the form 'promo-vote' changed" in problem["message"]
    assert problem["hint"].startswith("bump `version` to 2")
    # the child workflow a transition starts is part of the version too
    edit(lib / "forms" / "promo-vote.json", '"Readiness now"', '"Readiness"')
    edit(lib / "forms" / "coach-notes.json", '"Summary"', '"Sum up"')
    assert "coach-notes" in cli.error("launch", "promotion", "--cycle", "Promo")["message"]
    assert snapshot(cli) == before
    # the running instance keeps its version; a bumped version launches beside it
    cli.submit("em@acme.test", "promo-nomination", inst, NOMINATION)
    edit(lib / "workflows" / "promotion.yaml", "version: 1", "version: 2")
    edit(lib / "workflows" / "new-role-checkin.yaml", "version: 1", "version: 2")
    assert cli.json("launch", "promotion", "--cycle", "Promo 2",
                    "--where", "email=dev2@acme.test")["version"] == 2
    assert cli.show(inst)["version"] == 1


def test_a_missing_field_is_not_blamed_on_a_missing_form():
    from engine.expressions import ExpressionError, compile_expression

    expression = compile_expression("forms['promo-vote'].note == 'x'")
    for forms, said in (({}, True), ({"promo-vote": {"score": 3}}, False)):
        try:
            expression.evaluate({"forms": forms})
        except ExpressionError as exc:
            assert ("no submission of the form 'promo-vote' yet" in exc.message) is said
        else:
            raise AssertionError("the expression should fail")


def test_a_negative_limit_is_a_usage_error(cli):
    result = cli("tasks", "--limit", "-1", ok=False)
    assert result.exit_code == 2 and "--limit" in result.stderr
