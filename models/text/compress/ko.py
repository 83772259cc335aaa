"""Korean compression on kiwipiepy's analysis (no pattern ever looks at raw Korean text): a
sentence as words of morphemes (:class:`KoSentence`), its drops (reporting and quotation frames,
report dates, glosses, a leading attribution, a second clause), the candidates they make
(:func:`ko_candidates`) and the choice among them (:func:`compress_ko`, checked by
:func:`is_sentence_ko`). The grammar helpers here (:func:`first_subject`, :func:`opens_sentence`,
:func:`finished_once`, :func:`base_tag`) also build the concise style (``models.text.style``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .checks import is_balanced

__all__ = [
    "Kiwi",
    "KoSentence",
    "MorphLike",
    "Word",
    "base_tag",
    "compress_ko",
    "finished_once",
    "first_subject",
    "is_sentence_ko",
    "ko_candidates",
    "opens_sentence",
]


class MorphLike(Protocol):
    """A kiwipiepy ``Token`` or a ``models.text.sentences.Morph``: form, tag and offsets into the text."""

    # read-only, as a NamedTuple's fields and kiwipiepy's Token attributes are
    @property
    def form(self) -> str: ...

    @property
    def tag(self) -> str: ...

    @property
    def start(self) -> int: ...

    @property
    def len(self) -> int: ...


# Verbs that frame reported speech ("...라고 밝혔다"); Sino-Korean ones as their noun + 하다.
_KO_SAY_VERBS = frozenset(
    """밝히 말하 전하 덧붙이 내다보 보 알리 묻 답하 꼽 하 강조하 밝혀지 털어놓 이르 적 쓰 """.split()
)
_KO_SAY_NOUNS = frozenset(
    """설명 강조 발표 주장 지적 예상 전망 보도 평가 분석 언급 답변 당부 촉구 공지 경고 요청 약속 예측
    판단 진단 공개 해명 반박 비판 제안 호소 부연 말 답 토로 소개 전언 보고 발언 언급 우려 기대 조언
    역설 공언 시사 표명 주문 지시 통보 고백 회고 인정 부인 확인 귀띔 설파 단언 응답 답하 질타""".split()
)
# Connective endings after which the rest is the reported clause ("...한다고", "...이라고").
_KO_QUOTATIVE_EC = {"다고": "다", "ᆫ다고": "ᆫ다", "는다고": "는다", "라고": "다", "자고": "자",
                    "으라고": "어라", "이라고": "이다", "ᆫ다며": "ᆫ다", "다며": "다", "라며": "다"}
# Connective endings after which a first clause is complete and can stand as the sentence.
_KO_CLAUSE_EC = frozenset({"고", "며", "으며", "면서", "으면서", "지만", "는데", "은데", "ᆫ데", "으나", "나", "라며"})
# kiwipiepy marks a stem's conjugation: "VA-I" (irregular, 어렵 -> 어려워), "VV-R" (regular);
# the mark is kept for Kiwi.join and ignored when a tag is only compared (base_tag)
_KO_PREDICATE = frozenset(
    f"{t}{mark}" for t in ("VV", "VA", "VX", "VCP", "VCN", "XSV", "XSA") for mark in ("", "-I", "-R")
)


def base_tag(tag: str) -> str:
    """A kiwipiepy tag without its conjugation mark: "VA-I" -> "VA"."""
    return tag.split("-", 1)[0]
_KO_NOUNS = frozenset({"NNG", "NNP", "NNB", "NR", "NP", "SN", "SL", "SH", "XSN"})
_KO_CLOSING_PUNCT = frozenset({"SF", "SE", "SSC", "SP", "SO", "SW"})


class Kiwi(Protocol):
    """The parts of ``kiwipiepy.Kiwi`` used here."""

    def tokenize(self, text: str) -> Any: ...

    def join(self, morphs: Iterable[tuple[str, str] | tuple[str, str, bool]]) -> str: ...


@dataclass(slots=True)
class Word:
    """One space-separated word (eojeol): its original text and its morphemes.

    ``morphs`` is None while the word is unchanged; a changed word is rebuilt by ``Kiwi.join``.
    """

    text: str
    tokens: list[tuple[str, str]]
    morphs: list[tuple[str, str]] | None = None
    suffix: str = ""  # punctuation appended after a rebuilt word (the comma of "서울시,")

    def render(self, kiwi: Kiwi) -> str:
        if self.morphs is None:
            return self.text + self.suffix
        if not self.morphs:
            return self.suffix.strip()
        out = kiwi.join([(f, t, False) if i else (f, t) for i, (f, t) in enumerate(self.morphs)])
        return out + self.suffix

    def changed(self, morphs: list[tuple[str, str]], suffix: str = "") -> Word:
        return Word(self.text, self.tokens, morphs, suffix)

    def current(self) -> list[tuple[str, str]]:
        return self.morphs if self.morphs is not None else self.tokens

    def tags(self) -> list[str]:
        return [t for _, t in self.current()]


@dataclass(slots=True)
class KoSentence:
    """A Korean sentence as words of morphemes, from one kiwipiepy analysis."""

    text: str
    words: list[Word] = field(default_factory=list)

    @classmethod
    def analyse(cls, text: str, kiwi: Kiwi, morphs: Sequence[MorphLike] | None = None) -> KoSentence:
        """Group ``morphs`` (kiwipiepy's analysis of ``text``; computed when not given or when it
        does not match ``text``) into the sentence's words."""
        if morphs is None or not _morphs_fit(text, morphs):
            morphs = kiwi.tokenize(text)
        spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
        words = [Word(text[s:e], []) for s, e in spans]
        starts = [s for s, _ in spans]
        wi = 0
        for m in morphs:
            while wi + 1 < len(starts) and m.start >= starts[wi + 1]:
                wi += 1
            if words:
                words[wi].tokens.append((m.form, m.tag))
        return cls(text, [w for w in words if w.tokens or w.text])

    def render(self, kiwi: Kiwi, words: Sequence[Word] | None = None) -> str:
        parts = [w.render(kiwi) for w in (self.words if words is None else words)]
        return " ".join(p for p in parts if p)


