"""The contracts of the pipeline: its request and result types and the protocols its models implement.

``models.pipeline`` (the engine) and ``models.inference`` (the seq2seq backends) both import them
from here, so the backends never import the engine to implement its protocols.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from .text.bullets import Bullet
from .text.language import Detection
from .text.sentences import Sentence
from .text.style import Style

__all__ = ["AbstractiveSummarizer", "AbstractiveSummary", "Method", "SummarizeRequest", "SummaryResult",
           "TranslationResult", "Translator"]

Method = Literal["auto", "extractive", "abstractive"]

class Translator(Protocol):
    """Translates a batch of texts from one language to another, order preserved."""

    model_id: str

    def translate(self, texts: Sequence[str]) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class AbstractiveSummary:
    text: str
    chunks: int


class AbstractiveSummarizer(Protocol):
    """Writes a summary of sentences (already split) in their own language."""

    model_id: str

    def summarize(self, sentences: Sequence[str]) -> AbstractiveSummary: ...


@dataclass(frozen=True, slots=True)
class SummarizeRequest:
    text: str = ""
    title: str | None = None
    source_lang: str = "auto"
    target_lang: str | None = None
    max_bullets: int = 3
    method: Method = "auto"
    html: str | None = None  # a web page instead of text: its article is extracted first
    style: Style = "sentence"  # "concise": noun-ending Korean bullets, compressed English ones


@dataclass(slots=True)
class SummaryResult:
    bullets: list[Bullet]
    source_lang: str
    target_lang: str
    method: str
    models: dict[str, str]
    timings_ms: dict[str, float]
    detected: Detection | None = None
    chunks: int | None = None
    cached: bool = False
    style: str = "sentence"
    text: str | None = None  # for html input: the extracted article text the sources point into
    title: str | None = None  # the page's headline, or a pasted text's first line shaped like one


@dataclass(slots=True)
class TranslationResult:
    text: str
    source_lang: str
    target_lang: str
    model: str
    sentences: list[tuple[Sentence, str]]
    timings_ms: dict[str, float]
    detected: Detection | None = None
    source_text: str | None = None  # for html input: the extracted article text
    title: str | None = None
