"""What a browser posts -> typed JSON data, per-field type errors, and a pressed row button.

Every value is typed by its schema: whole numbers, numbers, yes/no, ``null`` (via
``ui:emptyValue``), lists, nested objects. An empty optional input is no answer (the key
is absent), not ``""``. Text that does not fit its type ("abc" for a whole number) is
kept as typed, so the form comes back with it, and reported ("Enter a whole number.").
Only names the form declares are read, so unknown posted fields are dropped.
"""

from __future__ import annotations

import base64
import copy
import re
from dataclasses import dataclass, field
from typing import Any

from engine import computed, submissions
from engine.definitions.specs import FormSpec
from engine.form_schema import field_path, parse_field_path
from engine.messages import N_
from engine.submissions import FORBIDDEN, NOT_A_NUMBER
from web.forms import widgets
from web.forms.builder import MISSING, Node, root_node
from web.forms.errors import merge_errors
from web.forms.render import alternative_prefix, control_name, input_name

MAX_ROWS = 500  # rows one array may post; more is refused, not parsed
_INT = re.compile(r"^[+-]?\d+$")
_ACTIONS = ("add", "remove", "up", "down")


@dataclass
class ParseResult:
    """Typed data, ``{field_path: [messages]}``, and the row action pressed (if any)."""

    data: Any
    errors: dict[str, list[str]] = field(default_factory=dict)
    action: str | None = None


def getlist(formdata: Any, name: str) -> list:
    """All values posted under ``name`` (a werkzeug MultiDict, or a dict of lists/values)."""
    if hasattr(formdata, "getlist"):
        return list(formdata.getlist(name))
    value = formdata.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def posted_size(formdata: Any) -> int:
    """Bytes of text posted (keys and values), to refuse oversize payloads before parsing."""
    keys = formdata.keys() if hasattr(formdata, "keys") else []
    total = 0
    for key in keys:
        total += len(str(key).encode())
        for value in getlist(formdata, key):
            total += len(value.encode()) if isinstance(value, str) else 0
    return total


# --------------------------------------------------------------------------- typing leaves


def _number(text: str, integer: bool) -> Any:
    clean = text.strip()
    if _INT.match(clean):
        return int(clean)
    if not widgets.looks_numeric(clean):
        clean = _local_number(clean)
        if clean is None:
            return MISSING
    number = float(clean)
    if integer:
        return int(number) if number.is_integer() else MISSING
    return number


def _local_number(text: str) -> str | None:
    """``0,7`` typed on a Danish or Swedish page (their decimal comma) as ``0.7``; None
    when the page's language would not write ``text`` as a number (``0,7`` in English,
    where the comma only groups thousands)."""
    from babel.numbers import NumberFormatError, parse_decimal
    from flask import has_request_context
    from flask_babel import get_locale

    locale = get_locale() if has_request_context() else None
    if locale is None or not re.search(r"\d", text):
        return None
    try:
        value = parse_decimal(text.replace("\u2212", "-"), locale=locale, strict=True)
    except NumberFormatError:
        return None
    return str(value) if value.is_finite() else None


def _datetime(text: str, offset: str = "") -> str:
    # datetime-local posts "2026-11-26T09:30" (no seconds, no offset); RFC 3339 needs both:
    # the offset the answer had (posted beside it), else UTC, as the page says.
    if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$", text):
        text += ":00"
    if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$", text):
        text += offset or "Z"
    return text


def _time(text: str, offset: str = "") -> str:
    # A time input posts "09:30": seconds added, the offset only where the answer had one
    # (a time of day is a clock reading; no "Z" is made up for it).
    if re.match(r"^\d{2}:\d{2}$", text):
        text += ":00"
    if offset and re.match(r"^\d{2}:\d{2}:\d{2}(\.\d+)?$", text):
        text += offset
    return text


def _boolean(values: list[str]) -> Any:
    lowered = [v.strip().lower() for v in values if isinstance(v, str)]
    if any(v in ("true", "on", "yes", "1") for v in lowered):
        return True
    if any(v in ("false", "off", "no", "0") for v in lowered):
        return False
    rest = [v for v in values if isinstance(v, str) and v != ""]
    return rest[0] if rest else MISSING


