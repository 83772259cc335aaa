"""Request and response types with their limits. The OpenAPI document is generated from these."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from models.contracts import MAX_MAX_CHARS, MIN_MAX_CHARS

MAX_BULLETS = 10
MAX_TITLE_CHARS = 1_000

SourceLang = Literal["auto", "ko", "en"]
TargetLang = Literal["ko", "en"]
MethodName = Literal["auto", "extractive", "abstractive"]
StyleName = Literal["sentence", "concise"]


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


def _not_null(value: object) -> object:
    if value is None:
        raise ValueError("must be a string; leave the field out instead of sending null")
    return value


# text or html: a string when present (null is refused); the body must have exactly one of them
OptionalStr = Annotated[StrictStr | None, WithJsonSchema({"type": "string"})]
_ONE_OF_TEXT_HTML: dict[str, Any] = {"oneOf": [{"required": ["text"]}, {"required": ["html"]}]}


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # absent means not given; null is not a value the field takes


def _check_html(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or whitespace only")
    return value  # its size limit (SUMMARIZER_MAX_HTML_BYTES) is a 413, checked by the view


def _exactly_one_of_text_html(body: "SummarizeBody | TranslateBody") -> "SummarizeBody | TranslateBody":
    if body.text is None and body.html is None:
        raise ValueError("'text' or 'html' is required: give exactly one (text: plain text or a pasted page; "
                         "html: a page's HTML)")
    if body.text is not None and body.html is not None:
        raise ValueError("give exactly one of 'text' and 'html', not both")
    return body


_TEXT_DESCRIPTION = ("The article, plain text (a whole pasted page too: its menus, captions and bylines are "
                     "dropped). Line breaks end sentences. Exactly one of text and html.")
_HTML_DESCRIPTION = ("A web page's HTML instead of text: its article is extracted (nothing is fetched: no "
                     "links, images or frames are followed). At most SUMMARIZER_MAX_HTML_BYTES bytes of "
                     "UTF-8 (413 over it). Exactly one of text and html.")


class SummarizeBody(_Strict):
    """POST /v1/summarize."""

    model_config = ConfigDict(json_schema_extra=_ONE_OF_TEXT_HTML)

    text: OptionalStr = Field(None, description=_TEXT_DESCRIPTION, json_schema_extra=_no_default)
    html: OptionalStr = Field(None, description=_HTML_DESCRIPTION, json_schema_extra=_no_default)
    title: StrictStr | None = Field(None, max_length=MAX_TITLE_CHARS, description="Optional headline.")
    source_lang: SourceLang = "auto"
    target_lang: TargetLang | None = Field(None, description="Default: the source language.")
    max_bullets: Annotated[StrictInt, BeforeValidator(_integral)] = Field(3, ge=1, le=MAX_BULLETS)
    method: MethodName = "auto"
    style: StyleName = Field(
        "sentence",
        description="sentence: whole (compressed) sentences; concise: Korean noun-ending bullets "
                    "(명사형 종결), English compressed to the main clause.",
    )
    max_chars: Annotated[StrictInt, BeforeValidator(_integral)] | None = Field(
        None, ge=MIN_MAX_CHARS, le=MAX_MAX_CHARS,
        description="Target bullet length in characters, for the bullets' language (default: "
                    "SUMMARIZER_MAX_CHARS_EN 140 / SUMMARIZER_MAX_CHARS_KO 100). A longer sentence is "
                    "compressed where a grammatical shortening exists, else kept whole up to the ceiling "
                    "(SUMMARIZER_CEILING_RATIO × the target, default 1.5); never cut, never ending in '…'.",
        json_schema_extra=_no_default,
    )

    _null = field_validator("text", "html", mode="before")(_not_null)
    _text = field_validator("text")(_check_text)
    _html = field_validator("html")(_check_html)
    _one = model_validator(mode="after")(_exactly_one_of_text_html)


class SummarizeBatchBody(_Strict):
    """POST /v1/summarize/batch: each item is validated on its own; a bad one fails alone."""

    items: list[dict] = Field(min_length=1, description="Objects shaped like a /v1/summarize body.")


class TranslateBody(_Strict):
    """POST /v1/translate."""

    model_config = ConfigDict(json_schema_extra=_ONE_OF_TEXT_HTML)

    text: OptionalStr = Field(None, description=_TEXT_DESCRIPTION, json_schema_extra=_no_default)
    html: OptionalStr = Field(None, description=_HTML_DESCRIPTION, json_schema_extra=_no_default)
    source_lang: SourceLang = "auto"
    target_lang: TargetLang

    _null = field_validator("text", "html", mode="before")(_not_null)
    _text = field_validator("text")(_check_text)
    _html = field_validator("html")(_check_html)
    _one = model_validator(mode="after")(_exactly_one_of_text_html)


class SourceSpan(BaseModel):
    sentence: str = Field(description="The source sentence, exactly text[start:end].")
    start: int = Field(description="Character offset into the submitted text; for html input, into the "
                                   "extracted article text the response carries.")
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
    style: StyleName = Field("sentence", description="The bullet style that ran.")
    models: dict[str, str] = Field(description="Model id per task used, e.g. summarize, translate.")
    chunks: int | None = Field(None, description="Input chunks the abstractive model read.")
    cached: bool = Field(False, description="Answered from the result cache.")
    max_chars: int | None = Field(None, description="The target length the bullets were shaped to.")
    fallback: dict[str, str] | None = Field(
        None, description='Method "auto" that could not use the abstractive model\'s output: '
                          '{"from": "abstractive", "reason": ...}; the bullets are extractive.')
    text: str | None = Field(None, description="For html input: the extracted article text; every sources "
                                              "offset points into it.")
    title: str | None = Field(None, description="The headline found: the page's title for html input, or a "
                                               "pasted text's first line shaped like a headline.")
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
    source_text: str | None = Field(None, description="For html input: the extracted article text that was "
                                                     "translated; every source offset points into it.")
    title: str | None = Field(None, description="For html input: the page's title, untranslated.")
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
    backend_reason: str | None = Field(None, description="Why this backend runs the model: the setting that "
                                       "named it, or the rule `auto` applied.")
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
