"""Sentence compression (models/text/compress/): table-driven, every output checked for grammar.

English outputs must pass the complete-clause check (``is_clause_en``: a subject before a
finite verb, terminal punctuation, balanced brackets and quotes); Korean outputs must re-analyse
with kiwipiepy as one finished sentence (``is_sentence_ko``). The sentences are the project's own.
"""
from __future__ import annotations

import pytest

from models.text.bullets import DEFAULT_MAX_CHARS
from models.text.compress import (
    compress_en,
    compress_ko,
    is_balanced,
    is_clause_en,
    is_sentence_ko,
)
from models.text.sentences import Morph


@pytest.fixture(scope="module")
def kiwi(engine):  # noqa: ANN001, ANN201 - the session engine's kiwipiepy, built once
    return engine.splitter.kiwi


def _check_en(out: str, limit: int) -> None:
    assert len(out) <= limit
    assert is_clause_en(out), out
    assert "…" not in out and "..." not in out


EN_CASES = [
    # attribution at the end
    ("A small team of engineers in Oslo has built a ferry that runs entirely on batteries charged "
     "from the city's hydroelectric grid, the operator said on Tuesday.", 140,
     "A small team of engineers in Oslo has built a ferry that runs entirely on batteries charged "
     "from the city's hydroelectric grid."),
    # "according to ..." opening the sentence
    ("According to the regional transport office, the new tram line between the harbour and the "
     "university will carry about 40,000 passengers a day.", 140,
     "The new tram line between the harbour and the university will carry about 40,000 passengers a day."),
    # an age and an appositive, dropped as one run so the commas stay paired
    ("Maria Lopez, 34, a nurse from Leeds who volunteers at the food bank, was named the winner of "
     "the community award at a ceremony in the town hall.", 120,
     "Maria Lopez was named the winner of the community award at a ceremony in the town hall."),
    # a non-restrictive relative clause
    ("The bridge, which was designed by a local firm and took four years to build, will open to "
     "traffic in March after a final round of safety checks.", 120,
     "The bridge will open to traffic in March after a final round of safety checks."),
    # a parenthetical
    ("The museum (founded in 1887 by a group of merchants) has reopened after a two-year renovation "
     "that cost the city more than 12 million pounds.", 120,
     "The museum has reopened after a two-year renovation that cost the city more than 12 million pounds."),
    # a leading subordinate clause
    ("Although the council had warned for months that the budget was too tight, the mayor approved "
     "the new stadium plan without a public consultation.", 100,
     "The mayor approved the new stadium plan without a public consultation."),
    # an attribution opening the sentence ("Police said ...")
    ("Police said the driver of the delivery van was taken to hospital with minor injuries after the "
     "collision on the ring road near the station.", 130,
     "The driver of the delivery van was taken to hospital with minor injuries after the collision "
     "on the ring road near the station."),
    # an aside between dashes
    ("The company's chief executive -- a former investment banker who joined the firm in 2019 -- "
     "announced that the factory would close by the end of the year.", 120,
     "The company's chief executive announced that the factory would close by the end of the year."),
    # a time adverbial
    ("The orchestra performed the new symphony for the first time on Saturday evening in front of a "
     "sold-out audience at the restored concert hall.", 125,
     "The orchestra performed the new symphony for the first time in front of a sold-out audience at "
     "the restored concert hall."),
    # a trailing participial clause
    ("The storm knocked out power to more than 20,000 homes across the region, leaving many families "
     "without heating during the coldest night of the year.", 100,
     "The storm knocked out power to more than 20,000 homes across the region."),
    # a second verb phrase
    ("The club president refuted the claims about the coach and said he was impressed with how the "
     "team had performed in a very difficult season.", 100,
     "The club president refuted the claims about the coach."),
    # a second clause after ", but"
    ("The research team tested the vaccine on 3,000 volunteers in six countries, but the results will "
     "not be published until the end of next year.", 100,
     "The research team tested the vaccine on 3,000 volunteers in six countries."),
    # a trailing clause without a comma ("while ...")
    ("Officials confirmed that the airport will remain closed for at least two more days while "
     "engineers inspect the damaged runway and the control tower.", 100,
     "Officials confirmed that the airport will remain closed for at least two more days."),
    # a leading phrase and the aside after it, together
    ("In 2010, the farmer, who had never left his village, travelled to the capital to receive an "
     "award for his work on drought-resistant seeds.", 100,
     "The farmer travelled to the capital to receive an award for his work on drought-resistant seeds."),
]


