"""The examples of docs/definitions.md are valid definitions."""

import re
import shutil

import pytest

from engine.definitions.library import check_library


@pytest.fixture
def doc(project_root):
    return (project_root / "docs" / "definitions.md").read_text()


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_the_complete_example_validates(doc, project_root, tmp_path):
    shutil.copytree(project_root / "tests/definitions/valid/forms", tmp_path / "forms")
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "feedback-360.yaml").write_text(_blocks(doc, "yaml")[0])
    library, problems = check_library([tmp_path])
    assert [str(p) for p in problems] == []
    spec = library.workflow("feedback-360")
    assert spec.roles["ceo"].email == "ceo@example.com"
    assert spec.anonymity_threshold == 3
    assert [t.title for t in spec.transitions if t.title] == ["Approve", "Send back"]


def test_the_form_example_validates(doc, tmp_path):
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "manager-review.json").write_text(_blocks(doc, "json")[0])
    library, problems = check_library([tmp_path])
    assert [str(p) for p in problems] == []
    assert library.form("manager-review").ui_schema["rating"] == {"ui:widget": "radio"}


def test_the_expression_examples_compile(doc):
    from engine.expressions import expression_problems

    block = _blocks(doc.split("\n## Expressions\n", 1)[1], "yaml")[0]  # its first example
    texts = re.findall(r'"([^"]+)"', block)
    assert len(texts) == 4
    for text in texts:
        assert expression_problems(text, {"peer-feedback", "manager-review"}) == []
