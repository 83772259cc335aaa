"""Bullet styles: "sentence" (a whole, possibly compressed sentence) and "concise".

Concise Korean bullets take the noun-ending news-bullet form (개조식, 명사형 종결), built on
kiwipiepy's analysis and ``Kiwi.join``, never by editing endings as strings:

* a reporting frame goes and its reported clause is kept ("...투입한다고 12일 밝혔다" ->
  "...투입"), as are report dates ("지난 12일", "이날");
* the predicate becomes nominal: a verbal noun loses 하다/되다 ("투입한다" -> "투입"), a
  predicate noun loses 이다 ("계획이다" -> "계획", and "투입할 계획" -> "투입 계획" before
  계획/예정/방침...), any other verb or adjective takes the nominal ending -(으)ㅁ ("늘었다" ->
  "늘어남", "높다" -> "높음");
* before a verbal-noun predicate the object particle goes ("전기버스를 투입" -> "전기버스 투입")
  and "-적으로" becomes "-적" ("단계적으로 투입" -> "단계적 투입");
* the opening subject or topic loses its particle, and takes a comma when three or more words
  follow it ("서울시가 ..." -> "서울시, ..."), so the reader sees where the actor ends.

Every concise Korean bullet is re-analysed and must end in a nominal form (:func:`is_nominal_ko`).
Concise English bullets are the compressed sentence with every inessential part dropped.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from .compress.checks import is_balanced
from .compress.en import compress_en, concise_en_text
from .compress.en_clause import opens_subordinate_en
from .compress.ko import (
    Kiwi,
    KoSentence,
    MorphLike,
    Word,
    base_tag,
    compress_ko,
    finished_once,
    first_subject,
    ko_candidates,
    opens_sentence,
)

__all__ = ["STYLES", "Style", "concise_en", "concise_ko", "fit_bullet", "is_nominal_ko"]

Style = Literal["sentence", "concise"]
STYLES: tuple[str, ...] = get_args(Style)

# Predicate nouns that take a verbal noun as a modifier: "투입할 계획이다" -> "투입 계획".
_PLAN_NOUNS = frozenset({"계획", "예정", "방침", "전망", "방안", "목표", "구상", "입장", "의지", "전략"})
# Verbs whose -(으)ㅁ form news copy does not use; the synonym it uses instead ("늚" -> "늘어남").
_NOMINAL_STEMS = {"늘": "늘어나", "줄": "줄어들"}
# Stems ending in ㄹ (열, 풀, 만들...): their -ㅁ form ("엶", "풂") is rare in copy; with a past
# ending they keep it ("열었음"). Hangul syllables whose final consonant is ㄹ:
_RIEUL_STEMS = tuple(chr(c) for c in range(0xAC00, 0xD7A4) if (c - 0xAC00) % 28 == 8)
# Endings that close a statement (not a question, order or suggestion): only these nominalize.
_NOT_STATEMENT = ("까", "냐", "니", "자", "라", "세요", "오", "죠")


def _last_ef(words: Sequence[Word]) -> tuple[int, int] | None:
    """(word, morpheme) of the final ending, when only closing punctuation follows it."""
    for wi in range(len(words) - 1, -1, -1):
        toks = words[wi].current()
        for ti in range(len(toks) - 1, -1, -1):
            form, tag = toks[ti]
            if tag in ("SF", "SE", "SP"):
                continue
            return (wi, ti) if tag == "EF" else None
    return None


def _strip_particle(word: Word, tags: tuple[str, ...]) -> Word:
    toks = word.current()
    if toks and toks[-1][1] in tags and len(toks) > 1:
        return word.changed(toks[:-1], word.suffix)
    return word


def _nominalize(words: list[Word]) -> list[Word] | None:
    """The words of a declarative sentence with its predicate in nominal form, or None."""
    pos = _last_ef(words)
    if pos is None:
        return None
    wi, ti = pos
    toks = words[wi].current()
    if toks[ti][0].endswith(_NOT_STATEMENT):
        return None
    head = list(toks[:ti])
    past = [m for m in head if m[1] == "EP" and m[0] in ("었", "았", "였")]
    while head and head[-1][1] == "EP":  # tense and honorific endings: a bullet has none
        head.pop()
    if not head:
        return None
    out = list(words[:wi])
    noun_at: int | None = None  # the word that holds a verbal-noun predicate ("투입")
    last_form, last_tag = head[-1]
    # a verbal noun of two syllables or more ("말했다" stays a verb: "말함")
    if last_tag == "XSV" and last_form in ("하", "되") and len(head) > 1 and head[-2][1] in ("NNG", "NNP") \
            and len(head[-2][0]) > 1:
        head = head[:-1]  # 투입하 -> 투입
        noun_at = wi
    elif last_tag == "VCP" and len(head) > 1:
        head = head[:-1]  # 계획이 -> 계획
        if len(head) == 1 and head[0][0] in _PLAN_NOUNS and out:
            prev = out[-1].current()
            # "투입할 계획": the verbal noun before a plan noun loses 하다 and its modifier ending
            if (len(prev) >= 3 and prev[-1][1] == "ETM" and prev[-2] in (("하", "XSV"), ("되", "XSV"))
                    and prev[-3][1] in ("NNG", "NNP")):
                out[-1] = out[-1].changed(prev[:-2])
                noun_at = len(out) - 1
    elif base_tag(last_tag) in ("VV", "VA", "VX", "XSA", "XSV", "VCN"):
        stem = _NOMINAL_STEMS.get(last_form) if base_tag(last_tag) == "VV" else None
        if stem is None and last_form.endswith(_RIEUL_STEMS) and past:
            head = head + [past[0], ("음", "ETN")]  # 열었다 -> 열었음, not the rare 엶
        else:
            head = head[:-1] + [(stem or last_form, last_tag), ("ᆷ", "ETN")]
    else:
        return None
    out.append(words[wi].changed(head))  # closing punctuation after the ending goes
    pred = len(out) - 1 if noun_at is None else noun_at
    if noun_at is not None:
        # before a verbal-noun predicate: "단계적으로" -> "단계적", the object particle goes
        j = pred - 1
        while j >= 0:
            toks_j = out[j].current()
            tags_j = [t for _, t in toks_j]
            if len(toks_j) >= 2 and toks_j[-1] in (("으로", "JKB"), ("로", "JKB")) and toks_j[-2] == ("적", "XSN"):
                out[j] = out[j].changed(toks_j[:-1])
                j -= 1
                continue
            if tags_j and tags_j[-1] == "JKO" and len(toks_j) > 1:
                out[j] = out[j].changed(toks_j[:-1])
                break
            if tags_j and tags_j[-1] in ("MAG",) and len(tags_j) == 1:
                j -= 1
                continue
            break
    subject = first_subject(out[:pred])
    if subject is not None and opens_sentence(out, subject):
        following = len(out) - subject - 1
        word = _strip_particle(out[subject], ("JKS", "JX"))
        if word is not out[subject]:
            out[subject] = word.changed(word.current(), "," if following >= 3 else "")
    return out


def is_nominal_ko(text: str, kiwi: Kiwi) -> bool:
    """True when ``text`` re-analyses as one bullet in nominal form: its last morpheme is a noun
    (or the nominal ending -(으)ㅁ) and no finished sentence stands inside it outside quotes."""
    return finished_once(list(kiwi.tokenize(text)), nominal=True) and is_balanced(text)


def concise_ko(
    text: str, kiwi: Kiwi, morphs: Sequence[MorphLike] | None = None, limit: int | None = None
) -> str | None:
    """The noun-ending (개조식) form of a Korean sentence, within ``limit`` characters if given.

    The lightest drops come first (reporting frame, report dates, glosses, "...에 따르면"),
    applied whenever they leave a sentence; a clause is cut away only when nothing else fits.
    Returns None when no form both fits and re-analyses as nominal.
    """
    text = text.strip()
    sent = KoSentence.analyse(text, kiwi, morphs)
    options: list[tuple[tuple[int, int, int], str]] = []
    seen: set[str] = set()
    for words, ops in ko_candidates(sent):
        nominal = _nominalize(list(words))
        if nominal is None:
            continue
        out = sent.render(kiwi, nominal).rstrip(" .")
        if out in seen or (limit is not None and len(out) > limit) or len(out) < 6:
            continue
        seen.add(out)
        # without a clause cut: the most light drops, then the shortest; with one: the longest
        cut = "clause" in ops
        options.append(((0 if cut else 1, len(ops), len(out) if cut else -len(out)), out))
    for _, out in sorted(options, reverse=True):
        if is_nominal_ko(out, kiwi):
            return out
    return None


def concise_en(text: str, limit: int) -> str | None:
    """The concise form of an English sentence: its compression with every inessential part
    (attribution, aside, relative clause, leading adverbial) dropped, within ``limit``. None for a
    sentence whose form still opens with a subordinating word ("If Barclays buys a stake it will
    ..."): its main clause could not be told apart, and a concise bullet is a main clause."""
    out = concise_en_text(text, limit)
    if out is None or opens_subordinate_en(out):
        return None
    return out


def fit_bullet(
    text: str,
    lang: str,
    limit: int,
    style: Style = "sentence",
    kiwi: Kiwi | None = None,
    morphs: Sequence[MorphLike] | None = None,
    truncate: bool = True,
) -> str | None:
    """``text`` as a bullet of ``style`` within ``limit`` characters, or None when it cannot be.

    With ``truncate`` False a sentence-style compression uses light drops only (attribution,
    asides, time adverbials, a reporting frame), never a cut that loses a clause's content.
    Korean needs ``kiwi``; without it a Korean sentence over the limit cannot be compressed.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}")
    if lang == "ko":
        if kiwi is None:
            return text.strip() if len(text.strip()) <= limit else None
        if style == "concise":
            return concise_ko(text, kiwi, morphs, limit)
        return compress_ko(text, limit, kiwi, morphs, truncate)
    if style == "concise":
        return concise_en(text, limit)
    return compress_en(text, limit, truncate)
