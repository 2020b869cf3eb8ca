"""Who sees what through the command line: anonymous answers never name their authors."""

from __future__ import annotations

from .test_scenarios import pulse

TEAM = ["dev1@acme.test", "dev2@acme.test", "dev3@acme.test"]


def answer_all(cli) -> int:
    inst = pulse(cli, TEAM)
    for email in TEAM:
        cli.submit(email, "pulse-answer", inst, {"clarity": 3, "support": 4,
                                                 "comment": f"secret of {email}"})
    return inst


def test_the_text_view_shows_no_answers(cli):
    inst = answer_all(cli)
    assert "secret of" not in cli("show", inst).stdout


def test_show_json_does_not_pair_anonymous_answers_with_their_authors(cli):
    inst = answer_all(cli)
    shown = cli.show(inst)
    for item in shown["submissions"]:
        if item["form_id"] == "pulse-answer":
            assert item.get("author_email") is None or "comment" not in item.get("data", {})

