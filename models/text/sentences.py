"""Sentence splitting and tokens for similarity, for Korean and English (the language is told
by :mod:`models.text.language`).

Every sentence keeps ``start``/``end`` character offsets into the text the caller submitted, so a
bullet can always point back at where it came from.
"""
from __future__ import annotations

import copy
import logging
import re
import threading
import warnings
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

log = logging.getLogger("models.text.sentences")

SUPPORTED_LANGS: tuple[str, ...] = ("ko", "en")

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
LATIN = re.compile(r"[A-Za-z]")  # a Latin letter (page chrome uses it too)
_LINE = re.compile(r"[^\n]+")


class Morph(NamedTuple):
    """One kiwipiepy morpheme; ``start``/``end`` are offsets into the sentence's own text."""

    form: str
    tag: str
    start: int
    end: int

    @property
    def len(self) -> int:
        """Characters covered, as kiwipiepy's ``Token.len``."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Sentence:
    """One source sentence: its text and where it sits in the submitted article."""

    text: str
    start: int
    end: int
    index: int = 0
    # True where the sentence ends like a finished sentence (a Korean final ending, English
    # terminal punctuation). Headlines and captions usually do not.
    complete: bool = True
    # Korean: the morphemes kiwipiepy found while splitting (offsets into ``text``), so the
    # article is analysed once; None for English or where the splitter did not analyse the text.
    morphs: tuple[Morph, ...] | None = field(default=None, compare=False, repr=False)

    def clip(self, head: int, tail: int = 0) -> Sentence:
        """The sentence without its first ``head`` and last ``tail`` characters, offsets and morphs
        kept true (morphs that straddle a cut are dropped)."""
        stop = len(self.text) - tail
        morphs = None
        if self.morphs is not None:
            morphs = tuple(
                Morph(m.form, m.tag, m.start - head, m.end - head)
                for m in self.morphs if m.start >= head and m.end <= stop
            )
        return replace(
            self, text=self.text[head:stop], start=self.start + head, end=self.end - tail, morphs=morphs
        )

    def bare(self) -> Sentence:
        """The same sentence without its morphs (for results that leave the process)."""
        return self if self.morphs is None else replace(self, morphs=None)


_EN_TERMINAL = re.compile(r"[.!?…][\"'’”)\]]*$")
_KO_TERMINAL = re.compile(r"(?:다|요|죠|까|냐|자|라|오|음|함|됨|임)[.!?…]*[\"'’”)\]]*$")


# Longer lines are split into windows before the sentence splitters see them (pysbd and
# kiwipiepy slow down badly on one enormous line), and longer "sentences" into pieces.
MAX_BLOCK = 2_000
MAX_SENTENCE = 600
GIANT_TOKEN = re.compile(r"\S{200,}")  # no language has words this long: garbage, kept away from kiwipiepy


def _windows(block: str, limit: int, base: int = 0) -> list[tuple[int, int]]:
    """(start, end) pieces of ``block`` of at most ``limit`` characters, cut after a sentence end or
    at a space where possible, else hard; offsets are shifted by ``base``."""
    if len(block) <= limit:
        return [(base, base + len(block))]
    spans: list[tuple[int, int]] = []
    start = 0
    while len(block) - start > limit:
        window = block[start : start + limit]
        cut = max((m.end() for m in re.finditer(r"[.!?。]\s+", window)), default=0)
        if cut < limit // 4:
            cut = window.rfind(" ") + 1
        if cut < limit // 4:
            cut = limit
        spans.append((base + start, base + start + cut))
        start += cut
    spans.append((base + start, base + len(block)))
    return spans


class ForkSafeKiwi:
    """kiwipiepy's ``Kiwi`` that may be built before a fork (the gunicorn master) and used after.

    Kiwi analyses an iterable of texts on its own thread pool, and threads do not survive fork: in
    a forked worker such a call never returns. Here iterables are analysed one text at a time on
    the caller's thread (a worker's request threads are its parallelism); everything else passes
    through.
    """

    _ITERABLE_CALLS = frozenset({"tokenize", "analyze", "split_into_sents", "space", "glue"})

    def __init__(self, kiwi: object) -> None:
        self._kiwi = kiwi

    def __getattr__(self, name: str) -> Any:  # kiwipiepy has no type information
        attr = getattr(self._kiwi, name)
        if name not in self._ITERABLE_CALLS:
            return attr

        def call(text: object, *args: object, **kwargs: object) -> object:
            if isinstance(text, str):
                return attr(text, *args, **kwargs)
            return [attr(t, *args, **kwargs) for t in text]  # type: ignore[attr-defined]

        return call


EnglishSegmenter = Callable[[str], list[tuple[int, int]]]
"""English sentence spans ``(start, end)`` of one line of text, in order."""

_pysbd_lock = threading.Lock()  # pysbd's segmenter keeps per-call state
_pysbd_segmenter = None


def pysbd_spans(block: str) -> list[tuple[int, int]]:
    """pysbd's sentences of ``block`` as spans (the splitter before issue 15)."""
    global _pysbd_segmenter
    import pysbd

    with _pysbd_lock:
        if _pysbd_segmenter is None:
            _pysbd_segmenter = pysbd.Segmenter(language="en", clean=False)
        pieces = _pysbd_segmenter.segment(block)
    return spans_of(block, pieces)


