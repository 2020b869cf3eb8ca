"""Anonymous pulse answers through the engine's read model: only aggregated, only once
three answers exist, and never with who wrote them (the author sees their own)."""

from __future__ import annotations

import pytest

from engine import queries, store, visibility

from .test_scenarios import pulse

TEAM = ["dev1@acme.test", "dev2@acme.test", "dev3@acme.test"]


def test_the_lead_and_hr_see_the_pulse_only_aggregated(cli):
    inst = pulse(cli, TEAM)
    cli.submit("dev1@acme.test", "pulse-answer", inst, {"clarity": 1, "support": 2,
                                                        "comment": "secret of dev1@acme.test"})
    store.connect(cli.url)
    try:
        detail = queries.instance_detail(inst)
        for viewer in ("em@acme.test", "hr@acme.test", "dev2@acme.test"):
            views, aggregates = visibility.visible_submissions(viewer, detail)
            assert not [v for v in views if v.form_id == "pulse-answer"], viewer
            assert aggregates == [], viewer  # one answer: below the threshold of 3
        own, _ = visibility.visible_submissions("dev1@acme.test", detail)
        assert [v.data["comment"] for v in own if v.form_id == "pulse-answer"] == [
            "secret of dev1@acme.test"]
    finally:
        store.close()
    for email in TEAM[1:]:
        cli.submit(email, "pulse-answer", inst, {"clarity": 5, "support": 4,
                                                 "comment": f"secret of {email}"})
    store.connect(cli.url)
    try:
        detail = queries.instance_detail(inst)
        assert detail.state == "results"
        views, [agg] = visibility.visible_submissions("em@acme.test", detail)
        assert not [v for v in views if v.form_id == "pulse-answer"]
        assert (agg.form_id, agg.count) == ("pulse-answer", 3)
        assert agg.numbers["clarity"]["avg"] == pytest.approx(11 / 3)
        assert sorted(agg.texts["comment"]) == sorted(f"secret of {e}" for e in TEAM)
    finally:
        store.close()