def _file(values: list) -> Any:
    for value in values:  # an uploaded file (multipart) wins over the one kept from before
        if hasattr(value, "read") and getattr(value, "filename", ""):
            content = value.read()
            mime = getattr(value, "mimetype", None) or "application/octet-stream"
            name = value.filename.replace(";", "_")
            encoded = base64.b64encode(content).decode()
            return f"data:{mime};name={name};base64,{encoded}"
    texts = [v for v in values if isinstance(v, str) and v]
    return texts[0] if texts else MISSING


def decode_leaf(node: Node, values: list, widget: str | None = None,
                offset: str = "") -> tuple[Any, str | None]:
    """The typed value of a leaf from what was posted, and a type error if it does not fit
    (``offset``: the UTC offset a date-time or time answer is written on)."""
    widget = widget or node.widget
    if widget == "checkbox" or (node.main_type == "boolean" and node.choices is None):
        found = _boolean(values)
        return (node.empty_value if found is MISSING else found), None
    if widget == "file":
        return _file(values), None
    texts = [v for v in values if isinstance(v, str)]
    if not texts:
        return MISSING, None
    raw = texts[0].replace("\r\n", "\n")
    if raw == "":
        return node.empty_value, None
    options = widgets.rating_scale(node) if widget == "rating" else node.choices
    if options and widget in ("select", "radio", "rating"):
        for enc, value, _ in options:
            if enc == raw:
                return copy.deepcopy(value), None
    return _typed_text(node, raw, offset)


def _typed_text(node: Node, raw: str, offset: str = "") -> tuple[Any, str | None]:
    kind = node.main_type
    if kind in ("integer", "number"):
        value = _number(raw, kind == "integer")
        if value is MISSING:
            return raw, N_("Enter a whole number.") if kind == "integer" else NOT_A_NUMBER
        return value, None
    if kind == "boolean":
        found = _boolean([raw])
        return found, None
    if kind == "null":
        return raw, FORBIDDEN
    fmt = node.schema.get("format")
    if fmt == "date-time":
        return _datetime(raw, offset), None
    if fmt == "time":
        return _time(raw, offset), None
    if "number" in node.types or "integer" in node.types:
        value = _number(raw, "number" not in node.types)
        if value is not MISSING:
            return value, None
    return raw, None


# --------------------------------------------------------------------------- the walk


