"""The role syntax of a workflow's ``roles:`` section, parsed into :class:`RoleSpec`.

- ``subject``: the person the instance is about.
- ``subject.manager``, ``subject.manager.manager``...: up the manager chain.
- ``group:hr``: every member of the directory group ``hr``.
- ``field:peer-nomination.peers``: the people named (by email) in a field of a form.
- ``person:ceo@example.com``: one fixed person of the directory.

Whether ``field:`` names an existing form and field is checked by the workflow checker,
which knows the library; this module only reads the text.
"""

from __future__ import annotations

import re

from engine.definitions.specs import RoleSpec
from engine.source import did_you_mean

CHAIN_STEPS = ("manager",)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_FORM_FIELD = re.compile(r"^([a-z0-9][a-z0-9_\-]*)\.([A-Za-z_][A-Za-z0-9_\-]*)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SYNTAX = "subject, subject.manager[.manager...], group:NAME, field:FORM.FIELD, person:EMAIL"


class RoleSyntaxError(ValueError):
    """Role text that is none of the role forms; ``hint`` says what would be."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


def parse_role(name: str, text: str) -> RoleSpec:
    """``parse_role("manager", "subject.manager")`` -> a chain :class:`RoleSpec`."""
    if not isinstance(text, str):
        raise RoleSyntaxError(f"role '{name}' must be a string like 'subject.manager'",
                              SYNTAX)
    text = text.strip()
    kind, sep, rest = text.partition(":")
    if sep:
        return _prefixed(name, kind.strip(), rest.strip(), text)
    return _chain(name, text)


def _chain(name: str, text: str) -> RoleSpec:
    parts = text.split(".")
    if parts[0] != "subject":
        raise RoleSyntaxError(f"unknown role syntax '{text}'", "write " + SYNTAX)
    steps = tuple(parts[1:])
    for step in steps:
        if step not in CHAIN_STEPS:
            raise RoleSyntaxError(f"unknown step '{step}' in '{text}'",
                                  "only '.manager' steps follow 'subject'")
    if not steps:
        return RoleSpec(name=name, kind="subject", source=text)
    return RoleSpec(name=name, kind="chain", steps=steps, source=text)


def _prefixed(name: str, kind: str, rest: str, text: str) -> RoleSpec:
    if kind == "group":
        if not _NAME.match(rest):
            raise RoleSyntaxError(f"bad group name in '{text}'", "write group:NAME, e.g. group:hr")
        return RoleSpec(name=name, kind="group", group=rest, source=text)
    if kind == "field":
        match = _FORM_FIELD.match(rest)
        if not match:
            raise RoleSyntaxError(f"bad field reference in '{text}'",
                                  "write field:FORM.FIELD, e.g. field:peer-nomination.peers")
        return RoleSpec(name=name, kind="field", form=match.group(1), field=match.group(2),
                        source=text)
    if kind == "person":
        if not _EMAIL.match(rest):
            raise RoleSyntaxError(f"bad email in '{text}'",
                                  "write person:EMAIL, e.g. person:ceo@example.com")
        return RoleSpec(name=name, kind="person", email=rest.lower(), source=text)
    hint = did_you_mean(kind, ("group", "field", "person"))
    raise RoleSyntaxError(f"unknown role kind '{kind}:' in '{text}'", hint or "write " + SYNTAX)
