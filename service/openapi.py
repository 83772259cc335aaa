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

# every error a route can answer with, all in the ErrorResponse shape
_ERRORS = {
    "400": "Malformed JSON, invalid UTF-8, lone surrogate escapes, duplicate keys, nesting too deep",
    "401": "API key missing (when keys are configured), or the metrics token for /metrics",
    "403": "API key not valid",
    "404": "No such route",
    "405": "Method not allowed on this route (see `details.allowed` and the `Allow` header)",
    "408": "The request's body did not arrive within SUMMARIZER_READ_TIMEOUT_S once its headers were in "
           "(the connection is then closed)",
    "413": "Body over the size limit (checked before parsing), or an `html` field over "
           "SUMMARIZER_MAX_HTML_BYTES",
    "415": "Body not sent as application/json",
    "422": "A field is missing, of the wrong type or out of range (or not exactly one of `text` and `html`); "
           "the language is not supported; nothing in the text or page can become a bullet",
    "429": "Rate limit exceeded (Retry-After)",
    "500": "Internal error (quote the request_id)",
    "503": "Model not configured, still loading, or too busy (Retry-After)",
    "504": "The request ran past its deadline",
}
_ANY_ROUTE = ("404", "405", "500")  # unknown path, wrong method, a bug: possible everywhere
_API_ERRORS = ("400", "401", "403", "408", "413", "415", "422", "429", "503", "504")

_REQUEST_ID_HEADER = {"$ref": "#/components/headers/X-Request-ID"}
_STATUS_SCHEMA = {
    "type": "object",
    "properties": {"status": {"type": "string"}, "error": {"type": ["string", "null"]}},
    "required": ["status"],
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json_content(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model)}}


def _ok(content: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "headers": {"X-Request-ID": _REQUEST_ID_HEADER}, "content": content}


def _errors(*codes: str) -> dict[str, Any]:
    return {c: {"$ref": f"#/components/responses/Error{c}"} for c in sorted({*codes, *_ANY_ROUTE})}


def _post(summary: str, body: type[BaseModel], response: type[BaseModel]) -> dict[str, Any]:
    return {"post": {
        "summary": summary,
        "requestBody": {"required": True, "content": _json_content(body)},
        "responses": {"200": _ok(_json_content(response)), **_errors(*_API_ERRORS)},
        "security": [{}, {"bearer": []}, {"apiKey": []}],
    }}


def _get(summary: str, ok: dict[str, Any], *errors: str, extra: dict[str, Any] | None = None,
         security: list[dict[str, list[str]]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {"200": ok, **_errors(*errors), **(extra or {})}}
    if security is not None:
        op["security"] = security
    return {"get": op}


def _error_responses() -> dict[str, Any]:
    return {
        f"Error{code}": {
            "description": description,
            "headers": {"X-Request-ID": _REQUEST_ID_HEADER},
            "content": _json_content(schemas.ErrorResponse),
        }
        for code, description in _ERRORS.items()
    }


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The whole document (built once per process)."""
    _, top = models_json_schema([(m, "validation") for m in _MODELS], ref_template=_REF)
    not_ready = {"503": _ok({"application/json": {"schema": _STATUS_SCHEMA}},
                            "Loading, or loading failed (`status` is `loading` or `failed`; Retry-After)")}
    status_ok = _ok({"application/json": {"schema": _STATUS_SCHEMA}})
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
            "/v1/models": _get("What serves each task and language, with licence",
                               _ok(_json_content(schemas.ModelsResponse)), "401", "403", "429", "503",
                               security=[{}, {"bearer": []}, {"apiKey": []}]),
            "/healthz": _get("Liveness: the process is up", status_ok),
            "/readyz": _get("Readiness: models loaded and warmed up", status_ok, extra=not_ready),
            "/metrics": _get("Prometheus metrics (text exposition format)",
                             _ok({"text/plain": {"schema": {"type": "string"}}}), "401",
                             security=[{}, {"bearer": []}]),  # bearer: SUMMARIZER_METRICS_TOKEN, when set
            "/openapi.json": _get("This document", _ok({"application/json": {"schema": {"type": "object"}}})),
        },
        "components": {
            "schemas": top.get("$defs", {}),
            "responses": _error_responses(),
            "headers": {"X-Request-ID": {
                "description": "The request id: the one sent, when it is 1-128 characters of [A-Za-z0-9._:-], "
                               "else a new one. Logs carry it too.",
                "required": True,
                "schema": {"type": "string"},
            }},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
