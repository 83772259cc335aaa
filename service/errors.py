"""One JSON error shape, ``{"error": {"code", "message", "details"}, "request_id"}``, mapped here.

Domain errors (``models.errors``) carry no status codes; this module is the only place that
turns them, and Werkzeug's HTTP errors, into responses.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify
from werkzeug.exceptions import HTTPException

from models.errors import (
    DeadlineExceeded,
    InputRejected,
    ModelNotAllowed,
    ModelNotPresent,
    ModelOutputUnusable,
    ModelUnavailable,
    NotReady,
    Overloaded,
    SummarizerError,
    UnsupportedLanguage,
)

log = logging.getLogger("service.errors")


class ApiError(Exception):
    """An error raised by the HTTP layer itself (bad JSON, validation)."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


# status, code, and seconds for Retry-After (None: no header)
_DOMAIN: dict[type[SummarizerError], tuple[int, str, int | None]] = {
    UnsupportedLanguage: (422, "unsupported_language", None),
    InputRejected: (422, "unprocessable_text", None),
    # the model ran and wrote nothing usable: the server's side, not the client's text
    ModelOutputUnusable: (502, "model_output_unusable", None),
    ModelUnavailable: (503, "model_unavailable", None),
    ModelNotPresent: (503, "model_not_present", None),
    ModelNotAllowed: (503, "model_not_allowed", None),
    NotReady: (503, "not_ready", 5),
    Overloaded: (503, "overloaded", 1),
    DeadlineExceeded: (504, "deadline_exceeded", None),
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_response(
    status: int, code: str, message: str, details: dict | None = None, retry_after: int | None = None
) -> Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message, "details": details or {}}}
    body["request_id"] = getattr(g, "request_id", None)
    resp = jsonify(body)
    resp.status_code = status
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    return resp


def describe(err: SummarizerError) -> tuple[int, str, int | None]:
    """Status, code and Retry-After seconds for a domain error (500 for an unmapped one)."""
    for cls in type(err).__mro__:
        if cls in _DOMAIN:
            return _DOMAIN[cls]
    return 500, "internal_error", None


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api(err: ApiError) -> Response:
        return error_response(err.status, err.code, err.message, err.details)

    @app.errorhandler(SummarizerError)
    def _domain(err: SummarizerError) -> Response:
        status, code, retry = describe(err)
        if status == 500:
            return _internal(err)
        return error_response(status, code, err.message, err.details, retry)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        status = err.code or 500
        details: dict = {}
        if status == 405 and err.valid_methods:  # type: ignore[attr-defined]
            details["allowed"] = sorted(err.valid_methods)  # type: ignore[attr-defined]
        if status == 413:
            details["limit_bytes"] = app.config.get("MAX_CONTENT_LENGTH")
        resp = error_response(
            status, _HTTP_CODES.get(status, "http_error"), err.description or err.name, details
        )
        if status == 405 and err.valid_methods:  # type: ignore[attr-defined]
            resp.headers["Allow"] = ", ".join(sorted(err.valid_methods))  # type: ignore[attr-defined]
        return resp

    @app.errorhandler(Exception)
    def _internal(err: Exception) -> Response:
        log.exception("unhandled error", extra={"request_id": getattr(g, "request_id", None)})
        return error_response(
            500, "internal_error", "internal error; quote the request_id when reporting it"
        )