@pytest.mark.parametrize(("text", "limit", "expected"), EN_CASES)
def test_compress_en(text: str, limit: int, expected: str) -> None:
    assert len(text) > limit  # every case needs compressing
    out = compress_en(text, limit)
    assert out == expected
    _check_en(out, limit)


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        # the last of a list of verb phrases is not a clause of its own: never "... cut fuel duty."
        ("The government raised the minimum wage by six per cent, cut fuel duty for small businesses "
         "and extended free school meals to every primary pupil.", 100),
        # dropping "An Oregon couple announced" would leave "They are ..." without its referent
        ("An Oregon couple announced they are expecting their third child in a video set to the theme "
         "song of a popular nineties television sitcom.", 100),
        # a list of noun phrases has nothing a reader does not need
        ("The committee includes representatives of the unions, the employers, the city council and "
         "the two universities that share the science park.", 100),
        # ", officials found that ..., in the north," holds a verb of its own: a clause, not an aside
        # (never "Then in March last year had too few teachers.")
        ("Then in March last year, officials found evidence that four village schools in the valley, "
         "in the north of the county, had too few teachers to open every class.", 100),
        # the comma after "son" opens an appositive, not the end of the leading clause
        ("When the farmer learned that his eldest son, Tom, had won a place at the agricultural "
         "college he threw a party for the whole village.", 90),
        # ", we learn how ..." is a clause, not an aside: never "Finally today may be harmful."
        ("Finally today, we learn how common chemicals in household goods, such as candles, scented "
         "sprays, fabric softeners, and cleaning wipes, may be harmful.", 140),
    ],
)
def test_compress_en_none_rather_than_a_cut(text: str, limit: int) -> None:
    assert compress_en(text, limit) is None


def test_a_gerund_subject_is_the_main_clause_not_a_leading_one() -> None:
    # "Giving ... was most popular," is the main clause; dropping it as a leading participle phrase
    # left "With a score of 7.1, while ... came 10th."
    text = ("Giving councils power over all local bus routes was the most popular proposal, with a "
            "score of 7.4, while cutting the rail fares came fifth on the list at 6.1.")
    expected = {
        85: "Giving councils power over all local bus routes was the most popular proposal.",
        100: "Giving councils power over all local bus routes was the most popular proposal, with a score of 7.4.",
    }
    for limit, shortened in expected.items():
        out = compress_en(text, limit)
        assert out == shortened
        _check_en(out, limit)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        # the dropped tail held the quotation: its closing quote goes with it
        ("The singer has won extra praise from his growing crowd of fans after calling out an online critic "
         "who called his partner a 'fortune hunter.'", 120,
         "The singer has won extra praise from his growing crowd of fans."),
        # a quotation the article continues in its next paragraph (no closing quote in the source) is
        # closed where the shortened quotation ends
        ("He said: 'If you look back at the old schedules (before the merger), they were bringing serious "
         "music to a large audience but they could assume that their audience knew the repertoire.", 140,
         "He said: 'If you look back at the old schedules (before the merger), they were bringing serious "
         "music to a large audience.'"),
        # a non-restrictive relative clause inside the sentence, before its subject's verb
        ("The tournament began on a sombre note when the Australian player, who came so close to winning "
         "in 2013 before finishing fourth, had to withdraw from the event.", 100,
         "The tournament began on a sombre note when the Australian player had to withdraw from the event."),
        # a participle phrase with a participle in -ed is still a leading phrase, not a gerund subject
        ("Arriving at the magistrates court yesterday dressed in a dark suit and tie, the former "
         "footballer said the offence last October had not been intentional.", 100,
         "The former footballer said the offence last October had not been intentional."),
    ],
)
def test_compress_en_quotes_relatives_and_participles(text: str, limit: int, expected: str) -> None:
    out = compress_en(text, limit)
    assert out == expected
    _check_en(out, limit)


def test_a_relative_clause_is_never_dropped_across_a_quotation_or_a_dash() -> None:
    text = ('"It has drawn attention not only because of the people involved -- my former partner is an actor, '
            'who stars in the series "Family Life" -- but also because such disputes raise questions about '
            'life, religion and parenthood."')
    # never "... my former partner is an actor religion and parenthood."; and, the sentence being one
    # quotation, never shortened at all (a shortened quote misquotes: see the test below)
    assert compress_en(text, 140) is None


def test_a_participle_aside_is_still_dropped() -> None:
    # "thought" is also a finite verb, but an item that opens with it is a participle phrase
    text = ("The bronze helmet, thought to date back to the fifth century, was found buried under a "
            "farm track by a retired teacher walking his dog near the village of Elmstead.")
    assert compress_en(text, 140) == ("The bronze helmet was found buried under a farm track by a retired "
                                      "teacher walking his dog near the village of Elmstead.")


def test_compress_en_keeps_a_fitting_sentence_as_is() -> None:
    text = "The plan starts next year, officials said."
    assert compress_en(text, DEFAULT_MAX_CHARS["en"]) == text


