"""engine.diagram: what the drawn workflow says, and that definitions bind nothing."""

from pathlib import Path

import pytest

from engine import load_library
from engine.diagram import diagram_source, diagram_svg, render_diagram

VALID = Path(__file__).parent / "valid"


@pytest.fixture(scope="module")
def spec():
    return load_library([VALID]).workflow("feedback-360")


def test_final_states_have_a_double_border_and_auto_edges_are_dashed(spec):
    dot = diagram_source(spec, "dot")
    assert 's5 [label="closed (end)\\l" color=black fillcolor=lightgrey peripheries=2]' in dot
    assert 's0 -> s1 [label="submit_nominations (auto)" color=darkgreen style=dashed]' in dot
    assert 's1 -> s2 [label="approve (manager)" color=black]' in dot
    # one edge per transition: the timer beside the automatic one keeps its own style
    assert 's2 -> s3 [label="close_collection (auto)" color=darkgreen style=dashed]' in dot
    assert ('s2 -> s3 [label="deadline (after 3w) if\ncount(\'peer-feedback\') >= 2" '
            'color=darkorange style=dotted]') in dot


def test_timer_edge_is_dotted_when_alone(tmp_path):
    (tmp_path / "forms").mkdir()
    (tmp_path / "workflows").mkdir()
    (tmp_path / "forms" / "note.json").write_text('{"schema": {"type": "object"}}')
    (tmp_path / "workflows" / "wait.yaml").write_text(
        "workflow: wait\nversion: 1\nroles: {hr: group:hr}\ninitial: a\n"
        "states:\n  a: {title: Waiting, tasks: [{form: note, assignee: hr, title: Write}]}\n"
        "  b: {final: true}\n"
        "transitions:\n  - {trigger: timeout, source: a, dest: b, after: 12h}\n")
    dot = diagram_source(load_library([tmp_path]).workflow("wait"), "dot")
    assert 's0 -> s1 [label="timeout (after 12h)" color=darkorange style=dotted]' in dot
    assert 's0 [label="Waiting\\l- Write: hr\\l"]' in dot


def test_highlighted_state_is_red_in_the_svg(spec):
    plain = diagram_svg(spec)
    marked = diagram_svg(spec, highlight_state="collect")
    assert plain.startswith("<svg") and marked.startswith("<svg")
    assert 'stroke="red"' in marked and 'stroke="red"' not in plain


def test_render_diagram_picks_format_by_suffix(spec, tmp_path):
    assert render_diagram(spec, tmp_path / "x.png").read_bytes()[:4] == b"\x89PNG"
    assert "stateDiagram-v2" in render_diagram(spec, tmp_path / "x.mmd").read_text()
    with pytest.raises(ValueError, match="use a .svg, .png, .dot or .mmd file"):
        render_diagram(spec, tmp_path / "x.jpg")


def test_definition_words_are_labels_never_bound_names(spec):
    mermaid = diagram_source(spec, "mmd")
    # states and triggers reach the machine as generated ids only
    assert "state \"approve_nominations\\n- nomination-approval - manager\" as s1" in mermaid
    assert "--> approve_nominations" not in mermaid
    assert "s1 --> s2: approve (manager)" in mermaid
