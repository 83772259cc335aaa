"""Text processing and inference for the bullet-point summarizer. No Flask in here."""
from .bullets import Bullet
from .compress import compress_en, compress_ko
from .errors import (
    DeadlineExceeded,
    InputRejected,
    ModelNotAllowed,
    ModelNotPresent,
    ModelUnavailable,
    NotReady,
    Overloaded,
    SummarizerError,
    UnsupportedLanguage,
)
from .pipeline import Engine, EngineConfig, SummarizeRequest, SummaryResult, TranslationResult
from .style import STYLES, Style, concise_en, concise_ko
from .text import SUPPORTED_LANGS, Detection, LanguageDetector, Sentence, SentenceSplitter

__all__ = [
    "Bullet", "DeadlineExceeded", "Detection", "Engine", "EngineConfig", "InputRejected", "LanguageDetector",
    "ModelNotAllowed", "ModelNotPresent", "ModelUnavailable", "NotReady", "Overloaded", "SUPPORTED_LANGS",
    "Sentence", "SentenceSplitter", "SummarizeRequest", "SummaryResult", "SummarizerError",
    "TranslationResult", "UnsupportedLanguage", "STYLES", "Style", "compress_en", "compress_ko", "concise_en",
    "concise_ko",
]
