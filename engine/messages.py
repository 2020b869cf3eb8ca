"""Messages the engine writes for people, in English, that a front end can translate.

The engine has no Flask and no catalogue. A :class:`Message` *is* its English text (a
``str``: the CLI, logs and tests read it as before) and also remembers its message id and
parameters, so the web can look it up in its catalogue and fill in the parameters in the
reader's language (``web.i18n.translate``). ``N_`` and ``Nn_`` are the keywords the
extractor (``babel.cfg``) looks for.
"""

from __future__ import annotations

from typing import Any


class Message(str):
    """English text with its message id (and plural id, count) and parameters."""

    msgid: str
    plural: str | None
    num: int | None
    params: dict[str, Any]

    def __new__(cls, msgid: str, plural: str | None = None, num: int | None = None,
                **params: Any) -> Message:
        template = msgid if plural is None or num == 1 else plural
        values = {key: _english(value) for key, value in params.items()}
        if num is not None:
            values["num"] = num
        text = template % values if values else template
        self = super().__new__(cls, text)
        self.msgid, self.plural, self.num, self.params = msgid, plural, num, params
        return self

    def __reduce__(self):  # pickling (multiprocessing, caches) keeps the ids
        return (_rebuild, (self.msgid, self.plural, self.num, self.params))


def _rebuild(msgid, plural, num, params) -> Message:
    return Message(msgid, plural, num, **params)


def _english(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Joined(str):
    """Texts joined by a separator (``text or a number``); a front end translates each text
    and the separator on their own."""

    words: tuple
    separator: str

    def __new__(cls, words, separator: str) -> Joined:
        self = super().__new__(cls, separator.join(words))
        self.words, self.separator = tuple(words), separator
        return self

    def __reduce__(self):
        return (Joined, (self.words, self.separator))


def N_(msgid: str, **params: Any) -> Message:  # noqa: N802 (the gettext convention)
    """A message ``msgid`` with ``%(name)s`` ``params``."""
    return Message(msgid, **params)


def Nn_(singular: str, plural: str, num: int, **params: Any) -> Message:  # noqa: N802
    """A message with a singular and a plural form, chosen by ``num`` (``%(num)d``)."""
    return Message(singular, plural, num, **params)
