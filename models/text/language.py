"""Which language a text is in: Korean or English, with a confidence, or a refusal naming the
language it is in instead.

Lingua restricted to the two languages served decides running text; a count of Hangul and Latin
letters backs it up; text in another script, or Latin text lingua is sure is another language,
is refused (:class:`LanguageDetector`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..errors import UnsupportedLanguage
from .sentences import _HANGUL, LATIN, SUPPORTED_LANGS

__all__ = ["Detection", "LanguageDetector", "script_shares", "other_latin"]


@dataclass(frozen=True, slots=True)
class Detection:
    lang: str
    confidence: float


def script_shares(text: str) -> tuple[int, int]:
    """Counts of Hangul and Latin letters in ``text``."""
    return len(_HANGUL.findall(text)), len(LATIN.findall(text))


# Letters of scripts other than Hangul and Latin, by the script's name in Unicode's character names
_SCRIPT_NAMES = {"CJK": "Chinese characters", "HIRAGANA": "Japanese kana", "KATAKANA": "Japanese kana",
                 "CYRILLIC": "Cyrillic", "ARABIC": "Arabic", "HEBREW": "Hebrew", "GREEK": "Greek",
                 "THAI": "Thai", "DEVANAGARI": "Devanagari"}
# The Latin-script screen (another language written in Latin letters, e.g. French or German) only
# speaks on text with at least this many Latin letters: on a short line of names lingua guesses
# wildly ("Lee Jae-yong met Kim Jong-un in Pyongyang." reads as Tagalog), and such a line is
# English as far as this service can tell. Measured on the 15,307 English sentences of 60-400
# characters in the English dev sets and the NTREX fixture: 35 taken for another language at 60
# letters, 14 at 100, none at 150.
MIN_LATIN_LETTERS_TO_SCREEN = 150
# ... and it refuses only where it is this sure of the other language and the English share is low
OTHER_LATIN_CONFIDENCE = 0.9


def other_latin(text: str) -> int:
    """Latin letters outside A-Z (é, ß, ø) in ``text``."""
    return sum(1 for ch in text if ch > "\x7f" and ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN"))


def _other_script(text: str) -> tuple[int, str | None]:
    """How many letters of ``text`` are neither Hangul nor Latin, and the most common such script."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha() and not (_HANGUL.match(ch) or LATIN.match(ch)):
            script = unicodedata.name(ch, "").split(" ", 1)[0]
            if script != "LATIN":  # é, ß, ø: Latin letters all the same
                counts[script] = counts.get(script, 0) + 1
    if not counts:
        return 0, None
    top = max(counts, key=counts.__getitem__)
    return sum(counts.values()), _SCRIPT_NAMES.get(top, top.title())


class LanguageDetector:
    """Korean/English detection with a confidence, and a refusal of text in other languages.

    Lingua restricted to the two languages we serve does the work on running text; it scores
    mixed text word by word, so a Korean article full of English names stays Korean and an
    English article quoting a Hangul phrase stays English. A script count backs it up where lingua
    has nothing to go on (a lone acronym) and decides text with no letters at all: that is not
    detectable and raises. Text written mostly in another script (Chinese, Japanese, Cyrillic, ...)
    raises, naming the script; Latin-only text long enough to tell is screened by lingua over every
    Latin-script language it knows (low-accuracy mode: trigrams only, about 40 MB), and raises when
    it is another language, naming it.
    """

    def __init__(self) -> None:
        from lingua import Language, LanguageDetectorBuilder

        self._lingua_langs = {Language.ENGLISH: "en", Language.KOREAN: "ko"}
        self._detector = LanguageDetectorBuilder.from_languages(*self._lingua_langs).build()
        self._english = Language.ENGLISH
        self._latin = LanguageDetectorBuilder.from_languages(
            *Language.all_with_latin_script()).with_low_accuracy_mode().build()

    def warm_up(self) -> None:
        """Load lingua's models now (the Latin screen's take about 1.5 s on first use)."""
        self.detect("정부는 새 정책을 발표했다. The plan starts next year.")
        self._latin.compute_language_confidence_values("The plan starts next year. " * 10)

    def detect(self, text: str) -> Detection:
        """Detect ``ko`` or ``en``; raises :class:`UnsupportedLanguage` when neither fits."""
        first = re.search(r"[A-Za-z\uac00-\ud7a3]", text)
        sample = text[first.start() : first.start() + 5000] if first else text[:5000]
        hangul, latin = script_shares(sample)
        other, script = _other_script(sample)
        if other > hangul + latin:
            raise UnsupportedLanguage(
                f"the text is written mostly in {script}: only Korean and English are supported",
                {"field": "source_lang", "detected": script, "allowed": list(SUPPORTED_LANGS)},
            )
        if hangul + latin == 0:
            raise UnsupportedLanguage(
                "could not detect the language: the text has no Korean or Latin letters; "
                "pass source_lang explicitly",
                {"field": "source_lang", "allowed": list(SUPPORTED_LANGS)},
            )
        if not hangul and latin + other_latin(sample) >= MIN_LATIN_LETTERS_TO_SCREEN:
            self._screen_latin(sample)
        if not hangul or not latin:
            # one script only: lingua, restricted to these two languages, is certain then (checked
            # on every dev article; tests/test_text.py), and skipping it saves ~1.8 ms per article
            return Detection(lang="ko" if hangul else "en", confidence=1.0)
        return self._weighed(sample, hangul, latin)

    def _screen_latin(self, sample: str) -> None:
        """Raise when Latin-only ``sample`` is surely a language other than English. lingua reads its
        longest lines (1,500 characters of them): the article's paragraphs, not the language picker,
        menus or foreign-language spam links a pasted page opens with."""
        lines = sorted((line.strip() for line in sample.splitlines()), key=len, reverse=True)
        picked: list[str] = []
        size = 0
        for line in lines:
            if size >= 1500 or not line:
                break
            picked.append(line[:1500 - size])
            size += len(picked[-1])
        values = self._latin.compute_language_confidence_values("\n".join(picked))
        top, english = values[0], next((v.value for v in values if v.language == self._english), 0.0)
        if top.language != self._english and top.value >= OTHER_LATIN_CONFIDENCE and english < 0.05:
            name = top.language.name.title()
            raise UnsupportedLanguage(
                f"the text looks like {name}, not Korean or English: only Korean and English are supported",
                {"field": "source_lang", "detected": top.language.iso_code_639_1.name.lower(),
                 "confidence": round(float(top.value), 3), "allowed": list(SUPPORTED_LANGS)},
            )

    def _weighed(self, sample: str, hangul: int, latin: int) -> Detection:
        """lingua's confidence and the script shares, weighed."""
        values = self._detector.compute_language_confidence_values(sample)
        conf = {self._lingua_langs[v.language]: float(v.value) for v in values}
        # A Hangul syllable carries about as much as three Latin letters; weigh scripts so.
        script_ko = 3 * hangul / (3 * hangul + latin)
        ko = 0.5 * conf.get("ko", script_ko) + 0.5 * script_ko
        lang = "ko" if ko >= 0.5 else "en"
        return Detection(lang=lang, confidence=round(ko if lang == "ko" else 1 - ko, 3))
