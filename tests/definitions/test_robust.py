"""Whatever a definition file holds, the loader reports problems and never crashes."""

import copy
import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.definitions.library import check_library

VALID = Path(__file__).parent / "valid"
BASE = yaml.safe_load((VALID / "workflows" / "feedback-360.yaml").read_text())
FORM = json.loads((VALID / "forms" / "peer-feedback.json").read_text())

JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["", "*", "x", "7d", "0d"]),
    st.lists(st.sampled_from(["a", "collect", 1, None]), max_size=3),
    st.dictionaries(st.sampled_from(["a", "form", "tasks"]), st.sampled_from([1, "x", None]),
                    max_size=2),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


def _replace(doc, path, value):
    doc = copy.deepcopy(doc)
    if not path:
        return value
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return doc


WORKFLOW_PATHS = list(_paths(BASE))
FORM_PATHS = list(_paths(FORM))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(WORKFLOW_PATHS), JUNK), min_size=1, max_size=3),
       st.tuples(st.sampled_from(FORM_PATHS), JUNK))
def test_mutated_definitions_give_problems_not_crashes(tmp_path, workflow_edits, form_edit):
    doc = BASE
    for path, value in workflow_edits:
        try:
            doc = _replace(doc, path, value)
        except (KeyError, IndexError, TypeError):
            continue
    form = _replace(FORM, *form_edit)
    for sub in ("workflows", "forms"):
        (tmp_path / sub).mkdir(exist_ok=True)
    for f in (VALID / "forms").iterdir():
        (tmp_path / "forms" / f.name).write_text(f.read_text())
    (tmp_path / "forms" / "peer-feedback.json").write_text(json.dumps(form))
    (tmp_path / "workflows" / "feedback-360.yaml").write_text(yaml.safe_dump(doc))
    library, problems = check_library([tmp_path])
    assert (library is None) == bool(problems)
    for problem in problems:
        assert problem.line >= 1 and problem.col >= 1 and problem.message
