"""gunicorn entry point: ``gunicorn -c python:service.gunicorn_conf service.wsgi:app``.

Imported in each worker after fork (no --preload), so every worker builds its own models.
"""
from . import create_app

app = create_app()
