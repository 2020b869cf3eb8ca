"""The published meta-schemas: valid, identical to the engine's, and what editors check."""

import json

import pytest
import yaml
from jsonschema import Draft202012Validator


@pytest.mark.parametrize("name", ["workflow.schema.json", "form.schema.json"])
def test_published_copy_is_identical(project_root, name):
    engine_copy = (project_root / "engine" / "schemas" / name).read_bytes()
    assert (project_root / "docs" / "schemas" / name).read_bytes() == engine_copy
    Draft202012Validator.check_schema(json.loads(engine_copy))


def test_workflow_schema_accepts_the_v1_example_and_rejects_a_typo(project_root):
    schema = json.loads((project_root / "engine/schemas/workflow.schema.json").read_text())
    path = project_root / "tests/definitions/valid/workflows/feedback-360.yaml"
    data = yaml.safe_load(path.read_text())
    assert list(Draft202012Validator(schema).iter_errors(data)) == []
    data["states"]["collect"]["tasks"][0]["qorum"] = 3
    errors = list(Draft202012Validator(schema).iter_errors(data))
    assert [e.validator for e in errors] == ["additionalProperties"]