class Parser:
    """One parse of posted data against one form's node tree."""

    def __init__(self, formdata: Any, prefix: str = ""):
        self.formdata = formdata
        self.prefix = prefix
        self.errors: dict[str, list[str]] = {}
        self._keys = list(formdata.keys()) if hasattr(formdata, "keys") else []

    def error(self, path: tuple, message: str) -> None:
        found = self.errors.setdefault(field_path(path), [])
        if message not in found:
            found.append(message)

    def value(self, node: Node, path: tuple, in_row: bool = False) -> Any:
        """The typed value at ``path`` (``MISSING`` when nothing was answered)."""
        if node.kind == "object":
            return self.object(node, path, in_row)
        if node.kind == "array":
            return self.array(node, path)
        if node.kind == "note":
            return MISSING
        if node.kind == "alternatives":
            return self.alternative(node, path, in_row)
        values = getlist(self.formdata, input_name(self.prefix, path))
        if node.kind == "multi":
            return self.multi(node, values)
        untouched = getlist(self.formdata, control_name(self.prefix, "unanswered", path))
        answered = getlist(self.formdata, control_name(self.prefix, "answered", path))
        if untouched and not answered \
                and [v for v in values if isinstance(v, str)][:1] == untouched[:1]:
            return MISSING  # the input still shows what it showed unanswered
        offsets = getlist(self.formdata, control_name(self.prefix, "offset", path))
        offset = offsets[0] if offsets and re.fullmatch(r"Z|[+-]\d{2}:\d{2}",
                                                        str(offsets[0])) else ""
        value, problem = decode_leaf(node, values, offset=offset)
        if problem:
            self.error(path, problem)
        return value

    def alternative(self, node: Node, path: tuple, in_row: bool) -> Any:
        """The answer of the ``oneOf``/``anyOf`` alternative the radio chose (the first one
        when none is posted), read from that alternative's inputs."""
        picked = getlist(self.formdata, control_name(self.prefix, "alt", path))
        index = 0
        if picked and str(picked[0]).isdigit() and int(picked[0]) < len(node.alternatives):
            index = int(picked[0])
        sub = Parser(self.formdata, alternative_prefix(self.prefix, index))
        sub.errors = self.errors
        return sub.value(node.alternatives[index][1], path, in_row)

    def object(self, node: Node, path: tuple, in_row: bool) -> Any:
        out: dict[str, Any] = {}
        for name, child in node.fields:
            value = self.value(child, (*path, name))
            if value is not MISSING:
                out[name] = value
        if node.extra is not None:
            self.pairs(node, path, out)
        if out or in_row or not path:
            return out
        return MISSING

    def pairs(self, node: Node, path: tuple, out: dict) -> None:
        keys = getlist(self.formdata, control_name(self.prefix, "key", path))
        values = getlist(self.formdata, control_name(self.prefix, "value", path))
        for key, raw in zip(keys, values, strict=False):
            if not isinstance(key, str) or key in out:
                continue
            if key == "" and raw == "":
                continue
            value, problem = decode_leaf(node.extra, [raw], widget="text")
            if key == "":
                self.error(path, "Give each added field a name.")
                continue
            out[key] = "" if value is MISSING else value
            if problem:
                self.error((*path, key), problem)

    def row_count(self, path: tuple) -> int:
        marker = getlist(self.formdata, control_name(self.prefix, "rows", path))
        if marker and isinstance(marker[0], str) and _ascii_digits(marker[0].strip()):
            return min(int(marker[0]), MAX_ROWS)
        # No marker (a body written by hand): count the rows that were posted.
        base = input_name(self.prefix, path) if path else self.prefix
        pattern = re.compile(re.escape(base) + r"\[(\d+)\]")
        indexes = [int(m.group(1)) for k in self._keys if (m := pattern.match(str(k)))]
        return min(max(indexes) + 1, MAX_ROWS) if indexes else 0

    def array(self, node: Node, path: tuple) -> Any:
        items = []
        for i in range(self.row_count(path)):
            child = node.item(i)
            value = self.value(child, (*path, i), in_row=True)
            if value is MISSING:
                value = child.empty_value if child.empty_value is not MISSING else None
            items.append(value)
        return items if items else MISSING

    def multi(self, node: Node, values: list) -> Any:
        lookup = {enc: value for enc, value, _ in node.item_choices}
        out = [copy.deepcopy(lookup[v]) if v in lookup else v for v in values
               if isinstance(v, str) and v != ""]
        return out if out else MISSING

    # ------------------------------------------------------------------ row buttons

    def action(self) -> str | None:
        """The row button pressed, as ``"add:goals"``/``"remove:goals:1"``, or ``None``."""
        for key in self._keys:
            key = str(key)
            if not key.startswith(self.prefix + "__"):
                continue
            rest = key[len(self.prefix) + 2:]
            for kind in _ACTIONS:
                if rest.startswith(f"{kind}__:"):
                    return f"{kind}:{rest[len(kind) + 3:]}"
        return None


def _ascii_digits(text: str) -> bool:
    """0-9 only: ``'²'.isdigit()`` is true, but ``int('²')`` fails."""
    return text.isascii() and text.isdigit()


def apply_action(root: Node, data: Any, action: str) -> Any:
    """``data`` after the row button ``action``: a row (or key/value row) more, less, moved."""
    kind, _, target = action.partition(":")
    index = None
    if kind != "add":
        target, _, number = target.rpartition(":")
        if not _ascii_digits(number):
            return data
        index = int(number)
    try:
        path = parse_field_path(target)
    except ValueError:
        return data
    node, parent = _node_at(root, path), data
    if node is None:
        return data
    if not path:
        return _change(node, data, kind, index)
    for part in path[:-1]:
        parent = parent[part] if _has(parent, part) else None
        if parent is None:
            return data
    last = path[-1]
    current = parent[last] if _has(parent, last) else MISSING
    if kind == "add" and current is MISSING and isinstance(parent, dict):
        current = {} if node.kind == "object" else []
    if current is MISSING:
        return data
    parent[last] = _change(node, current, kind, index)
    return data


