"""Text processing and inference for the bullet-point summarizer. No Flask in here."""
from .contracts import SummarizeRequest, SummaryResult, TranslationResult
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
from .pipeline import Engine, EngineConfig
from .text.bullets import Bullet
from .text.compress import compress_en, compress_ko
from .text.language import Detection, LanguageDetector
from .text.sentences import SUPPORTED_LANGS, Sentence, SentenceSplitter
from .text.style import STYLES, Style, concise_en, concise_ko

__all__ = [
    "Bullet", "DeadlineExceeded", "Detection", "Engine", "EngineConfig", "InputRejected", "LanguageDetector",
    "ModelNotAllowed", "ModelNotPresent", "ModelUnavailable", "NotReady", "Overloaded", "SUPPORTED_LANGS",
    "Sentence", "SentenceSplitter", "SummarizeRequest", "SummaryResult", "SummarizerError",
    "TranslationResult", "UnsupportedLanguage", "STYLES", "Style", "compress_en", "compress_ko", "concise_en",
    "concise_ko",
]
