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
from .errors import InputRejected, ModelUnavailable, UnsupportedLanguage
from .inference.announce import calls
from .text.bullets import (
    DEFAULT_MAX_CHARS,
    Bullet,
    is_noise,
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
from .text.sentences import (
    GIANT_TOKEN,
    SUPPORTED_LANGS,
    Sentence,
    SentenceSplitter,
)
from .text.shared import shared_detector, shared_splitter
from .text.style import Style, fit_bullet

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


# Chosen by bench.tune: 5-fold cross-validation over a grid, the smoothed (plateau) objective, on
# 966 English articles (CNN/DM + BBC) and the 15 Korean dev articles; the README's Quality section
# has the per-fold choices and held-out figures. Centrality is the reference weight (2.0); the lead
# prior is explicit: English weighs it 1.0 with an 8-sentence decay (4 of 5 folds chose weight
# 1.0); Korean gets none (its dev references spread through the article; the headline lines, as
# the title signal, pull the lead in instead). Centrality uses TextRank's word-overlap graph
# (every Korean fold, 4 of 5 English folds). English penalizes mostly-quote sentences.
DEFAULT_WEIGHTS: dict[str, RankWeights] = {
    "en": RankWeights(centrality=2.0, position=1.0, position_decay=8.0, title=0.0, redundancy=0.7, quote=0.5,
                      graph="overlap"),
    "ko": RankWeights(centrality=2.0, position=0.0, position_decay=4.0, title=0.5, redundancy=0.7, quote=0.0,
                      graph="overlap"),
}


# Ranked sentences beyond max_bullets that shaping may fall back on, best first.
SPARE_CANDIDATES = 5
# The extractive path splits at most this many sentences: three ranking windows, so that page
# chrome, headlines and noise can go and the window still fills. Traded: in a text of more than
# about 900 sentences (no news article is), what follows is never read; time and memory stay bounded.
EXTRACTIVE_SPLIT_LIMIT = 3 * MAX_RANKED_SENTENCES


@dataclass(slots=True)
class EngineConfig:
    max_chars: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MAX_CHARS))
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

    def candidates(self, sentences: Sequence[Sentence], lang: str) -> list[Sentence]:
        """Sentences that may become bullets: no bylines, captions, credits or headlines, and no
        "sentence" that is one unbroken run of 200+ characters (no word is that long)."""
        sentences = [s for s in sentences if not GIANT_TOKEN.fullmatch(s.text)]
        cleaned = [strip_leading_tag(s, lang) for s in sentences]
        kept = [s for s in cleaned if not is_noise(s.text, lang)]
        complete = [s for s in kept if s.complete]
        # Headlines and captions lack a final ending; fall back to them only if nothing else.
        return complete if len(complete) >= 1 else kept

    def ranking_features(
        self, sentences: Sequence[Sentence], lang: str, title: str | None = None,
        graphs: Sequence[str] | None = None,
    ) -> tuple[list[Sentence], SentenceFeatures | None]:
        """The candidates in the ranking window and their features (None when there are none);
        centrality over ``graphs`` (default: the one this language's weights use)."""
        # only the ranking window is analysed: the rest could never be picked
        cands = self.candidates(sentences, lang)[:MAX_RANKED_SENTENCES]
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
                if not is_noise(s.text, lang, headings=False):  # a Title Case headline is the title
                    lead.append(s)
            title_tokens = [t for toks in self.splitter.tokens(lead, lang) for t in toks] if lead else None
        weights = self.config.weights[lang]
        features = sentence_features(
            tokens, _positions(cands), title_tokens, [s.text for s in cands], weights.damping,
            graphs or (weights.graph,),
        )
        return cands, features

    def extract(
        self, sentences: Sequence[Sentence], lang: str, k: int, title: str | None = None
    ) -> list[Sentence]:
        """Up to ``k`` candidate sentences, best first (see :mod:`models.text.extractive`)."""
        cands, features = self.ranking_features(sentences, lang, title)
        if features is None:
            return []
        weights = self.config.weights[lang]
        order = pick_best_first(sentence_scores(features, weights), features.sim, k, weights)
        return [cands[i] for i in order]

    def extractive_bullets(
        self, ranked: Sequence[Sentence], lang: str, k: int, style: Style = "sentence"
    ) -> list[Bullet]:
        """Bullets from sentences ranked best first, shown in article order.

        Shaping skips a sentence that cannot become a bullet (too long to compress, noise, a
        near-duplicate) and takes the next ranked one.
        """
        bullets = shape_bullets(
            [(s.text, [s]) for s in ranked], lang, self.config.max_chars[lang], k,
            kiwi=self.splitter.kiwi, style=style,
        )
        return sorted(bullets, key=lambda b: b.sources[0].start)

    def fit_translations(
        self,
        bullets: Sequence[Bullet],
        translated: Sequence[str],
        target: str,
        style: Style = "sentence",
        translator: Translator | None = None,
        source: str | None = None,
    ) -> list[Bullet]:
        """Translated bullets compressed to the target language's limit (or given its concise
        form), never cut. A translation that cannot be compressed is made again, once, from its
        source bullet compressed in proportion (given ``translator`` and the ``source`` language);
        one that still cannot is left out."""
        limit = self.config.max_chars[target]
        kiwi = self.splitter.kiwi
        fitted = [fit_bullet(text, target, limit, style, kiwi) for text in translated]
        shorter: dict[int, str] = {}
        for i, (text, bullet) in enumerate(zip(translated, bullets)):
            if fitted[i] is not None or translator is None or source is None:
                continue
            # aim the source at the limit by the ratio this translation ran to (Korean to English
            # often doubles the characters), with a margin
            src_limit = int(len(bullet.text) * limit / max(len(text), 1) * 0.9)
            short = fit_bullet(bullet.text, source, src_limit, "sentence", kiwi) if src_limit >= 20 else None
            if short is not None and len(short) < len(bullet.text):
                shorter[i] = short
        if shorter and translator is not None:  # (only a translator's bullets get shortened)
            for i, text in zip(shorter, translator.translate(list(shorter.values()))):
                fitted[i] = fit_bullet(text, target, limit, style, kiwi)
        return [Bullet(text, bullet.sources) for text, bullet in zip(fitted, bullets) if text is not None]

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
        sentences = chrome.sentences
        if not sentences:
            raise InputRejected(
                f"the {field_name} has no sentences to summarize (only page chrome: bylines, "
                "captions, menus or prompts?)", {"field": field_name},
            )

        models: dict[str, str] = {}
        chunks: int | None = None
        max_chars = self.config.max_chars[lang]
        if method == "extractive":
            models["summarize"] = EXTRACTIVE_ID
            with timer.stage("summarize"):
                # Ranked best first, with spares: shaping skips a sentence that cannot be made
                # into a bullet (too long to compress, noise, a near-duplicate) and takes the next.
                ranked = self.extract(sentences, lang, req.max_bullets + SPARE_CANDIDATES, title)
            with timer.stage("shape"):
                bullets = self.extractive_bullets(ranked, lang, req.max_bullets, req.style)
        else:
            summarizer = self.summarizers[lang]
            cands = self.candidates(sentences, lang) or list(sentences)
            with timer.stage("summarize"):
                summary = summarizer.summarize([s.text for s in cands])
            chunks = summary.chunks
            models["summarize"] = summarizer.model_id
            with timer.stage("shape"):
                pieces = self.splitter.split(summary.text, lang)
                bullets = shape_bullets(
                    [(p.text, attribute(p, cands, self.splitter, lang)) for p in pieces],
                    lang, max_chars, req.max_bullets, kiwi=self.splitter.kiwi, style=req.style,
                )
            if not bullets:
                # nothing the model wrote could be made a bullet within the limit (bullets are
                # never cut): the article's best sentences instead, and the result says so
                with timer.stage("summarize"):
                    ranked = self.extract(sentences, lang, req.max_bullets + SPARE_CANDIDATES, title)
                with timer.stage("shape"):
                    bullets = self.extractive_bullets(ranked, lang, req.max_bullets, req.style)
                method, chunks = "extractive", None
                models["summarize"] = EXTRACTIVE_ID
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
                fitted = self.fit_translations(bullets, translated, target, req.style, translator, lang)
            if not fitted:
                raise InputRejected(
                    f"no translated bullet could be compressed to {self.config.max_chars[target]} "
                    "characters", {"field": field_name},
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