def test_compress_en_never_ends_an_aside_run_halfway() -> None:
    # "Roach, 26, from London gave up" would be the result of dropping only the relative clause
    text = ("Triathlete Charlotte Roach, 26, from London, who nearly died in a horror crash, gave up "
            "ordinary clothes for Lent to raise money for the charity that saved her life.")
    assert compress_en(text, 140) == (
        "Triathlete Charlotte Roach gave up ordinary clothes for Lent to raise money for the charity "
        "that saved her life."
    )


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("The plan starts next year.", True),
        ("Officials said the plan would start next year.", True),
        ("He has left.", True),
        ("The mayor's plan, a $40m scheme for the harbour.", False),  # no finite verb
        ("The plan starts next year", False),  # no terminal punctuation
        ("the plan starts next year.", False),  # starts mid-sentence
        ("The plan (which starts next year.", False),  # dangling bracket
        ('He said "the plan starts next year.', False),  # dangling quote
        ("Plans.", False),
        ("The minister will set out the case for lower taxes –.", False),  # a dash left dangling
        ("The minister will set out the case for lower taxes,.", False),
        ("The minister set out the case -- and won the vote.", True),
        ('He said: "There are British nationals in the country and."', False),  # ends on a conjunction
        ("The new plan is far better than.", False),
        ("The council paid for the repairs in full.", True),
        ("Officials warned that.", False),
        # a capitalised word is a name, a last word or one before a name or a relative pronoun a noun
        ("The Birmingham athlete.", False),
        ("Robert Sillerman's Sports Entertainment Enterprises.", False),
        ("Manchester United striker Ruud van Nistelrooy.", False),
        ("The Birmingham athlete, who won gold.", False),
        ("Real Madrid travel to Malaga on Sunday.", True),
    ],
)
def test_is_clause_en(text: str, ok: bool) -> None:
    assert is_clause_en(text) is ok


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("The city’s plan (approved) starts.", True),
        ("The drivers' union said 'no'.", True),
        ("The plan (approved starts.", False),
        ("He said 'the plan starts.", False),
        ("“무단 전재”를 금지한다", True),
        ("“무단 전재를 금지한다", False),
    ],
)
def test_is_balanced(text: str, ok: bool) -> None:
    assert is_balanced(text) is ok


KO_CASES = [
    # a reporting frame: the reported clause, closed as a finished sentence
    ("서울시가 내년 3월부터 시내버스 전 노선에 전기버스를 단계적으로 투입한다고 12일 밝혔다", 45,
     "서울시가 내년 3월부터 시내버스 전 노선에 전기버스를 단계적으로 투입한다"),
    # a leading attribution ("...에 따르면")
    ("통계청에 따르면 지난달 반도체 수출은 작년 같은 달보다 12% 늘어 역대 최대치를 기록했다", 45,
     "지난달 반도체 수출은 작년 같은 달보다 12% 늘어 역대 최대치를 기록했다"),
    # a parenthetical gloss
    ("한빛전자(대표 김민수)는 이날 경기 수원시 본사에서 차세대 저전력 메모리 반도체 시제품을 공개했다", 50,
     "한빛전자는 이날 경기 수원시 본사에서 차세대 저전력 메모리 반도체 시제품을 공개했다"),
    # the first of two clauses, closed with a final ending by Kiwi.join
    ("시는 지난 12일 주민 설명회를 열었고, 주민 200여 명이 참석해 소음 대책에 대한 질문을 쏟아냈다", 30,
     "시는 지난 12일 주민 설명회를 열었다"),
    # a negation closed like its verb ...
    ("새 장비는 산소 농도가 낮은 환경에서는 작동되지 않으며, 연구진은 내년까지 이 문제를 해결할 계획이다", 35,
     "새 장비는 산소 농도가 낮은 환경에서는 작동되지 않는다"),
    # ... or like its adjective
    ("이 약은 값이 저렴하지 않으며, 보험 적용 대상에서도 빠져 환자 부담이 크다는 지적이 나온다", 30,
     "이 약은 값이 저렴하지 않다"),
    # two quotations: the speaker and the second one
    ('김 연구원은 "실험 결과가 예상보다 좋았다"며 "내년에는 동물 실험을 시작할 수 있을 것"이라고 말했다', 50,
     '김 연구원은 "내년에는 동물 실험을 시작할 수 있을 것"이라고 말했다'),
    # a connective followed by a new topic ("추출 효율은") joins two clauses
    ("연구팀은 바닷물에서 리튬을 추출하는 새로운 막을 개발했으며 추출 효율은 기존 방식의 세 배에 이른다", 40,
     "연구팀은 바닷물에서 리튬을 추출하는 새로운 막을 개발했다"),
    # a report date and a quotation frame
    ('박 교수는 지난 3일 기자간담회에서 "새 배터리는 기존 제품보다 충전 속도가 두 배 빠르다"라고 말했다.', 48,
     "박 교수는 기자간담회에서 새 배터리는 기존 제품보다 충전 속도가 두 배 빠르다."),
]


