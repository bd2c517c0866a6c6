"""What a reader of a page sees: its text (and the title, placeholders and labels a browser or a
screen reader shows), without markup, scripts or styles."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements that hold no text a reader sees.
_HIDDEN = {"script", "style", "template"}
# Elements without an end tag.
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
_SHOWN_ATTRIBUTES = ("placeholder", "aria-label", "title", "alt")

# Full-width punctuation, which has no place in English text.
FULL_WIDTH = re.compile(r"[：，。（）‘’“”；！？、【】《》]")


class _Reader(HTMLParser):
    def __init__(self, skip_lang: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_lang = skip_lang
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.pieces: list[str] = []

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        lang = values.get("lang", "")
        skipped = tag in _HIDDEN or bool(self.skip_lang and lang.startswith(self.skip_lang))
        if not (skipped or self._skipping()):
            self.pieces.extend(values[name] for name in _SHOWN_ATTRIBUTES if values.get(name))
        if tag not in _VOID:
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skipping() and data.strip():
            self.pieces.append(data.strip())


def visible_text(html: str, *, skip_lang: str | None = None) -> list[str]:
    """The pieces of text a reader of ``html`` sees, in order; with ``skip_lang`` (``"en"``,
    ``"zh"``), leaving out the elements marked as written in that language (``lang="en"``)."""
    reader = _Reader(skip_lang)
    reader.feed(html)
    reader.close()
    return reader.pieces
