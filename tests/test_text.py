"""Tier 1: pure text helpers, table-driven, in both languages."""
from __future__ import annotations

import pytest

from models import UnsupportedLanguage
from models.text.bullets import balance, is_noise, similarity
from models.text.compress import compress_en, compress_ko


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("정부는 5일 새 정책을 발표했다.", "ko"),
        ("삼성전자는 Apple과 Google을 상대로 새 Galaxy S25를 발표했다", "ko"),
        ("NASA는 오리온(Orion) 우주선의 SLS 로켓 발사 일정을 공개했다", "ko"),
        ("The government announced a new policy on Monday.", "en"),
        ("The K-pop group BTS sang '사랑해' to fans in Seoul on Monday.", "en"),
        ("Samsung's chairman Lee Jae-yong, known in Korea as 이재용, met investors.", "en"),
    ],
)
def test_detect_language(engine, text: str, lang: str) -> None:
    det = engine.detector.detect(text)
    assert det.lang == lang
    hangul = any("\uac00" <= c <= "\ud7a3" for c in text)
    latin = any(c.isascii() and c.isalpha() for c in text)
    if hangul and latin:  # mixed scripts: the detector shows its doubt
        assert 0.5 < det.confidence < 1.0
    else:  # one script: certain
        assert det.confidence == 1.0


@pytest.mark.parametrize("text", ["12345 67", "😀😀😀", "!!! ???"])
def test_detect_language_without_letters_raises(engine, text: str) -> None:
    with pytest.raises(UnsupportedLanguage):
        engine.detector.detect(text)


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("정부는 새 정책을 발표했다. 시행은 내년부터다.", "ko", ["정부는 새 정책을 발표했다.", "시행은 내년부터다."]),
        # no sentence-final periods, one sentence per line
        ("정부는 새 정책을 발표했다\n시행은 내년부터다", "ko", ["정부는 새 정책을 발표했다", "시행은 내년부터다"]),
        # no periods and no line breaks: kiwipiepy finds the boundary from the endings
        ("정부는 새 정책을 발표했다 시행은 내년부터다", "ko", ["정부는 새 정책을 발표했다", "시행은 내년부터다"]),
        (
            "Dr. Smith paid $3.5 million to the U.S. firm. \"It was worth it,\" she said. Done.",
            "en",
            ["Dr. Smith paid $3.5 million to the U.S. firm.", "\"It was worth it,\" she said.", "Done."],
        ),
        ("First line without a period\nSecond line.", "en", ["First line without a period", "Second line."]),
    ],
)
def test_split_sentences(engine, text: str, lang: str, expected: list[str]) -> None:
    sents = engine.splitter.split(text, lang)
    assert [s.text for s in sents] == expected
    for s in sents:
        assert text[s.start : s.end] == s.text


@pytest.mark.parametrize(
    ("text", "lang", "complete"),
    [("정부는 새 정책을 발표했다", "ko", True), ("서울시 전기버스 전면 도입", "ko", False),
     ("The plan starts next year.", "en", True), ("Pictured: the ferry at sea", "en", False)],
)
def test_sentence_completeness(engine, text: str, lang: str, complete: bool) -> None:
    assert engine.splitter.split(text, lang)[0].complete is complete


@pytest.mark.parametrize(
    ("text", "lang", "noise"),
    [
        ("김하늘 기자 sky@hanbit.example", "ko", True),
        ("[서울=연합뉴스] 김하늘 기자", "ko", True),
        ("ⓒ 한빛뉴스, 무단 전재 및 재배포 금지", "ko", True),
        ("사진=서울시 제공", "ko", True),
        ("서울시가 전기버스를 도입한다고 밝혔다.", "ko", False),
        ("By Jane Doe, Science Reporter", "en", True),
        ("Scroll down for video", "en", True),
        ("The ferry is pictured during sea trials outside Oslo in January.", "en", True),
        ("Contact the newsroom at desk@example.com for details.", "en", True),
        ("Copyright 2026 Example News. All rights reserved.", "en", True),
        ("The operator said the ferry passed sea trials in January.", "en", False),
    ],
)
def test_is_noise(text: str, lang: str, noise: bool) -> None:
    assert is_noise(text, lang) is noise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He said (and left", "He said and left"),
        ("“Quoted words, she said", "Quoted words, she said"),
        ('The "plan" works', 'The "plan" works'),
        ('The plan works" he said', "The plan works he said"),
        ("[a] b] c", "[a] b c"),
    ],
)
def test_balance(text: str, expected: str) -> None:
    assert balance(text) == expected


EN_LONG = (
    "Despite speculation this season that the coach would be replaced in the summer, the club "
    "president refuted those claims and said he was impressed with how the manager has performed "
    "in a difficult year."
)


