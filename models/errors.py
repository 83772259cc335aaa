"""Domain errors. They carry no HTTP knowledge: ``service/errors.py`` maps them to status codes.

    SummarizerError
     ├── UnsupportedLanguage   a language we do not serve, or one we could not detect
     ├── InputRejected         text that cannot be summarized (nothing but noise, say)
     ├── ModelOutputUnusable   a model wrote nothing a bullet can be made of (empty, no sentence)
     ├── ModelUnavailable      a task with no model configured (e.g. translation ko→en)
     ├── ModelNotPresent       a configured model whose files are not on disk (start-up)
     ├── ModelNotAllowed       a non-commercial model without SUMMARIZER_ALLOW_NONCOMMERCIAL
     ├── NotReady              the pipeline is still loading
     ├── Overloaded            too many model calls in flight
     └── DeadlineExceeded      a request ran past its deadline
"""
from __future__ import annotations


class SummarizerError(Exception):
    """Base class: ``message`` is safe to show to a client, ``details`` is JSON-able."""

    def __init__(self, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class UnsupportedLanguage(SummarizerError):
    pass


class InputRejected(SummarizerError):
    pass


class ModelOutputUnusable(SummarizerError):
    pass


class ModelUnavailable(SummarizerError):
    pass


class ModelNotPresent(SummarizerError):
    pass


class ModelNotAllowed(SummarizerError):
    pass


class NotReady(SummarizerError):
    pass


class Overloaded(SummarizerError):
    pass


class DeadlineExceeded(SummarizerError):
    pass
