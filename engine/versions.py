"""Definition versions: each ``(workflow_id, version)`` stored with its sources and hashes.

A running instance keeps the workflow *and the forms* it started with: the texts are in
``DefinitionSource`` rows and :func:`version_for` rebuilds the specs from them (once per
process). Changing a workflow file, or one of its forms, without bumping ``version`` is
refused, because instances already running on that version would change under people's
feet.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import peewee as pw
import yaml

from engine import connection
from engine.definitions.specs import FormSpec, Library, WorkflowSpec
from engine.errors import DefinitionError, NotFound, Problem
from engine.source import did_you_mean
from engine.store import Definition, DefinitionSource, db


@dataclass(frozen=True)
class Version:
    """One stored definition version with the specs it runs on."""

    definition_id: int
    spec: WorkflowSpec
    forms: dict  # form id -> FormSpec

    def form(self, form_id: str) -> FormSpec:
        return self.forms[form_id]


_cache: dict[int, Version] = {}
_lock = threading.Lock()


def sha(text: str) -> str:
    """The sha256 of a source text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def workflow_of(library: Library, workflow_id: str) -> WorkflowSpec:
    """The workflow ``workflow_id`` of the library; raise ``NotFound`` with a suggestion."""
    if workflow_id not in library.workflows:
        hint = did_you_mean(workflow_id, list(library.workflows))
        suffix = f" ({hint})" if hint else ""
        raise NotFound(f"no workflow '{workflow_id}' in the library{suffix}")
    return library.workflow(workflow_id)


def _sources(library: Library, spec: WorkflowSpec) -> list[tuple[str, str, str]]:
    out = [("workflow", spec.id, spec.source_text)]
    for form_id in sorted(spec.forms_used()):
        out.append(("form", form_id, library.form(form_id).source_text))
    return out


def _bundle_sha(sources: list[tuple[str, str, str]]) -> str:
    return sha("\n".join(f"{kind}:{name}:{sha(text)}" for kind, name, text in sources))


def ensure(library: Library, workflow_id: str, now: datetime,
           _seen: set | None = None) -> Version:
    """Store the library's version of ``workflow_id`` (and of the workflows it ``start``s)
    if new; refuse a changed definition under an existing version number."""
    spec = workflow_of(library, workflow_id)
    sources = _sources(library, spec)
    digest = _bundle_sha(sources)
    row = Definition.get_or_none(
        (Definition.workflow_id == spec.id) & (Definition.version == spec.version))
    if row is None:
        row = _create(spec, sources, digest, now)
    elif row.sha256 != digest:
        raise DefinitionError([_changed_problem(spec, row, sources)])
    version = Version(row.id, spec, {f: library.form(f) for f in spec.forms_used()})
    with _lock:
        _cache.setdefault(row.id, version)
    seen = _seen if _seen is not None else set()
    seen.add(spec.id)
    for child in sorted({t.start for t in spec.transitions if t.start} - seen):
        ensure(library, child, now, seen)
    return _cache[row.id]


def _create(spec: WorkflowSpec, sources, digest: str, now: datetime) -> Definition:
    try:
        with db.atomic():
            row = Definition.create(workflow_id=spec.id, version=spec.version, sha256=digest,
                                    title=spec.title or spec.id, created_at=now)
            DefinitionSource.insert_many([
                {"definition": row.id, "kind": kind, "name": name, "sha256": sha(text),
                 "text": text} for kind, name, text in sources]).execute()
            return row
    except pw.IntegrityError:  # someone stored it at the same moment: use theirs
        return Definition.get((Definition.workflow_id == spec.id)
                              & (Definition.version == spec.version))


