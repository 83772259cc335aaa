"""The try-it page at GET / (filled in by the web-page issue)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__, static_folder="static", static_url_path="/static")
