"""The expensive text tools, one per process: kiwipiepy's splitter and lingua's detector, built on
first use or in the gunicorn master before it forks (:func:`preload_shared`), so the workers share
them copy-on-write."""
from __future__ import annotations

import threading

from .language import LanguageDetector
from .sentences import SentenceSplitter

__all__ = ["preload_shared", "shared_detector", "shared_splitter"]

_shared_lock = threading.Lock()
_shared: dict[str, object] = {}


def shared_splitter() -> SentenceSplitter:
    """This process's splitter: built on first use, or inherited from the gunicorn master."""
    with _shared_lock:
        if "splitter" not in _shared:
            _shared["splitter"] = SentenceSplitter()
        return _shared["splitter"]  # type: ignore[return-value]


def shared_detector() -> LanguageDetector:
    """This process's language detector: built on first use, or inherited from the gunicorn master."""
    with _shared_lock:
        if "detector" not in _shared:
            _shared["detector"] = LanguageDetector()
        return _shared["detector"]  # type: ignore[return-value]


def preload_shared() -> None:
    """Build and warm the splitter and the detector now.

    Called in the gunicorn master before it forks its workers, which then share kiwipiepy's model
    (about 310 MB) and lingua's tables copy-on-write instead of each building its own. Nothing
    here touches torch or CTranslate2 (state that hangs forked workers), and kiwipiepy is
    fork-safe through :class:`models.text.sentences.ForkSafeKiwi`.
    """
    shared_splitter().warm_up()
    shared_detector().warm_up()  # lingua's tables, the Latin-language screen's included
