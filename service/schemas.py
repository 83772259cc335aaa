"""Request and response types with their limits. The OpenAPI document is generated from these."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
)

MAX_BULLETS = 10
MAX_TITLE_CHARS = 1_000

SourceLang = Literal["auto", "ko", "en"]
TargetLang = Literal["ko", "en"]
MethodName = Literal["auto", "extractive", "abstractive"]


def _integral(value: object) -> object:
    """JSON has one number type: 3.0 is the integer 3 (JSON Schema agrees); 2.5 and "3" stay wrong."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _check_text(value: str, info: ValidationInfo) -> str:
    if not value.strip():
        raise ValueError("must not be empty or whitespace only")
    limit = (info.context or {}).get("max_text_chars")
    if limit is not None and len(value) > limit:
        raise ValueError(f"must be at most {limit} characters (got {len(value)})")
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


class SummarizeBody(_Strict):
    """POST /v1/summarize."""

    text: StrictStr = Field(description="The article, plain text. Line breaks end sentences.")
    title: StrictStr | None = Field(None, max_length=MAX_TITLE_CHARS, description="Optional headline.")
    source_lang: SourceLang = "auto"
    target_lang: TargetLang | None = Field(None, description="Default: the source language.")
    max_bullets: Annotated[StrictInt, BeforeValidator(_integral)] = Field(3, ge=1, le=MAX_BULLETS)
    method: MethodName = "auto"

    _text = field_validator("text")(_check_text)


class SummarizeBatchBody(_Strict):
    """POST /v1/summarize/batch: each item is validated on its own; a bad one fails alone."""

    items: list[dict] = Field(min_length=1, description="Objects shaped like a /v1/summarize body.")


class TranslateBody(_Strict):
    """POST /v1/translate."""

    text: StrictStr
    source_lang: SourceLang = "auto"
    target_lang: TargetLang

    _text = field_validator("text")(_check_text)


class SourceSpan(BaseModel):
    sentence: str = Field(description="The source sentence, exactly text[start:end].")
    start: int = Field(description="Character offset into the submitted text.")
    end: int


class BulletOut(BaseModel):
    text: str
    sources: list[SourceSpan]


class DetectedOut(BaseModel):
    lang: Literal["ko", "en"]
    confidence: float


class SummarizeResponse(BaseModel):
    bullets: list[BulletOut]
    source_lang: Literal["ko", "en"]
    target_lang: Literal["ko", "en"]
    detected: DetectedOut | None = None
    method: Literal["extractive", "abstractive"]
    models: dict[str, str] = Field(description="Model id per task used, e.g. summarize, translate.")
    chunks: int | None = Field(None, description="Input chunks the abstractive model read.")
    cached: bool = Field(False, description="Answered from the result cache.")
    timings_ms: dict[str, float]
    request_id: str


class BatchItemResult(BaseModel):
    index: int
    status: int = Field(description="The HTTP status this item would have had on its own.")
    result: SummarizeResponse | None = None
    error: "ErrorBody | None" = None


class SummarizeBatchResponse(BaseModel):
    results: list[BatchItemResult]
    request_id: str


class AlignedSentence(BaseModel):
    source: SourceSpan
    translation: str


class TranslateResponse(BaseModel):
    text: str
    source_lang: Literal["ko", "en"]
    target_lang: Literal["ko", "en"]
    detected: DetectedOut | None = None
    model: str
    sentences: list[AlignedSentence]
    timings_ms: dict[str, float]
    request_id: str


class ModelInfo(BaseModel):
    task: Literal["summarize", "translate"]
    languages: list[str] = Field(description="[lang] for summarize, [source, target] for translate.")
    model_id: str
    revision: str | None = None
    licence: str
    kind: Literal["builtin", "seq2seq"]
    backend: str | None = None
    device: str | None = Field(None, description="cpu or cuda, for seq2seq models.")


class ModelsResponse(BaseModel):
    models: list[ModelInfo]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict = Field(default_factory=dict)


class ErrorResponse(BaseModel):
    error: ErrorBody
    request_id: str | None = None


BatchItemResult.model_rebuild()
SummarizeBatchResponse.model_rebuild()
