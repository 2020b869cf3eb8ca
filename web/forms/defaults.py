"""Starting values of a blank form: the schema's ``default``s and ``minItems`` rows.

Defaults fill a form only when there is no data yet (a new task); a draft or a submission
being shown again is rendered exactly as stored, so a cleared default stays cleared.
"""

from __future__ import annotations

import copy
from typing import Any

from web.forms.builder import MISSING, Node


def default_value(node: Node) -> Any:
    """The default of ``node`` (``MISSING`` when it has none)."""
    if "default" in node.schema:
        return copy.deepcopy(node.schema["default"])
    if node.kind == "object":
        out = {}
        for name, child in node.fields:
            value = default_value(child)
            if value is not MISSING:
                out[name] = value
        return out if out else MISSING
    if node.kind == "array" and node.min_items:
        return [new_row(node, i) for i in range(node.min_items)]
    return MISSING


def new_row(node: Node, index: int) -> Any:
    """A row added to array ``node`` at ``index``: the item's default, else an empty row."""
    child = node.item(index)
    value = default_value(child)
    if value is not MISSING:
        return value
    if child.kind == "object":
        return {}
    if child.kind == "array":
        return []
    return None


def initial_data(root: Node) -> Any:
    """The data a blank form starts from."""
    value = default_value(root)
    if value is MISSING:
        return {} if root.kind == "object" else MISSING
    return value
