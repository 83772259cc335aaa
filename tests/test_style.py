"""Bullet styles (models/text/style.py): the concise Korean noun-ending form and concise English.

Every concise Korean output must re-analyse as nominal (``is_nominal_ko``); every concise English
one must pass the complete-clause check. The sentences are the project's own.
"""
from __future__ import annotations

import pytest

from models.text.bullets import DEFAULT_MAX_CHARS
from models.text.compress import compress_en, is_clause_en
from models.text.style import STYLES, concise_en, concise_ko, fit_bullet, is_nominal_ko


@pytest.fixture(scope="module")
def kiwi(engine):  # noqa: ANN001, ANN201 - the session engine's kiwipiepy, built once
    return engine.splitter.kiwi


KO_CONCISE = [
    # the examples, as written there
    ("서울시가 내년 3월부터 시내버스 전 노선에 전기버스를 단계적으로 투입한다고 12일 밝혔다",
     "서울시, 내년 3월부터 시내버스 전 노선에 전기버스 단계적 투입"),
    ("정부는 반도체 산업에 1조 2천억 원을 투입할 계획이다", "정부, 반도체 산업에 1조 2천억 원 투입 계획"),
    ("수출이 5% 늘었다", "수출 5% 늘어남"),
    # a plan noun after a reporting frame
    ("삼성전자는 신제품을 내년에 출시할 예정이라고 덧붙였다.", "삼성전자, 신제품을 내년에 출시 예정"),
    # a gloss and a report date go, the verbal noun stays
    ("연구팀(팀장 김철수 교수)은 이날 새로운 배터리 소재를 개발했다고 발표했다", "연구팀, 새로운 배터리 소재 개발"),
    # an adjective takes -(으)ㅁ
    ("이 제품은 가격이 매우 저렴하다", "이 제품, 가격이 매우 저렴함"),
    # a negative copula
    ("이것은 사실이 아니다", "이것 사실이 아님"),
    # a verb phrase: -(으)ㅁ on the last verb
    ("이번 조치로 중소기업의 부담이 크게 줄어들 것으로 보인다",
     "이번 조치로 중소기업의 부담이 크게 줄어들 것으로 보임"),
    # "-적으로" before a verbal noun becomes "-적", the object particle goes
    ("시는 노후 하수관을 전면적으로 교체한다", "시, 노후 하수관 전면적 교체"),
    # a leading attribution and a first clause
    ("통계청에 따르면 지난달 반도체 수출은 작년 같은 달보다 12% 늘어 역대 최대치를 기록했다",
     "지난달 반도체 수출, 작년 같은 달보다 12% 늘어 역대 최대치 기록"),
    # a one-syllable noun + 하다 stays a verb ("말함", not "말")
    ("그는 회의에서 처음으로 자신의 계획을 말했다", "그, 회의에서 처음으로 자신의 계획을 말함"),
]


@pytest.mark.parametrize(("text", "expected"), KO_CONCISE)
def test_concise_ko(kiwi, text: str, expected: str) -> None:  # noqa: ANN001
    out = concise_ko(text, kiwi)
    assert out == expected
    assert is_nominal_ko(out, kiwi), out
    assert not out.endswith((".", "다")) and "…" not in out


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        # the whole sentence does not fit: its first clause, nominal
        ("시는 지난 12일 주민 설명회를 열었고, 주민 200여 명이 참석해 소음 대책에 대한 질문을 쏟아냈다", 30,
         "시, 주민 설명회를 열었음"),
        ("연구팀은 바닷물에서 리튬을 추출하는 새로운 막을 개발했으며 추출 효율은 기존 방식의 세 배에 이른다", 40,
         "연구팀, 바닷물에서 리튬을 추출하는 새로운 막 개발"),
        # nothing nominal fits
        ('박 교수는 "새 배터리는 기존 제품보다 충전 속도가 두 배 빠르다"라고 말했다', 20, None),
    ],
)
def test_concise_ko_within_a_limit(kiwi, text: str, limit: int, expected: str | None) -> None:  # noqa: ANN001
    out = concise_ko(text, kiwi, limit=limit)
    assert out == expected
    if out is not None:
        assert len(out) <= limit and is_nominal_ko(out, kiwi)


@pytest.mark.parametrize(
    "text",
    [
        "가나다라 마바사아 자차카타",  # no sentence
        "회의는 언제 열립니까?",  # a question is not a statement
    ],
)
def test_concise_ko_none(kiwi, text: str) -> None:  # noqa: ANN001
    assert concise_ko(text, kiwi) is None


@pytest.mark.parametrize(
    ("text", "nominal"),
    [
        ("수출 5% 늘어남", True),
        ("정부, 반도체 산업에 1조 2천억 원 투입 계획", True),
        ("이 제품, 가격이 매우 저렴함", True),
        ("수출이 5% 늘었다", False),  # a finished sentence, not a nominal bullet
        ("수출 늘어남. 수입은 줄었다", False),  # ends in a sentence
        ("수출이 늘었다. 수입 감소", False),  # a finished sentence glued in front
        ("“수출 늘어남", False),  # a quotation left open
    ],
)
def test_is_nominal_ko(kiwi, text: str, nominal: bool) -> None:  # noqa: ANN001
    assert is_nominal_ko(text, kiwi) is nominal


EN_CONCISE = [
    ("A small team of engineers in Oslo has built a ferry that runs on batteries, the operator said.",
     "A small team of engineers in Oslo has built a ferry that runs on batteries."),
    ("The bridge, which was designed by a local firm, will open to traffic in March.",
     "The bridge will open to traffic in March."),
    ("On Tuesday, the council approved the budget (the largest in its history).",
     "The council approved the budget."),
    ("Police said the driver was taken to hospital with minor injuries.",
     "The driver was taken to hospital with minor injuries."),
]


@pytest.mark.parametrize(("text", "expected"), EN_CONCISE)
def test_concise_en(text: str, expected: str) -> None:
    limit = DEFAULT_MAX_CHARS["en"]
    assert len(text) <= limit  # concise drops what a reader does not need even when it fits
    out = concise_en(text, limit)
    assert out == expected
    assert is_clause_en(out) and len(out) < len(text)


def test_concise_en_within_the_limit() -> None:
    text = ("Although the council had warned for months that the budget was too tight, the mayor, who "
            "took office in May, approved the new stadium plan and promised a public consultation.")
    out = concise_en(text, 60)
    assert out == "The mayor approved the new stadium plan."
    assert is_clause_en(out)
    assert compress_en(text, 60) == out  # within a tight limit both styles reach the same sentence


def test_fit_bullet_styles(kiwi) -> None:  # noqa: ANN001
    assert STYLES == ("sentence", "concise")
    ko = "서울시가 내년 3월부터 시내버스 전 노선에 전기버스를 단계적으로 투입한다고 12일 밝혔다"
    assert fit_bullet(ko, "ko", 100, "sentence", kiwi) == ko  # fits: unchanged
    assert fit_bullet(ko, "ko", 100, "concise", kiwi) == "서울시, 내년 3월부터 시내버스 전 노선에 전기버스 단계적 투입"
    # without an analyser Korean cannot be compressed: a sentence over the limit gives no bullet
    assert fit_bullet(ko, "ko", 30, "sentence", None) is None
    with pytest.raises(ValueError, match="style must be one of"):
        fit_bullet(ko, "ko", 100, "short", kiwi)  # type: ignore[arg-type]
