"""The library shipped in workflows/ and forms/ is valid and every workflow draws."""

import html

import pytest

from engine import check_library
from engine.diagram import diagram_svg


@pytest.fixture(scope="module")
def shipped(project_root):
    library, problems = check_library([project_root / "workflows", project_root / "forms"])
    return library, problems


def test_shipped_library_validates(shipped):
    library, problems = shipped
    assert [str(p) for p in problems] == []
    assert library.workflows, "the shipped library has workflows"


def test_every_shipped_workflow_draws_to_svg(shipped):
    library, _problems = shipped
    for spec in library.workflows.values():
        svg = diagram_svg(spec, highlight_state=spec.initial)
        first = spec.states[spec.initial]
        assert svg.startswith("<svg") and 'stroke="red"' in svg
        assert (first.title or first.name) in html.unescape(svg)