@pytest.mark.parametrize(("text", "limit", "expected"), KO_CASES)
def test_compress_ko(kiwi, text: str, limit: int, expected: str) -> None:  # noqa: ANN001
    assert len(text) > limit
    out = compress_ko(text, limit, kiwi)
    assert out == expected
    assert len(out) <= limit
    assert is_sentence_ko(out, kiwi), out
    assert "…" not in out


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        # no sentence at all: nothing grammatical fits (never a cut at a word)
        ("가나다라 마바사아 자차카타 파하가나 다라마바 사아자차 카타파하 가나다라 마바사아 자차카타", 40),
        # "수집하고" joins two verbs inside a noun's modifier, not two clauses: no cut there
        ("이번 연구 결과는 식물 뿌리가 빛을 포함한 다양한 외부 환경 정보를 수집하고 적절하게 반응한다는 사실을 "
         "밝혀냄으로써 가설 검증에 기여할 것으로 기대된다", 60),
        # the reported clause alone is still too long: None, never "...투입할 계획이"
        ("정부는 반도체 산업에 1조 2천억 원을 투입할 계획이라고 밝혔다", 30),
    ],
)
def test_compress_ko_none_rather_than_a_cut(kiwi, text: str, limit: int) -> None:  # noqa: ANN001
    assert compress_ko(text, limit, kiwi) is None


def test_compress_ko_uses_given_morphemes_and_checks_them(kiwi) -> None:  # noqa: ANN001
    text = "서울시가 내년 3월부터 시내버스 전 노선에 전기버스를 단계적으로 투입한다고 12일 밝혔다"
    expected = compress_ko(text, 45, kiwi)
    morphs = [Morph(t.form, t.tag, t.start, t.start + t.len) for t in kiwi.tokenize(text)]
    assert compress_ko(text, 45, kiwi, morphs) == expected
    # morphemes of another text are not trusted: the sentence is analysed again
    other = [Morph(t.form, t.tag, t.start, t.start + t.len) for t in kiwi.tokenize("정부는 새 정책을 발표했다")]
    assert compress_ko(text, 45, kiwi, other) == expected


def test_compress_ko_at_the_production_limit(kiwi) -> None:  # noqa: ANN001
    limit = DEFAULT_MAX_CHARS["ko"]
    assert limit == 100
    text = ("한국과학기술연구원은 치매 연구단 김영수 박사팀이 뇌종양 세포의 표면에서 과발현하는 단백질이 "
            "암의 전이를 조절하는 기능이 있다는 사실을 동물 실험으로 처음 규명했다고 13일 서울 본원에서 밝혔다")
    assert len(text) > limit
    out = compress_ko(text, limit, kiwi)
    assert out is not None and len(out) <= limit
    assert out.endswith("처음 규명했다") and is_sentence_ko(out, kiwi)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        # a trailing clause whose subject is a noun phrase
        ("The city council approved the new cycling plan for the town centre as the mayor prepared to "
         "leave office after eight years at the head of the city.", 100,
         "The city council approved the new cycling plan for the town centre."),
        # a leading participle phrase
        ("Impressed by the results of the first trial in the spring, the hospital has ordered twenty more "
         "of the robots for its busy wards in the north.", 110,
         "The hospital has ordered twenty more of the robots for its busy wards in the north."),
        # "it emerged today" and a time adverbial
        ("The ferry company cancelled all crossings to the islands on Friday and the harbour master closed "
         "the port, it emerged today.", 100,
         "The ferry company cancelled all crossings to the islands and the harbour master closed the port."),
        # a final adjunct phrase, only because nothing lighter fits
        ("Rescuers pulled two hikers from the river near the old mill late on Sunday evening after a search "
         "that lasted more than six hours in heavy rain.", 100,
         "Rescuers pulled two hikers from the river near the old mill late on Sunday evening."),
        # a leading infinitive phrase
        ("To mark the anniversary of the bridge, the town will hold a festival with music, food stalls and "
         "fireworks over the river in the summer.", 110,
         "The town will hold a festival with music, food stalls and fireworks over the river in the summer."),
    ],
)
def test_compress_en_more_drops(text: str, limit: int, expected: str) -> None:
    out = compress_en(text, limit)
    assert out == expected and len(out) <= limit and is_clause_en(out)


def test_light_drops_win_over_truncations() -> None:
    """An aside goes before a final phrase that carries content."""
    text = ("The museum, which opened in 1902 and was rebuilt after the war, will close for repairs "
            "during the winter months.")
    assert compress_en(text, 80) == "The museum will close for repairs during the winter months."


@pytest.mark.parametrize(
    ("text", "limit", "speaker"),
    [
        ("Critics said the plan was far too expensive for a city of its size and would take decades to pay "
         "back in full.", 100, "Critics"),
        ("It is alleged that the former mayor took bribes from three building firms in the years between "
         "2015 and 2019.", 90, "alleged"),
        ("The new drug is completely safe for children and adults of every age group, the company claimed on "
         "Monday.", 100, "claimed"),
        ("The bridge will never be finished on time, opponents of the scheme said at a meeting in the town "
         "hall.", 90, "opponents"),
    ],
)
def test_a_claim_keeps_its_speaker(text: str, limit: int, speaker: str) -> None:
    """Dropping the frame of a claim or an opinion would state it as fact: it stays, or the
    sentence is skipped."""
    out = compress_en(text, limit)
    assert out == _EXPECTED[text[:60], limit] and speaker in out


