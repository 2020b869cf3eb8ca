"""Invalid definitions, one defect each, with their messages word for word.

Each folder under ``invalid/`` is a small library (a ``workflows/`` and/or ``forms/``
file) loaded together with the valid ``invalid/_base`` library; ``expected.txt`` next to
it holds every expected ``file:line:col: path: message (hint)`` line.
"""

from pathlib import Path

import pytest

from engine.definitions.library import check_library

INVALID = Path(__file__).parent / "invalid"
BASE = INVALID / "_base"
CASES = sorted(p for p in INVALID.iterdir() if p.is_dir() and not p.name.startswith("_"))


def test_the_corpus_is_large_and_the_base_is_valid():
    assert len(CASES) >= 30
    library, problems = check_library([BASE])
    assert problems == [] and set(library.workflows) == {"other"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_definition_reports_exact_problems(case, monkeypatch):
    monkeypatch.chdir(case)  # files are shown relative to the working directory
    library, problems = check_library([BASE, Path(".")])
    expected = (case / "expected.txt").read_text().splitlines()
    assert expected, "every case expects at least one problem"
    assert library is None
    assert [str(p) for p in problems] == expected
