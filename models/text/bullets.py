"""Turning sentences and generated summaries into short, clean, deduplicated bullets."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .chrome import EMAIL
from .compress import Kiwi
from .sentences import Morph, Sentence, is_foreign_in_en
from .style import Style, fit_bullet

# Longest bullet per language (both settings). Korean carries more per character than English;
# over-long sentences are compressed (models/text/compress/), never cut, and skipped if they cannot be.
DEFAULT_MAX_CHARS: dict[str, int] = {"en": 140, "ko": 100}

# --- noise: lines that are never bullet material -------------------------------------------

_URL = re.compile(r"https?://\S+|www\.\S+")

_NOISE_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "en": [
        re.compile(p, re.I)
        for p in (
            r"^\s*by\s+\.?\s*[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}\s*(?:\.|,|and|for|$)",
            r"^\s*(?:by\s+)?associated press\b",
            r"\b(?:published|updated|last updated)\s*:?\s*\d",
            r"\bscroll down\b",
            r"\bclick here\b",
            r"\b(?:read|see) more\b\s*:?",
            r"^\s*advertisement\s*$",
            r"\bsign up (?:for|to)\b",
            r"\bfollow (?:us|@\w+|him|her) on\b",
            r"^\s*(?:photo|image|picture|video|credit|caption)s?\s*:",
            r"\((?:photo|picture|image)s?\b[^)]*\)",
            r"\b(?:getty images|reuters/|ap photo|afp/|photo credit)\b",
            r"\bcopyright\b|\ball rights reserved\b|©",
            r"^\s*\(?cnn\)?\s*$",
            r"\bpictured\b",
        )
    ],
    "ko": [
        re.compile(p)
        for p in (
            r"^\s*[\[(]?[가-힣]{2,4}\s*(?:기자|특파원|객원기자|통신원|리포터)\s*[\])]?\s*=?\s*$",
            r"[가-힣]{2,4}\s*(?:기자|특파원)\s*[\w.+-]+@",
            r"(?:기자|특파원)\s*[\])]?\s*$",
            r"ⓒ|©|무단\s*전재|재배포\s*금지|저작권자",
            r"^\s*[\[<(]?\s*(?:사진|그래픽|자료|영상|출처)\s*[=:]",
            r"(?:사진|그래픽|자료)\s*[=:]\s*[가-힣A-Za-z]+\s*[\])>]?\s*$",
            r"^\s*[▶■◆●▲△☞※]",
            r"(?:바로가기|구독하기|클릭하세요)",
        )
    ],
}

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


_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def is_heading_or_menu_en(sentence: str) -> bool:
    """At least 4 words and 80% of those after the first capitalized: a heading, a menu run, a
    team sheet ("I Need Legal Help", "How It Works Exploring Channels FAQs"). On the English dev
    articles 0.4% of candidate sentences match, all line-ups, shouted quotes and show titles."""
    words = _WORD.findall(sentence[:1000])
    if len(words) < 4:
        return False
    return sum(w[0].isupper() for w in words[1:]) >= 0.8 * (len(words) - 1)


def is_noise(sentence: str, lang: str, headings: bool = True) -> bool:
    """True for bylines, captions, credits, adverts, 'scroll down' lines, e-mail addresses and, in
    English, sentences in another language and (with ``headings``) headings and menu runs."""
    if not re.search(r"[^\W\d_]", sentence):  # no letters at all: emoji, digits, symbols
        return True
    if len(sentence) > 1_000:  # the patterns look at the ends; keep regex work bounded
        sentence = sentence[:600] + " " + sentence[-300:]
    if EMAIL.search(sentence) or _URL.search(sentence):
        return True
    if lang == "en" and ((headings and is_heading_or_menu_en(sentence)) or is_foreign_in_en(sentence)):
        return True
    return any(p.search(sentence) for p in _NOISE_PATTERNS.get(lang, []))


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


def shape_bullets(
    items: Sequence[tuple[str, list[Sentence]]],
    lang: str,
    max_chars: int,
    max_bullets: int,
    kiwi: Kiwi | None = None,
    dedupe_threshold: float = 0.6,
    style: Style = "sentence",
) -> list[Bullet]:
    """Up to ``max_bullets`` bullets of ``style`` from candidates given best first.

    Each candidate is compressed to ``max_chars`` (models/text/compress/, models/text/style.py); one
    that cannot be made to fit, is noise or near-duplicates an earlier bullet is skipped and the
    next candidate is used, so callers pass spares. No bullet is ever cut or ends in "…".
    Korean needs ``kiwi`` (the splitter's kiwipiepy) to compress or to take the concise form.
    """
    out: list[Bullet] = []
    for text, sources in items:
        if len(out) >= max_bullets:
            break
        text = strip_markup(text.strip())
        lead = drop_leading_connective(text, lang)
        morphs = _morphs_for(text, sources) if lead == text else None
        fitted = fit_bullet(lead, lang, max_chars, style, kiwi, morphs)
        if fitted is None:
            continue
        cleaned = balance(fitted)
        if len(cleaned) < 2 or len(cleaned) > max_chars or is_noise(cleaned, lang):
            continue
        if _TRAILS_OFF.search(cleaned):
            continue  # a sentence that trails off ("... I'm A Celebrity...") is not a finished bullet
        if any(similarity(cleaned, b.text) >= dedupe_threshold for b in out):
            continue
        out.append(Bullet(cleaned, list(sources)))
    return out
