"""Exports of a cycle (``engine.exports``, ``reviewflow export``) follow the pages'
reading rules: anonymous answers without author and only above the threshold, per
question; private fields for HR only, and recorded; a manager's scope is their people."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from engine import commands, exports, store
from engine.errors import NotFound
from engine.store import Event, EventKind, Instance
from tests.library import payloads as p
from tests.library.scenario import T0, submit
from web.cli import main

EVE, MIA, PAT, QUINN, RAY = ("eve@acme.test", "mia@acme.test", "pat@acme.test",
                             "quinn@acme.test", "ray@acme.test")
LOU, HANA = "lou@acme.test", "hana@acme.test"
CYCLE = "360 spring 2026"


def days(n: float) -> timedelta:
    return timedelta(days=n)


def _peer(score: int, ownership: int | None = None) -> dict:
    data = {k: v for k, v in p.peer_feedback(score).items() if k != "ownership"}
    if ownership is not None:
        data["ownership"] = ownership
    return data


@pytest.fixture
def finished_360(library, org):
    """Eve's 360 in a cycle: three anonymous peers (only Ray answers the optional
    'ownership'), her self assessment, Mia's debrief with a private note to HR."""
    fb = _two_peers_answered(library)
    submit(fb, "self-assessment", EVE, p.SELF_ASSESSMENT, T0 + days(4))
    submit(fb, "peer-feedback", RAY, _peer(5, ownership=5), T0 + days(5))
    submit(fb, "debrief-notes", MIA, p.DEBRIEF, T0 + days(6))
    return fb


def _two_peers_answered(library) -> int:
    """Eve's 360 in a cycle, nominated, approved, and answered by Pat (4) and Quinn (2)."""
    result = commands.launch(library, "feedback-360", CYCLE, where=[("email", EVE)],
                             actor=HANA, now=T0)
    (fb,) = _instances(result.cycle_id)
    submit(fb, "peer-nomination", EVE, p.nomination([PAT, QUINN, RAY]), T0 + days(1))
    submit(fb, "nomination-approval", MIA, {}, T0 + days(2), trigger="approve")
    submit(fb, "peer-feedback", PAT, _peer(4), T0 + days(3))
    submit(fb, "peer-feedback", QUINN, _peer(2), T0 + days(4))
    return fb


def _instances(cycle_id: int) -> list[int]:
    return [i.id for i in Instance.select(Instance.id).where(Instance.cycle == cycle_id)]


def _rows(table, form):
    return [r for r in table.rows if r["form"] == form]


def test_hr_gets_one_authorless_row_per_anonymous_answer_in_an_order_that_names_nobody(
        finished_360):
    table = exports.cycle_export(CYCLE, HANA)
    peers = _rows(table, "peer-feedback")
    assert len(peers) == 3
    assert {r["author_email"] for r in peers} == {""}
    assert {r["author_name"] for r in peers} == {exports.ANONYMOUS_AUTHOR}
    assert {r["submitted_at"] for r in peers} == {None}
    # rows ordered by content, not by who answered first (Pat 4, Quinn 2, Ray 5)
    assert [r["peer-feedback.delivery"] for r in peers] == [2, 4, 5]
    # one person answered 'ownership': below the threshold of 3, blank in every row
    assert "peer-feedback.ownership" in table.columns
    assert [r.get("peer-feedback.ownership") for r in peers] == [None, None, None]
    names = json.dumps(peers, default=str)
    for rater in (PAT, QUINN, RAY, "Pat Peer", "Quinn Peer", "Ray Peer"):
        assert rater not in names


def test_below_the_threshold_an_anonymous_line_is_not_exported(library, org):
    _two_peers_answered(library)
    assert _rows(exports.cycle_export(CYCLE, HANA), "peer-feedback") == []


def test_private_fields_reach_hr_only_and_an_hr_export_with_them_is_recorded(finished_360):
    hr = exports.cycle_export(CYCLE, HANA)
    (debrief,) = _rows(hr, "debrief-notes")
    assert debrief["debrief-notes.note_to_hr"] == p.DEBRIEF["note_to_hr"]
    assert debrief["author_email"] == MIA
    assert debrief["debrief-notes.agreed_actions[1].action"] == (
        p.DEBRIEF["agreed_actions"][0]["action"])
    assert exports.record(hr, "csv", now=T0 + days(7)) == 1
    (event,) = Event.select().where((Event.instance == finished_360)
                                    & (Event.kind == EventKind.EXPORTED))
    assert (event.actor, event.detail["private_fields"]) == (HANA, ["note_to_hr"])

    # the employee reads the shared debrief without the note; her author (Mia) keeps it
    employee = exports.cycle_export(CYCLE, EVE)
    (debrief,) = _rows(employee, "debrief-notes")
    assert "debrief-notes.note_to_hr" not in debrief
    assert debrief["debrief-notes.themes"] == p.DEBRIEF["themes"]
    assert exports.record(employee, "csv") == 0
    author = exports.cycle_export(CYCLE, MIA)
    assert _rows(author, "debrief-notes")[0]["debrief-notes.note_to_hr"]
    assert exports.record(author, "csv") == 0  # her own words: nothing to record


