"""Drawing the acceptance workflows: every format, and the mistakes a user makes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from web.cli import main

from .conftest import LIBRARY

WORKFLOWS = ["promotion", "team-pulse", "talent-calibration", "new-role-checkin"]


def draw(*args):
    return CliRunner().invoke(main, ["--library", str(LIBRARY), "diagram", *map(str, args)])


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_every_workflow_draws_in_every_format(workflow, tmp_path):
    for ext in ("svg", "png", "dot", "mmd"):
        out = tmp_path / f"{workflow}.{ext}"
        result = draw(workflow, "-o", out)
        assert (result.exit_code, result.stdout) == (0, f"wrote {out}\n"), result.output
    assert (tmp_path / f"{workflow}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / f"{workflow}.svg").read_text()
    assert (tmp_path / f"{workflow}.mmd").read_text() == draw(workflow).stdout


def test_the_promotion_drawing_says_who_and_when(tmp_path):
    text = draw("promotion").stdout
    assert "stateDiagram-v2" in text
    assert "promo-vote - committee, quorum 2" in text
    assert "Endorse (skip)" in text and "Decline (skip)" in text
    assert "nominated (auto)" in text
    assert "starts new-role-checkin" in text
    assert "not (subject.department == 'Frozen')" in text
    # "*" expands to one edge per non-final state
    assert text.count("Withdraw (hr, manager)") == 3
    timers = draw("team-pulse").stdout
    assert "close (after 10d)" in timers and "give_up (after 2w)" in timers
    out = tmp_path / "now.svg"
    assert draw("promotion", "--state", "committee", "-o", out).exit_code == 0


@pytest.mark.parametrize(("args", "words"), [
    (["promotoin"], "unknown workflow 'promotoin' (did you mean 'promotion'?)"),
    (["promotion", "-o", "x.pdf"], "use a .svg, .png, .dot or .mmd file"),
    (["promotion", "--state", "comittee"], "did you mean 'committee'?"),
    (["promotion", "-o", "/nonexistent/dir/x.svg"], "cannot write /nonexistent/dir/x.svg"),
])
def test_drawing_mistakes_are_clear_errors(args, words):
    result = draw(*args)
    assert result.exit_code in (1, 2) and isinstance(result.exception, SystemExit), (
        result.exception)
    assert words in result.stderr and result.stdout == ""