def _morphs_fit(text: str, morphs: Sequence[MorphLike]) -> bool:
    """True when ``morphs`` is an analysis of ``text``: offsets in range, nouns where they say."""
    if not morphs:
        return not text.strip()
    if morphs[0].start < 0 or morphs[-1].start + morphs[-1].len > len(text):
        return False
    return all(
        text[m.start : m.start + m.len] == m.form
        for m in morphs if m.tag in ("NNG", "NNP", "SN", "SL")
    )


def _last_content(words: Sequence[Word]) -> tuple[int, int] | None:
    """(word, morpheme) index of the last morpheme that is not closing punctuation."""
    for wi in range(len(words) - 1, -1, -1):
        toks = words[wi].current()
        for ti in range(len(toks) - 1, -1, -1):
            if toks[ti][1] not in _KO_CLOSING_PUNCT:
                return wi, ti
    return None


def _final_ef(words: Sequence[Word]) -> tuple[int, int] | None:
    """Position of the sentence-final ending (EF) that closes the sentence, if it has one."""
    last = _last_content(words)
    if last is None:
        return None
    wi, ti = last
    return last if words[wi].current()[ti][1] == "EF" else None


def _is_say_word(word: Word) -> bool:
    """A predicate word that frames reported speech: 밝혔다, 말했다, 설명했다, 덧붙였다..."""
    toks = word.current()
    for i, (form, tag) in enumerate(toks):
        if base_tag(tag) == "VV" and form in _KO_SAY_VERBS:
            return True
        if tag in ("NNG", "NNP") and form in _KO_SAY_NOUNS and i + 1 < len(toks) and toks[i + 1][1] == "XSV":
            return True
    return False


def _quote_span(words: Sequence[Word], end_wi: int) -> int | None:
    """Index of the word where the quotation that closes in word ``end_wi`` opens."""
    depth = 0
    for wi in range(end_wi, -1, -1):
        for _, tag in reversed(words[wi].current()):
            if tag == "SSC":
                depth += 1
            elif tag == "SSO":
                depth -= 1
                if depth == 0:
                    return wi
    return None


