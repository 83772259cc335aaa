"""One normalization step at the door: the text as sent -> the one form every later step analyses,
with a map from each analysed character back to the text as sent.

kiwipiepy, the stopword lists, the chrome rules and the compression rules all expect composed
Hangul and plain spaces; text pasted from macOS, PDFs, word processors, chat apps and web pages
brings decomposed syllables (한 = ᄒ + ᅡ + ᆫ), invisible characters and odd breaks. What is done,
class by class (each is tested in tests/test_normalize.py):

=====================================  ==========================================================
class                                  done, and why it is safe
=====================================  ==========================================================
canonical decomposition (NFD Hangul    composed (NFC): canonically equivalent, the same text by
jamo, Latin letters + combining marks) Unicode's definition
zero-width space, zero-width           removed: they carry no letters, and split words for the
(non-)joiner, word joiner, BOM,        morpheme analyser and the word rules (U+200B, U+200C,
soft hyphen, Mongolian vowel sep.      U+200D, U+2060, U+FEFF, U+00AD, U+180E)
bidirectional marks and embeddings     removed: only Korean and English are summarized, both
                                       left to right (U+200E, U+200F, U+061C, U+202A-U+202E,
                                       U+2066-U+2069)
no-break and typographic spaces        one space: NBSP, the U+2000-U+200A spaces, narrow NBSP,
                                       medium mathematical space, ideographic space (U+3000)
line breaks                            one "\\n": CR LF, a lone CR, NEL (U+0085), the line and
                                       paragraph separators (U+2028, U+2029), vertical tab and
                                       form feed; a line break ends a sentence either way
full-width ASCII (U+FF01-U+FF5E)       folded to ASCII (NFKC for this block only): ２０２６년 and
                                       ＡＩ are 2026년 and AI to every rule that reads digits or
                                       Latin letters
=====================================  ==========================================================

Kept as sent: every other compatibility character (NFKC would also turn ①, ㈜, ™, ½, ﬁ and the
ellipsis … into other text, which a bullet then quotes differently from the article), Hangul
compatibility jamo (ㄱ, ㅏ: standalone letters, not parts of a syllable), emoji, and the case of
letters. Text that is already in this form (most of it) is returned as is, with no map.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Normalized", "normalize_text"]

_REMOVED = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"  # invisible
                     "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")  # bidi
_SPACES = frozenset("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                    "\u202f\u205f\u3000")
_BREAKS = frozenset("\r\u0085\u2028\u2029\x0b\x0c")
# anything that is not left as it is: a fast check that most texts pass untouched
_SPECIAL = re.compile("[" + re.escape("".join(sorted(_REMOVED | _SPACES | _BREAKS))) + "\uff01-\uff5e]")


@functools.cache
def _second_starters() -> frozenset[str]:
    """Characters of combining class 0 that NFC joins to the character before them (Indic and
    other vowel signs, e.g. U+0B3E); Hangul syllables compose by rule, not from this table."""
    found = set()
    for cp in range(0x30000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            second = chr(int(parts[1], 16))
            if unicodedata.combining(second) == 0:
                found.add(second)
    return frozenset(found)


def _composes_backward(ch: str) -> bool:
    """True where NFC may join ``ch`` to the character before it: a combining mark, a Hangul vowel
    or final consonant jamo (conjoining, U+1160-U+11FF and U+D7B0-U+D7FF), or one of the few
    other characters of class 0 that compose with what precedes them."""
    return (unicodedata.combining(ch) != 0 or "\u1160" <= ch <= "\u11ff" or "\ud7b0" <= ch <= "\ud7ff"
            or ch in _second_starters())


@dataclass(frozen=True, slots=True)
class Normalized:
    """The analysed form of ``original``; ``span()`` maps its offsets back to ``original``."""

    text: str
    original: str
    # for each character of ``text``: where the characters it came from start and end in ``original``
    starts: tuple[int, ...] | None = None  # None: ``text`` is ``original``
    ends: tuple[int, ...] | None = None

    @property
    def identity(self) -> bool:
        return self.starts is None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """``[start, end)`` of ``text`` as ``[start, end)`` of ``original`` (whole source characters)."""
        if self.starts is None or self.ends is None:
            return start, end
        if end <= start:
            at = self.starts[start] if start < len(self.starts) else len(self.original)
            return at, at
        return self.starts[start], self.ends[end - 1]


def normalize_text(text: str) -> Normalized:
    """``text`` in the form every later step reads (the table above), with its map back."""
    if unicodedata.is_normalized("NFC", text) and not _SPECIAL.search(text):
        return Normalized(text, text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    n = len(text)
    i = 0
    while i < n:
        # one cluster: a character and what NFC may join to it (combining marks, Hangul jamo)
        j = i + 1
        while j < n and _composes_backward(text[j]) and text[j] not in _REMOVED:
            j += 1
        ch = text[i]
        if j == i + 1 and ch in _REMOVED:
            piece = ""
        elif j == i + 1 and ch in _SPACES:
            piece = " "
        elif ch == "\r" and j == i + 1 and i + 1 < n and text[i + 1] == "\n":
            piece = ""  # CR LF: the LF that follows is the break
        elif j == i + 1 and ch in _BREAKS:
            piece = "\n"
        elif j == i + 1 and "\uff01" <= ch <= "\uff5e":
            piece = chr(ord(ch) - 0xFEE0)
        else:
            piece = unicodedata.normalize("NFC", text[i:j])
        out.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    return Normalized("".join(out), text, tuple(starts), tuple(ends))
