"""Post a rendered form back the way a browser does, without a browser.

Successful controls per the HTML standard: every named input, select and textarea that is
not disabled; checkboxes and radios only when checked; submit buttons only when pressed;
a single select with nothing selected posts its first enabled option; textarea text loses
one leading newline and is posted with CRLF line breaks.
"""

from __future__ import annotations

from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict


class _Controls(HTMLParser):
    def __init__(self, press: str | None):
        super().__init__(convert_charrefs=True)
        self.press = press
        self.pairs: list[tuple[str, str]] = []
        self.buttons: list[str] = []
        self._select = None  # (name, multiple, options, disabled)
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        disabled = "disabled" in a
        if tag == "input":
            self._input(a, disabled)
        elif tag == "button":
            if a.get("name"):
                self.buttons.append(a["name"])
                if a["name"] == self.press and not disabled:
                    self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = {"name": a.get("name"), "multiple": "multiple" in a,
                            "options": [], "disabled": disabled}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": "", "selected": "selected" in a,
                            "disabled": disabled}
            self._select["options"].append(self._option)
        elif tag == "textarea":
            self._textarea = {"name": a.get("name"), "text": "", "disabled": disabled}

    def _input(self, a, disabled):
        name, kind = a.get("name"), (a.get("type") or "text").lower()
        if not name or disabled or kind in ("submit", "button", "reset", "image"):
            if kind == "submit" and name:
                self.buttons.append(name)
            return
        if kind in ("checkbox", "radio"):
            if "checked" in a:
                self.pairs.append((name, a.get("value", "on")))
        elif kind == "file":
            self.pairs.append((name, ""))
        else:
            self.pairs.append((name, a.get("value") or ""))

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            t = self._textarea
            self._textarea = None
            if t["name"] and not t["disabled"]:
                text = t["text"].replace("\r\n", "\n")  # the parser's newline normalisation
                text = text[1:] if text.startswith("\n") else text
                self.pairs.append((t["name"], text.replace("\r\n", "\n").replace("\n", "\r\n")))
        elif tag == "select" and self._select is not None:
            self._end_select(self._select)
            self._select = None

    def _end_select(self, s):
        if not s["name"] or s["disabled"]:
            return
        enabled = [o for o in s["options"] if not o["disabled"]]
        chosen = [o for o in enabled if o["selected"]]
        if not s["multiple"] and not chosen:
            chosen = enabled[:1]
        elif not s["multiple"]:
            chosen = chosen[-1:]
        for o in chosen:
            self.pairs.append((s["name"], o["value"] if o["value"] is not None else o["text"]))


def post_back(html: str, press: str | None = None) -> MultiDict:
    """What a browser posts for ``html`` unchanged (pressing the button ``press``, if any)."""
    parser = _Controls(press)
    parser.feed(str(html))
    parser.close()
    return MultiDict(parser.pairs)


def buttons(html: str) -> list[str]:
    """Names of every submit button in ``html``."""
    parser = _Controls(None)
    parser.feed(str(html))
    return parser.buttons