def _drop_frame(words: list[Word], quoted: bool = False) -> list[Word] | None:
    """The reported clause of "<clause>다고 (dates, places) 밝혔다" closed as a sentence, or with
    ``quoted`` the quotation of '"<sentence>"라고 말했다' without its marks; else None."""
    final = _final_ef(words)
    if final is None or final[0] == 0 or not _is_say_word(words[final[0]]):
        return None
    # the last quotative before the frame verb, with no other clause in between
    for wi in range(final[0] - 1, -1, -1):
        toks = words[wi].current()
        for ti in range(len(toks) - 1, -1, -1):
            form, tag = toks[ti]
            if tag == "EC" and form in _KO_QUOTATIVE_EC:
                if quoted:
                    return None
                if form in ("라고", "라며") and (not ti or toks[ti - 1][1] not in ("VCP", "VCN")):
                    return None  # '"..."라고' without a quotation particle: not a clause of its own
                head = list(toks[:ti]) + [(_KO_QUOTATIVE_EC[form], "EF")]
                return [*words[:wi], words[wi].changed(head, ".")]
            if tag == "JKQ":  # '"..."라고': the quotation itself is the clause
                if not quoted or ti == 0 or toks[ti - 1][1] != "SSC":
                    return None
                open_wi = _quote_span(words, wi)
                if open_wi is None:
                    return None
                inner = [*words[:wi], words[wi].changed(list(toks[: ti - 1]))]
                if _final_ef(inner) is None:
                    # '"...할 것"이라고': a quotation that ends in a noun is closed with 이다
                    last = _last_content(inner)
                    if last is None or form not in ("이라고", "라고") \
                            or inner[last[0]].current()[last[1]][1] not in _KO_NOUNS:
                        return None
                    inner[-1] = inner[-1].changed(inner[-1].current() + [("이", "VCP"), ("다", "EF")])
                ow = inner[open_wi]  # the opening quotation mark goes with the closing one
                otoks = ow.current()
                oi = max(i for i, (_, t) in enumerate(otoks) if t == "SSO")
                inner[open_wi] = ow.changed(otoks[:oi] + otoks[oi + 1 :])
                inner[-1] = inner[-1].changed(inner[-1].current(), ".")
                return inner
            if tag in ("EC", "EF"):
                return None
    return None


def _is_date_word(words: Sequence[Word], wi: int) -> int:
    """Number of words from ``wi`` that form a droppable date adverbial (0 if none).

    "지난 12일", "지난달 12일", "이날", a bare "12일" (with 에 or a "(현지시간)" gloss at most).
    Future dates ("오는 15일") and dates with other particles ("3월부터") carry content: kept.
    """
    def bare_date(w: Word) -> bool:
        toks = [(f, t) for f, t in w.current() if t not in ("SSO", "SSC")]
        core = [x for x in toks if x[1] != "JKB" or x[0] != "에"]
        if any(t == "JKB" for _, t in toks) and toks[-1] != ("에", "JKB"):
            return False
        return (len(core) >= 2 and core[0][1] == "SN" and core[1] == ("일", "NNB")
                and all(t in ("SN", "NNB", "NNG") for _, t in core))

    w = words[wi]
    toks = w.current()
    if [t for _, t in toks] in (["NNG"], ["NNG", "JKB"]) and toks[0][0] in ("이날", "당일") \
            and (len(toks) == 1 or toks[1][0] == "에"):
        return 1
    if [(f, base_tag(t)) for f, t in toks] == [("지나", "VV"), ("ᆫ", "ETM")] and wi + 1 < len(words):
        if bare_date(words[wi + 1]):
            return 2
        nxt = words[wi + 1].current()
        if len(nxt) == 1 and nxt[0][1] == "NNG" and nxt[0][0] in ("주말", "주", "달", "해"):
            return 0  # "지난 주말": kept (a period, often the news itself)
        return 0
    if toks and toks[0] == ("지난달", "NNG") and len(toks) == 1 and wi + 1 < len(words) \
            and bare_date(words[wi + 1]):
        return 2
    if bare_date(w) and (wi == 0 or [(f, base_tag(t)) for f, t in words[wi - 1].current()[:1]] != [("오", "VV")]):
        prev = words[wi - 1].current() if wi else []
        if prev and prev[-1][1] == "ETM":  # "열린 12일" style modifiers: the date is an argument
            return 0
        return 1
    return 0