def blingfire_spans(block: str) -> list[tuple[int, int]]:
    """blingfire's sentences of ``block`` as spans (found in order in the block)."""
    import blingfire

    return spans_of(block, blingfire.text_to_sentences(block).split("\n")) if block.strip() else []


def spans_of(block: str, pieces: Iterable[str]) -> list[tuple[int, int]]:
    """Spans of a segmenter's sentence strings, found in order in ``block``; where the segmenter
    altered the text, the rest of the block is one span."""
    spans = []
    cursor = 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        at = block.find(piece, cursor)
        if at < 0:  # the segmenter altered the text: fall back to the whole remainder
            break
        spans.append((at, at + len(piece)))
        cursor = at + len(piece)
    if block[cursor:].strip():
        spans.append((cursor, len(block)))
    return spans


# Daily Mail copy runs photo captions into the text without a full stop: "... a house in Leeds
# (pictured) Officers arrested ...". A caption marker followed by a capitalised word ends a sentence.
_RUN_IN_CAPTION = re.compile(
    r"(?:\((?:pictured|left|right|centre|center|above|below|top|bottom|inset|far left|far right)\)"
    r"|\bpictured (?:above|below|left|right|top|bottom))(?=\s+[A-Z][a-z])"
)


# what a sentence run into the next one ends with: a lower-case letter, a digit or ")"
_RUN_IN_END = r"[a-z0-9)]"

# The same copy runs a caption's last word straight into the next sentence: "... fondling a third
# girl The assault charges allege ...". A lower-case word followed by a capitalised determiner,
# pronoun or sentence-opening connective ("After", "But") and a lower-case word ends a sentence
# ("girl The assault", "game It's well-known"); a capitalised "The" before a name ("restaurant The
# Royal China Club") does not.
_RUN_IN_SENTENCE = re.compile(
    rf"(?<={_RUN_IN_END})\s+(?=(?:The|An|It|It's|It’s|He|She|They|We|His|Her|Their|This|These|Those|There|After|"
    r"When|But|However|Meanwhile)"
    r"\s+[a-z])"
)


# Copy pasted without the space after a full stop: "... a court has heard.Shocking allegations
# ...". Two lower-case letters, the stop (and a closing quote), then a capitalised word: a sentence
# ends ("U.S.Army" and "Mr.Smith" have a capital or one letter before the stop, and go on).
_GLUED_SENTENCE = re.compile(r"(?<=[a-z]{2}[.!?])[\"'”’]?(?=[A-Z][a-z])")

