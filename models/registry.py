"""Which model serves which task and language pair."""
from __future__ import annotations

from .errors import ModelNotPresent
from .pipeline import AbstractiveSummarizer, Translator


def load_configured_models(
    configured: dict[tuple[str, str], str],
    models_dir: str | None = None,
    allow_noncommercial: bool = False,
    backend: str = "transformers",
    threads: int = 1,
) -> tuple[dict[str, AbstractiveSummarizer], dict[tuple[str, str], Translator]]:
    for (task, lang), ref in configured.items():
        if ref:
            raise ModelNotPresent(f"model {ref} for {task} {lang} cannot be loaded yet")
    return {}, {}