def _changed_problem(spec: WorkflowSpec, row: Definition, sources) -> Problem:
    stored = {(s.kind, s.name): s.sha256 for s in row.sources}
    changed = [f"the {kind} '{name}'" if kind == "form" else "the workflow file"
               for kind, name, text in sources if stored.get((kind, name)) != sha(text)]
    changed += [f"the form '{name}' (no longer used)" for kind, name in stored
                if kind == "form" and ("form", name, ) not in {(k, n) for k, n, _ in sources}]
    latest = Definition.select(pw.fn.MAX(Definition.version)).where(
        Definition.workflow_id == spec.id).scalar() or spec.version
    line, col = _version_position(spec.source_text)
    return Problem(
        file=spec.file or f"workflows/{spec.id}.yaml", line=line, col=col, path=("version",),
        message=(f"workflow '{spec.id}' version {spec.version} is already in use with other "
                 f"content ({', '.join(changed) or 'its sources'} changed)"),
        hint=(f"bump `version` to {latest + 1} so running instances keep the version "
              "they started on"),
    )


def _version_position(text: str) -> tuple[int, int]:
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"^version\s*:\s*", line)
        if match:
            return number, match.end() + 1
    return 1, 1


def version_for(definition_id: int) -> Version:
    """The specs a stored definition version runs on (rebuilt from its sources once)."""
    found = _cache.get(definition_id)
    if found is not None:
        return found
    row = Definition.get_or_none(Definition.id == definition_id)
    if row is None:
        raise NotFound(f"no definition {definition_id}")
    version = _rebuild(row)
    with _lock:
        _cache.setdefault(definition_id, version)
    return _cache[definition_id]


def latest(workflow_id: str) -> Definition:
    """The highest stored version of ``workflow_id`` (``start:`` launches children on it)."""
    row = (Definition.select().where(Definition.workflow_id == workflow_id)
           .order_by(Definition.version.desc()).first())
    if row is None:
        raise NotFound(f"workflow '{workflow_id}' was never launched")
    return row


def _rebuild(row: Definition) -> Version:
    from engine.definitions.library import load_library

    sources = list(row.sources)
    spec_children = _child_sources(sources)
    with tempfile.TemporaryDirectory(prefix="reviewflow-version-") as tmp:
        root = Path(tmp)
        (root / "workflows").mkdir()
        (root / "forms").mkdir()
        for source in [*sources, *spec_children]:
            is_workflow = source.kind == "workflow"
            folder, suffix = ("workflows", ".yaml") if is_workflow else ("forms", ".json")
            (root / folder / f"{source.name}{suffix}").write_text(source.text, encoding="utf-8")
        library = load_library([root / "workflows", root / "forms"],
                               other_workflows=_parent_names(sources))
    spec = library.workflow(row.workflow_id)
    return Version(row.id, spec, {f: library.form(f) for f in spec.forms_used()})


def _parent_names(sources) -> list[str]:
    """The workflow a version's ``parent:`` names: known by name when it is rebuilt on its
    own (the parent's instances run on versions of their own)."""
    text = next((s.text for s in sources if s.kind == "workflow"), "")
    data = yaml.safe_load(text)
    value = data.get("parent") if isinstance(data, dict) else None
    if isinstance(value, dict):
        value = value.get("workflow")
    return [value] if isinstance(value, str) else []


def _child_sources(sources) -> list:
    """Sources of the workflows a version ``start``s, so its library loads on its own."""
    text = next((s.text for s in sources if s.kind == "workflow"), "")
    names = set(re.findall(r"^\s*start\s*:\s*['\"]?([a-z0-9][a-z0-9_-]*)", text, re.M))
    have = {(s.kind, s.name) for s in sources}
    extra = []
    for name in sorted(names):
        try:
            child = latest(name)
        except NotFound:
            continue
        for s in child.sources:
            if (s.kind, s.name) not in have:
                have.add((s.kind, s.name))
                extra.append(s)
    return extra


def clear_cache() -> None:
    """Forget rebuilt versions (tests that recreate the database)."""
    with _lock:
        _cache.clear()


connection.reset_hooks.append(clear_cache)
