"""gunicorn entry point of the default ``asgi`` worker: ``service.asgi:app`` (see service/server.py).

Imported in each worker after fork (no --preload), so every worker builds its own models.
"""
from .server import create_asgi_app

app = create_asgi_app()