def _drop_dates(words: list[Word]) -> list[Word] | None:
    out: list[Word] = []
    wi = 0
    dropped = False
    while wi < len(words):
        n = _is_date_word(words, wi) if wi + 1 < len(words) else 0
        if n:
            dropped = True
            wi += n
            continue
        out.append(words[wi])
        wi += 1
    return out if dropped else None


def _drop_parens(words: list[Word]) -> list[Word] | None:
    """Parenthetical glosses (ages, Hanja, English names, "(현지시간)") removed."""
    out: list[Word] = []
    depth = 0
    dropped = False
    for w in words:
        toks = w.current()
        kept: list[tuple[str, str]] = []
        opened_inside = depth > 0  # this word starts inside a gloss: its rest joins the word before
        for form, tag in toks:
            if tag == "SSO" and form in "([":
                depth += 1
                dropped = True
                continue
            if tag == "SSC" and form in ")]" and depth:
                depth -= 1
                continue
            if not depth:
                kept.append((form, tag))
        if depth and not kept:
            continue
        if len(kept) == len(toks):
            out.append(w)
        elif kept and opened_inside and out:
            out[-1] = out[-1].changed(out[-1].current() + kept, w.suffix)
        elif kept:
            out.append(w.changed(kept, w.suffix))
    if depth or not dropped or not out or out == words:
        return None
    if not out[0].current() or out[0].current()[0][1] in ("SSO", "SSC"):
        return None
    return out


def _drop_according(words: list[Word]) -> list[Word] | None:
    """A leading "...에 따르면/의하면" attribution removed (with its comma, if any)."""
    for wi, w in enumerate(words[:8]):
        toks = [m for m in w.current() if m[1] != "SP"]
        if len(toks) == 2 and toks[0][0] in ("따르", "의하") and toks[1] == ("면", "EC"):
            return words[wi + 1 :] if 0 < wi < len(words) - 1 else None
        if any(t in ("EC", "EF") for _, t in toks):
            return None
    return None


_KO_SUBJECT_PARTICLES = frozenset({"이", "가", "은", "는", "도", "께서"})


def _subject_in(words: Sequence[Word], window: int) -> int | None:
    """Index of the first subject or topic among the first ``window`` words that belongs to the
    clause itself: a noun with 이/가/은/는/도/께서 before any connective or final ending, and
    not the subject of a modifier ("정확도가 높은 기술" is a noun phrase)."""
    for wi, w in enumerate(words[:window]):
        toks = w.current()
        tags = [t for _, t in toks]
        if any(t in ("EC", "EF") for t in tags):
            return None
        if len(tags) < 2 or tags[-2] not in _KO_NOUNS or toks[-1][0] not in _KO_SUBJECT_PARTICLES:
            continue
        if tags[-1] == "JX":
            return wi
        if tags[-1] == "JKS":
            for later in words[wi + 1 : wi + 6]:
                ltags = [t for t in later.tags() if t not in _KO_CLOSING_PUNCT]
                if any(t in _KO_PREDICATE for t in ltags):
                    if ltags[-1] != "ETM":
                        return wi
                    break
            else:  # no predicate follows in the words given: the subject of what follows them
                return wi
    return None


def opens_sentence(words: Sequence[Word], wi: int) -> bool:
    """True when the words before ``wi`` are only the rest of its noun phrase ("나사의 연구")."""
    return all(
        not any(t in _KO_PREDICATE or t.startswith(("E", "J")) and t != "JKG" for t in w.tags())
        for w in words[:wi]
    )