def test_concise_keeps_an_opinions_speaker() -> None:
    from models.text.style import concise_en

    out = concise_en("Critics said the plan was too expensive.", 140)
    assert out is not None and out.startswith("Critics")
    assert concise_en("Police said the driver was taken to hospital.", 140) == "The driver was taken to hospital."


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        # a closing participle phrase with commas of its own goes whole
        ("The young driver has joined a Dutch racing team for the regional Formula 4 series after a strong "
         "karting career, finishing second in the world, European and national championships last season.",
         140, "The young driver has joined a Dutch racing team for the regional Formula 4 series after a strong "
              "karting career."),
        ("Angry supporters protested outside the ground before the home draw, throwing eggs at the boardroom "
         "windows, chanting for the owner to leave and lighting flares by the main gate.", 100,
         "Angry supporters protested outside the ground before the home draw."),
        # a closing list after "including", with no comma before it
        ("A cottage which has stayed unchanged since the 1930s is up for sale complete with its original "
         "features including stained-glass windows, an oil-fired boiler and jars of food.", 120,
         "A cottage which has stayed unchanged since the 1930s is up for sale complete with its original features."),
        # a main verb in the present tense, seen by its object
        ("Jon Hale, 56, of Elm Township, faces several charges, including burglary, theft from a vehicle, "
         "criminal damage and resisting arrest, the county prosecutor's office said.", 100,
         "Jon Hale, 56, of Elm Township, faces several charges."),
    ],
)
def test_compress_en_closing_participle_phrase_over_commas(text: str, limit: int, expected: str) -> None:
    out = compress_en(text, limit)
    assert out == expected
    _check_en(out, limit)


@pytest.mark.parametrize(
    "text",
    [
        # no main verb before the participle: dropping it would leave a fragment
        "The huge swell, seen in images taken on board by passengers and crew members of the ferry, "
        "revealing just how rough, cold and dangerous the conditions are out there.",
        # a noun in -ing after the comma opens no participle phrase
        "The council approved the new budget for schools, libraries and roads on Tuesday, something the "
        "opposition, the unions and the local press had all demanded for years.",
    ],
)
def test_compress_en_no_closing_participle_without_a_main_verb_or_with_a_noun(text: str) -> None:
    assert compress_en(text, 100) is None


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        # a closing phrase after a preposition that never opens a clause, even with a verb inside it
        ("The council has denied it will miss the deadline following reports it has drawn up plans to "
         "delay the scheme.", 80, "The council has denied it will miss the deadline."),
        ("Up to 40 teachers could be banned from working in schools for life following an investigation "
         "into their alleged links to the scandal.", 100,
         "Up to 40 teachers could be banned from working in schools for life."),
        # a closing perfect participle phrase with no comma
        ("The captain thinks his side can still win the league having fought through a long and difficult "
         "season.", 70, "The captain thinks his side can still win the league."),
        # a closing appositive that ranks what was said, or describes the place just named
        ("Six men have been charged with fraud in a complaint unsealed on Monday, the latest executives "
         "accused of hiding losses from investors.", 100,
         "Six men have been charged with fraud in a complaint unsealed on Monday."),
        ("The swimmer died after being caught by strong currents off a beach near Port Alfred, a small "
         "town on the country's southern coast.", 90,
         "The swimmer died after being caught by strong currents off a beach near Port Alfred."),
        # a closing passive participle phrase after a comma
        ("The crane also recovered phones, chargers and cards from the roof of the prison, contained in a "
         "total of 14 wrapped packages.", 100,
         "The crane also recovered phones, chargers and cards from the roof of the prison."),
        # a closing "where" clause once the main verb was said, even over an aside of its own
        ("A man accused of fraud has pleaded not guilty to nine counts in court, where a prosecutor said "
         "one of the victims, a pensioner, lost her savings.", 100,
         "A man accused of fraud has pleaded not guilty to nine counts in court."),
        # an adverbial of little content
        ("The station's controller has branded listeners lazy and says selling classical music has become "
         "harder as a result.", 110,
         "The station's controller has branded listeners lazy and says selling classical music has become harder."),
        # "but" opening a clause whose subject is a quantifier
        ("Thousands of fans tried to copy the dance but one woman who keeps turning heads is a grandmother "
         "of five.", 60, "Thousands of fans tried to copy the dance."),
    ],
)
def test_compress_en_closing_adjuncts_and_appositives(text: str, limit: int, expected: str) -> None:
    out = compress_en(text, limit)
    assert out == expected
    _check_en(out, limit)


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        # the phrase completes what comes before it: a determiner, "be", a perfect participle
        ("The storm hit the coast and the village was cleared the following day.", 60),
        ("The new line is due to open in 2027 after years of delay and rising costs.", 40),
        ("The minister is having surgery on his knee.", 30),
        # a reduced relative clause that the phrase completes
        ("She ran the cyber division within the department created following the attacks of 2001.", 70),
        # a clause after the comma, not an appositive
        ("Mr Lee told investors that once the merger was completed, the company would cut its workforce "
         "by a fifth.", 80),
        # the verb an aside's subject was waiting for, not a participle phrase
        ("The singer has missed a fifth number one, after her song, Blue Rain, stormed to the top of the "
         "charts.", 80),
    ],
)
def test_compress_en_keeps_a_phrase_the_sentence_needs(text: str, limit: int) -> None:
    assert compress_en(text, limit) is None