# A Daily Mail headline or caption run straight into the sentence it summarizes, which opens with
# the same words: "... as 14 million working households receive a tax cut David Cameron will say
# today that ...". The first three words of a span, capitalised, again after a lower-case word or
# a number: the second sentence starts there.
_OPENING_WORDS = re.compile(r"[A-Z][\w'’-]*(?:\s+[\w'’-]+){2}")
_RUN_IN_BEFORE = re.compile(_RUN_IN_END)
# a word that joins what follows to the sentence ("... and Police said the ..."): no run-in there
_JOINING_WORD = re.compile(r"\b(?:and|or|but|nor|that|than|as|while|because|when|if|so|then|with|of|to|by|for|"
                           r"from|in|on|at|said|says|told|after|before|since|until|where|whom|who)$")


def _repeated_opening(block: str, s: int, e: int) -> tuple[int, int] | None:
    """(end of the first sentence, start of the second) where the opening words of ``block[s:e]``
    start again in the span, or None."""
    m = _OPENING_WORDS.match(block, s, e)
    if not m:
        return None
    opening = m.group()
    at = block.find(opening, m.end(), e)
    while at != -1:
        end = at
        while end > s and block[end - 1].isspace():
            end -= 1
        if end < at and _RUN_IN_BEFORE.match(block[end - 1]) and not _JOINING_WORD.search(block, s, end):
            after = at + len(opening)
            if after >= e or not (block[after].isalnum() or block[after] in "'’-"):  # a whole word
                return end, at
        at = block.find(opening, at + 1, e)
    return None


def _english_segmenter() -> EnglishSegmenter:
    """blingfire, chosen by bench/splitters.py; pysbd where blingfire's library cannot load (its
    wheel carries an x86-64 Linux build only)."""
    try:
        import blingfire  # noqa: F401
    except (ImportError, OSError) as err:
        log.warning("blingfire unavailable (%s): English sentences split by pysbd, about 50x slower", err)
        return pysbd_spans
    return blingfire_spans


_segmenter: list[EnglishSegmenter] = []


# '"Is it over?" she asked.': a quoted question or exclamation followed by a lower-case word
# goes on (blingfire ends the sentence at the question mark).
_QUOTED_END = re.compile(r"[?!][\"'”’]$")
_LOWER_WORD = re.compile(r"[a-z][a-z]")


def english_spans(block: str) -> list[tuple[int, int]]:
    """English sentence spans of one line: blingfire's sentences, a quoted question that the
    sentence goes on after rejoined, run-in captions and sentences (no full stop between), a
    sentence glued to the stop before it, and a headline run into a sentence that repeats its
    opening words cut off."""
    if not _segmenter:
        _segmenter.append(_english_segmenter())
    spans: list[tuple[int, int]] = []
    for s, e in _segmenter[0](block):
        if spans and _LOWER_WORD.match(block, s) and _QUOTED_END.search(block, 0, spans[-1][1]):
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    out = []
    for s, e in spans:
        # (end of one sentence, start of the next) at each run-in, in text order
        cuts = sorted([(m.end(), m.end()) for m in _RUN_IN_CAPTION.finditer(block, s, e)]
                      + [(m.start(), m.end()) for m in _RUN_IN_SENTENCE.finditer(block, s, e)]
                      + [(m.end(), m.end()) for m in _GLUED_SENTENCE.finditer(block, s, e)])
        repeat = _repeated_opening(block, s, e)
        if repeat is not None:
            cuts = sorted({*cuts, repeat})
        for end, start in cuts:
            out.append((s, end))
            s = start
        out.append((s, e))
    return out