def first_subject(words: Sequence[Word]) -> int | None:
    """Index of the sentence's opening subject or topic ("서울시가", "연구를 진행한 교수도")."""
    return _subject_in(words, 8)


def _opens_clause(rest: Sequence[Word]) -> bool:
    """True when ``rest`` opens with a clause of its own (a subject or topic before any other
    predicate), so the connective before it joined two clauses, not two verbs of one."""
    return _subject_in(rest, 14) is not None


def _close_clause(
    toks: list[tuple[str, str]], ti: int, before: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]] | None:
    """The morphemes before the connective ending at ``ti``, closed with a final ending;
    ``before`` are the sentence's morphemes before this word (for "저렴하지 않다")."""
    head = toks[:ti]
    if not head:
        return None
    form, prev = head[-1][0], base_tag(head[-1][1])
    if prev == "VX" and form in ("않", "못하"):
        # a negation takes the main predicate's ending: "작동되지 않는다", "저렴하지 않다"
        main = next((base_tag(t) for _, t in reversed([*before, *head[:-1]]) if t in _KO_PREDICATE
                     and base_tag(t) != "VX"), "VV")
        prev = "VV" if main in ("VV", "XSV") else "VA"
    elif prev == "VX":
        prev = "VA" if form in ("있", "없") else "VV"  # "하고 있다", but "해 준다"
    if prev in ("EP", "VA", "XSA", "VCN", "VCP"):
        return head + [("다", "EF")]
    if prev in ("VV", "XSV"):
        return head + [("ᆫ다", "EF")]
    return None


def _clause_options(words: list[Word], only_after_quote: bool = False) -> list[list[Word]]:
    """A sentence of two clauses as its first clause closed, or as its subject and last clause.

    Only a top-level boundary counts: a connective ending outside quotation marks that a comma
    follows, that closes a quotation ('"..."며'), or after which a new subject or topic opens
    the next clause ("수출이 줄었지만 내수는 늘었다"). One inside a modifier clause ("정보를
    수집하고 반응한다는 사실을") is not a boundary. The subject-and-last-clause form needs the
    comma or the quotation (the next clause then shares the sentence's subject). With
    ``only_after_quote``, only a boundary right after a closed quotation counts.
    """
    out: list[list[Word]] = []
    if _final_ef(words) is None:
        return out
    subject = first_subject(words)
    depth = 0
    for wi in range(len(words) - 1):
        toks = words[wi].current()
        for ti, (form, tag) in enumerate(toks):
            if tag == "SSO":
                depth += 1
            elif tag == "SSC":
                depth = max(depth - 1, 0)
            if tag != "EC" or form not in _KO_CLAUSE_EC or depth:
                continue
            if ti + 1 < len(toks) and toks[ti + 1][1] != "SP":
                continue
            rest = words[wi + 1 :]
            comma = ti + 1 < len(toks)
            # '"..."며' or '"..."이라며': a quotation closed before the connective
            after_quote = ti > 0 and (toks[ti - 1][1] == "SSC" or ti > 1 and toks[ti - 1][1] in ("VCP", "JKQ")
                                      and toks[ti - 2][1] == "SSC")
            new_subject = _opens_clause(rest)
            if not (comma or after_quote or new_subject) or (only_after_quote and not after_quote):
                continue
            before = [m for w in words[max(wi - 2, 0) : wi] for m in w.current()]
            closed = _close_clause(list(toks), ti, before) if not after_quote else None
            if closed is not None and wi >= 1:
                out.append([*words[:wi], words[wi].changed(closed, ".")])
            # after a quotation the next one is the speaker's too (its subject is inside it)
            if (comma or after_quote) and subject is not None and subject < wi and len(rest) >= 2 \
                    and (after_quote or not new_subject):
                out.append([*words[: subject + 1], *rest])
    return out


def is_sentence_ko(text: str, kiwi: Kiwi) -> bool:
    """True when ``text`` re-analyses as one finished Korean sentence: it ends in a final ending
    (EF) and no other final ending stands outside quotation marks or brackets."""
    tokens = list(kiwi.tokenize(text))
    return finished_once(tokens, nominal=False)