def _has(container: Any, part: Any) -> bool:
    if isinstance(container, dict):
        return part in container
    return isinstance(container, list) and isinstance(part, int) and 0 <= part < len(container)


def _node_at(root: Node, path: tuple) -> Node | None:
    node = root
    for part in path:
        if node.kind == "object":
            node = dict(node.fields).get(part)
        elif node.kind == "array" and isinstance(part, int):
            node = node.item(part)
        else:
            return None
        if node is None:
            return None
    return node


def _change(node: Node, value: Any, kind: str, index: int | None) -> Any:
    from web.forms.defaults import new_row

    if node.kind == "object" and node.extra is not None and isinstance(value, dict):
        declared = {n for n, _ in node.fields}
        extras = [k for k in value if k not in declared]
        if kind == "add" and "" not in value:
            value[""] = ""
        elif kind == "remove" and index is not None and index < len(extras):
            del value[extras[index]]
        return value
    if node.kind != "array" or not isinstance(value, list):
        return value
    if kind == "add" and (node.max_items is None or len(value) < node.max_items):
        value.append(new_row(node, len(value)))
    elif kind == "remove" and index is not None and index < len(value):
        del value[index]
    elif kind == "up" and index is not None and 0 < index < len(value):
        value[index - 1], value[index] = value[index], value[index - 1]
    elif kind == "down" and index is not None and 0 <= index < len(value) - 1:
        value[index + 1], value[index] = value[index], value[index + 1]
    return value


def keep_readonly(node: Node, data: Any, previous: Any) -> Any:
    """``data`` with every read-only field (``readOnly``, ``ui:readonly``, ``ui:disabled``)
    set back to its value in ``previous``: a rater cannot change it by editing the HTML."""
    if node.readonly:
        return copy.deepcopy(previous)
    if node.kind == "object" and isinstance(data, dict):
        before = previous if isinstance(previous, dict) else {}
        for name, child in node.fields:
            value = keep_readonly(child, data.get(name, MISSING), before.get(name, MISSING))
            if value is MISSING:
                data.pop(name, None)
            else:
                data[name] = value
    elif node.kind == "array" and isinstance(data, list):
        before = previous if isinstance(previous, list) else []
        for i, item in enumerate(data):
            value = keep_readonly(node.item(i), item, before[i] if i < len(before) else MISSING)
            data[i] = None if value is MISSING else value
    return data


def parse_form(form: FormSpec, formdata: Any, *, validate: bool = True,
               prefix: str = "", previous: Any = None) -> ParseResult:
    """Parse a posted form into typed data (see the module docstring).

    ``validate=False`` is the draft path: only type errors are reported, so a half-filled
    form can be saved and resumed. A pressed row button sets ``action`` and skips schema
    validation: the page is shown again with a row more or less, everything typed kept.
    ``previous`` (the stored draft, or the defaults of a new form) is where read-only
    fields take their values from; without it, the posted values are kept.
    """
    size = posted_size(formdata)
    if size > submissions.MAX_PAYLOAD_BYTES:
        return ParseResult(data={}, errors={"": [submissions.too_large_message(size)]})
    root = root_node(form)
    parser = Parser(formdata, prefix)
    data = parser.value(root, ())
    if data is MISSING:
        data = None
    size = submissions.payload_size(data)
    if size > submissions.MAX_PAYLOAD_BYTES:  # e.g. many blank rows asked for by markers
        return ParseResult(data={}, errors={"": [submissions.too_large_message(size)]})
    data = submissions.strip_unknown(form, data)
    if previous is not None:
        data = keep_readonly(root, data, previous)
    action = parser.action()
    if action is not None:
        data = computed.apply(form, apply_action(root, data, action))
        return ParseResult(data=data, errors=parser.errors, action=action)
    data = computed.apply(form, data)  # shown as the engine will store them
    errors = parser.errors
    if validate:
        errors = merge_errors(errors, submissions.submission_errors(form, data))
    return ParseResult(data=data, errors=errors, action=None)