class SentenceSplitter:
    """Splits an article into sentences with offsets; build once per process.

    Line breaks always end a sentence (news copy often comes one sentence per line, without
    final periods); within a line Korean is split by kiwipiepy (whose analysis also gives each
    sentence its morphemes) and English by blingfire plus a rule for run-in photo captions
    (:func:`english_spans`; compared with pysbd and others in bench/splitters.py).
    """

    def __init__(self, english: EnglishSegmenter | None = None) -> None:
        from kiwipiepy import Kiwi

        # num_workers=0: no thread pool. Kiwi is built in the gunicorn master and its pool's threads do
        # not survive fork: each worker aborted at exit joining them (std::system_error, SIGABRT).
        # Since kiwipiepy 0.21, 0 means one thread and no pool (its docs; -1, the default, is a pool
        # of every core) and it warns that the meaning changed: the warning is for code that wanted
        # the old meaning, so it is silenced here (tests/test_kiwi_threads.py counts the threads)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="behavior of `num_workers=0`", category=DeprecationWarning)
            self._kiwi = ForkSafeKiwi(Kiwi(load_multi_dict=False, num_workers=0))
        self._english = english or english_spans

    def with_english(self, english: EnglishSegmenter) -> SentenceSplitter:
        """The same splitter (sharing kiwipiepy) with another English segmenter; for comparisons."""
        clone = copy.copy(self)
        clone._english = english
        return clone

    @property
    def kiwi(self):  # noqa: ANN201 - kiwipiepy has no public type stubs
        return self._kiwi

    def warm_up(self) -> None:
        """Run both splitters once: kiwipiepy's first call is slow (about 2.5 s)."""
        self.split("정부는 5일 새 정책을 발표했다. 시행은 내년부터다", "ko")
        self.split("The plan was announced on Monday. It starts next year.", "en")
        self.tokens(["정부는 새 정책을 발표했다"], "ko")

    def split(self, text: str, lang: str, max_sentences: int | None = None) -> list[Sentence]:
        """Sentences of ``text`` in order, with offsets into ``text``; with ``max_sentences``, splitting
        stops once that many are found (the last block may add a few more), so a caller that uses
        only the first sentences does not pay for analysing the rest of a long text."""
        out: list[Sentence] = []
        for line in _LINE.finditer(text):
            if not line.group().strip():
                continue
            for w_start, w_end in _windows(line.group(), MAX_BLOCK):
                if max_sentences is not None and len(out) >= max_sentences:
                    return out
                self._split_window(text, line.start() + w_start, line.start() + w_end, lang, out)
        return out

    def _split_window(self, text: str, offset: int, stop: int, lang: str, out: list[Sentence]) -> None:
        block = text[offset:stop]
        # Korean: kiwipiepy's morphemes for the whole block, (start, end, form, tag) in block
        # offsets, from the same analysis that found the sentence boundaries
        block_morphs: list[tuple[int, int, str, str]] | None = [] if lang == "ko" else None
        for s0, e0 in self._split_block(block, lang, block_morphs):
            for s, e in _windows(block[s0:e0], MAX_SENTENCE, base=s0):
                start, end = offset + s, offset + e
                if not text[start:end].strip():
                    continue
                while text[start].isspace():
                    start += 1
                while text[end - 1].isspace():
                    end -= 1
                sent = text[start:end]
                morphs = _morphs_within(block_morphs, start - offset, end - offset) if block_morphs else None
                complete = bool((_KO_TERMINAL if lang == "ko" else _EN_TERMINAL).search(sent))
                if lang == "ko" and not complete and not GIANT_TOKEN.search(sent):
                    complete = self._ko_has_final_ending(sent, morphs)
                out.append(Sentence(sent, start, end, len(out), complete, morphs))

    def _split_block(
        self, block: str, lang: str, morphs: list[tuple[int, int, str, str]] | None = None
    ) -> Iterable[tuple[int, int]]:
        if GIANT_TOKEN.search(block):
            spans = _windows(block, MAX_SENTENCE)
        elif lang == "ko":
            spans = []
            for sent in self._kiwi.split_into_sents(block, return_tokens=True):
                spans.append((sent.start, sent.end))
                if morphs is not None:
                    morphs.extend((t.start, t.start + t.len, t.form, t.tag) for t in sent.tokens)
        else:
            spans = self._english(block)
        for s, e in spans:
            # trim whitespace so offsets point at the sentence itself
            while s < e and block[s].isspace():
                s += 1
            while e > s and block[e - 1].isspace():
                e -= 1
            if e > s:
                yield s, e

    def _ko_has_final_ending(self, sentence: str, morphs: Sequence[Morph] | None = None) -> bool:
        tokens = morphs if morphs else self._kiwi.tokenize(sentence)
        return any(t.tag == "EF" for t in tokens[-4:])

    def morphs(self, text: str) -> tuple[Morph, ...]:
        """kiwipiepy's morphemes of one Korean text, offsets into ``text`` (for text the splitter
        did not analyse, e.g. a title)."""
        text = GIANT_TOKEN.sub(lambda m: m.group()[:20], text)
        return tuple(Morph(t.form, t.tag, t.start, t.start + t.len) for t in self._kiwi.tokenize(text))

    def tokens(self, sentences: Sequence[str | Sentence], lang: str) -> list[list[str]]:
        """Content tokens per sentence for similarity: Korean morphemes, English word stems.

        A :class:`Sentence` from :meth:`split` brings its Korean morphemes along, so only plain
        strings (and sentences without morphs) are analysed here.
        """
        texts = [s if isinstance(s, str) else s.text for s in sentences]
        if lang != "ko":
            return [en_tokens(t) for t in texts]
        known = [None if isinstance(s, str) else s.morphs for s in sentences]
        todo = [i for i, m in enumerate(known) if m is None]
        if todo:
            fresh = self._kiwi.tokenize([GIANT_TOKEN.sub(lambda m: m.group()[:20], texts[i]) for i in todo])
            for i, toks in zip(todo, fresh):
                known[i] = toks
        return [[f"{t.form}/{t.tag[0]}" for t in toks or () if t.tag in _KO_CONTENT_TAGS] for toks in known]


