"""Extract, update, compile and check the gettext catalogues (``make translations``).

``python -m web.catalogues update`` extracts every message of the engine, the web code and
the templates (``babel.cfg``) and merges it into ``web/translations/{da,sv}/.../messages.po``;
``compile`` writes the ``.mo`` files; ``check`` lists what a catalogue lacks; ``fill
FILE.json`` writes translations from ``{"da": {msgid: text or [singular, plural]}, "sv":
...}`` (handy after a merge: take one side's catalogue, ``update``, then ``fill``). Output is
deterministic (sorted, no line numbers, a fixed header date) so that two branches adding
messages rarely touch the same lines of a catalogue.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "web" / "translations"
#: The languages with a catalogue (English is the source language: the message ids).
CATALOGUES = ("da", "sv")
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2), "Nn_": (1, 2)}
# A fixed date: a catalogue's header changes only when a person edits it.
FIXED_DATE = datetime(2026, 1, 1)


def extract() -> Catalog:
    """Every message of the code and templates, as one template catalogue."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    template = Catalog(project="reviewflow", creation_date=FIXED_DATE, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    return template


def po_path(language: str) -> Path:
    """The catalogue file of ``language``."""
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def read(language: str) -> Catalog:
    """The catalogue of ``language`` (an empty one if there is none yet)."""
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, project="reviewflow", creation_date=FIXED_DATE)
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def write(language: str, catalogue: Catalog) -> None:
    """Write ``catalogue`` in the stable form described above."""
    path = po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalogue.creation_date = FIXED_DATE
    catalogue.revision_date = FIXED_DATE
    catalogue.fuzzy = False  # a fuzzy header would keep the whole catalogue from compiling
    catalogue.copyright_holder = "the reviewflow authors"
    catalogue.last_translator = "reviewflow translators"
    catalogue.language_team = {"da": "Dansk", "sv": "Svenska"}.get(str(catalogue.locale), "")
    with path.open("wb") as out:
        write_po(out, catalogue, no_location=True, sort_output=True, ignore_obsolete=True,
                 width=100)


def update() -> None:
    """Merge newly extracted messages into each catalogue (new ones with an empty msgstr;
    messages no longer in the code dropped). No fuzzy matching: a guessed translation is
    worse than a missing one, which the completeness test reports."""
    template = extract()
    for language in CATALOGUES:
        catalogue = read(language)
        catalogue.update(template, no_fuzzy_matching=True, update_creation_date=False)
        write(language, catalogue)


def problems(language: str, template: Catalog | None = None) -> list[str]:
    """What ``language``'s catalogue lacks: missing, untranslated or fuzzy messages, and
    translations whose ``%(name)s`` placeholders differ from the message's."""
    template = template or extract()
    catalogue = read(language)
    found = []
    for message in template:
        if not message.id:
            continue
        ours = catalogue.get(message.id, context=message.context)
        label = message.id if isinstance(message.id, str) else message.id[0]
        if ours is None:
            found.append(f"{language}: missing {label!r}")
        elif ours.fuzzy:
            found.append(f"{language}: fuzzy {label!r}")
        elif not all(ours.string if isinstance(ours.string, tuple) else (ours.string,)):
            found.append(f"{language}: untranslated {label!r}")
        else:
            found.extend(f"{language}: {label!r}: {e}" for e in _placeholder_errors(ours))
    return found


def _placeholder_errors(message) -> list[str]:
    from babel.messages.catalog import TranslationError
    from babel.messages.checkers import python_format

    try:
        python_format(None, message)
    except TranslationError as exc:
        return [str(exc)]
    return []


def fill(table: dict) -> list[str]:
    """Put the translations of ``table`` (language -> msgid -> text, or a list for a
    plural) into the catalogues; return the msgids a catalogue does not have."""
    missing = []
    for language, texts in table.items():
        catalogue = read(language)
        for msgid, text in texts.items():
            message = catalogue.get(msgid)
            if message is None:
                missing.append(f"{language}: {msgid!r}")
                continue
            message.string = tuple(text) if isinstance(text, list) else text
            message.flags.discard("fuzzy")
        write(language, catalogue)
    return missing


def main(argv: list[str]) -> int:
    """``update`` | ``compile`` | ``check`` | ``fill FILE.json``."""
    command = argv[0] if argv else "check"
    if command == "fill" and len(argv) == 2:
        import json

        missing = fill(json.loads(Path(argv[1]).read_text(encoding="utf-8")))
        print("\n".join(f"not in the catalogue (run update first): {m}" for m in missing))
        return 1 if missing else 0
    if command == "update":
        update()
    elif command == "compile":
        from web.i18n import compile_catalogues

        compile_catalogues(force=True)
    elif command == "check":
        template = extract()
        found = [p for language in CATALOGUES for p in problems(language, template)]
        print("\n".join(found) or "every catalogue is complete")
        return 1 if found else 0
    else:
        print(f"unknown command {command!r}: use update, compile, check or fill FILE.json",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
