"""The try-it page at GET /: plain HTML, CSS and JavaScript from service/static (the app's static
folder, served at /static), no build step."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, send_from_directory

bp = Blueprint("web", __name__)


@bp.get("/")
def index() -> Response:
    return send_from_directory(current_app.static_folder, "index.html")  # type: ignore[arg-type]