def test_others_get_the_aggregate_the_pages_show_never_single_answers(finished_360):
    table = exports.cycle_export(CYCLE, MIA)
    (peers,) = _rows(table, "peer-feedback")
    assert peers["author_name"] == "anonymous (3 answers)"
    assert peers["peer-feedback.delivery"] == round((4 + 2 + 5) / 3, 2)
    assert "Pat Peer" not in json.dumps(_rows(table, "peer-feedback"), default=str)
    # the subject sees her own self assessment, and only the aggregate of her peers
    mine = exports.cycle_export(CYCLE, EVE)
    assert [r["author_email"] for r in _rows(mine, "self-assessment")] == [EVE]
    assert len(_rows(mine, "peer-feedback")) <= 1


def test_a_manager_exports_only_their_own_people(library, org):
    result = commands.launch(library, "annual-review", "Annual 2026",
                             where=[("department", "Sales")], actor=HANA, now=T0)
    result2 = commands.launch(library, "annual-review", "Annual 2026",
                              where=[("email", PAT)], actor=HANA, now=T0)
    assert result2.cycle_id == result.cycle_id
    by_subject = {}
    for instance_id in _instances(result.cycle_id):
        by_subject[Instance.get_by_id(instance_id).subject.email] = instance_id
    submit(by_subject[EVE], "self-review", EVE, p.SELF_REVIEW, T0 + days(1))
    submit(by_subject[PAT], "self-review", PAT, p.SELF_REVIEW, T0 + days(1))
    mia = exports.cycle_export("Annual 2026", MIA)  # Eve's manager
    assert [(r["subject_email"], r["form"]) for r in mia.rows] == [(EVE, "self-review")]
    lou = exports.cycle_export("Annual 2026", LOU)  # Pat's manager
    assert [(r["subject_email"], r["form"]) for r in lou.rows] == [(PAT, "self-review")]
    hr = exports.cycle_export("Annual 2026", HANA)
    assert sorted(r["subject_email"] for r in hr.rows) == sorted([EVE, PAT])
    assert mia.columns[:len(exports.FIXED_COLUMNS)] == list(exports.FIXED_COLUMNS)


def test_the_cli_writes_csv_and_xlsx_that_read_back(finished_360, tmp_path, db):
    runner = CliRunner()
    out_csv, out_xlsx = tmp_path / "360.csv", tmp_path / "360.xlsx"
    for out in (out_csv, out_xlsx):
        done = runner.invoke(main, ["--db", db, "export", "--cycle", CYCLE, "--as", HANA,
                                    "-o", str(out)])
        store.connect(db)  # the command closed the connection it shared with the test
        assert done.exit_code == 0, done.output
        assert f"wrote {out}" in done.output
    table = exports.cycle_export(CYCLE, HANA)
    rows = list(csv.reader(io.StringIO(out_csv.read_bytes().decode("utf-8-sig"))))
    assert rows[0] == table.columns
    assert len(rows) == 1 + len(table.rows)
    sheet = load_workbook(out_xlsx).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == table.columns
    assert len(values) == 1 + len(table.rows)
    delivery = table.columns.index("peer-feedback.delivery")
    assert sorted(v[delivery] for v in values[1:] if v[delivery] is not None) == [2, 4, 5]
    # two exports with private fields: two recorded events
    assert Event.select().where((Event.instance == finished_360)
                                & (Event.kind == EventKind.EXPORTED)).count() == 2


def test_the_cli_refuses_an_unknown_format_or_cycle_and_writes_nothing(org, tmp_path):
    runner = CliRunner()
    out = tmp_path / "answers.pdf"
    done = runner.invoke(main, ["--db", org, "export", "--cycle", CYCLE, "--as", HANA,
                                "-o", str(out)])
    store.connect(org)
    assert done.exit_code == 1
    assert "name the file .csv or .xlsx" in done.output
    assert not out.exists()
    done = runner.invoke(main, ["--db", org, "export", "--cycle", "No such", "--as", HANA,
                                "-o", str(tmp_path / "a.csv")])
    store.connect(org)
    assert done.exit_code == 1 and "no cycle 'No such'" in done.output
    with pytest.raises(NotFound):
        exports.cycle_export("No such", HANA)


def test_an_answer_that_looks_like_a_formula_stays_text(finished_360, library):
    fb = finished_360
    # the debrief is shared: the employee acknowledges with a formula-like comment
    submit(fb, "acknowledgement", EVE, {**p.DISAGREED, "comments": "=HYPERLINK(\"x\")"},
           T0 + days(8))
    table = exports.cycle_export(CYCLE, HANA)
    text = exports.to_csv(table).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    book = load_workbook(io.BytesIO(exports.to_xlsx(table)))
    cells = [c for row in book.active.iter_rows() for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert [(c.value, c.data_type) for c in cells] == [("=HYPERLINK(\"x\")", "s")]
