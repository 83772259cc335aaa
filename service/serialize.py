"""Domain results -> response types."""
from __future__ import annotations

from models import Sentence, SummaryResult, TranslationResult

from .schemas import (
    AlignedSentence,
    BulletOut,
    DetectedOut,
    SourceSpan,
    SummarizeResponse,
    TranslateResponse,
)


def _span(s: Sentence) -> SourceSpan:
    return SourceSpan(sentence=s.text, start=s.start, end=s.end)


def summary_to_response(result: SummaryResult, request_id: str) -> SummarizeResponse:
    return SummarizeResponse(
        bullets=[BulletOut(text=b.text, sources=[_span(s) for s in b.sources]) for b in result.bullets],
        source_lang=result.source_lang,
        target_lang=result.target_lang,
        detected=DetectedOut(lang=result.detected.lang, confidence=result.detected.confidence)
        if result.detected else None,
        method=result.method,
        style=result.style,
        models=result.models,
        chunks=result.chunks,
        cached=result.cached,
        max_chars=result.max_chars,
        fallback=result.fallback,
        text=result.text,
        title=result.title,
        timings_ms=result.timings_ms,
        request_id=request_id,
    )


def translation_to_response(result: TranslationResult, request_id: str) -> TranslateResponse:
    return TranslateResponse(
        text=result.text,
        source_lang=result.source_lang,
        target_lang=result.target_lang,
        detected=DetectedOut(lang=result.detected.lang, confidence=result.detected.confidence)
        if result.detected else None,
        model=result.model,
        sentences=[AlignedSentence(source=_span(s), translation=t) for s, t in result.sentences],
        source_text=result.source_text,
        title=result.title,
        timings_ms=result.timings_ms,
        request_id=request_id,
    )