def test_a_which_clause_before_its_verb_is_not_dropped_as_a_closing_one() -> None:
    # "which" may sit inside a reported clause whose verb follows: only the aside between commas goes
    out = compress_en("A report suggested the country, which holds large reserves, had plans to buy more euros.", 60)
    assert out == "A report suggested the country had plans to buy more euros."


@pytest.mark.parametrize(
    ("text", "limit", "bad"),
    [
        # ", and" after a short item with no verb ends a list: the list is not cut to its first items
        ("The kit has a detachable battery pack, two card slots, and Quick Label software which lets owners "
         "print their own stickers and covers.", 100, "The kit has a detachable battery pack, two card slots."),
        # a list of -ing forms is not a closing participle phrase
        ("Visitors might think these bright scenes of dancing, singing and beating drums were filmed somewhere "
         "in South America.", 80, "Visitors might think these bright scenes of dancing."),
    ],
)
def test_compress_en_never_cuts_a_list_short(text: str, limit: int, bad: str) -> None:
    assert len(bad) <= limit and is_clause_en(bad)  # the cut would fit and pass the clause check
    assert compress_en(text, limit) is None


def test_a_hyphenated_participle_phrase_goes_whole_and_a_phrase_after_an_ing_form_stays() -> None:
    text = ("The role led her to parts in several big studio films, co-starring with some of the best-known actors "
            "of the decade, including two Oscar winners.")
    assert compress_en(text, 90) == "The role led her to parts in several big studio films."
    # the phrase after "co-starring" is its complement: never "..., co-starring." (the old output)
    assert compress_en(text, 140) != "The role led her to parts in several big studio films, co-starring."


def test_a_clause_after_comma_and_is_still_dropped_when_no_list_comes_before() -> None:
    out = compress_en("The council approved the budget on Tuesday, and the mayor said the new library would open in "
                      "the spring of next year after a long delay.", 40)
    assert out == "The council approved the budget."


@pytest.mark.parametrize(
    ("text", "limit", "bad"),
    [
        # a leading phrase whose comma opens a relative clause: never a sentence that starts "Which"
        ("As a result 40% of the subscribers to the service, which uses a new broadcast technology, regularly "
         "click for more pictures, sounds and games from the operator.", 120,
         "Which uses a new broadcast technology, regularly click for more pictures, sounds and games from the "
         "operator."),
        # "a crushed and dislocated right foot": two modifiers of one noun, not a second verb phrase
        ("These included damage to her spine, a broken collarbone, broken ribs, a broken pelvis, fractures in "
         "her right leg, a crushed and dislocated right foot, and a dislocated shoulder.", 130,
         "These included damage to her spine, a broken collarbone, broken ribs, a broken pelvis, fractures in "
         "her right leg, a crushed."),
        # a wish undone by "but": the wish alone would say the opposite of the sentence
        ("A spokesman for the school district said he would love to comment on the allegations but that the "
         "lawsuit prevents him from saying anything.", 90,
         "A spokesman for the school district said he would love to comment on the allegations."),
    ],
)
def test_compress_en_refuses_a_shortening_that_changes_the_sentence(text: str, limit: int, bad: str) -> None:
    assert len(bad) <= limit  # the bad shortening would fit: the compressor must not take it
    out = compress_en(text, limit)
    assert out != bad and out == _EXPECTED[text[:60], limit]
    out = compress_en(text, limit)
    if out is not None:
        _check_en(out, limit)


@pytest.mark.parametrize(
    ("text", "limit", "bad"),
    [
        # a verb of motion, a focusing adverb or a number before the closing phrase needs it
        ("Along with the two ministers, he then went on a long tour of the new job centre in the south of the "
         "city.", 60, "Along with the two ministers, he then went."),
        ("The carmaker remains ahead of its old rival even after the sales of the larger models are counted.", 60,
         "The carmaker remains ahead of its old rival even."),
        ("The team have now lost four in a row at the start of the season.", 36, "The team have now lost four."),
        ("The coach has urged his players to forget the cup run and concentrate on the title race.", 70,
         "The coach has urged his players to forget the cup run and concentrate."),
    ],
)
def test_compress_en_keeps_the_phrase_a_word_before_it_needs(text: str, limit: int, bad: str) -> None:
    assert len(bad) <= limit and is_clause_en(bad)  # the cut would fit and pass the clause check
    assert compress_en(text, limit) is None


