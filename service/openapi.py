"""The OpenAPI 3.1 document, generated from the pydantic types in ``service/schemas.py``.

The same classes validate requests and build responses, so the document cannot drift from what
the service accepts and returns; tests check real responses against it.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import schemas

_REF = "#/components/schemas/{model}"

_MODELS: list[type[BaseModel]] = [
    schemas.SummarizeBody, schemas.SummarizeResponse, schemas.SummarizeBatchBody, schemas.SummarizeBatchResponse,
    schemas.TranslateBody, schemas.TranslateResponse, schemas.ModelsResponse, schemas.ErrorResponse,
]

_ERRORS = {
    "400": "Malformed JSON, invalid UTF-8, duplicate keys",
    "401": "API key missing (when keys are configured)",
    "403": "API key not valid",
    "413": "Body over the size limit (checked before parsing)",
    "415": "Body not sent as application/json",
    "422": "A field is missing, of the wrong type or out of range; the language is not supported",
    "429": "Rate limit exceeded (Retry-After)",
    "500": "Internal error (quote the request_id)",
    "503": "Model not configured, still loading, or too busy (Retry-After)",
    "504": "The request ran past its deadline",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json_content(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model)}}


def _errors(*codes: str) -> dict[str, Any]:
    return {c: {"description": _ERRORS[c], "content": _json_content(schemas.ErrorResponse)} for c in codes}


def _post(summary: str, body: type[BaseModel], response: type[BaseModel]) -> dict[str, Any]:
    return {"post": {
        "summary": summary,
        "requestBody": {"required": True, "content": _json_content(body)},
        "responses": {"200": {"description": "OK", "content": _json_content(response)},
                      **_errors("400", "401", "403", "413", "415", "422", "429", "500", "503", "504")},
        "security": [{}, {"bearer": []}, {"apiKey": []}],
    }}


def _status(summary: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    schema = {"type": "object", "properties": {"status": {"type": "string"}, "error": {"type": ["string", "null"]}},
              "required": ["status"]}
    responses: dict[str, Any] = {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}
    responses.update(extra or {})
    return {"get": {"summary": summary, "responses": responses}}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The whole document (built once per process)."""
    _, top = models_json_schema([(m, "validation") for m in _MODELS], ref_template=_REF)
    components = top.get("$defs", {})
    not_ready = {"503": {"description": "Loading or failed", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"status": {"type": "string"}, "error": {"type": ["string", "null"]}}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bullets: Korean and English news summarizer",
            "version": "1.0.0",
            "description": "POST a Korean or English article, get short bullets (in its language or translated), "
                           "each with the character offsets of its source sentences. Every error has the shape "
                           "`{\"error\": {\"code\", \"message\", \"details\"}, \"request_id\"}`; every response "
                           "carries `X-Request-ID`.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": {
            "/v1/summarize": _post("Summarize one article into bullets", schemas.SummarizeBody,
                                   schemas.SummarizeResponse),
            "/v1/summarize/batch": _post("Summarize several articles; each item succeeds or fails alone",
                                         schemas.SummarizeBatchBody, schemas.SummarizeBatchResponse),
            "/v1/translate": _post("Translate a whole article sentence by sentence", schemas.TranslateBody,
                                   schemas.TranslateResponse),
            "/v1/models": {"get": {
                "summary": "What serves each task and language, with licence",
                "responses": {"200": {"description": "OK", "content": _json_content(schemas.ModelsResponse)},
                              **_errors("401", "403", "429", "503")},
            }},
            "/healthz": _status("Liveness: the process is up"),
            "/readyz": _status("Readiness: models loaded and warmed up", not_ready),
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {
                "200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {
                    "type": "string"}}}},
                **_errors("401")}}},
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
