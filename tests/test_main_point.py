"""Bullets that keep the article's main point (issue 22): the lead news first at any bullet count,
concise English that keeps each sentence's main clause, and a target length with a ceiling."""
from __future__ import annotations

from pathlib import Path

import pytest

from models import Engine, SummarizeRequest
from models.text.bullets import shape_bullets
from models.text.compress import is_clause_en
from models.text.style import concise_en

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

# (sentence, its concise form): the main clause stays; a gerund subject is not a leading phrase
CONCISE_EN = [
    ("Charging takes about 12 minutes at each end of the route, while passengers board and leave.",
     "Charging takes about 12 minutes at each end of the route."),
    ("Charging takes about 12 minutes at each end of the route, the operator said.",
     "Charging takes about 12 minutes at each end of the route."),
    ("Parking costs 5 euros an hour in the centre, while residents pay nothing.",
     "Parking costs 5 euros an hour in the centre."),
    ("Speaking to reporters on Monday, the mayor promised to reopen the bridge by June.",
     "The mayor promised to reopen the bridge by June."),
    ("Although the ferry is expensive, the city expects lower fuel bills to close the gap within seven years.",
     "The city expects lower fuel bills to close the gap within seven years."),
]


@pytest.mark.parametrize(("sentence", "expected"), CONCISE_EN)
def test_concise_english_keeps_the_main_clause(sentence: str, expected: str) -> None:
    assert concise_en(sentence, 140) == expected


@pytest.mark.parametrize("sentence", [
    "If Barclays buys a stake in Absa it will be one of the largest foreign investments in the country.",
    "When asked about his future the striker said he had not given it much thought.",
])
def test_concise_english_never_opens_with_a_subordinating_word(sentence: str) -> None:
    assert concise_en(sentence, 140) is None  # no main clause to tell apart: the next candidate instead
    assert concise_en("When the storm hit, the town flooded.", 140) == "The town flooded."


@pytest.mark.parametrize("fragment", ["While passengers board and leave.", "Because the bridge was closed.",
                                      "The operator said.", "Police said on Tuesday."])
def test_a_subordinate_clause_or_bare_attribution_is_not_a_clause(fragment: str) -> None:
    assert not is_clause_en(fragment)


# (sample, language, the words the lead news carries)
LEADS = [("en.txt", "en", "ferry that runs entirely on batteries"), ("ko.txt", "ko", "전 노선에 전기버스")]


@pytest.mark.parametrize(("sample", "lang", "news"), LEADS)
@pytest.mark.parametrize("style", ["sentence", "concise"])
def test_the_lead_news_is_among_one_or_two_bullets(
    engine: Engine, sample: str, lang: str, news: str, style: str,
) -> None:
    text = (SAMPLES / sample).read_text(encoding="utf-8")
    three = engine.summarize(SummarizeRequest(text=text, max_bullets=3, style=style)).bullets  # type: ignore[arg-type]
    assert any(news in b.text for b in three)
    for k in (1, 2):
        got = engine.summarize(SummarizeRequest(text=text, max_bullets=k, style=style)).bullets  # type: ignore[arg-type]
        assert len(got) == k and news in got[0].text, [b.text for b in got]
        assert [b.text for b in got] == [b.text for b in three[:k]]  # the first k of the three, in article order
        if lang == "en" and style == "concise":
            assert not any(b.text.split()[0].lower() in ("while", "although", "because", "when", "if")
                           for b in got)


LONG_EN = ("The government raised the minimum wage by six per cent, cut fuel duty for small businesses and "
           "extended free school meals to every primary pupil in the poorest districts of the country.")  # 183
SHORT_EN = "The results were published in a journal on Monday."


