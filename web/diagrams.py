"""The instance diagram, inlined in the page: drawn by engine.diagram, then sanitised.

Graphviz escapes our labels, but an SVG inlined in a page is markup we vouch for, so it
goes through an allowlist of elements and attributes (no scripts, no event handlers, no
links, no foreign objects) before it is marked safe.
"""

from __future__ import annotations

import dataclasses
import functools
import xml.etree.ElementTree as ET

from flask import has_request_context
from flask_babel import gettext as _
from markupsafe import Markup

from engine.diagram import ENGLISH, DiagramWords, diagram_svg

SVG_NS = "http://www.w3.org/2000/svg"
ALLOWED_TAGS = {"svg", "g", "title", "path", "polygon", "polyline", "ellipse", "text", "tspan",
                "line", "rect", "circle", "defs"}
ALLOWED_ATTRS = {"width", "height", "viewBox", "transform", "id", "class", "fill", "stroke",
                 "stroke-width", "stroke-dasharray", "points", "d", "x", "y", "cx", "cy", "rx",
                 "ry", "x1", "y1", "x2", "y2", "r", "text-anchor", "font-family", "font-size",
                 "font-weight", "font-style", "fill-opacity", "stroke-opacity", "opacity"}


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _clean(element: ET.Element) -> None:
    for child in list(element):
        if _local(child.tag) not in ALLOWED_TAGS:
            element.remove(child)
        else:
            _clean(child)
    for name in list(element.attrib):
        if "}" in name or _local(name) not in ALLOWED_ATTRS:
            del element.attrib[name]
        elif "javascript:" in element.attrib[name].lower():
            del element.attrib[name]


def sanitize_svg(text: str) -> str:
    """The SVG with only drawing elements and presentation attributes left."""
    root = ET.fromstring(text.encode("utf-8"))
    if _local(root.tag) != "svg":
        raise ValueError("not an SVG document")
    _clean(root)
    root.set("role", "img")
    # Plain tag names and an explicit xmlns, rather than ElementTree's global prefix map:
    # another library (WeasyPrint, for XHTML) may take the empty prefix, and an inlined
    # "<ns0:svg>" draws nothing.
    for element in root.iter():
        element.tag = _local(element.tag)
    root.set("xmlns", SVG_NS)
    return ET.tostring(root, encoding="unicode")


def plain_spec(spec):
    """The workflow as participants read it: the steps and the moves between them, without
    the conditions' expressions (HR reads those on the library's workflow page)."""
    moves = tuple(dataclasses.replace(t, conditions=(), unless=()) for t in spec.transitions)
    return dataclasses.replace(spec, transitions=moves)


def words() -> DiagramWords:
    """The diagram's words in the page's language (English outside a request)."""
    if not has_request_context():
        return ENGLISH
    return DiagramWords(
        end=_("%(state)s (end)"), quorum=_("%(role)s, quorum %(num)s"),
        due=_(", due %(duration)s"), after=_("%(name)s (after %(duration)s)"),
        due_after=_(", due %(duration)s after %(date)s"),
        due_before=_(", due %(duration)s before %(date)s"), due_on=_(", due on %(date)s"),
        auto=_("%(name)s (auto)"), by=_("%(name)s (%(who)s)"), nobody=_("nobody"),
        condition=_("%(label)s if %(conditions)s"), conjunction=_(" and "),
        negation=_("not (%(condition)s)"), starts=_("%(label)s, starts %(workflow)s"))


@functools.lru_cache(maxsize=256)
def _cached(spec, state: str | None, plain: bool, diagram_words: DiagramWords) -> str:
    return sanitize_svg(diagram_svg(plain_spec(spec) if plain else spec, highlight_state=state,
                                    words=diagram_words))


def instance_diagram(spec, state: str | None, *, plain: bool = True) -> Markup:
    """The workflow drawn with ``state`` highlighted, safe to inline (cached per version
    and state: Graphviz takes tens of milliseconds). ``plain`` leaves the conditions'
    expressions out (for participants); the HR library draws them."""
    try:
        return Markup(_cached(spec, state, plain, words()))
    except (OSError, RuntimeError, ValueError, ET.ParseError):  # no Graphviz: page without drawing
        return Markup("")


def node_id(spec, state: str) -> str:
    """The diagram's node name of ``state`` (engine.diagram numbers states in order)."""
    return f"s{list(spec.states).index(state)}" if state in spec.states else ""
