"""Where an English sentence quotes someone: no shortening may start inside a quotation (a shortened
quote misquotes the speaker)."""
from __future__ import annotations

import re

__all__ = ["quote_spans"]

_QUOTE_OPENER = re.compile(r"(?:^|(?<=[\s(\[:—–-]))(``|[\"“]|['‘](?=[^\W\d_]))(?=[\w$£€])")
_QUOTE_CLOSERS = {'"': "\"”", "“": "”\"", "‘": "’'", "'": "'’", "``": "'"}
_AFTER_CLOSER = re.compile(r"[\s,.;:!?)\]…-]|$")


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` quotes someone: (start, end) of each quotation, its marks included. A double
    quotation left open runs to the end (the article goes on quoting in its next paragraph); an
    unclosed single mark is an apostrophe ("'90s"), not a quotation."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while (m := _QUOTE_OPENER.search(text, pos)) is not None:
        closers = _QUOTE_CLOSERS[m.group(1)]
        end = None
        for j in range(m.end() + 1, len(text)):
            if text[j] in closers and not text[j - 1].isspace() and _AFTER_CLOSER.match(text, j + 1):
                end = j + 1
                break
        if end is None:
            if m.group(1) in ("'", "‘"):
                pos = m.end()
                continue
            end = len(text)
        spans.append((m.start(), end))
        pos = end
    return spans