@pytest.mark.parametrize("limit", [60, 100, 140])
def test_shorten_en_keeps_main_clause(limit: int) -> None:
    out = compress_en(EN_LONG, limit)
    assert len(out) <= limit
    assert out.startswith("The club president")  # the leading subordinate clause is dropped
    assert out.rstrip(".…").lower() in EN_LONG.lower()
    assert not out.endswith(" ")
    # never mid-word: every word of the output is a word of the input
    words = set(EN_LONG.replace(",", " ").replace(".", " ").lower().split())
    assert all(w.strip(".,…").lower() in words for w in out.split())


def test_shorten_en_drops_relative_aside() -> None:
    text = ("Dr. Ingrid Holm, who led the project, said the ferry would cut the route's carbon "
            "emissions by roughly 95% compared with the diesel boat it replaces.")
    assert compress_en(text, 140) == (
        "Dr. Ingrid Holm said the ferry would cut the route's carbon emissions by roughly 95% "
        "compared with the diesel boat it replaces."
    )


def test_shorten_ko_closes_clause(engine) -> None:
    text = ("서울시는 내년 3월부터 시내버스 전 노선에 전기버스를 단계적으로 투입하기로 했고, "
            "충전소는 차고지 60곳에 새로 설치되며 운영비는 심야 전기로 줄인다고 밝혔다")
    out = compress_ko(text, 60, engine.splitter.kiwi)
    assert len(out) <= 60
    assert out.startswith("서울시는")
    assert out.endswith("다")


@pytest.mark.parametrize("limit", [30, 45])
def test_shorten_ko_never_mid_word(limit: int, engine) -> None:
    # no sentence in it: nothing grammatical fits, so no bullet (never a cut at a word)
    text = "가나다라 마바사아 자차카타 파하가나 다라마바 사아자차 카타파하 가나다라 마바사아 자차카타"
    assert compress_ko(text, limit, engine.splitter.kiwi) is None


def test_similarity() -> None:
    assert similarity("the same words", "the same words") == 1.0
    assert similarity("전기버스를 도입한다", "전혀 다른 이야기") < 0.2


@pytest.mark.parametrize(
    ("text", "share"),
    [("'We will win,' he said.", 1.0), ("He said the plan 'will change everything for the city' soon.", 0.5),
     ("The plan starts next year.", 0.0)],
)
def test_quote_share(text: str, share: float) -> None:
    from models.text.extractive import quote_share

    assert abs(quote_share(text) - share) < 0.35


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [("But now it's his former companion who has lost big.", "en", "Now it's his former companion who has lost big."),
     ("However, the council said no.", "en", "The council said no."),
     ("And so?", "en", "And so?"),
     ("그러나 시민단체는 이 정책에 강하게 반대했다.", "ko", "시민단체는 이 정책에 강하게 반대했다."),
     ("Butter prices rose sharply in May.", "en", "Butter prices rose sharply in May.")],
)
def test_drop_leading_connective(text: str, lang: str, expected: str) -> None:
    from models.text.bullets import drop_leading_connective

    assert drop_leading_connective(text, lang) == expected


def test_shorten_en_drops_attribution_tail() -> None:
    text = ("A small team of engineers in Oslo has built a ferry that runs entirely on batteries charged from "
            "the city's hydroelectric grid, the operator said on Tuesday.")
    assert compress_en(text, 140) == (
        "A small team of engineers in Oslo has built a ferry that runs entirely on batteries charged from "
        "the city's hydroelectric grid."
    )


# --- issue 15: sentence boundaries, one Korean analysis, a fork-safe shared splitter -------------

from bench.splitters import BOUNDARY_CASES  # noqa: E402 - the table lives with its benchmark


@pytest.mark.parametrize(("text", "expected"), BOUNDARY_CASES, ids=[t[:40] for t, _ in BOUNDARY_CASES])
def test_english_sentence_boundaries(engine, text: str, expected: list[str]) -> None:
    sents = engine.splitter.split(text, "en")
    assert [s.text for s in sents] == expected
    assert all(text[s.start : s.end] == s.text for s in sents)


def test_pysbd_before_issue_15_missed_cases_the_chosen_splitter_gets(engine) -> None:
    """The table is not one every splitter passes: pysbd (the splitter before) fails some of it."""
    from models.text.sentences import pysbd_spans

    old = engine.splitter.with_english(pysbd_spans)
    assert sum([s.text for s in old.split(t, "en")] != e for t, e in BOUNDARY_CASES) >= 3


