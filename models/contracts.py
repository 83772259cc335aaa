"""The contracts of the pipeline: its request and result types and the protocols its models implement.

``models.pipeline`` (the engine) and ``models.inference`` (the seq2seq backends) both import them
from here, so the backends never import the engine to implement its protocols.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    from .pipeline import Engine

from .text.bullets import Bullet
from .text.language import Detection
from .text.sentences import Sentence
from .text.style import Style

__all__ = ["MAX_MAX_CHARS", "MIN_MAX_CHARS", "AbstractiveSummarizer", "AbstractiveSummary", "Method",
           "SummarizeRequest", "SummaryEngine", "EngineWrapper", "SummaryResult", "TranslationResult", "Translator"]

Method = Literal["auto", "extractive", "abstractive"]
# the range of a request's target bullet length (max_chars), in characters
MIN_MAX_CHARS, MAX_MAX_CHARS = 40, 400

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
    # the bullets' target length in characters (None: the engine's default for the bullets' language);
    # a bullet with no grammatical shortening within it may run to the engine's ceiling (see shape_bullets)
    max_chars: int | None = None


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
    max_chars: int | None = None  # the target length the bullets were shaped to
    # method "auto" that fell back: {"from": "abstractive", "reason": ...}
    fallback: dict[str, str] | None = None


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


class SummaryEngine(Protocol):
    """What the service and the batch jobs call: :class:`~models.pipeline.Engine` and the wrappers
    around it (:class:`~models.cache.CachedEngine`, :class:`~models.guard.GuardedEngine`), which
    compose through exactly this interface (no attribute is forwarded implicitly)."""

    @property
    def summarizers(self) -> Mapping[str, AbstractiveSummarizer]: ...

    @property
    def translators(self) -> Mapping[tuple[str, str], Translator]: ...

    @property
    def warmed(self) -> bool: ...

    @property
    def pipeline(self) -> Engine:
        """The pipeline engine at the core (itself for an Engine): its steps, for tests and tools."""
        ...

    def warm_up(self) -> None: ...

    def summarize(self, req: SummarizeRequest) -> SummaryResult: ...

    def translate(
        self, text: str, source_lang: str, target_lang: str, html: str | None = None
    ) -> TranslationResult: ...


E = TypeVar("E", bound=SummaryEngine)


class EngineWrapper(Generic[E]):
    """The part of :class:`SummaryEngine` a wrapper passes to the engine it wraps (``inner``)
    unchanged; :class:`~models.cache.CachedEngine` and :class:`~models.guard.GuardedEngine` add
    their own ``summarize`` and ``translate``."""

    def __init__(self, inner: E) -> None:
        self.inner = inner

    @property
    def summarizers(self) -> Mapping[str, AbstractiveSummarizer]:
        return self.inner.summarizers

    @property
    def translators(self) -> Mapping[tuple[str, str], Translator]:
        return self.inner.translators

    @property
    def warmed(self) -> bool:
        return self.inner.warmed

    @property
    def pipeline(self) -> Engine:
        return self.inner.pipeline

    def warm_up(self) -> None:
        """Warm the wrapped engine up directly (a guard takes no slot and sets no deadline for it)."""
        self.inner.warm_up()