@pytest.mark.parametrize(("target", "ratio", "expected"), [
    (140, 1.5, [LONG_EN, SHORT_EN]),  # no shortening within 140: kept whole, within the 210 ceiling
    (140, 1.0, [SHORT_EN]),  # no ceiling over the target: the next candidate takes its place
    (200, 1.0, [LONG_EN, SHORT_EN]),  # a longer target asked for
])
def test_target_and_ceiling(target: int, ratio: float, expected: list[str]) -> None:
    out = shape_bullets([(LONG_EN, []), (SHORT_EN, [])], "en", target, 2, ceiling=int(target * ratio))
    assert [b.text for b in out] == expected


def test_a_request_max_chars_is_the_target(engine: Engine, en_article: str) -> None:
    wide = engine.summarize(SummarizeRequest(text=en_article, max_chars=400, max_bullets=3))
    narrow = engine.summarize(SummarizeRequest(text=en_article, max_chars=60, max_bullets=3))
    assert wide.max_chars == 400 and narrow.max_chars == 60
    assert all(len(b.text) <= 90 for b in narrow.bullets)  # the ceiling: 1.5 x 60
    assert sum(len(b.text) for b in narrow.bullets) < sum(len(b.text) for b in wide.bullets)


CLAUSES_EN = ("The city paid 8.5 million euros for the ferry, about 30% more than a diesel model, but expects lower "
              "fuel and maintenance bills to close the gap within seven years.")  # 164
ATTRIBUTED_EN = ("The city paid 8.5 million euros for the ferry, about 30% more than a diesel model, and expects to "
                 "recover it within seven years, the mayor said on Tuesday.")  # 150


@pytest.mark.parametrize(("sentence", "target", "ceiling", "expected"), [
    # within the ceiling, the only shortening cuts a clause: kept whole (the content is the point)
    (CLAUSES_EN, 140, 210, CLAUSES_EN),
    # past the ceiling: any grammatical shortening, the clause cut included
    (CLAUSES_EN, 140, 140, "The city paid 8.5 million euros for the ferry, about 30% more than a diesel model."),
    # a light drop (the attribution) reaches the target: taken
    (ATTRIBUTED_EN, 140, 210, "The city paid 8.5 million euros for the ferry, about 30% more than a diesel model, "
                              "and expects to recover it within seven years."),
])
def test_light_drops_first_then_whole_then_any_cut(sentence: str, target: int, ceiling: int, expected: str) -> None:
    assert [b.text for b in shape_bullets([(sentence, [])], "en", target, 1, ceiling=ceiling)] == [expected]


# A pasted news page written for this test in the shape of the one issue 22 names (a Korea JoongAng Daily
# page): menus, headline, dateline, byline, a 257-character lead with no shortening under 140, details.
PASTED_PAGE = """Home
National
Business
Zuckerberg to visit Korea, meet Samsung on AI tech development
Published: 13 Feb. 2024, 18:22
By Park Eun-jee
Meta CEO Mark Zuckerberg will visit Korea later this month for the first time in a decade to meet Samsung \
Electronics Chairman Lee Jae-yong and discuss cooperation on artificial intelligence chips and extended reality \
devices, industry sources said Tuesday.
Local media outlets reported that the CEO of Meta will likely meet with Samsung Electronics Chairman Lee Jae-yong.
The two are expected to discuss the supply of high-bandwidth memory chips for Meta's AI data centers, which the \
company plans to expand this year.
Zuckerberg last visited Seoul in 2013, when he met then-President Park Geun-hye.
Related Articles
Samsung shares rise on AI chip hopes
Copyright 2024 by Korea JoongAng Daily. All rights reserved.
"""


@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_pasted_pages_long_lead_is_its_first_bullet(engine: Engine, k: int) -> None:
    bullets = engine.summarize(SummarizeRequest(text=PASTED_PAGE, max_bullets=k)).bullets
    first = bullets[0].text
    assert first.startswith("Meta CEO Mark Zuckerberg will visit Korea later this month") and len(first) <= 210
    assert bullets[0].sources[0].text.startswith("Meta CEO Mark Zuckerberg")
