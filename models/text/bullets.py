"""Turning sentences and generated summaries into short, clean, deduplicated bullets."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .compress import Kiwi
from .rules import Screen, screen_for, sentence_reason
from .sentences import Morph, Sentence
from .style import Style, fit_bullet

# Target bullet length per language (settings and a request's max_chars override it). Korean carries
# more per character than English. A sentence over the target is compressed (models/text/compress/),
# never cut; one with no grammatical shortening within the target is kept whole up to the ceiling.
DEFAULT_MAX_CHARS: dict[str, int] = {"en": 140, "ko": 100}
# The ceiling as a multiple of the target: how far a sentence with no shortening may run before the
# next candidate takes its place (docs/quality.md measures what it costs in length and buys in content).
DEFAULT_CEILING_RATIO = 1.5


def ceiling_for(target: int, ratio: float = DEFAULT_CEILING_RATIO) -> int:
    """The longest bullet allowed for a ``target`` length: ``ratio`` times it, never below it."""
    return max(target, int(target * ratio))

# --- noise: sentences that are never bullet material ----------------------------------------
# The rules are the "sentence" rows of the one table of chrome and noise, models.text.rules.RULES.

# Agency tags and bylines that open a sentence: stripped, the rest of the sentence kept.
_LEADING_TAGS: dict[str, re.Pattern[str]] = {
    # "(서울=한빛뉴스) 김하늘 기자 =", "[한빛뉴스 김하늘 기자]"
    "ko": re.compile(
        r"^[^\w(\[【]*(?:[\[(【]\s*[가-힣A-Za-z ]{1,12}\s*=\s*[가-힣A-Za-z ]{1,12}\s*[\])】]\s*)?"
        r"(?:[가-힣]{2,4}\s*(?:기자|특파원)\s*=\s*|"
        r"[\[【]\s*[가-힣A-Za-z0-9 ]{1,20}\s+[가-힣]{2,4}\s*(?:기자|특파원)\s*[\]】]\s*)?"
    ),
    # "(CNN) --", "LONDON (Reuters) -", and a dateline before a dash: "WASHINGTON —",
    # "Seoul, South Korea —" (a place in capitals, or a place, a comma and a capitalised region)
    "en": re.compile(r"^\s*(?:(?:\(CNN\)|[A-Z][A-Za-z .]{1,30}\((?:CNN|AP|Reuters|AFP)\))\s*(?:--|—|-)?|"
                     r"[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+){0,2}(?:, [A-Z][A-Za-z.'-]+(?: [A-Z][A-Za-z.'-]+){0,2})?"
                     r"\s+(?:—|–|--)|"
                     r"[A-Z][a-z][A-Za-z.'-]*(?: [A-Z][A-Za-z.'-]+){0,2}, [A-Z][A-Za-z.'-]+(?: [A-Z][A-Za-z.'-]+){0,2}"
                     r"\s+(?:—|–|--))\s*"),
}


def is_noise(sentence: str, lang: str, headings: bool = True) -> bool:
    """True for bylines, captions, credits, adverts, 'scroll down' lines, e-mail addresses and, in
    English, sentences in another language and (with ``headings``) headings and menu runs: the
    sentence rows of :data:`models.text.rules.RULES` (a request reads them through its
    :class:`~models.text.rules.Screen`)."""
    return sentence_reason(sentence, lang, headings) is not None


def strip_leading_tag(sentence: Sentence, lang: str) -> Sentence:
    """Drop an agency tag or byline that opens a sentence, keeping offsets true."""
    m = _LEADING_TAGS[lang].match(sentence.text)
    if not m or m.end() == 0 or m.end() >= len(sentence.text):
        return sentence
    cut = m.end()
    return sentence.clip(cut)  # keeps the Korean morphemes, re-based


# --- brackets and quotes ------------------------------------------------------------------

_PAIRS = {"(": ")", "[": "]", "{": "}", "“": "”", "‘": "’", "「": "」", "『": "』", "《": "》", "〈": "〉"}


def balance(text: str) -> str:
    """Remove unmatched brackets and quotes (a source sentence split inside a quotation)."""
    closers = {v: k for k, v in _PAIRS.items()}
    drop: set[int] = set()
    stack: list[tuple[str, int]] = []
    for i, ch in enumerate(text):
        if ch == "’" and (not stack or stack[-1][0] != "‘"):
            continue  # an apostrophe ("city’s", "drivers’"), not a closing quote
        if ch in _PAIRS:
            stack.append((ch, i))
        elif ch in closers:
            if stack and stack[-1][0] == closers[ch]:
                stack.pop()
            else:
                drop.add(i)
    drop.update(i for _, i in stack)
    quotes = [i for i, ch in enumerate(text) if ch == '"']
    if len(quotes) % 2:  # one straight double quote dangles: drop the one nearer an end
        drop.add(quotes[-1] if quotes[-1] > len(text) // 2 else quotes[0])
    out = "".join(ch for i, ch in enumerate(text) if i not in drop)
    return re.sub(r"\s{2,}", " ", out).strip(" ,;:-–—")


# --- bullets --------------------------------------------------------------------------------


@dataclass(slots=True)
class Bullet:
    """One bullet and the source sentences it came from."""

    text: str
    sources: list[Sentence] = field(default_factory=list)


def _char_ngrams(text: str, n: int = 3) -> set[str]:
    t = re.sub(r"\W+", "", text.lower())
    return {t[i : i + n] for i in range(max(len(t) - n + 1, 1))}


def similarity(a: str, b: str) -> float:
    """Character-trigram Jaccard similarity; language-neutral and cheap."""
    x, y = _char_ngrams(a), _char_ngrams(b)
    return len(x & y) / max(len(x | y), 1)


_LEADING_CONNECTIVE = {
    "en": re.compile(r"^(?:but|and|so|however|meanwhile|also|still|yet|now)\b,?\s+(?=\S)", re.I),
    "ko": re.compile(r"^(?:그러나|하지만|그런데|또한|또|한편|이에|이어|특히|다만|그리고)\s*,?\s+"),
}


def drop_leading_connective(text: str, lang: str) -> str:
    """'But now the team...' -> 'Now the team...': a bullet stands alone, without a link word."""
    pattern = _LEADING_CONNECTIVE.get(lang)
    if pattern is None:
        return text
    rest = pattern.sub("", text, count=1)
    if rest == text or len(rest) < 12:
        return text
    return rest[0].upper() + rest[1:] if lang == "en" else rest


_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")


def strip_markup(text: str) -> str:
    """Drop HTML tags and decode entities: pasted markup must not reach a bullet."""
    if "<" not in text and "&" not in text:
        return text
    import html

    return re.sub(r"\s{2,}", " ", html.unescape(_TAG.sub(" ", text))).strip()


def _morphs_for(text: str, sources: Sequence[Sentence]) -> Sequence[Morph] | None:
    """The splitter's morphemes when ``text`` is its one source sentence's text, else None."""
    if len(sources) == 1 and sources[0].text == text:
        return getattr(sources[0], "morphs", None)
    return None


# an ellipsis at the end, before any closing quote or bracket
_TRAILS_OFF = re.compile(r"(?:…|\.\.\.|\. \. \.)[\"'’”)\]]*\s*$")


def fit_within(
    text: str, lang: str, target: int, ceiling: int, style: Style = "sentence", kiwi: Kiwi | None = None,
    morphs: Sequence[Morph] | None = None, keep_whole: bool = False,
) -> str | None:
    """``text`` as a bullet of ``style`` near ``target`` characters, or None past ``ceiling``.

    Sentence style ("light drops first"): a sentence over the target is shortened to it by light
    drops (attribution, asides, time adverbials, a reporting frame) where they reach it; otherwise
    it is kept whole up to the ceiling, and past the ceiling compressed within it by any grammatical
    shortening, clause cuts included. Concise style takes its form within the target, else within
    the ceiling. On the dev sets light drops first, over compressing every sentence to the target
    by any cut, gave CNN/DM R1 +0.45 and Korean R1 +1.0 to +2.7 (docs/quality.md). ``keep_whole``
    (a model's output, never refused for its length) returns a sentence past the ceiling as it is.
    """
    light = style == "sentence"
    fitted = fit_bullet(text, lang, target, style, kiwi, morphs, truncate=not light)
    if fitted is None:  # whole within the ceiling, or compressed to it by any shortening
        fitted = fit_bullet(text, lang, ceiling, style, kiwi, morphs)
    if fitted is None and keep_whole:
        # a model's sentence with no form of ``style`` within the ceiling: the sentence itself,
        # compressed within the ceiling where it can be, else whole
        if style != "sentence":
            fitted = fit_bullet(text, lang, ceiling, "sentence", kiwi, morphs)
        fitted = fitted or text.strip()
    return fitted


def shape_bullets(
    items: Sequence[tuple[str, list[Sentence]]],
    lang: str,
    max_chars: int,
    max_bullets: int,
    kiwi: Kiwi | None = None,
    dedupe_threshold: float = 0.6,
    style: Style = "sentence",
    ceiling: int | None = None,
    keep_whole: bool = False,
    screen: Screen | None = None,
) -> list[Bullet]:
    """Up to ``max_bullets`` bullets of ``style`` from candidates given best first.

    ``max_chars`` is the target length: each candidate is compressed to it where a grammatical
    shortening exists (models/text/compress/, models/text/style.py), else kept whole or compressed
    within ``ceiling`` (default: the target); one past the ceiling, noise or a near-duplicate of an
    earlier bullet is skipped and the next candidate is used, so callers pass spares. With
    ``keep_whole`` (a model's output) a candidate is never skipped for its length. No bullet is
    ever cut or ends in "…". Korean needs ``kiwi`` (the splitter's kiwipiepy) to compress or to
    take the concise form. Noise is read through ``screen`` (the request's; a new one by default).
    """
    ceiling = max(ceiling or max_chars, max_chars)
    screen = screen_for(screen, lang)
    out: list[Bullet] = []
    for text, sources in items:
        if len(out) >= max_bullets:
            break
        text = strip_markup(text.strip())
        lead = drop_leading_connective(text, lang)
        morphs = _morphs_for(text, sources) if lead == text else None
        fitted = fit_within(lead, lang, max_chars, ceiling, style, kiwi, morphs, keep_whole)
        if fitted is None:
            continue
        cleaned = balance(fitted)
        if len(cleaned) < 2 or (len(cleaned) > ceiling and not keep_whole) or screen.noise(cleaned):
            continue
        if _TRAILS_OFF.search(cleaned):
            continue  # a sentence that trails off ("... I'm A Celebrity...") is not a finished bullet
        if any(similarity(cleaned, b.text) >= dedupe_threshold for b in out):
            continue
        out.append(Bullet(cleaned, list(sources)))
    return out
