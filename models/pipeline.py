"""The summarization pipeline: detect -> split -> summarize -> shape bullets -> translate.

:class:`Engine` holds everything that is expensive to build (kiwipiepy, lingua, seq2seq models)
and is created once per worker process; every public method is safe to call from several
threads at once.
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from .contracts import (
    AbstractiveSummarizer,
    SummarizeRequest,
    SummaryResult,
    TranslationResult,
    Translator,
)
from .errors import InputRejected, ModelOutputUnusable, ModelUnavailable, UnsupportedLanguage
from .inference.announce import calls
from .text.bullets import (
    DEFAULT_CEILING_RATIO,
    DEFAULT_MAX_CHARS,
    Bullet,
    ceiling_for,
    fit_within,
    shape_bullets,
    strip_leading_tag,
)
from .text.chrome import ChromeResult, strip_chrome
from .text.extractive import (
    MAX_RANKED_SENTENCES,
    RankWeights,
    SentenceFeatures,
    pick_best_first,
    sentence_features,
    sentence_scores,
)
from .text.language import Detection, LanguageDetector
from .text.normalize import Normalized, normalize_text
from .text.rules import Screen, screen_for
from .text.sentences import (
    GIANT_TOKEN,
    SUPPORTED_LANGS,
    Sentence,
    SentenceSplitter,
)
from .text.shared import shared_detector, shared_splitter
from .text.style import Style

EXTRACTIVE_ID = "builtin/extractive-textrank"


def page_text(text: str, html: str | None, timer: Timer) -> tuple[Normalized, str | None]:
    """The text to work on, normalized (:mod:`models.text.normalize`, a timed ``normalize``
    stage), and the page's title: ``text`` itself, or the article extracted from ``html`` (a timed
    ``extract`` stage; raises InputRejected for a page with no article). For ``html`` the
    normalized article is the text the result returns, so its map back is not needed."""
    title = None
    if html is not None:
        from .text.page import extract_page

        with timer.stage("extract"):
            page = extract_page(html)
        text, title = page.text, page.title
    with timer.stage("normalize"):
        norm = normalize_text(text)
        if html is not None:
            norm = Normalized(norm.text, norm.text)
        title = normalize_text(title).text if title else title
    return norm, title


def to_original(sentence: Sentence, norm: Normalized) -> Sentence:
    """``sentence`` (offsets into the normalized text) as the slice of the text as sent."""
    if norm.identity:
        return sentence.bare()
    start, end = norm.span(sentence.start, sentence.end)
    return replace(sentence, text=norm.original[start:end], start=start, end=end, morphs=None)


@dataclass(slots=True)
class Timer:
    timings_ms: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings_ms[name] = round(
                self.timings_ms.get(name, 0.0) + (time.perf_counter() - t0) * 1000, 2
            )


# Chosen by held-out generalization over the same 5 folds (docs/ranking.md has the tables).
# English: learned, `python -m bench.learn --eval ../shared/eval --lang en --write` (a logistic
# regression over the named features on CNN/DM oracle labels and BBC's reference sentences, scaled
# so centrality weighs 2.0; graph, decay, redundancy and the lead prior's scale by the objective;
# penalties kept >= 0): held-out CNN/DM R1 +0.16 / R2 -0.68 vs Lead-3, BBC picked 79.3 % (+20.5;
# folds +19.1..+22.1), objective +4.32 a fold (worst +1.12), against the grid's -0.61 / -0.97,
# 80.3 % (+21.5), +3.49 (worst -0.18), in the same run. These weights sit where one English ranker
# trades CNN/DM's lead against BBC's central sentences (docs/ranking.md, bench.frontier): no weight
# meets both sets' targets. Korean: the grid, `python -m bench.tune --eval ../shared/eval --lang ko`
# ("on all data"; 3 of 5 folds chose it): held-out R1 +15.7 (IT/science) / +21.5 (regional news)
# over Lead-3, picked 60.0 % / 50.6 %; the learned weights miss R1 + 12 on the IT/science set (+11.9).
# Both weigh a lead prior (Korean's falls fast: a 2-sentence decay); centrality on TextRank's
# word-overlap graph.
DEFAULT_WEIGHTS: dict[str, RankWeights] = {
    "en": RankWeights(centrality=2.0, position=1.6, position_decay=8.0, title=1.0, centroid=0.06, redundancy=0.3,
                      short_penalty=0.0, long_penalty=1.02, quote=0.33, graph="overlap"),
    "ko": RankWeights(centrality=2.0, position=1.0, position_decay=2.0, title=0.0, redundancy=0.3, quote=0.0,
                      graph="overlap"),
}


# Ranked sentences beyond max_bullets that shaping may fall back on, best first.
SPARE_CANDIDATES = 5
# With fewer bullets asked than this, the first ones in article order among this many best are
# returned ("lead first"): the article's news is among one or two bullets whenever it is among the
# best three. bench.quality prints `picked` at one bullet beside Lead-1 (docs/quality.md).
LEAD_WINDOW = 3
# The extractive path splits at most this many sentences: three ranking windows, so that page
# chrome, headlines and noise can go and the window still fills. Traded: in a text of more than
# about 900 sentences (no news article is), what follows is never read; time and memory stay bounded.
EXTRACTIVE_SPLIT_LIMIT = 3 * MAX_RANKED_SENTENCES


@dataclass(slots=True)
class EngineConfig:
    # the target bullet length per language (a request's max_chars overrides it) and the ceiling, as a
    # multiple of the target, that a sentence with no grammatical shortening may run to
    max_chars: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MAX_CHARS))
    ceiling_ratio: float = DEFAULT_CEILING_RATIO
    weights: dict[str, RankWeights] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


def _missing_translation(src: str, tgt: str) -> ModelUnavailable:
    var = f"SUMMARIZER_MODEL_TRANSLATE_{src.upper()}_{tgt.upper()}"
    return ModelUnavailable(
        f"no translation model is configured for {src}→{tgt}; set {var} to a model id or a "
        f"local directory and download it with `python -m service models download`",
        {"task": "translate", "source_lang": src, "target_lang": tgt, "setting": var},
    )


def _missing_summarizer(lang: str) -> ModelUnavailable:
    var = f"SUMMARIZER_MODEL_SUMMARIZE_{lang.upper()}"
    return ModelUnavailable(
        f"method 'abstractive' needs a summarization model for {lang}; set {var} (or use "
        f"method 'extractive' or 'auto')",
        {"task": "summarize", "lang": lang, "setting": var},
    )


class Engine:
    """Everything a worker needs to answer requests; build once, share across threads."""

    def __init__(
        self,
        splitter: SentenceSplitter | None = None,
        detector: LanguageDetector | None = None,
        summarizers: dict[str, AbstractiveSummarizer] | None = None,
        translators: dict[tuple[str, str], Translator] | None = None,
        config: EngineConfig | None = None,
    ) -> None:
        # one splitter and detector per process, shared by every engine (and inherited from the
        # gunicorn master, which preloads them: see models.text.shared.preload_shared)
        self.splitter = splitter or shared_splitter()
        self.detector = detector or shared_detector()
        self.summarizers = summarizers or {}
        self.translators = translators or {}
        self.config = config or EngineConfig()
        self.warmed = False

    @property
    def pipeline(self) -> Engine:
        """This engine (models.contracts.SummaryEngine: the wrappers name the engine at their core)."""
        return self

    # --- lifecycle ---------------------------------------------------------------------

    def warm_up(self) -> None:
        """One call through every stage, so the first request pays no first-call costs."""
        self.splitter.warm_up()
        self.detector.warm_up()
        # the first page extraction imports trafilatura, lxml and ftfy: about 3 s
        page_text("", "<html><body><article><p>" + _WARM_UP["en"] + "</p></article></body></html>", Timer())
        for lang in self.summarizers:
            self.summarize(SummarizeRequest(text=_WARM_UP[lang], source_lang=lang, max_bullets=1))
        for (src, _tgt), translator in self.translators.items():
            translator.translate([_WARM_UP[src]])
        self.warmed = True

    # --- steps ---------------------------------------------------------------------------

    def resolve_lang(self, text: str, source_lang: str) -> tuple[str, Detection | None]:
        if source_lang == "auto":
            det = self.detector.detect(text)
            return det.lang, det
        if source_lang not in SUPPORTED_LANGS:
            raise UnsupportedLanguage(
                f"source_lang must be one of auto, {', '.join(SUPPORTED_LANGS)}",
                {"field": "source_lang"},
            )
        return source_lang, None

    def translator_for(self, src: str, tgt: str) -> Translator:
        translator = self.translators.get((src, tgt))
        if translator is None:
            raise _missing_translation(src, tgt)
        return translator

    def article_sentences(
        self, text: str, lang: str, title: str | None = None, method: str = "extractive", timer: Timer | None = None,
    ) -> tuple[ChromeResult, str | None]:
        """The article's sentences in ``text`` and the title ranking reads (both already normalized):
        split (a bounded prefix for the extractive path, which only ever ranks the first
        MAX_RANKED_SENTENCES candidates; all of it for the abstractive path's chunks), page chrome
        dropped (menus, prompts, captions, bylines), and ``title``, else a page's headline line (in
        a plain article :meth:`extract` reads its leading headline lines as the title itself).
        The one path both a request and ``bench.tune`` take."""
        timer = timer or Timer()
        with timer.stage("split"):
            limit = None if method == "abstractive" else EXTRACTIVE_SPLIT_LIMIT
            sentences = self.splitter.split(text, lang, max_sentences=limit)
        with timer.stage("chrome"):
            chrome = strip_chrome(text, sentences, lang)
        return chrome, title or (chrome.title if chrome.page else None)

    def candidates(self, sentences: Sequence[Sentence], lang: str, screen: Screen | None = None) -> list[Sentence]:
        """Sentences that may become bullets: no bylines, captions, credits or headlines, and no
        "sentence" that is one unbroken run of 200+ characters (no word is that long). Noise is
        read through ``screen`` (the request's, from :meth:`article_sentences`; else a new one)."""
        screen = screen_for(screen, lang)
        sentences = [s for s in sentences if not GIANT_TOKEN.fullmatch(s.text)]
        cleaned = [strip_leading_tag(s, lang) for s in sentences]
        kept = [s for s in cleaned if not screen.noise(s.text)]
        complete = [s for s in kept if s.complete]
        # Headlines and captions lack a final ending; fall back to them only if nothing else.
        return complete if len(complete) >= 1 else kept

    def ranking_features(
        self, sentences: Sequence[Sentence], lang: str, title: str | None = None,
        graphs: Sequence[str] | None = None, screen: Screen | None = None,
    ) -> tuple[list[Sentence], SentenceFeatures | None]:
        """The candidates in the ranking window and their features (None when there are none);
        centrality over ``graphs`` (default: the one this language's weights use)."""
        screen = screen_for(screen, lang)
        # only the ranking window is analysed: the rest could never be picked
        cands = self.candidates(sentences, lang, screen)[:MAX_RANKED_SENTENCES]
        if not cands:
            return [], None
        tokens = self.splitter.tokens(cands, lang)  # Korean: the splitter's morphemes, not a second analysis
        title_tokens: list[str] | None
        if title:
            title_tokens = self.splitter.tokens([title], lang)[0]
        else:
            # headline and subheads: the short lines without a final ending that open the article
            lead = []
            for s in sentences:
                if s.complete:
                    break
                if not screen.noise(s.text, headings=False):  # a Title Case headline is the title
                    lead.append(s)
            title_tokens = [t for toks in self.splitter.tokens(lead, lang) for t in toks] if lead else None
        weights = self.config.weights[lang]
        features = sentence_features(
            tokens, _positions(cands), title_tokens, [s.text for s in cands], weights.damping,
            graphs or (weights.graph,),
        )
        return cands, features

    def extract(
        self, sentences: Sequence[Sentence], lang: str, k: int, title: str | None = None,
        screen: Screen | None = None,
    ) -> list[Sentence]:
        """Up to ``k`` candidate sentences, best first (see :mod:`models.text.extractive`)."""
        cands, features = self.ranking_features(sentences, lang, title, screen=screen)
        if features is None:
            return []
        weights = self.config.weights[lang]
        order = pick_best_first(sentence_scores(features, weights), features.sim, k, weights)
        return [cands[i] for i in order]

    def bullet_length(self, lang: str, max_chars: int | None = None, target: str | None = None) -> int:
        """The target length of bullets shaped in ``lang``: the request's ``max_chars`` (given for
        bullets in ``target``, the language they are returned in), else the configured default. A
        bullet shaped before translation gets the request's length in proportion to the two
        languages' defaults (Korean carries more per character)."""
        target = target or lang
        if max_chars is None:
            return self.config.max_chars[lang]
        if target == lang:
            return max_chars
        return max(20, round(max_chars * self.config.max_chars[lang] / self.config.max_chars[target]))

    def ceiling(self, length: int) -> int:
        return ceiling_for(length, self.config.ceiling_ratio)

    def extractive_bullets(
        self, ranked: Sequence[Sentence], lang: str, k: int, style: Style = "sentence",
        max_chars: int | None = None, screen: Screen | None = None,
    ) -> list[Bullet]:
        """Bullets from sentences ranked best first, shown in article order.

        Shaping compresses a sentence over the target length (``max_chars``, default: the
        language's) where it can, keeps it whole up to the ceiling where it cannot, and skips one
        past the ceiling, noise or a near-duplicate for the next ranked one. With fewer than
        :data:`LEAD_WINDOW` bullets asked, the first ``k`` in article order of the best
        :data:`LEAD_WINDOW` are returned, so the lead news is among them whenever it is among those.
        """
        length = max_chars or self.config.max_chars[lang]
        bullets = shape_bullets(
            [(s.text, [s]) for s in ranked], lang, length, max(k, LEAD_WINDOW),
            kiwi=self.splitter.kiwi, style=style, ceiling=self.ceiling(length), screen=screen,
        )
        if k < LEAD_WINDOW:
            bullets = sorted(bullets, key=lambda b: b.sources[0].start)[:k]
        return sorted(bullets, key=lambda b: b.sources[0].start)

    def fit_translations(
        self,
        bullets: Sequence[Bullet],
        translated: Sequence[str],
        target: str,
        style: Style = "sentence",
        translator: Translator | None = None,
        source: str | None = None,
        max_chars: int | None = None,
    ) -> list[Bullet]:
        """Translated bullets compressed to the target length (``max_chars``, default: the target
        language's) or given their concise form, never cut and never dropped for their length.
        A translation with no shortening within the target is made again, once, from its source
        bullet compressed in proportion (given ``translator`` and the ``source`` language); one
        that still has none is kept whole or compressed within the ceiling, and past it kept whole:
        the caller asked for this article's bullets, and a long one is better than none."""
        limit = max_chars or self.config.max_chars[target]
        ceiling = self.ceiling(limit)
        kiwi = self.splitter.kiwi
        fitted = [fit_within(text, target, limit, limit, style, kiwi) for text in translated]
        shorter: dict[int, str] = {}
        for i, (text, bullet) in enumerate(zip(translated, bullets)):
            if fitted[i] is not None or translator is None or source is None:
                continue
            # aim the source at the limit by the ratio this translation ran to (Korean to English
            # often doubles the characters), with a margin
            src_limit = int(len(bullet.text) * limit / max(len(text), 1) * 0.9)
            short = fit_within(bullet.text, source, src_limit, src_limit, "sentence", kiwi) if src_limit >= 20 else None
            if short is not None and len(short) < len(bullet.text):
                shorter[i] = short
        if shorter and translator is not None:  # (only a translator's bullets get shortened)
            for i, text in zip(shorter, translator.translate(list(shorter.values()))):
                fitted[i] = fit_within(text, target, limit, limit, style, kiwi)
        for i, text in enumerate(translated):  # no shortening within the target: the ceiling, then whole
            if fitted[i] is None:
                fitted[i] = fit_within(text, target, limit, ceiling, style, kiwi, keep_whole=True)
        return [Bullet(text, bullet.sources) for text, bullet in zip(fitted, bullets) if text]

    # --- the public calls ------------------------------------------------------------------

    def summarize(self, req: SummarizeRequest) -> SummaryResult:
        """Bullets for one article; raises the errors in :mod:`models.errors`."""
        timer = Timer()
        norm, page_title = page_text(req.text, req.html, timer)
        with timer.stage("detect"):
            lang, detection = self.resolve_lang(norm.text, req.source_lang)
        target = req.target_lang or lang
        if target not in SUPPORTED_LANGS:
            raise UnsupportedLanguage(
                f"target_lang must be one of {', '.join(SUPPORTED_LANGS)}", {"field": "target_lang"}
            )
        translator = self.translator_for(lang, target) if target != lang else None
        method = req.method
        if method == "auto":
            method = "abstractive" if lang in self.summarizers else "extractive"
        if method == "abstractive" and lang not in self.summarizers:
            raise _missing_summarizer(lang)
        # the models this request will call, announced to their batchers before the text is split
        # (and any other model's announcement, made by the guard before it knew, released)
        used = [m for m in (translator, self.summarizers.get(lang) if method == "abstractive" else None) if m]
        with calls(used):
            return self._summarize_text(req, norm, page_title, lang, detection, target, translator, method, timer)

    def _summarize_text(
        self, req: SummarizeRequest, norm: Normalized, page_title: str | None, lang: str,
        detection: Detection | None, target: str, translator: Translator | None, method: str, timer: Timer,
    ) -> SummaryResult:
        """The rest of :meth:`summarize`, once the languages and the models are known."""
        text = norm.text
        field_name = "html" if req.html is not None else "text"
        given = (normalize_text(req.title).text if req.title else None) or page_title
        chrome, title = self.article_sentences(text, lang, given, method, timer)
        sentences, screen = chrome.sentences, chrome.screen  # one reading of the noise rules per request
        if not sentences:
            raise InputRejected(
                f"the {field_name} has no sentences to summarize (only page chrome: bylines, "
                "captions, menus or prompts?)", {"field": field_name},
            )

        models: dict[str, str] = {}
        chunks: int | None = None
        fallback: dict[str, str] | None = None
        length = self.bullet_length(lang, req.max_chars, target)
        if method == "abstractive":
            summarizer = self.summarizers[lang]
            cands = self.candidates(sentences, lang, screen) or list(sentences)
            with timer.stage("summarize"):
                summary = summarizer.summarize([s.text for s in cands])
            chunks = summary.chunks
            models["summarize"] = summarizer.model_id
            with timer.stage("shape"):
                pieces = self.splitter.split(summary.text, lang)
                # the model's sentences are never refused for their length: compressed where they
                # can be, kept whole where they cannot
                bullets = shape_bullets(
                    [(p.text, attribute(p, cands, self.splitter, lang)) for p in pieces],
                    lang, length, req.max_bullets, kiwi=self.splitter.kiwi, style=req.style,
                    ceiling=self.ceiling(length), keep_whole=True, screen=screen,
                )
            if not bullets:
                reason = ("the model wrote no text" if not summary.text.strip() else
                          "the model wrote nothing a bullet can be made of (no sentence that is not noise)")
                if req.method == "abstractive":  # asked for by name: never quietly another method
                    raise ModelOutputUnusable(
                        f"the summarization model gave no usable summary: {reason}",
                        {"model": summarizer.model_id, "reason": reason},
                    )
                fallback = {"from": "abstractive", "reason": reason}
                method, chunks = "extractive", None
        if method == "extractive":
            models["summarize"] = EXTRACTIVE_ID
            with timer.stage("summarize"):
                # Ranked best first, with spares: shaping skips a sentence that cannot be made
                # into a bullet (past the ceiling, noise, a near-duplicate) and takes the next.
                ranked = self.extract(sentences, lang, max(req.max_bullets, LEAD_WINDOW) + SPARE_CANDIDATES, title,
                                      screen)
            with timer.stage("shape"):
                bullets = self.extractive_bullets(ranked, lang, req.max_bullets, req.style, length, screen)
        if not bullets:
            raise InputRejected(
                "nothing in the text could be turned into a bullet (only bylines, captions "
                "or credits?)",
                {"field": field_name},
            )
        if translator is not None:
            with timer.stage("translate"):
                translated = translator.translate([b.text for b in bullets])
            models["translate"] = translator.model_id
            with timer.stage("translate"):
                fitted = self.fit_translations(bullets, translated, target, req.style, translator, lang,
                                               req.max_chars)
            if not fitted:
                raise ModelOutputUnusable(
                    "the translation model returned empty text for every bullet",
                    {"model": translator.model_id, "reason": "empty translation"},
                )
            bullets = fitted
        return SummaryResult(
            # the morphemes served this request; a cached or serialized result does not carry them
            # the sources as slices of the text as sent (for html: of the extracted article)
            bullets=[Bullet(b.text, [to_original(s, norm) for s in b.sources]) for b in bullets],
            source_lang=lang,
            target_lang=target,
            method=method,
            models=models,
            timings_ms=timer.timings_ms,
            detected=detection,
            chunks=chunks,
            text=text if req.html is not None else None,
            title=title or chrome.title,
            style=req.style,
            max_chars=req.max_chars or self.config.max_chars[target],
            fallback=fallback,
        )

    def translate(
        self, text: str, source_lang: str, target_lang: str, html: str | None = None
    ) -> TranslationResult:
        """Translate a whole text (or the article of ``html``) sentence by sentence, keeping line
        and paragraph breaks."""
        timer = Timer()
        source = html
        norm, title = page_text(text, html, timer)
        text = norm.text
        with timer.stage("detect"):
            lang, detection = self.resolve_lang(text, source_lang)
        if target_lang not in SUPPORTED_LANGS:
            raise UnsupportedLanguage(
                f"target_lang must be one of {', '.join(SUPPORTED_LANGS)}", {"field": "target_lang"}
            )
        if target_lang == lang:
            raise UnsupportedLanguage(
                "target_lang is the same as the source language", {"field": "target_lang"}
            )
        translator = self.translator_for(lang, target_lang)
        with calls([translator]):
            with timer.stage("split"):
                sentences = self.splitter.split(text, lang)
            with timer.stage("translate"):
                outputs = translator.translate([s.text for s in sentences]) if sentences else []
        # Rebuild the text: translated sentences joined by what separated the originals,
        # reduced to its line breaks (a space where there were none).
        parts: list[str] = []
        prev_end = 0
        for sent, out in zip(sentences, outputs):
            gap = text[prev_end : sent.start]
            breaks = gap.count("\n")
            if parts:
                parts.append("\n" * breaks if breaks else " ")
            parts.append(out)
            prev_end = sent.end
        return TranslationResult(
            text="".join(parts),
            source_lang=lang,
            target_lang=target_lang,
            model=translator.model_id,
            sentences=[(to_original(s, norm), out) for s, out in zip(sentences, outputs)],
            timings_ms=timer.timings_ms,
            detected=detection,
            source_text=text if source is not None else None,
            title=title,
        )


def _positions(cands: Sequence[Sentence]) -> list[int]:
    """Position of each candidate among the candidates (headlines and bylines don't count)."""
    return list(range(len(cands)))


def attribute(
    piece: str | Sentence, sentences: Sequence[Sentence], splitter: SentenceSplitter, lang: str,
    top: int = 2,
) -> list[Sentence]:
    """The source sentences a generated bullet overlaps most (at least one, at most ``top``).

    Sentences from the splitter bring their Korean morphemes, so nothing is analysed twice.
    """
    if not sentences:
        return []
    toks = splitter.tokens([piece, *sentences], lang)
    target = set(toks[0])
    scored = []
    for sent, sent_toks in zip(sentences, toks[1:]):
        overlap = len(target & set(sent_toks)) / max(len(target), 1)
        scored.append((overlap, -sent.start, sent))
    scored.sort(reverse=True)
    best = [scored[0][2]] + [s for o, _, s in scored[1:top] if o >= 0.3]
    return sorted(best, key=lambda s: s.start)


_WARM_UP = {
    "ko": "정부는 5일 새 정책을 발표했다. 시행은 내년부터다. 업계는 환영했다.",
    "en": "The government announced a new policy on Monday. It takes effect next year.",
}
