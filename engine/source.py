"""Read YAML and JSON while keeping where every key and value came from.

Definition errors name ``file:line:col``, so the readers here return, beside the data, a
:class:`SourceMap` from document paths (``("states", "collect", "tasks", 0)``) to 1-based
line and column of the value and of its key. Duplicate keys, which PyYAML and ``json``
would silently resolve to the last one, are reported as problems.
"""

from __future__ import annotations

import difflib
import json
import json.decoder
import json.scanner
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple  # a document path: keys (str) and list indexes (int)


@dataclass
class Issue:
    """A problem found before the file and position are known (checkers yield these).

    ``at`` says what to point at: ``"value"`` (a bad value) or ``"key"`` (an unknown or
    duplicate key, a state that is unreachable).
    """

    path: Path_
    message: str
    hint: str | None = None
    at: str = "value"
    pos: tuple[int, int] | None = None  # an exact position, when the path is ambiguous


@dataclass
class SourceMap:
    """Document path -> (line, col) of the value and of the key that holds it."""

    values: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)

    def locate(self, path: Path_, at: str = "value") -> tuple[int, int]:
        """Position of ``path``; the nearest enclosing node when it is not in the file."""
        table = self.keys if at == "key" else self.values
        path = tuple(path)
        if path in table:
            return table[path]
        while path:
            path = path[:-1]
            if path in self.values:
                return self.values[path]
        return (1, 1)


