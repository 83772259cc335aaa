"""The v1 API and health endpoints: each view parses, makes one call into ``models``, serializes."""
from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request
from pydantic import BaseModel, ValidationError

from models import SummarizeRequest, SummarizerError

from .errors import ApiError, describe
from .observability import observe_stages
from .runtime import EngineHolder
from .schemas import (
    BatchItemResult,
    ErrorBody,
    ModelsResponse,
    SummarizeBatchBody,
    SummarizeBatchResponse,
    SummarizeBody,
    SummarizeResponse,
    TranslateBody,
)
from .serialize import summary_to_response, translation_to_response

bp = Blueprint("api", __name__)
log = logging.getLogger("service.api")

B = TypeVar("B", bound=BaseModel)


def _holder() -> EngineHolder:
    return current_app.extensions["summarizer"]


MAX_LISTED_ERRORS = 10  # problems named in a 400/422; the rest are counted (a key flood lists 10, not 90,000)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The object, or a 400 naming its repeated keys (linear: one dict, one pass)."""
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    dupes: set[str] = set()
    for k, _ in pairs:
        (dupes if k in seen else seen).add(k)
    listed = sorted(dupes)[:MAX_LISTED_ERRORS]
    more = f" and {len(dupes) - len(listed)} more" if len(dupes) > len(listed) else ""
    raise ApiError(400, "bad_request", f"duplicate key(s) in JSON object: {', '.join(listed)}{more}",
                   {"duplicate_keys": listed, "duplicate_key_count": len(dupes)})