def _morphs_within(
    block_morphs: list[tuple[int, int, str, str]], start: int, end: int
) -> tuple[Morph, ...]:
    """The block's morphemes inside ``[start, end)``, re-based to ``start`` (sorted by start)."""
    i = bisect_left(block_morphs, (start,))
    out = []
    while i < len(block_morphs) and block_morphs[i][0] < end:
        s, e, form, tag = block_morphs[i]
        if e <= end:
            out.append(Morph(form, tag, s - start, e - start))
        i += 1
    return tuple(out)


# Korean morphemes that carry content: nouns, numbers, foreign words, verb and adjective stems.
_KO_CONTENT_TAGS = frozenset(
    {"NNG", "NNP", "NR", "SL", "SN", "SH", "VV", "VA", "XR", "NNB"}
)

EN_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours yourself yourselves said says
    say told one two new mr mrs ms s t""".split()
)

_EN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_LETTER_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_DIACRITIC = re.compile(r"[À-ÖØ-öø-ÿĀ-ž]")


def is_foreign_in_en(sentence: str) -> bool:
    """At least 4 words, no English function word, and a letter with a diacritic: another
    European language inside an English page ("Content Management Systeme für Webseiten.")."""
    words = [w.lower() for w in _LETTER_WORD.findall(sentence[:1000])]
    return (len(words) >= 4 and not any(w in EN_STOPWORDS for w in words)
            and bool(_DIACRITIC.search(sentence)))


def _stem(word: str) -> str:
    """A light suffix stripper; enough to match 'elections' with 'election' in similarity."""
    for suffix in ("ingly", "edly", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return word


def en_tokens(text: str) -> list[str]:
    """Lower-cased, stop-word-free, lightly stemmed English tokens."""
    return [_stem(w.split("'")[0]) for w in _EN_WORD.findall(text.lower()) if w not in EN_STOPWORDS]
