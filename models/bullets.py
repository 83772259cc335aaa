"""Turning sentences and generated summaries into short, clean, deduplicated bullets."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .text import Sentence

# Korean carries more per character than English; at 90 characters too much of the typical
# 100-160 character news sentence was cut (dev ROUGE-1 fell about 4 points), so 120.
DEFAULT_MAX_CHARS: dict[str, int] = {"en": 140, "ko": 120}

# --- noise: lines that are never bullet material -------------------------------------------

_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
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
    "ko": re.compile(
        r"^[^\w(\[【]*(?:[\[(【]\s*[가-힣A-Za-z ]{1,12}\s*=\s*[가-힣A-Za-z ]{1,12}\s*[\])】]\s*)?"
        r"(?:[가-힣]{2,4}\s*(?:기자|특파원)\s*=\s*)?"
    ),
    "en": re.compile(r"^\s*(?:\(CNN\)|[A-Z][A-Za-z .]{1,30}\((?:CNN|AP|Reuters|AFP)\))\s*(?:--|—|-)?\s*"),
}


def is_noise(sentence: str, lang: str) -> bool:
    """True for bylines, captions, credits, adverts, 'scroll down' lines and e-mail addresses."""
    if not re.search(r"[^\W\d_]", sentence):  # no letters at all: emoji, digits, symbols
        return True
    if len(sentence) > 1_000:  # the patterns look at the ends; keep regex work bounded
        sentence = sentence[:600] + " " + sentence[-300:]
    if _EMAIL.search(sentence) or _URL.search(sentence):
        return True
    return any(p.search(sentence) for p in _NOISE_PATTERNS.get(lang, []))


def strip_leading_tag(sentence: Sentence, lang: str) -> Sentence:
    """Drop an agency tag or byline that opens a sentence, keeping offsets true."""
    m = _LEADING_TAGS[lang].match(sentence.text)
    if not m or m.end() == 0 or m.end() >= len(sentence.text):
        return sentence
    cut = m.end()
    return sentence.clip(cut)  # keeps the Korean morphemes, re-based


# --- shortening --------------------------------------------------------------------------

_EN_SUBORDINATE = re.compile(
    r"^(?:although|though|while|after|before|when|whenever|if|as|because|since|despite|"
    r"in spite of|once|until|unless|following|according to|in|on|at|with|without|during|"
    r"earlier|later|last|this|speaking|asked)\b",
    re.I,
)
_EN_CLAUSE_BREAKS = re.compile(
    r"(?:,|;|:| --| —| –)\s+|\s+(?=(?:but|while|whereas|although|though|because|after|before|"
    r"which|who|when|as|since|and then|and)\s)"
)
_WORD_BOUNDARY = re.compile(r"\s+")
_PAIRS = {"(": ")", "[": "]", "{": "}", "“": "”", "‘": "’", "「": "」", "『": "』", "《": "》", "〈": "〉"}
_PAREN_ASIDE = re.compile(r"\s*[(\[][^()\[\]]{0,40}[)\]]")
_EN_ATTRIBUTION_TAIL = re.compile(
    r",\s+(?:[\w.'’-]+\s+){0,5}?(?:said|says|told\s+[\w\s.'’-]{1,40}?|reported|added|announced|"
    r"according\s+to\s+[^,]{1,60})(?:\s+(?:on|in|at|last)\s+[\w\s]{1,20}?)?\s*([.!?]?)$"
)
_EN_RELATIVE_ASIDE = re.compile(r",\s+(?:who|which|whose|where)\s[^,;]{3,90},(?=\s)")


def balance(text: str) -> str:
    """Remove unmatched brackets and quotes so a cut sentence never leaves one dangling."""
    closers = {v: k for k, v in _PAIRS.items()}
    drop: set[int] = set()
    stack: list[tuple[str, int]] = []
    for i, ch in enumerate(text):
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


def _cut_at_word(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def shorten_en(text: str, limit: int) -> str:
    """Shorten an English sentence to ``limit`` characters at a clause boundary.

    A leading subordinate clause ("Despite the rain, ...") is dropped rather than kept, so the
    result keeps the main clause's subject and verb.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    text = _EN_RELATIVE_ASIDE.sub("", _PAREN_ASIDE.sub("", text))
    text = _EN_ATTRIBUTION_TAIL.sub(lambda m: m.group(1) or ".", text)
    if len(text) <= limit:
        return text
    first_comma = text.find(", ")
    if 0 < first_comma < len(text) // 2 and _EN_SUBORDINATE.match(text):
        rest = text[first_comma + 2 :]
        text = rest[0].upper() + rest[1:]
    if len(text) <= limit:
        return text
    best = None
    for m in _EN_CLAUSE_BREAKS.finditer(text):
        if m.start() > limit:
            break
        if m.start() >= max(25, limit // 4):
            best = m.start()
    if best is not None:
        cut = text[:best].rstrip(" ,;:-–—")
        return cut if cut.endswith((".", "!", "?")) else cut + "."
    return _cut_at_word(text, limit)


# Korean connective endings after which a clause is complete; the clause is closed with 다.
# (어/아/여 are left out: they mostly join serial verbs, '결합해 개발했다', not clauses.)
_KO_CLAUSE_ENDINGS = frozenset({"고", "며", "으며", "면서", "으면서", "지만", "는데", "은데", "ㄴ데"})
_KO_PAREN = re.compile(r"\s*\([^()]{1,80}\)")


def shorten_ko(text: str, limit: int, kiwi: object | None = None) -> str:
    """Shorten a Korean sentence to ``limit`` characters, keeping a subject and a finished verb.

    Parenthetical glosses go first (ages, Hanja, English names); then, with kiwipiepy, the
    sentence is cut after the last connective ending (고, 며, 지만...) that fits and the clause is
    closed with 다, so '발표했고, ...' becomes '발표했다'. The original spacing is kept.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    text = _KO_PAREN.sub("", text)
    if len(text) <= limit:
        return text
    if kiwi is not None and not re.search(r"\S{200,}", text):
        tokens = kiwi.tokenize(text)  # type: ignore[attr-defined]
        best = None
        for i, t in enumerate(tokens):
            if t.start + 1 > limit:
                break
            if (t.tag == "EC" and t.form in _KO_CLAUSE_ENDINGS and t.start >= limit // 3 and i > 1
                    and tokens[i - 1].tag in ("VV", "VA", "VX", "XSV", "XSA", "EP", "VCP", "VCN")):
                best = t
        if best is not None:
            head = text[: best.start].rstrip()
            if head and len(head) + 1 <= limit:
                return head + "다"
    for sep in (", ", " · ", " - "):
        i = text.rfind(sep, 0, limit)
        if i >= limit // 2:
            return text[:i]
    return _cut_at_word(text, limit)


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


def shape_bullets(
    items: Sequence[tuple[str, list[Sentence]]],
    lang: str,
    max_chars: int,
    max_bullets: int,
    shorten: Callable[[str, int], str],
    dedupe_threshold: float = 0.6,
) -> list[Bullet]:
    """Shorten, balance and deduplicate candidate bullets, keeping at most ``max_bullets``."""
    out: list[Bullet] = []
    for text, sources in items:
        if len(out) >= max_bullets:
            break
        cleaned = balance(shorten(drop_leading_connective(strip_markup(text.strip()), lang), max_chars))
        if len(cleaned) > max_chars:
            cleaned = _cut_at_word(cleaned, max_chars)
        if len(cleaned) < 2 or is_noise(cleaned, lang):
            continue
        if any(similarity(cleaned, b.text) >= dedupe_threshold for b in out):
            continue
        out.append(Bullet(cleaned, list(sources)))
    return out