KO_TEXT = ("[서울=한빛뉴스] 김하늘 기자 = 정부는 5일 새 정책을 발표했다. 시행은 내년부터다\n"
           "서울시 전기버스 전면 도입\n업계는 \"환영한다\"고 밝혔다")


def test_korean_sentences_carry_their_morphemes(engine) -> None:
    sents = engine.splitter.split(KO_TEXT, "ko")
    assert len(sents) >= 4
    for s in sents:
        assert s.morphs, s.text
        for m in s.morphs:
            assert 0 <= m.start <= m.end <= len(s.text)
        # morphemes that keep their surface form sit exactly where the offsets say
        assert any(s.text[m.start : m.end] == m.form for m in s.morphs)
    assert engine.splitter.split("The plan starts next year.", "en")[0].morphs is None


def test_tokens_reuse_the_splitters_analysis(engine, monkeypatch) -> None:
    sents = engine.splitter.split(KO_TEXT, "ko")
    fresh = engine.splitter.tokens([s.text for s in sents], "ko")  # analysed again, sentence by sentence
    calls = []
    real = engine.splitter._kiwi._kiwi
    monkeypatch.setattr(engine.splitter._kiwi, "_kiwi", _Spy(real, calls))
    reused = engine.splitter.tokens(sents, "ko")
    assert calls == []  # no second analysis
    assert reused == fresh  # and the same tokens (these sentences read the same in context)


def test_ranking_a_korean_article_analyses_it_once(engine, monkeypatch, ko_article: str) -> None:
    calls: list[str] = []
    real = engine.splitter._kiwi._kiwi
    monkeypatch.setattr(engine.splitter._kiwi, "_kiwi", _Spy(real, calls))
    sents = engine.splitter.split(ko_article, "ko")
    lines = [line for line in ko_article.splitlines() if line.strip()]
    assert calls.count("split_into_sents") == len(lines) and "tokenize" not in calls
    calls.clear()
    assert engine.extract(sents, "ko", 3)
    assert calls == []


def test_sentence_clip_keeps_morphemes_true(engine) -> None:
    sent = engine.splitter.split("[서울=한빛뉴스] 정부는 새 정책을 발표했다.", "ko")[0]
    clipped = sent.clip(len("[서울=한빛뉴스] "))
    assert clipped.text == "정부는 새 정책을 발표했다." and clipped.start == sent.start + len("[서울=한빛뉴스] ")
    assert clipped.morphs and clipped.morphs[0].form == "정부" and clipped.morphs[0].start == 0
    assert clipped == sent.clip(len("[서울=한빛뉴스] ")).bare()  # morphs take no part in equality


class _Spy:
    """Counts calls into kiwipiepy, passing them on."""

    def __init__(self, kiwi: object, calls: list[str]) -> None:
        self._kiwi, self._calls = kiwi, calls

    def __getattr__(self, name: str) -> object:
        attr = getattr(self._kiwi, name)
        if name in ("tokenize", "split_into_sents", "analyze"):
            def call(*args: object, **kwargs: object) -> object:
                self._calls.append(name)
                return attr(*args, **kwargs)
            return call
        return attr


def test_shared_splitter_is_usable_after_fork() -> None:
    """Built in a parent (the gunicorn master) and used in forked children: kiwipiepy's thread pool
    does not survive fork, and a raw Kiwi given a list of texts hangs there forever."""
    import subprocess
    import sys

    code = """
import os, sys
from models.text.shared import preload_shared, shared_splitter, shared_detector
preload_shared()
assert not {'torch', 'transformers', 'ctranslate2'} & set(sys.modules), 'the master must stay free of them'
pid = os.fork()
if pid == 0:
    sp = shared_splitter()
    sp.tokens(['정부는 새 정책을 발표했다', '업계는 환영했다'], 'ko')
    list(sp.kiwi.tokenize(['정부는 새 정책을 발표했다', '업계는 환영했다']))
    sp.split('정부는 발표했다. 시행은 내년부터다', 'ko')
    assert shared_detector().detect('정부는 새 정책을 발표했다').lang == 'ko'
    os._exit(0)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""
    done = subprocess.run([sys.executable, "-c", code], timeout=120, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "text",
    ["The plan starts next year.", "Seoul", "Annyeonghaseyo chingu", "BTS", "It's 5 o'clock!",
     "정부는 5일 새 정책을 발표했다.", "서울시 전기버스 전면 도입", "좋다", "한국어 1234 텍스트"],
)
def test_single_script_shortcut_agrees_with_lingua(engine, text: str) -> None:
    """Text in one script skips lingua; lingua itself says the same there (language, and 1.0)."""
    from models.text.language import script_shares

    hangul, latin = script_shares(text)
    assert engine.detector.detect(text) == engine.detector._weighed(text, hangul, latin)
