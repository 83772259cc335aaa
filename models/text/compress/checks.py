"""What the English and the Korean compression share: the check that brackets and quotes pair up.

Both languages run every candidate through :func:`is_balanced` before returning it.
"""
from __future__ import annotations

import re

__all__ = ["is_balanced"]

_OPEN_CLOSE = {"(": ")", "[": "]", "{": "}", "“": "”", "‘": "’", "「": "」", "『": "』", "《": "》", "〈": "〉"}


def is_balanced(text: str) -> bool:
    """True when every bracket and curly quote closes in order and straight double quotes pair."""
    closers = {v: k for k, v in _OPEN_CLOSE.items()}
    stack: list[str] = []
    for i, ch in enumerate(text):
        if ch == "’" and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum():
            continue  # an apostrophe ("city’s"), not a closing quote
        if ch == "’" and (not stack or stack[-1] != "‘"):
            continue  # a trailing apostrophe ("drivers’")
        if ch in _OPEN_CLOSE:
            stack.append(ch)
        elif ch in closers:
            if not stack or stack[-1] != closers[ch]:
                return False
            stack.pop()
    if stack or text.count('"') % 2:
        return False
    # straight single quotes pair up, apostrophes aside: inside a word ("don't") or after a
    # plural ("drivers' union")
    quotes = len(re.findall(r"'", text)) - len(re.findall(r"(?<=[A-Za-z0-9])'(?=[A-Za-z])|(?<=s)'(?=\s)", text))
    return quotes % 2 == 0
