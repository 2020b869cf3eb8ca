"""Every message of the code and templates has a Danish and a Swedish translation.

The messages are extracted the way ``make translations`` extracts them (babel.cfg), so a
string wrapped in ``_()`` anywhere without a translation fails here, as does a fuzzy entry
or a translation that drops a ``%(name)s`` placeholder.
"""

from __future__ import annotations

import pytest

from web import catalogues


@pytest.fixture(scope="module")
def template():
    return catalogues.extract()


def test_extraction_reads_python_templates_and_engine_messages(template):
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    assert "Your settings are saved." in ids  # web Python (flash)
    assert "Skip to content" in ids  # a template
    assert "%(num)d day overdue" in ids  # ngettext


@pytest.mark.parametrize("language", catalogues.CATALOGUES)
def test_catalogue_has_every_message_translated(language, template):
    assert catalogues.problems(language, template) == []


def test_a_missing_or_fuzzy_translation_is_reported(template, tmp_path, monkeypatch):
    from babel.messages.pofile import write_po

    catalogue = catalogues.read("da")
    catalogue.delete("Skip to content")
    catalogue["Sign out"].flags.add("fuzzy")
    catalogue["Your settings"].string = ""
    catalogue["was due %(date)s"].string = "havde frist %(dato)s"
    monkeypatch.setattr(catalogues, "TRANSLATIONS", tmp_path)
    path = catalogues.po_path("da")
    path.parent.mkdir(parents=True)
    with path.open("wb") as out:
        write_po(out, catalogue)
    found = catalogues.problems("da", template)
    assert "da: missing 'Skip to content'" in found
    assert "da: fuzzy 'Sign out'" in found
    assert "da: untranslated 'Your settings'" in found
    assert any(p.startswith("da: 'was due %(date)s'") for p in found), found
