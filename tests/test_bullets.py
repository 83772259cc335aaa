"""Bullet shaping (models/text/bullets.py) and the engine's use of it: compression instead of cutting.

A candidate that cannot be compressed to the limit is skipped and the next one is used; no
bullet ever ends in "…"; translated bullets are compressed too. Limits are the production ones.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest

from models.errors import ModelOutputUnusable
from models.pipeline import Engine, SummarizeRequest
from models.text.bullets import DEFAULT_MAX_CHARS, is_noise, shape_bullets, strip_leading_tag
from models.text.compress import is_clause_en, is_sentence_ko
from models.text.rules import Rule
from models.text.sentences import Morph, Sentence
from models.text.style import is_nominal_ko

EN_LIMIT = DEFAULT_MAX_CHARS["en"]
KO_LIMIT = DEFAULT_MAX_CHARS["ko"]

# over 140 characters with nothing a reader can do without: no bullet can be made of it
EN_UNCOMPRESSIBLE = (
    "The government raised the minimum wage by six per cent, cut fuel duty for small businesses and "
    "extended free school meals to every primary pupil in the poorest districts of the country."
)
EN_ATTRIBUTED = (
    "A small team of engineers in Oslo has built a ferry that runs entirely on batteries charged from "
    "the city's hydroelectric grid, the operator said on Tuesday."
)


def _sent(text: str, index: int, morphs: Sequence[Morph] | None = None) -> Sentence:
    return Sentence(text, index * 1000, index * 1000 + len(text), index, True,
                    tuple(morphs) if morphs is not None else None)


def test_default_limits() -> None:
    assert DEFAULT_MAX_CHARS == {"en": 140, "ko": 100}


def test_shape_skips_what_cannot_fit_and_takes_the_next() -> None:
    items = [(t, [_sent(t, i)]) for i, t in enumerate([
        EN_UNCOMPRESSIBLE,
        EN_ATTRIBUTED,
        "Photo: Getty Images",  # noise
        "The ferry carries 300 passengers and 40 cars on each crossing of the fjord.",
        "The ferry carries 300 passengers and 40 cars on every crossing of the fjord.",  # near-duplicate
        "The route opens to the public in May.",
    ])]
    bullets = shape_bullets(items, "en", EN_LIMIT, 3)
    assert [b.text for b in bullets] == [
        "A small team of engineers in Oslo has built a ferry that runs entirely on batteries charged "
        "from the city's hydroelectric grid.",
        "The ferry carries 300 passengers and 40 cars on each crossing of the fjord.",
        "The route opens to the public in May.",
    ]
    assert [b.sources[0].index for b in bullets] == [1, 3, 5]
    for b in bullets:
        assert len(b.text) <= EN_LIMIT and is_clause_en(b.text) and not b.text.endswith("…")


def test_shape_never_cuts() -> None:
    # every candidate too long and without droppable parts: no bullet rather than a cut one
    items = [(EN_UNCOMPRESSIBLE + f" Item {i}.", [_sent(EN_UNCOMPRESSIBLE, i)]) for i in range(3)]
    assert shape_bullets(items, "en", EN_LIMIT, 3) == []


KO_SENTENCES = [
    # over 100 characters: fits only without its reporting frame
    "한국과학기술연구원은 치매 연구단 김영수 박사팀이 뇌종양 세포의 표면에서 과발현하는 단백질이 암의 전이를 "
    "조절하는 기능이 있다는 사실을 동물 실험으로 처음 규명했다고 13일 서울 본원에서 밝혔다",
    "연구팀은 이 단백질을 억제하는 물질을 투여한 쥐에서 종양의 크기가 절반으로 줄어든 것을 확인했다",
    "연구 결과는 국제 학술지에 실렸다",
]


@pytest.mark.parametrize("style", ["sentence", "concise"])
def test_shape_korean_with_the_splitters_morphemes(engine, style: str) -> None:  # noqa: ANN001
    kiwi = engine.splitter.kiwi
    items = []
    for i, text in enumerate(KO_SENTENCES):
        morphs = [Morph(t.form, t.tag, t.start, t.start + t.len) for t in kiwi.tokenize(text)]
        items.append((text, [_sent(text, i, morphs)]))
    assert len(KO_SENTENCES[0]) > KO_LIMIT
    bullets = shape_bullets(items, "ko", KO_LIMIT, 3, kiwi=kiwi, style=style)
    assert len(bullets) == 3
    for b in bullets:
        assert len(b.text) <= KO_LIMIT and "…" not in b.text
        assert (is_nominal_ko if style == "concise" else is_sentence_ko)(b.text, kiwi), b.text
    if style == "sentence":
        assert bullets[0].text.endswith("처음 규명했다")
    else:
        assert [b.text for b in bullets] == [
            "한국과학기술연구원, 치매 연구단 김영수 박사팀이 뇌종양 세포의 표면에서 과발현하는 단백질이 암의 전이를 "
            "조절하는 기능이 있다는 사실을 동물 실험으로 처음 규명",
            "연구팀, 이 단백질을 억제하는 물질을 투여한 쥐에서 종양의 크기가 절반으로 줄어든 것 확인",
            "연구 결과, 국제 학술지에 실림",
        ]


class _VerboseTranslator:
    """Stands in for a translation model whose output runs past the English limit."""

    model_id = "test/verbose"

    def __init__(self, outputs: list[str]) -> None:
        self.outputs = outputs

    def translate(self, texts: Sequence[str]) -> list[str]:
        return self.outputs[: len(texts)]


def test_translations_are_compressed_not_cut(engine, ko_article: str) -> None:  # noqa: ANN001
    translator = _VerboseTranslator([EN_ATTRIBUTED, EN_UNCOMPRESSIBLE, "The results were published in a journal."])
    eng = Engine(engine.splitter, engine.detector, translators={("ko", "en"): translator})
    result = eng.summarize(SummarizeRequest(text=ko_article, source_lang="ko", target_lang="en"))
    texts = [b.text for b in result.bullets]
    assert texts == [
        # compressed to the target: the attribution goes
        "A small team of engineers in Oslo has built a ferry that runs entirely on batteries charged from "
        "the city's hydroelectric grid.",
        # no grammatical shortening within 140, 183 characters: kept whole, within the 1.5 x ceiling
        EN_UNCOMPRESSIBLE,
        "The results were published in a journal.",
    ]  # never cut, never left out for its length
    assert all(len(t) <= EN_LIMIT * 1.5 and is_clause_en(t) for t in texts)
    # each bullet keeps the source sentence it was translated from
    assert [b.sources for b in result.bullets] == [
        b.sources for b in engine.summarize(SummarizeRequest(text=ko_article, source_lang="ko")).bullets
    ]


def test_a_translation_past_the_ceiling_is_kept_whole_never_a_422(engine, ko_article: str) -> None:  # noqa: ANN001
    """A model's output is never refused for its length: past the ceiling, with no shortening, a
    translated bullet is returned whole (the request used to fail with 422)."""
    run_on = (EN_UNCOMPRESSIBLE.rstrip(".") + ", raised pensions for everyone over the age of seventy and promised a "
              "review of the whole tax system before the end of the next parliament.")
    translator = _VerboseTranslator([run_on] * 3)
    eng = Engine(engine.splitter, engine.detector, translators={("ko", "en"): translator})
    result = eng.summarize(SummarizeRequest(text=ko_article, source_lang="ko", target_lang="en", max_bullets=1))
    assert len(run_on) > EN_LIMIT * 1.5
    assert [b.text for b in result.bullets] == [run_on]
    assert result.max_chars == EN_LIMIT


def test_engine_concise_korean(engine, ko_article: str) -> None:  # noqa: ANN001
    sentence = engine.summarize(SummarizeRequest(text=ko_article, source_lang="ko"))
    concise = engine.summarize(SummarizeRequest(text=ko_article, source_lang="ko", style="concise"))
    kiwi = engine.splitter.kiwi
    assert concise.bullets and all(is_nominal_ko(b.text, kiwi) for b in concise.bullets)
    assert all(len(b.text) <= KO_LIMIT for b in concise.bullets + sentence.bullets)
    mean = sum(len(b.text) for b in concise.bullets) / len(concise.bullets)
    assert mean < sum(len(b.text) for b in sentence.bullets) / len(sentence.bullets)


class _ProportionalTranslator:
    """Translates into English over twice as long as the Korean it gets (as Korean → English often
    runs): a clause with nothing to drop, so only a shorter source makes it fit."""

    model_id = "test/proportional"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def translate(self, texts: Sequence[str]) -> list[str]:
        self.calls.append(list(texts))
        return ["The council approved " + " ".join(["new"] * max(len(t) * 11 // 20, 1)) + " plans." for t in texts]


def test_translation_over_the_limit_is_made_again_from_a_shorter_source(engine) -> None:  # noqa: ANN001
    translator = _ProportionalTranslator()
    eng = Engine(engine.splitter, engine.detector, translators={("ko", "en"): translator})
    source = "서울시가 내년 3월부터 시내버스 전 노선에 전기버스를 단계적으로 투입한다고 12일 서울시청에서 밝혔다"
    bullets = shape_bullets([(source, [_sent(source, 0)])], "ko", KO_LIMIT, 1, kiwi=engine.splitter.kiwi)
    first = translator.translate([b.text for b in bullets])
    assert len(first[0]) > EN_LIMIT
    fitted = eng.fit_translations(bullets, first, "en", "sentence", translator, "ko")
    assert len(fitted) == 1 and len(fitted[0].text) <= EN_LIMIT and is_clause_en(fitted[0].text)
    # made again from the reported clause, without its frame
    assert translator.calls[-1] == ["서울시가 내년 3월부터 시내버스 전 노선에 전기버스를 단계적으로 투입한다"]
    assert fitted[0].sources == bullets[0].sources


class _FixedSummarizer:
    """Stands in for a summarization model that always writes ``text``."""

    model_id = "test/fixed"

    def __init__(self, text: str) -> None:
        self.text = text

    def summarize(self, sentences: Sequence[str]):  # noqa: ANN201
        from models.contracts import AbstractiveSummary

        return AbstractiveSummary(self.text, chunks=1)


def test_abstractive_output_is_never_refused_for_its_length(engine, en_article: str) -> None:  # noqa: ANN001
    """A generated sentence past the ceiling with no shortening is the model's bullet, kept whole
    (it used to be dropped and the request answered with extractive bullets)."""
    long = (EN_UNCOMPRESSIBLE.rstrip(".") + ", raised pensions for everyone over the age of seventy and promised a "
            "review of the whole tax system before the end of the next parliament.")
    eng = Engine(engine.splitter, engine.detector, summarizers={"en": _FixedSummarizer(long + " " + EN_ATTRIBUTED)})
    for method in ("auto", "abstractive"):
        result = eng.summarize(SummarizeRequest(text=en_article, source_lang="en", method=method))
        assert result.method == "abstractive" and result.models["summarize"] == "test/fixed"
        assert result.fallback is None
        texts = [b.text for b in result.bullets]
        assert texts[0] == long and len(long) > EN_LIMIT * 1.5  # whole, never cut
        assert texts[1] == ("A small team of engineers in Oslo has built a ferry that runs entirely on batteries "
                            "charged from the city's hydroelectric grid.")  # compressed where it can be
        assert not any(t.endswith("…") for t in texts)


@pytest.mark.parametrize(("output", "reason"), [("", "the model wrote no text"),
                                                ("© 2024 — 📷", "the model wrote nothing a bullet can be made of")])
def test_unusable_model_output_auto_falls_back_and_says_so_abstractive_errs(
    engine, en_article: str, output: str, reason: str,  # noqa: ANN001
) -> None:
    eng = Engine(engine.splitter, engine.detector, summarizers={"en": _FixedSummarizer(output)})
    auto = eng.summarize(SummarizeRequest(text=en_article, source_lang="en"))
    assert auto.method == "extractive" and auto.models["summarize"] == "builtin/extractive-textrank"
    assert auto.fallback is not None and auto.fallback["from"] == "abstractive"
    assert auto.fallback["reason"].startswith(reason) and auto.bullets
    with pytest.raises(ModelOutputUnusable, match=reason):
        eng.summarize(SummarizeRequest(text=en_article, source_lang="en", method="abstractive"))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_sentence_that_trails_off_is_never_a_bullet(lang: str) -> None:
    trailing = {"en": "Three stars are the favourites to leave the jungle show I'm A Celebrity...",
                "ko": "그는 이번 결정이 끝이 아니라고 말하면서…"}[lang]
    finished = {"en": "Bookmakers say the singer has even odds of being voted off first.",
                "ko": "시는 내년부터 전기버스를 도입한다."}[lang]
    out = shape_bullets([(trailing, []), (finished, [])], lang, 140, 2)
    assert [b.text for b in out] == [finished]


@pytest.mark.parametrize(
    ("text", "noise"),
    [
        ("I Need Legal Help", True),
        ("How It Works Exploring Our Channels Pricing FAQs The Bottom Line.", True),
        ("Subs Not Used: Smith, Jones, Brown, Green.", True),
        ("Inhalt Verwaltung Systeme für Webseiten.", True),
        ("Wir entwickeln Apps für unsere Kunden aus aller Welt.", True),
        ("The Riverton city council voted on Tuesday to replace its diesel buses.", False),
        ("Manchester United's Wayne Rooney and Arsenal's Theo Walcott were named in the squad.", False),
        ("Storm Ciara batters northern Europe.", False),
        ("The café on Main Street reopened after the flood.", False),
    ],
)
def test_english_headings_menus_and_foreign_lines_are_noise(text: str, noise: bool) -> None:
    assert is_noise(text, "en") is noise


def test_a_title_case_headline_still_counts_as_the_title() -> None:
    assert is_noise("Riverton Votes To Replace Its Diesel Buses", "en")
    assert not is_noise("Riverton Votes To Replace Its Diesel Buses", "en", headings=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(CNN) -- The Senate passed the bill on Tuesday.", "The Senate passed the bill on Tuesday."),
        ("LONDON (Reuters) - Britain's economy grew in March.", "Britain's economy grew in March."),
        # a dateline before a dash: a place in capitals, or a place and its region
        ("WASHINGTON — The Senate passed the bill on Tuesday.", "The Senate passed the bill on Tuesday."),
        ("NEW YORK, N.Y. — Stocks rose on Friday.", "Stocks rose on Friday."),
        ("Eastbay, California — The port will build a second terminal.", "The port will build a second terminal."),
        # not a dateline: a dash aside after a name, a lower-case word after the comma
        *((kept, kept) for kept in ("Apple — the company said — will open a store in Seoul.",
                                    "Smith, the coach — who won twice — resigned on Monday.")),
    ],
)
def test_strip_leading_tag_en(text: str, expected: str) -> None:
    out = strip_leading_tag(Sentence(text, 10, 10 + len(text)), "en")
    assert out.text == expected
    assert out.end == 10 + len(text) and out.start == 10 + len(text) - len(expected)  # offsets stay true


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(서울=한빛뉴스) 김하늘 기자 = 정부가 새 대책을 발표했다.", "정부가 새 대책을 발표했다."),
        ("[한빛뉴스 김하늘 기자] 정부가 새 대책을 발표했다.", "정부가 새 대책을 발표했다."),
        ("[단독] 정부가 새 대책을 발표했다.", "[단독] 정부가 새 대책을 발표했다."),  # a label, not a byline
    ],
)
def test_strip_leading_tag_ko(text: str, expected: str) -> None:
    assert strip_leading_tag(Sentence(text, 0, len(text)), "ko").text == expected


# --- one reading of the noise and chrome rules per request ---------------------------------

ONCE_TEXTS = {
    # a plain article under a Title Case headline: ranking reads the headline as the title (the
    # rules without headings) after the candidates read it (with them)
    "en-article": ("en", "Riverton Votes To Replace Its Diesel Buses\n"
                         "The Riverton city council voted on Tuesday to replace all 120 diesel buses with electric "
                         "ones by 2030.\nThe plan will cost about $90 million, most of it from a federal grant, "
                         "officials said.\nMayor Ana Ruiz said the change would cut the city's transport emissions "
                         "by a third.\nThe first 20 electric buses are due to arrive next spring."),
    # a pasted page: chrome lines, a caption printed twice, lines of one sentence and of two
    "en-page": ("en", "Home > News > Local\nRiverton votes to replace its diesel buses\nBy Jane Doe\n"
                      "Published: March 3, 2026\nShare this article\n"
                      "The Riverton city council voted on Tuesday to replace all 120 diesel buses with electric "
                      "ones by 2030. The plan will cost about $90 million, officials said.\n"
                      "Mayor Ana Ruiz said the change would cut the city's transport emissions by a third.\n"
                      "A new electric bus at the depot on Monday. (Photo: Riverton Transit)\n"
                      "The first 20 electric buses are due to arrive next spring, and the rest will follow over "
                      "four years.\nDrivers will be trained over the winter, the transit agency said.\n"
                      "A new electric bus at the depot on Monday. (Photo: Riverton Transit)\n"
                      "Copyright 2026 Riverton Daily. All rights reserved."),
    "ko-page": ("ko", "홈 > 사회 > 교통\n한빛시, 시내버스 전면 전기버스로 바꾼다\n(한빛=한빛뉴스) 김하늘 기자 =\n"
                      "입력 2026.03.03 09:14\n"
                      "한빛시가 내년 3월부터 시내버스 전 노선에 전기버스를 단계적으로 투입한다고 12일 밝혔다.\n"
                      "시는 2028년까지 약 7천 대의 버스를 모두 전기버스로 바꾸는 데 1조 2천억 원을 투입할 계획이다. "
                      "충전소도 40곳 새로 짓는다.\n"
                      "새 전기버스가 차고지에 서 있다. [사진 = 한빛뉴스]\n"
                      "시 관계자는 \"전기버스 전환으로 연간 온실가스 배출량이 크게 줄어들 것\"이라고 말했다.\n"
                      "새 전기버스가 차고지에 서 있다. [사진 = 한빛뉴스]\n"
                      "저작권자 ⓒ 한빛뉴스, 무단전재 및 재배포 금지"),
}


@pytest.mark.parametrize("style", ["sentence", "concise"])
@pytest.mark.parametrize("name", sorted(ONCE_TEXTS))
def test_a_request_runs_no_rule_twice_over_the_same_text(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, name: str, style: str,
) -> None:
    """Page chrome, candidates, the title's lead lines and bullet shaping all read the one table
    (models.text.rules.RULES) through the request's Screen: no rule runs twice over a text."""
    lang, text = ONCE_TEXTS[name]
    runs: Counter[tuple[str, str, str, int, str]] = Counter()
    matches = Rule.matches

    def counted(rule: Rule, text: str) -> bool:
        runs[(rule.where, rule.lang, rule.reason, id(rule), text)] += 1
        return matches(rule, text)

    monkeypatch.setattr(Rule, "matches", counted)
    result = engine.summarize(SummarizeRequest(text=text, source_lang=lang, style=style))  # type: ignore[arg-type]
    assert result.bullets
    twice = sorted((where, lang, reason, text, n) for (where, lang, reason, _, text), n in runs.items() if n > 1)
    assert twice == []
    assert {where for where, *_ in runs} == {"line", "sentence"}  # both scopes were read