def test_is_clause_en_rejects_a_relative_clause_at_the_front() -> None:
    assert not is_clause_en("Which uses a new broadcast technology, regularly click for more pictures.")
    assert is_clause_en("Which team will win the league this season?")


def test_a_colon_before_a_title_or_a_list_is_not_a_clause_boundary() -> None:
    text = ("The pair worked on a number of horror sequels, including Night Watch II, Night Watch: Resurrection "
            "and Night Watch: The Last Shift.")
    out = compress_en(text, 100)
    assert out == "The pair worked on a number of horror sequels."
    cut = "The pair worked on a number of horror sequels, including Night Watch II, Night Watch."
    assert compress_en(text, 110) != cut


def test_one_of_a_pair_of_times_is_not_dropped_alone() -> None:
    text = ("Opposition MPs are angry they will have only two days - Wednesday and next Monday - to debate the "
            "new plans before they pass to the upper house.")
    # "next Monday" alone is a time adverbial; here it is half of the aside, which goes whole or stays
    assert compress_en(text, 110) == ("Opposition MPs are angry they will have only two days - Wednesday and next "
                                      "Monday - to debate the new plans.")
    assert compress_en(text, 100) == "Opposition MPs are angry they will have only two days to debate the new plans."


def test_a_quotation_is_never_shortened_but_what_is_around_it_may_be() -> None:
    from models.text.compress import quote_spans

    quoted = ('The captain said: "We are delighted with the result, and we knew that if we played well we would '
              'win the match."')
    # the drop inside the quote would have fitted: 'The captain said: "We are delighted with the result."'
    assert compress_en(quoted, 70) is None
    # an attribution outside a quotation still goes, the quotation whole
    out = compress_en('The council called the plan to sell the old library "a fair deal for the town", a spokesman '
                      'for the mayor said on Monday.', 80)
    assert out == 'The council called the plan to sell the old library "a fair deal for the town".'
    out = compress_en('"We will build the new line by 2030, whatever it costs," the minister told reporters at the '
                      'station on Monday.', 90)
    assert out == '"We will build the new line by 2030, whatever it costs," the minister told reporters.'
    # what counts as a quotation: double marks (left open: to the end), single marks around words;
    # not an apostrophe ("'90s", "fans'")
    text = "Fans' anger grew after the '90s star called it 'a joke' and said: \"We go on"
    assert [text[a:b] for a, b in quote_spans(text)] == ["'a joke'", '"We go on']


@pytest.mark.parametrize(
    ("text", "limit", "bad"),
    [
        # an aside between commas before the main verb is no closing participle phrase
        ("The cameras and editing software have been provided by the regional broadcaster but this equipment, "
         "following training, has been handed over to the villagers.", 110,
         "The cameras and editing software have been provided by the regional broadcaster but this equipment."),
        # "not ... but": the "but" half goes with the "not" half or stays
        ("The warm reception for the new game is a reflection not of any clever innovation in its design, but of "
         "its simple approach and the nostalgia of its fans.", 100,
         "The warm reception for the new game is a reflection not of any clever innovation in its design."),
        # a title's colon is no clause boundary
        ("The warm reception that has greeted Space Wars: Frontline is a sign that players still want simple "
         "games they can pick up and play.", 60, "The warm reception that has greeted Space Wars."),
        # an infinitive's complement, and a time word's time
        ("Having helped build the early web, she is well placed to take on the new role of chief scientist.", 50,
         "She is well placed to take."),
        ("Late on Tuesday the exchange said it would raise its dividend.", 55,
         "Late the exchange said it would raise its dividend."),
        # an -ing phrase after "and" that the verb of its clause follows
        ("The blocking began early so viewers outside the country and trying to watch the clips got a warning "
         "message instead.", 80, "The blocking began early so viewers outside the country."),
        # a leading phrase that runs into the subject, whose aside follows the comma
        ("In the meantime a billboard, paid for by the local police association, has been put up beside the "
         "main road.", 80, "Paid for by the local police association, has been put up beside the main road."),
        # "not ... until": the closing phrase says when the negation ends
        ("The striker's contract with the champions does not expire until the end of next season.", 70,
         "The striker's contract with the champions does not expire."),
        # a time adverbial that a preposition needs ("around next Thursday")
        ("The minister said the results of the debt talks would be ready around next Thursday.", 80,
         "The minister said the results of the debt talks would be ready around."),
    ],
)
def test_compress_en_keeps_what_the_sentence_still_needs(text: str, limit: int, bad: str) -> None:
    assert len(bad) <= limit  # the bad shortening would fit: the compressor must not take it
    out = compress_en(text, limit)
    assert out != bad and out == _EXPECTED[text[:60], limit]


def test_a_list_of_times_keeps_each_of_them() -> None:
    text = ("The airline had to cancel about 65 flights on Thursday, 180 on Friday, 140 on Saturday and 43 on "
            "Sunday, industry officials said.")
    assert compress_en(text, 115) == ("The airline had to cancel about 65 flights on Thursday, 180 on Friday, 140 "
                                      "on Saturday and 43 on Sunday.")


