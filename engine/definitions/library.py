"""Load a library: ``workflows/*.yaml`` and ``forms/*.json`` -> :class:`Library`.

``load_library(["."])``, ``load_library(["workflows", "forms"])`` and single files all
work. Every file is read and checked, forms first (workflows refer to them), and all
problems of all files come back together; a library with a problem is never returned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from engine.definitions.checks import check_workflow
from engine.definitions.form import FormDoc, build_form, read_form
from engine.definitions.parent_checks import outline
from engine.definitions.specs import Library, frozen_map
from engine.definitions.workflow import WorkflowDoc, build_workflow, read_workflow
from engine.errors import DefinitionError, Problem
from engine.source import Issue, SourceMap, display_name

WORKFLOW_SUFFIXES = (".yaml", ".yml")
FORM_SUFFIXES = (".json",)


def load_library(paths: Iterable[Path | str], other_workflows: Iterable[str] = ()) -> Library:
    """The checked library in ``paths``; raise :class:`DefinitionError` with every problem.
    ``other_workflows``: ids a ``start:`` or ``parent:`` may name though not loaded here."""
    library, problems = check_library(paths, other_workflows)
    if problems:
        raise DefinitionError(problems)
    return library


def sound_part(paths: Iterable[Path | str]) -> tuple[Library | None, list[Problem]]:
    """The library of every file in ``paths`` that has no problem and needs none that has
    (a workflow using a broken form, or starting a broken workflow), with the problems of
    the whole library; ``(None, problems)`` when no file is sound.

    For a server starting on a library with a typo, which has no earlier library to keep
    serving: the rest of the organisation's processes go on. Launching still waits for a
    library without problems."""
    paths = [Path(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]
    library, problems = check_library(paths)
    if not problems:
        return library, []
    workflow_files, form_files, _ = discover(paths)
    files = workflow_files + form_files
    broken = {p.file for p in problems}
    while True:  # dropping a file can break what needed it: until nothing more breaks
        sound = [f for f in files if display_name(f) not in broken]
        if not sound:
            return None, problems
        library, more = check_library(sound)
        if not more:
            return library, problems
        broken |= {p.file for p in more}


def check_library(paths: Iterable[Path | str], other_workflows: Iterable[str] = (),
                  strict: bool = False) -> tuple[Library | None, list[Problem]]:
    """``(library, [])``, or ``(None, problems)`` listing every problem of every file.

    ``other_workflows`` are ids that ``start:`` may name although they are not loaded
    here (checking one workflow file of a library). Warnings (a missing translation) are
    in ``library.warnings``; with ``strict`` they are problems like any other.
    """
    paths = [Path(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]
    workflow_files, form_files, problems = discover(paths)
    forms = [read_form(f) for f in form_files]
    workflows = [read_workflow(f) for f in workflow_files]
    problems += _duplicates(forms, "form") + _duplicates(workflows, "workflow")
    known_forms = {d.id: d.schema for d in forms}
    # id -> its outline (states, forms), which a parent: of another workflow checks against
    known_workflows = dict.fromkeys(other_workflows)
    known_workflows.update({name: None for d in workflows for name in (d.stem, d.id)})
    known_workflows.update({d.id: outline(d.data) for d in workflows if not d.broken})
    for doc in forms:
        problems += _located(doc.path, doc.map, doc.issues)
    for doc in workflows:
        meaning = [] if doc.broken else _meaning(doc, known_forms, known_workflows)
        problems += _located(doc.path, doc.map, doc.issues + _unshadowed(meaning, doc.issues))
    warnings = [w if strict else replace(w, severity="warning")
                for doc in (*forms, *workflows) for w in _located(doc.path, doc.map, doc.warnings)]
    if strict:
        problems += warnings
    if problems:
        return None, sorted(set(problems), key=_order)
    root = str(paths[0]) if paths else ""
    library = _build(forms, workflows, root)
    return replace(library, warnings=tuple(sorted(set(warnings), key=_order))), []


def discover(paths: list[Path]) -> tuple[list[Path], list[Path], list[Problem]]:
    """Workflow and form files under ``paths`` (folders or files), in a stable order."""
    workflows: list[Path] = []
    forms: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_file():
            _classify(path, workflows, forms, problems)
        elif path.is_dir():
            for sub, bucket, suffixes in _folders(path, workflows, forms):
                for f in sorted(sub.iterdir()) if sub.is_dir() else []:
                    # editors leave .#x.yaml and ~ files; they are not definitions
                    if f.is_file() and f.suffix in suffixes and not f.name.startswith("."):
                        bucket.append(f)
        else:
            problems.append(Problem(display_name(path), 1, 1, (), "no such file or folder"))
    return _unique(workflows), _unique(forms), problems


def _folders(path: Path, workflows: list, forms: list):
    if path.name == "workflows":
        return [(path, workflows, WORKFLOW_SUFFIXES)]
    if path.name == "forms":
        return [(path, forms, FORM_SUFFIXES)]
    return [(path / "workflows", workflows, WORKFLOW_SUFFIXES),
            (path / "forms", forms, FORM_SUFFIXES)]


def _classify(path: Path, workflows: list, forms: list, problems: list) -> None:
    if path.suffix in WORKFLOW_SUFFIXES:
        workflows.append(path)
    elif path.suffix in FORM_SUFFIXES:
        forms.append(path)
    else:
        problems.append(Problem(display_name(path), 1, 1, (),
                                "not a definition file", "workflows end in .yaml, forms in .json"))


def _unique(files: list[Path]) -> list[Path]:
    seen, out = set(), []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _duplicates(docs: list[FormDoc] | list[WorkflowDoc], kind: str) -> list[Problem]:
    first: dict[str, FormDoc | WorkflowDoc] = {}
    problems = []
    for doc in docs:
        ident = doc.id
        if ident in first:
            path = ("workflow",) if kind == "workflow" else ()
            line, col = doc.map.locate(path)
            problems.append(Problem(display_name(doc.path), line, col, path,
                                    f"{kind} '{ident}' is defined twice",
                                    f"also in {display_name(first[ident].path)}"))
        else:
            first[ident] = doc
    return problems


def _meaning(doc: WorkflowDoc, forms: dict, workflows: dict) -> list[Issue]:
    try:
        return check_workflow(doc.data, doc.stem, forms, workflows)
    except (TypeError, AttributeError, KeyError, ValueError):
        # A checker met a shape the meta-schema already reported; those problems suffice.
        if doc.issues:
            return []
        raise


def _located(path: Path, smap: SourceMap, issues: list[Issue]) -> list[Problem]:
    name = display_name(path)
    out = []
    for issue in issues:
        line, col = issue.pos or smap.locate(issue.path, issue.at)
        out.append(Problem(name, line, col, tuple(issue.path), issue.message, issue.hint))
    return out


def _unshadowed(meaning: list[Issue], structural: list[Issue]) -> list[Issue]:
    """Meaning problems inside a part whose structure is already wrong add only noise."""
    broken = [tuple(i.path) for i in structural if i.path]
    return [i for i in meaning
            if not any(tuple(i.path)[:len(b)] == b for b in broken)]


def _order(problem: Problem):
    return (problem.file, problem.line, problem.col, problem.message)


def _build(forms: list[FormDoc], workflows: list[WorkflowDoc], root: str) -> Library:
    form_specs = {d.id: build_form(d, display_name(d.path)) for d in forms}
    workflow_specs = {d.id: build_workflow(d, display_name(d.path)) for d in workflows}
    return Library(workflows=frozen_map(workflow_specs), forms=frozen_map(form_specs), root=root)
