"""Conformance on real forms: react-jsonschema-form's playground samples (37 files).

Each form is rendered prefilled with its ``formData``, posted back unchanged as a browser
would (tests/forms/browser.py), and parsed. The parsed data must equal the ``formData``
and the verdict (valid or not) must equal jsonschema's on that ``formData``. Where HTML
cannot say what the ``formData`` says, the exception is listed below as data, with why.
"""

import json
from pathlib import Path

import pytest

from engine.definitions.specs import FormSpec
from engine.submissions import validator_for_form
from tests.forms.browser import post_back
from web.forms import parse_form, render_form
from web.forms.builder import root_node
from web.forms.defaults import initial_data

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "rjsf"
FILES = sorted(CORPUS.glob("*.json")) if CORPUS.is_dir() else []

# name -> (the data a browser can post back, why it differs from formData)
NOT_REPRESENTABLE = {
    "options": (
        {"lastName": "Norris"},
        "formData has age, bio and password, which the schema does not declare (only the "
        "uiSchema names them): the form shows no such fields and unknown fields are dropped",
    ),
}

pytestmark = pytest.mark.skipif(
    not FILES, reason=f"corpus not found at {CORPUS} (CI puts shared/ beside the clone)"
)


def _form(path: Path) -> tuple[FormSpec, dict]:
    sample = json.loads(path.read_text())
    form = FormSpec(id=sample["name"], schema=sample["schema"],
                    ui_schema=sample.get("uiSchema") or {}, sha256=path.name)
    return form, sample


def _expected(form: FormSpec, sample: dict):
    # Samples without formData start from the form's defaults.
    if "formData" in sample:
        return sample["formData"]
    return initial_data(root_node(form))


def _round_trip(path: Path):
    form, sample = _form(path)
    data = _expected(form, sample)
    html = render_form(form, sample.get("formData"))
    result = parse_form(form, post_back(html))
    valid = not list(validator_for_form(form).iter_errors(data))
    return form, data, html, result, valid


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_render_post_back_parse(path):
    form, data, html, result, valid = _round_trip(path)
    assert "<" in str(html) or form.schema == {}
    if form.id in NOT_REPRESENTABLE:
        expected, _why = NOT_REPRESENTABLE[form.id]
        assert result.data == expected
    else:
        assert result.data == data
    assert (not result.errors) == valid, result.errors
    assert result.action is None


def test_conformance_counts(capsys):
    rendered = round_tripped = same_verdict = 0
    for path in FILES:
        form, data, html, result, valid = _round_trip(path)
        rendered += 1
        round_tripped += result.data == data
        same_verdict += (not result.errors) == valid
    representable = len(FILES) - len(NOT_REPRESENTABLE)
    with capsys.disabled():
        print(f"\nrjsf corpus: {len(FILES)} forms, {rendered} rendered, {round_tripped} "
              f"round-tripped ({representable} representable), {same_verdict} same verdict")
    assert rendered == len(FILES) == 37
    assert round_tripped == representable
    assert same_verdict == len(FILES)


SHIPPED = Path(__file__).resolve().parents[2] / "forms"


def test_shipped_forms_render_and_round_trip_their_defaults():
    from engine.definitions.library import load_library

    library = load_library([SHIPPED])
    assert library.forms
    for form in library.forms.values():
        start = initial_data(root_node(form))
        html = render_form(form)
        result = parse_form(form, post_back(html), validate=False)
        assert result.data == start, form.id
        assert result.errors == {}, form.id