class SourceSyntaxError(Exception):
    """The text is not YAML/JSON at all; carries the position of the first error."""

    def __init__(self, message: str, line: int, col: int, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.hint = hint


def did_you_mean(word: Any, options) -> str | None:
    """``did you mean 'debrief'?`` when ``word`` is close to one of ``options``."""
    if not isinstance(word, str):
        return None
    close = difflib.get_close_matches(word, [str(o) for o in options], n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def display_name(path: str | os.PathLike) -> str:
    """A file name as users see it: relative to the working directory when inside it."""
    p = Path(path)
    try:
        relative = Path(os.path.relpath(p.resolve(), Path.cwd().resolve()))
    except ValueError:  # another drive
        return p.as_posix()
    # a neighbour folder reads better as ../x; somewhere far away, as written
    return relative.as_posix() if relative.parts[:2].count("..") <= 1 else p.as_posix()


def read_text(path: str | os.PathLike) -> str:
    """A definition file's text; raise :class:`SourceSyntaxError` if it is not UTF-8 text."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SourceSyntaxError(f"cannot read the file: {exc.strerror}", 1, 1) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceSyntaxError("not UTF-8 text", line, col,
                                "save it as UTF-8, which most editors offer under Save as"
                                ) from None


class SourceDoc:
    """A definition file as read: its text, data, positions and the problems found so far."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.stem = path.stem
        self.text = text
        self.data = None
        self.map = SourceMap()
        self.issues: list[Issue] = []
        self.warnings: list[Issue] = []  # reported, but the file still loads (not --strict)
        self.broken = False  # unreadable or not parseable: no meaning checks
        # Texts may be written per language (engine.definitions.texts): ``raw`` is the
        # document as written, ``data`` the same in its default language, plain strings.
        self.raw = None
        self.languages: tuple[str, ...] = ("en",)
        self.text_paths: list[tuple] = []

    def fail(self, exc: SourceSyntaxError) -> None:
        """Mark the file unusable, with the syntax error as its one problem."""
        self.broken = True
        self.issues = [Issue((), exc.message, exc.hint, pos=(exc.line, exc.col))]


def read_document(path: str | os.PathLike, doc_class: type, parse) -> Any:
    """Read ``path`` and ``parse`` it (:func:`read_yaml`/:func:`read_json`) into a
    ``doc_class`` (a :class:`SourceDoc`); a file that cannot be read or parsed comes
    back ``broken`` with its one problem."""
    try:
        text = read_text(path)
    except SourceSyntaxError as exc:
        doc = doc_class(Path(path), "")
        doc.fail(exc)
        return doc
    doc = doc_class(Path(path), text)
    try:
        doc.data, doc.map, doc.issues = parse(text)
    except SourceSyntaxError as exc:
        doc.fail(exc)
    return doc


# ---------------------------------------------------------------- YAML

_MERGE_TAG = "tag:yaml.org,2002:merge"


def read_yaml(text: str) -> tuple[Any, SourceMap, list[Issue]]:
    """Parse one YAML document; raise :class:`SourceSyntaxError` if it is not YAML."""
    try:
        node = yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if "nesting depth" in str(getattr(exc, "problem", "")) and mark is not None:
            raise SourceSyntaxError(f"nested too deeply (more than {MAX_DEPTH} levels)",
                                    mark.line + 1, mark.column + 1,
                                    "definitions are a few levels deep; check the brackets"
                                    ) from None
        try:
            node = _compose_slowly(text)  # PyYAML's own reader words its errors better
        except RecursionError:
            raise SourceSyntaxError(f"nested too deeply (more than {MAX_DEPTH} levels)", 1, 1,
                                    "definitions are a few levels deep") from None
    builder = _YamlBuilder()
    if node is None:
        return None, builder.map, []
    try:
        data = builder.build(node, ())
    except _TooMuch as exc:
        raise SourceSyntaxError(*_too_much(text, exc)) from None
    except RecursionError:
        raise SourceSyntaxError(f"the document is nested too deeply (more than {MAX_DEPTH} "
                                "levels)", 1, 1) from None
    return data, builder.map, builder.issues


#: Bounds of one definition file once aliases are expanded: values, and levels of nesting.
MAX_VALUES = 100_000
MAX_DEPTH = 64


class _TooMuch(Exception):
    def __init__(self, what: str, mark: tuple[int, int]):
        self.what, self.mark = what, mark


def _too_much(text: str, exc: _TooMuch) -> tuple[str, int, int, str]:
    """Where and why a YAML document is refused: at its first alias for an alias bomb."""
    if exc.what == "depth":
        return (f"nested too deeply (more than {MAX_DEPTH} levels)", *exc.mark,
                "definitions are a few levels deep; check the brackets")
    try:
        for event in yaml.parse(text, Loader=_FAST_LOADER):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                return (f"YAML aliases expand to too much data (over {MAX_VALUES} values)",
                        mark.line + 1, mark.column + 1, "write the values out instead")
    except yaml.YAMLError:
        pass
    return (f"the document holds too much data (over {MAX_VALUES} values)", *exc.mark,
            "split it, or write less")


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster


def _compose_slowly(text: str):
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        if exc.context_mark and exc.context and ("alias" in exc.context
                                                 or "anchor" in exc.context):
            # `source: *` unquoted: YAML reads * as an alias and & as an anchor.
            mark, sign = exc.context_mark, "*" if "alias" in exc.context else "&"
            raise SourceSyntaxError(
                f"not valid YAML: a bare '{sign}' (YAML reads it as an "
                f"{'alias' if sign == '*' else 'anchor'})", mark.line + 1, mark.column + 1,
                f'put it in quotes: "{sign}"') from None
        mark = exc.problem_mark or exc.context_mark
        message = _plain_yaml_problem(exc.problem or exc.context or str(exc))
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SourceSyntaxError(f"not valid YAML: {message}", line, col,
                                "check the indentation and the ': ' after each key") from None
    except yaml.YAMLError as exc:
        raise SourceSyntaxError(f"not valid YAML: {exc}", 1, 1) from None


_YAML_WORDS = {
    "expected <block end>": "this line's indentation does not match the lines above",
    "mapping values are not allowed here": "a ': ' where none may be (quote text containing ': ')",
    "found character '\\t'": "a tab character (indent with spaces)",
    "could not find expected ':'": "a key without ': ' after it",
}


def _plain_yaml_problem(problem: str) -> str:
    for start, words in _YAML_WORDS.items():
        if problem.startswith(start):
            return words
    return problem


class _YamlBuilder:
    """Turn a composed node tree into plain data, recording positions and duplicate keys."""

    def __init__(self):
        self.map = SourceMap()
        self.issues: list[Issue] = []
        self._constructor = yaml.SafeLoader("")
        self._budget = MAX_VALUES  # aliases expand: a 483-byte file can name 10**9 values

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self._budget -= 1
        if self._budget < 0:
            raise _TooMuch("values", _mark(node))
        if len(path) > MAX_DEPTH:
            raise _TooMuch("depth", _mark(node))
        self.map.values.setdefault(path, _mark(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict:
        out: dict = {}
        merged: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.update(self._merge_source(value_node, path))
                continue
            # Keys of our language are names: `on:`, `no:` or `1:` mean the text written,
            # not YAML 1.1's booleans and numbers.
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
            else:
                key = str(self._constructor.construct_object(key_node, deep=True))
            child = path + (key,)
            if key in out:
                first = self.map.keys[child]
                self.issues.append(Issue(
                    child, f"duplicate key '{key}' (first defined at line {first[0]})",
                    "remove one of them; YAML would silently keep the last", at="key",
                    pos=_mark(key_node)))
                # keep the first occurrence's positions; the value is the last one, like YAML
            else:
                self.map.keys[child] = _mark(key_node)
                self.map.values[child] = _mark(value_node)
            if key in out:
                self._shadow(value_node, child)  # checked, but the first one stays
            else:
                out[key] = self.build(value_node, child)
        for key, value in merged.items():
            out.setdefault(key, value)
        return out

    def _shadow(self, node: yaml.Node, path: Path_) -> Any:
        """Build a duplicate's value (for its own problems) keeping the first one's positions."""
        saved = SourceMap(dict(self.map.values), dict(self.map.keys))
        value = self.build(node, path)
        self.map = saved
        return value

    def _merge_source(self, node: yaml.Node, path: Path_) -> dict:
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        out: dict = {}
        for item in nodes:
            if isinstance(item, yaml.MappingNode):
                for key, value in self._mapping(item, path).items():
                    out.setdefault(key, value)
        return out


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


# ---------------------------------------------------------------- JSON

_WS = " \t\n\r"
_LITERALS = {"true": True, "false": False, "null": None}


def read_json(text: str) -> tuple[Any, SourceMap, list[Issue]]:
    """Parse JSON text; raise :class:`SourceSyntaxError` if it is not JSON."""
    reader = _JsonReader(text)
    data = reader.document()
    return data, reader.map, reader.issues


class _JsonReader:
    """A small recursive-descent JSON reader: the stdlib's string and number scanners,
    plus positions and duplicate-key detection (``json`` keeps the last key silently)."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.map = SourceMap()
        self.issues: list[Issue] = []
        self._line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def where(self, pos: int) -> tuple[int, int]:
        """1-based line and column of character offset ``pos``."""
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, pos - self._line_starts[lo] + 1

    def fail(self, message: str, pos: int | None = None):
        line, col = self.where(self.pos if pos is None else pos)
        raise SourceSyntaxError(f"not valid JSON: {message}", line, col)

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _WS:
            self.pos += 1

    def document(self) -> Any:
        if self.text.startswith("\ufeff"):
            self.pos = 1
        self.skip()
        if self.pos >= len(self.text):
            self.fail("the file is empty")
        value = self.value(())
        self.skip()
        if self.pos < len(self.text):
            self.fail("extra data after the end of the document")
        return value

    def value(self, path: Path_) -> Any:
        self.skip()
        if len(path) > MAX_DEPTH:
            line, col = self.where(self.pos)
            raise SourceSyntaxError(f"nested too deeply (more than {MAX_DEPTH} levels)",
                                    line, col, "definitions are a few levels deep; check the "
                                    "brackets")
        self.map.values.setdefault(path, self.where(self.pos))
        if self.pos >= len(self.text):
            self.fail("unexpected end of file")
        char = self.text[self.pos]
        if char == "{":
            return self.object(path)
        if char == "[":
            return self.array(path)
        if char == '"':
            return self.string()
        return self.scalar()

    def string(self) -> str:
        try:
            value, self.pos = json.decoder.scanstring(self.text, self.pos + 1)
        except json.JSONDecodeError as exc:
            self.fail(exc.msg, exc.pos)
        return value

    def scalar(self) -> Any:
        for word, value in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return value
        match = json.scanner.NUMBER_RE.match(self.text, self.pos)
        if not match or match.end() == self.pos:
            self.fail(f"unexpected character {self.text[self.pos]!r}")
        integer, frac, exp = match.groups()
        self.pos = match.end()
        if frac or exp:
            return float(integer + (frac or "") + (exp or ""))
        return int(integer)

    def expect(self, char: str) -> None:
        self.skip()
        if self.pos >= len(self.text) or self.text[self.pos] != char:
            found = repr(self.text[self.pos]) if self.pos < len(self.text) else "end of file"
            self.fail(f"expected '{char}', found {found}")
        self.pos += 1

    def object(self, path: Path_) -> dict:
        out: dict = {}

        def member() -> None:
            if not self.text.startswith('"', self.pos):
                self.fail("expected a key in double quotes")
            key_pos = self.where(self.pos)
            key = self.string()
            child = path + (key,)
            self.expect(":")
            if key in out:
                first = self.map.keys[child]
                self.issues.append(Issue(
                    child, f"duplicate key '{key}' (first defined at line {first[0]})",
                    "remove one of them; JSON readers silently keep the last", at="key",
                    pos=key_pos))
                saved = SourceMap(dict(self.map.values), dict(self.map.keys))
                self.value(child)  # read past it; the first one stays, as in the YAML reader
                self.map = saved
            else:
                self.map.keys[child] = key_pos
                out[key] = self.value(child)

        self.items("}", member)
        return out

    def array(self, path: Path_) -> list:
        out: list = []
        self.items("]", lambda: out.append(self.value(path + (len(out),))))
        return out

    def items(self, close: str, read_one) -> None:
        """Read ``[a, b]`` or ``{"k": v, ...}`` after its opening bracket: ``read_one``
        reads each item; an empty body and a trailing comma are told apart."""
        self.pos += 1
        self.skip()
        if self.text.startswith(close, self.pos):
            self.pos += 1
            return
        while True:
            self.skip()
            read_one()
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                self.skip()
                if self.text.startswith(close, self.pos):
                    self.fail(f"a comma before '{close}' is not allowed in JSON")
                continue
            self.expect(close)
            return
