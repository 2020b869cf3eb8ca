"""Forms written elsewhere (react-jsonschema-form's playground samples) load as forms.

The samples' `name` and `formData` are part of the form vocabulary; three samples carry
uiSchema entries for properties their schema no longer has, which the checker reports.
"""

import shutil
from pathlib import Path

import pytest

from engine.definitions.library import check_library

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "rjsf"
FILES = sorted(CORPUS.glob("*.json")) if CORPUS.is_dir() else []

STALE_UI_KEYS = {
    "errorSchema": ["date"],
    "nullable": ["date"],
    "options": ["age", "bio", "password", "date"],
}


SKIP = f"corpus not found at {CORPUS} (CI puts shared/ beside the clone)"


@pytest.mark.skipif(not FILES, reason=SKIP)
def test_rjsf_samples_load_and_only_stale_ui_keys_are_reported(tmp_path, monkeypatch):
    forms = tmp_path / "forms"
    forms.mkdir()
    for f in FILES:
        shutil.copy(f, forms / f.name)
    monkeypatch.chdir(tmp_path)
    library, problems = check_library([tmp_path])
    found: dict[str, list[str]] = {}
    for p in problems:
        assert p.message.startswith("uiSchema key ") and p.path[0] == "uiSchema", str(p)
        found.setdefault(Path(p.file).stem, []).append(p.path[1])
    assert found == STALE_UI_KEYS
    assert len(FILES) >= 30


@pytest.mark.skipif(not FILES, reason=SKIP)
def test_rjsf_samples_without_stale_keys_build_form_specs(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    for f in FILES:
        if f.stem not in STALE_UI_KEYS:
            shutil.copy(f, forms / f.name)
    library, problems = check_library([tmp_path])
    assert problems == []
    assert library.form("simple").title == "A registration form"
    assert library.form("bundledSchema").dialect == "https://json-schema.org/draft/2020-12/schema"
    assert library.form("simple").form_data["lastName"] == "Norris"