def parse_body(model: type[B]) -> B:
    """Size, media type, JSON syntax, then fields: 413, 415, 400, 422 in that order."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "payload_too_large", f"request body is over {limit} bytes",
                       {"limit_bytes": limit})
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       "send the body as JSON with Content-Type: application/json",
                       {"content_type": request.mimetype or None})
    raw = request.get_data(cache=False)  # raises 413 for a chunked body over the limit
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_duplicates)
    except ApiError:
        raise
    except UnicodeDecodeError:
        raise ApiError(400, "bad_request", "request body is not valid UTF-8") from None
    except RecursionError:
        raise ApiError(400, "bad_request", "JSON is nested too deeply") from None
    except ValueError as err:
        raise ApiError(400, "bad_request", f"malformed JSON: {err}") from None
    try:  # \ud800-style escapes decode to lone surrogates, which no text pipeline can encode
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "bad_request", "JSON strings must be valid Unicode (lone surrogate escape)") from None
    if not isinstance(data, dict):
        raise ApiError(422, "validation_error", "the JSON body must be an object",
                       {"got": type(data).__name__})
    try:
        return model.model_validate(
            data, context={"max_text_chars": current_app.config["SETTINGS"].max_text_chars}
        )
    except ValidationError as err:
        message, problems = validation_message(err)
        raise ApiError(422, "validation_error", message, {"errors": problems}) from None


def validation_message(err: ValidationError) -> tuple[str, list[dict[str, str]]]:
    """One message naming each bad field and its limit, and the problems one by one: at most
    :data:`MAX_LISTED_ERRORS` of them, the message saying how many more there were."""
    problems = [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"].removeprefix("Value error, ")}
        for e in err.errors(include_url=False, include_input=False)[:MAX_LISTED_ERRORS]
    ]
    message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    if err.error_count() > len(problems):
        message += f"; and {err.error_count() - len(problems)} more problem(s)"
    return message, problems


def _json(model: BaseModel, status: int = 200) -> Response:
    resp = current_app.response_class(
        model.model_dump_json(exclude_none=True), status=status, mimetype="application/json"
    )
    return resp


def check_html_size(html: str | None, limit: int) -> None:
    """413 for an ``html`` field over SUMMARIZER_MAX_HTML_BYTES (UTF-8 bytes)."""
    if html is not None:
        size = len(html.encode("utf-8", "surrogatepass"))
        if size > limit:
            raise ApiError(413, "payload_too_large", f"html: must be at most {limit} bytes (got {size})",
                           {"field": "html", "limit_bytes": limit})


def _summary_response(result: Any) -> SummarizeResponse:
    return summary_to_response(result, g.request_id)


def _input_fields(body: SummarizeBody | TranslateBody) -> dict[str, Any]:
    return {"chars": len(body.text)} if body.text is not None else {"html_chars": len(body.html or "")}


@bp.post("/v1/summarize")
def summarize() -> Response:
    body = parse_body(SummarizeBody)
    check_html_size(body.html, current_app.config["SETTINGS"].max_html_bytes)
    g.log_fields = {"source_lang": body.source_lang, "target_lang": body.target_lang,
                    "method": body.method, **_input_fields(body)}
    result = _holder().engine().summarize(_request(body))
    g.log_fields.update(source_lang=result.source_lang, target_lang=result.target_lang,
                        method=result.method, cached=result.cached)
    observe_stages("/v1/summarize", result.timings_ms)
    return _json(_summary_response(result))


def _request(body: SummarizeBody) -> SummarizeRequest:
    fields = body.model_dump()
    fields["text"] = fields["text"] or ""
    return SummarizeRequest(**fields)


@bp.post("/v1/summarize/batch")
def summarize_batch() -> Response:
    body = parse_body(SummarizeBatchBody)
    settings = current_app.config["SETTINGS"]
    if len(body.items) > settings.batch_max_items:
        raise ApiError(422, "validation_error",
                       f"items: at most {settings.batch_max_items} articles per batch (got {len(body.items)})",
                       {"field": "items", "limit": settings.batch_max_items})
    engine = _holder().engine()
    results = [_batch_item(engine, i, item, settings.max_text_chars, settings.max_html_bytes)
               for i, item in enumerate(body.items)]
    g.log_fields = {"items": len(results), "failed": sum(r.status != 200 for r in results)}
    return _json(SummarizeBatchResponse(results=results, request_id=g.request_id))


def _batch_item(engine: Any, index: int, item: dict, max_text_chars: int, max_html_bytes: int) -> BatchItemResult:
    """One item's result or its error, in the shape and status it would have had alone."""
    try:
        parsed = SummarizeBody.model_validate(item, context={"max_text_chars": max_text_chars})
        check_html_size(parsed.html, max_html_bytes)
        result = engine.summarize(_request(parsed))
        return BatchItemResult(index=index, status=200, result=_summary_response(result))
    except ApiError as err:
        return BatchItemResult(index=index, status=err.status,
                               error=ErrorBody(code=err.code, message=err.message, details=err.details))
    except ValidationError as err:
        message, problems = validation_message(err)
        return BatchItemResult(index=index, status=422,
                               error=ErrorBody(code="validation_error", message=message, details={"errors": problems}))
    except SummarizerError as err:
        status, code, _ = describe(err)
        if status == 500:
            log.exception("batch item failed", extra={"request_id": g.request_id, "index": index})
            return BatchItemResult(index=index, status=500, error=ErrorBody(
                code="internal_error", message="internal error; quote the request_id when reporting it"))
        return BatchItemResult(index=index, status=status,
                               error=ErrorBody(code=code, message=err.message, details=err.details))


@bp.post("/v1/translate")
def translate() -> Response:
    body = parse_body(TranslateBody)
    check_html_size(body.html, current_app.config["SETTINGS"].max_html_bytes)
    result = _holder().engine().translate(body.text or "", body.source_lang, body.target_lang, html=body.html)
    g.log_fields = {"source_lang": result.source_lang, "target_lang": result.target_lang, **_input_fields(body)}
    observe_stages("/v1/translate", result.timings_ms)
    return _json(translation_to_response(result, g.request_id))


@bp.get("/v1/models")
def list_models() -> Response:
    return _json(ModelsResponse(models=_holder().models_info()))


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    holder = _holder()
    if holder.ready:
        return jsonify({"status": "ready"})
    resp = jsonify({"status": holder.state, "error": holder.public_error})
    resp.status_code = 503
    resp.headers["Retry-After"] = "5"
    return resp
