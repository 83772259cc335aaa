"""HTTP layer of the bullet-point summarizer: Flask only, no torch/transformers imports."""
from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from models.contracts import SummaryEngine

from .config import Settings
from .errors import register_error_handlers
from .logs import configure_logging
from .runtime import EngineHolder, build_engine, check_models

__all__ = ["create_app", "Settings"]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("service.access")


def create_app(settings: Settings | None = None, engine: SummaryEngine | None = None) -> Flask:
    """Build the app. Tests inject ``settings`` and a ready ``engine``; production passes nothing.

    Without an injected engine, the engine is built here (in the gunicorn worker, after fork:
    see ``service/gunicorn_conf.py``), synchronously or in a background thread when
    ``settings.load_in_background_effective`` says so, so /healthz answers while models load.
    """
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    app = Flask(__name__)
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    holder = EngineHolder(lambda: engine if engine is not None else build_engine(settings))
    app.extensions["summarizer"] = holder

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        g.started = time.perf_counter()
        g.log_fields = {}

    @app.after_request
    def _finish(resp: Response) -> Response:
        resp.headers["X-Request-ID"] = g.get("request_id", "")
        duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        access_log.info(
            "request",
            extra={
                "request_id": g.get("request_id"),
                "http_method": request.method,
                "route": request.url_rule.rule if request.url_rule else None,
                "path": request.path,
                "status": resp.status_code,
                "duration_ms": round(duration, 2),
                **g.get("log_fields", {}),
            },
        )
        return resp

    register_error_handlers(app)
    from . import observability, security
    from .api import bp as api_bp
    from .web import bp as web_bp

    security.init_app(app, settings)
    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
    observability.init_app(app, settings)

    if engine is None:
        check_models(settings)  # a configured model that is missing stops start-up here
    if settings.load_in_background_effective and engine is None:
        holder.load_in_background()
    else:
        holder.load()
    return app