def finished_once(tokens: Sequence[MorphLike], nominal: bool) -> bool:
    """True when ``tokens`` (an analysis) end in a final ending, or with ``nominal`` in a noun or
    -(으)ㅁ, and no other final ending stands outside quotation marks or brackets."""
    content = [t for t in tokens if t.tag not in _KO_CLOSING_PUNCT]
    if len(content) < 2:
        return False
    last = content[-1]
    if nominal:
        ok = last.tag in _KO_NOUNS or (last.form in ("ᆷ", "음") and last.tag in ("EF", "ETN"))
    else:
        ok = last.tag == "EF"
    if not ok:
        return False
    depth = 0
    for t in content[:-1]:
        if t.tag == "SSO":
            depth += 1
        elif t.tag == "SSC":
            depth = max(depth - 1, 0)
        elif t.tag == "EF" and depth == 0:
            return False  # two sentences, or a fragment glued to one
    return not any(t.tag in ("UN", "Z_CODA") for t in content)


def ko_candidates(sent: KoSentence) -> list[tuple[list[Word], tuple[str, ...]]]:
    """Every compression of ``sent`` as (words, the drops made): the sentence itself, then each
    combination of the reporting frame ("frame"), the quotation frame ("quote"), report dates,
    glosses and a leading attribution, each also cut to one clause ("clause"); where the quotation
    frame went, only by dropping a whole earlier quotation (the speaker's words are never cut)."""
    steps = (("frame", _drop_frame), ("quote", lambda w: _drop_frame(w, quoted=True)),
             ("dates", _drop_dates), ("glosses", _drop_parens), ("attribution", _drop_according))
    results: list[tuple[list[Word], tuple[str, ...]]] = [(sent.words, ())]
    frontier: list[tuple[list[Word], tuple[str, ...], int]] = [(sent.words, (), 0)]
    while frontier:
        words, ops, first = frontier.pop()
        for si in range(first, len(steps)):
            name, step = steps[si]
            nxt = step(words)
            if nxt:
                results.append((nxt, (*ops, name)))
                frontier.append((nxt, (*ops, name), si + 1))
    for words, ops in list(results):
        # where the quotation frame went, the words left are the speaker's own: cut to a clause they
        # would misquote, so the only cut left is the one after an earlier, whole quotation
        # ('교수는 "A"며 B' -> '교수는 B')
        results.extend((opt, (*ops, "clause")) for opt in _clause_options(words, only_after_quote="quote" in ops))
    return results


def compress_ko(
    text: str, limit: int, kiwi: Kiwi, morphs: Sequence[MorphLike] | None = None, truncate: bool = True,
) -> str | None:
    """A grammatical compression of a Korean sentence within ``limit`` characters: one that drops the
    reporting frame first, then the longest, then the one with the fewest drops.

    ``morphs`` is kiwipiepy's analysis of ``text`` when the caller has it (analysed otherwise).
    Returns the sentence itself when it fits, None when nothing fits and re-analyses as one
    finished sentence.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    sent = KoSentence.analyse(text, kiwi, morphs)
    seen: set[str] = set()
    scored: list[tuple[int, int, int, str]] = []
    for words, ops in ko_candidates(sent):
        if not truncate and "clause" in ops:
            continue  # (a clause cut loses content: asked for light drops only)
        out = sent.render(kiwi, words)
        if out in seen or len(out) > limit or len(out) < 8:
            continue
        seen.add(out)
        # the reported clause rather than its frame ("...투입한다" over "...투입한다고 밝혔다"),
        # then the longest, then the fewest drops
        scored.append((int("frame" in ops), len(out), -len(ops), out))
    period = text.endswith((".", "!", "?"))
    for *_, out in sorted(scored, reverse=True):
        if not period and out.endswith(".") and not text.endswith("."):
            out = out[:-1]  # the source wrote no final period (common in Korean copy): add none
        if is_sentence_ko(out, kiwi) and is_balanced(out):
            return out
    return None
