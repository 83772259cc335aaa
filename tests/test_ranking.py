"""Which sentences the ranker picks, on articles written by the project (tests/data/ranking_*.txt).

Both articles have the same shape: a headline (line 0), the news (1), a detail (2), a direct quote
(3), an off-topic aside (4), the cost (5), the opposition (6) and what comes next (7).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from models import Engine
from models.pipeline import SummarizeRequest

DATA = Path(__file__).parent / "data"

# Best first, as the shipped weights choose them (models.pipeline.DEFAULT_WEIGHTS).
EXPECTED = {
    "en": {1: [1], 2: [1, 2], 3: [1, 2, 6]},
    "ko": {1: [1], 2: [1, 2], 3: [1, 2, 5]},
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.warm_up()
    return e


def _line_of(text: str, start: int) -> int:
    return text.count("\n", 0, start)


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_picks_best_first(engine: Engine, lang: str, k: int) -> None:
    text = (DATA / f"ranking_{lang}.txt").read_text(encoding="utf-8")
    picked = engine.extract(engine.splitter.split(text, lang), lang, k)
    assert [_line_of(text, s.start) for s in picked] == EXPECTED[lang][k]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_never_the_headline_the_aside_or_the_quote(engine: Engine, lang: str) -> None:
    text = (DATA / f"ranking_{lang}.txt").read_text(encoding="utf-8")
    picked = engine.extract(engine.splitter.split(text, lang), lang, 5)
    lines = {_line_of(text, s.start) for s in picked}
    assert len(picked) == 5 and not lines & {0, 4}
    if lang == "en":  # English penalizes mostly-quote sentences; Korean annotators pick quotes
        assert 3 not in lines


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_bullets_are_the_best_k_in_article_order(engine: Engine, lang: str) -> None:
    text = (DATA / f"ranking_{lang}.txt").read_text(encoding="utf-8")
    result = engine.summarize(SummarizeRequest(text=text, max_bullets=3))
    lines = [_line_of(text, b.sources[0].start) for b in result.bullets]
    assert lines == sorted(EXPECTED[lang][3])
