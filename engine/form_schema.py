"""Where things are in a form's JSON Schema: field paths, the dialect, ``$ref`` scopes.

Both the engine's validation (:mod:`engine.submissions`) and the web forms (building,
parsing, showing answers) name fields and follow ``$ref`` the same way, so this lives
below both of them.

Field paths are written the way the forms' input names are: ``rating``, ``goals[0].goal``,
``address.city``; ``""`` is the form as a whole. A key that is not a plain name is quoted
JSON-style: ``notes["a.b"]``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from typing import Any

import referencing
import referencing.exceptions
import referencing.jsonschema

from engine.definitions.specs import FormSpec

DRAFT7 = "http://json-schema.org/draft-07/schema#"

#: Longest ``$ref`` chain followed (a recursive schema cannot loop).
MAX_REF_DEPTH = 32

_PLAIN_NAME = re.compile(r"^[A-Za-z_][\w\- ]*$")


def field_path(parts: Iterable[str | int]) -> str:
    """Write a document path as an input name: ``("goals", 0, "goal")`` -> ``goals[0].goal``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_NAME.match(part):
            out += ("." if out else "") + part
        else:
            out += "[" + json.dumps(part) + "]"
    return out


_SEGMENT = re.compile(r'\.?([A-Za-z_][\w\- ]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def parse_field_path(path: str) -> tuple[str | int, ...]:
    """Read back what :func:`field_path` wrote; raises ``ValueError`` on anything else."""
    parts: list[str | int] = []
    pos = 0
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if not m or (m.group(1) and pos == 0 and path[0] == "."):
            raise ValueError(f"not a field path: {path!r}")
        if m.group(1) is not None:
            if pos and not path[pos] == ".":
                raise ValueError(f"not a field path: {path!r}")
            parts.append(m.group(1))
        elif m.group(2) is not None:
            parts.append(int(m.group(2)))
        else:
            parts.append(json.loads(m.group(3)))
        pos = m.end()
    return tuple(parts)


def dialect_of(form: FormSpec) -> str:
    """The JSON Schema dialect of a form: its ``$schema``, else the spec's, else draft-07."""
    schema = form.schema
    if isinstance(schema, dict) and isinstance(schema.get("$schema"), str):
        return schema["$schema"]
    return form.dialect or DRAFT7


_SCOPES_KEPT = 256  # form versions whose root scope is kept (oldest dropped first)
_scopes: dict = {}
_scopes_lock = threading.Lock()


class SchemaScope:
    """Follows ``$ref`` (local, ``$id``-based and bundled ``$defs``) from a form's root schema.

    ``deref(schema)`` returns the target merged with the referring schema's own keywords,
    and a scope for looking up refs inside that target. Ref chains are bounded so a
    recursive schema cannot loop.
    """

    def __init__(self, root: Any, dialect: str = DRAFT7, resolver=None):
        self.root = root
        self.dialect = dialect
        if resolver is None:
            spec = referencing.jsonschema.specification_with(
                dialect, default=referencing.jsonschema.DRAFT7
            )
            resource = spec.create_resource(root if isinstance(root, dict | bool) else {})
            base = root.get("$id", "") if isinstance(root, dict) else ""
            registry = referencing.Registry().with_resource(base, resource).crawl()
            resolver = registry.resolver(base_uri=base)
        self.resolver = resolver

    @classmethod
    def of(cls, form: FormSpec) -> SchemaScope:
        """The scope of a form's root schema, made once per form version (crawling the
        schema for its ``$id``s and ``$defs`` cost a tenth of a submit)."""
        key = (form.id, form.sha256, dialect_of(form)) if form.sha256 else None
        found = _scopes.get(key) if key else None
        if found is None:
            found = cls(form.schema, dialect_of(form))
            if key:
                with _scopes_lock:  # web threads share it
                    if len(_scopes) >= _SCOPES_KEPT:
                        _scopes.pop(next(iter(_scopes)))
                    _scopes[key] = found
        return found

    def enter(self, schema: Any) -> SchemaScope:
        """The scope inside ``schema`` (it changes only where ``schema`` has an ``$id``)."""
        if isinstance(schema, dict) and isinstance(schema.get("$id"), str):
            spec = referencing.jsonschema.specification_with(
                schema.get("$schema", self.dialect), default=referencing.jsonschema.DRAFT7
            )
            inner = self.resolver.in_subresource(spec.create_resource(schema))
            return SchemaScope(self.root, self.dialect, inner)
        return self

    def deref(self, schema: Any) -> tuple[Any, SchemaScope]:
        """Follow ``$ref`` chains in ``schema``; siblings of ``$ref`` win over the target's keys."""
        scope = self.enter(schema)
        for _ in range(MAX_REF_DEPTH):
            if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)):
                return schema, scope
            try:
                resolved = scope.resolver.lookup(schema["$ref"])
            except referencing.exceptions.Unresolvable:
                rest = {k: v for k, v in schema.items() if k != "$ref"}
                return rest, scope
            target = resolved.contents
            siblings = {k: v for k, v in schema.items() if k not in ("$ref", "$id")}
            scope = SchemaScope(self.root, self.dialect, resolved.resolver).enter(target)
            schema = {**target, **siblings} if isinstance(target, dict) else target
        return {}, scope  # a ref cycle without end: treat it as "anything"