def test_compress_ko_never_cuts_a_quotation_to_one_clause(kiwi) -> None:  # noqa: ANN001
    text = ("김 장관은 “정부는 내년부터 전기버스 보급을 지금의 두 배로 늘릴 것이며 그러한 상황에서 충전소는 전국에 "
            "만 곳 이상 새로 세울 계획이다”고 말했다.")
    cut = "김 장관은 정부는 내년부터 전기버스 보급을 지금의 두 배로 늘릴 것이다."
    assert len(cut) <= 60 and is_sentence_ko(cut, kiwi)  # it would fit and read as a sentence
    # the speaker's words, cut to their first clause, would misquote: nothing within 60 characters
    assert compress_ko(text, 60, kiwi) is None
    # an indirect report (no quotation marks) may still be cut to its first clause
    out = compress_ko("정부는 내년부터 전기버스 보급을 지금의 두 배로 늘릴 것이며, "
                      "충전소는 전국에 만 곳 이상 새로 세울 계획이라고 김 장관이 밝혔다.", 60, kiwi)
    assert out == "정부는 내년부터 전기버스 보급을 지금의 두 배로 늘릴 것이다."


@pytest.mark.parametrize(
    ("text", "limit", "bad"),
    [
        # a closing relative clause that the main verb follows further on, after another comma
        ("The carmaker argues that a share sale made last year, which cut its stake to 10%, together with other "
         "asset sales has ended the old agreement.", 120, "The carmaker argues that a share sale made last year."),
        # a closing participle phrase inside a dash aside: the main verb comes after the second dash
        ("The US ban on trade with the country - imposed in 1986 after a series of attacks, including the bombing "
         "of a jet - was lifted in April.", 100,
         "The US ban on trade with the country - imposed in 1986 after a series of attacks."),
    ],
)
def test_compress_en_keeps_the_main_verb_after_a_relative_or_a_dash(text: str, limit: int, bad: str) -> None:
    assert len(bad) <= limit
    out = compress_en(text, limit)
    assert out != bad and out == _EXPECTED[text[:60], limit]
    if out is not None:
        _check_en(out, limit)


def test_a_dash_pair_that_opens_with_and_is_part_of_the_subject() -> None:
    text = ("The theme of children's literature in the actor's career - and his long association with the "
            "director - are set to continue in his next role.")
    bad = "The theme of children's literature in the actor's career are set to continue in his next role."
    assert len(bad) <= 100 and compress_en(text, 100) is None  # no shortening keeps the subject whole


def test_an_acronym_is_no_subject_of_a_plain_verb() -> None:
    assert not is_clause_en("The US ban on trade and economic activity with the country.")
    assert is_clause_en("The Gunners travel to Burnley on Saturday.")


def test_a_time_after_a_reduced_relative_stays() -> None:
    from models.text.compress import en_drops

    text = "The carmaker argues that a share sale made last year, which cut its stake, has ended the agreement."
    assert not [d for d in en_drops(text) if d.kind == "time"]  # "a share sale made, which ..." is no sentence


# What each case above gives now (None: no shortening is acceptable, the sentence is skipped), so a
# different shortening fails as surely as the bad one each case names.
_EXPECTED: dict[tuple[str, int], str | None] = {
    ('Critics said the plan was far too expensive for a city of it', 100):
        'Critics said the plan was far too expensive for a city of its size.',
    ('It is alleged that the former mayor took bribes from three b', 90):
        'It is alleged that the former mayor took bribes from three building firms.',
    ('The new drug is completely safe for children and adults of e', 100):
        'The new drug is completely safe for children and adults of every age group, the company claimed.',
    ('The bridge will never be finished on time, opponents of the ', 90):
        'The bridge will never be finished on time, opponents of the scheme said.',
    ('As a result 40% of the subscribers to the service, which use', 120):
        None,
    ('These included damage to her spine, a broken collarbone, bro', 130):
        None,
    ('A spokesman for the school district said he would love to co', 90):
        None,
    ('The cameras and editing software have been provided by the r', 110):
        'The cameras and editing software have been provided by the regional broadcaster.',
    ('The warm reception for the new game is a reflection not of a', 100):
        None,
    ('The warm reception that has greeted Space Wars: Frontline is', 60):
        None,
    ('Having helped build the early web, she is well placed to tak', 50):
        None,
    ('Late on Tuesday the exchange said it would raise its dividen', 55):
        None,
    ('The blocking began early so viewers outside the country and ', 80):
        None,
    ('In the meantime a billboard, paid for by the local police as', 80):
        None,
    ("The striker's contract with the champions does not expire un", 70):
        None,
    ('The minister said the results of the debt talks would be rea', 80):
        'The results of the debt talks would be ready around next Thursday.',
    ('The carmaker argues that a share sale made last year, which ', 120):
        None,
    ('The US ban on trade with the country - imposed in 1986 after', 100):
        'The US ban on trade with the country was lifted in April.',
}
