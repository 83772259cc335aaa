"""Edges of input as a new user meets them: other languages, navigation-only pages, a deck line
under the headline, an article pasted twice."""
from __future__ import annotations

import pytest

FRENCH = (
    "Le conseil municipal a approuvé lundi un nouveau budget pour les écoles de la ville après un long débat. "
    "Le plan prévoit 300 enseignants supplémentaires sur trois ans et la rénovation de quarante bâtiments anciens. "
    "Les associations de parents ont salué le vote, tout en prévenant que l'argent pourrait ne pas suffire. "
    "Le maire a déclaré que les travaux commenceraient dès la rentrée prochaine."
)
GERMAN = (
    "Der Stadtrat hat am Montag nach langer Debatte einen neuen Haushalt für die Schulen der Stadt beschlossen. "
    "Der Plan sieht in drei Jahren 300 zusätzliche Lehrer und die Sanierung von vierzig alten Gebäuden vor. "
    "Elternverbände begrüßten die Abstimmung, warnten aber, dass das Geld nicht reichen könnte. "
    "Der Bürgermeister sagte, die Arbeiten würden im nächsten Schuljahr beginnen."
)
JAPANESE = ("東京都は13日、来年度から都内の全てのバス路線に電気バスを導入すると発表した。"
            "AIを使った運行管理も始める。都は2030年までに約7千台を切り替える計画だ。")
CHINESE = "北京市政府周一宣布，明年起将在全市所有公交线路上投入电动公交车。该计划预计耗资一百二十亿元。"
RUSSIAN = ("Городской совет в понедельник утвердил новый бюджет для школ города после долгих дебатов. "
           "План предусматривает 300 новых учителей за три года.")


@pytest.mark.parametrize(("text", "named"), [
    (FRENCH, "French"), (GERMAN, "German"), (JAPANESE, "Japanese"), (CHINESE, "Chinese"), (RUSSIAN, "Cyrillic"),
], ids=["fr", "de", "ja", "zh", "ru"])
def test_other_languages_are_refused_naming_what_was_detected(client, text: str, named: str) -> None:  # noqa: ANN001
    r = client.post("/v1/summarize", json={"text": text})
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "unsupported_language" and named in error["message"]


def test_explicit_source_lang_is_honoured(client) -> None:  # noqa: ANN001
    """The caller who says the text is English gets English processing (no detection runs)."""
    r = client.post("/v1/summarize", json={"text": FRENCH, "source_lang": "en"})
    assert r.status_code == 200


@pytest.mark.parametrize(("text", "lang"), [
    # an English article quoting French, and one full of foreign names
    ("The mayor of Lyon said on Monday the city would open three new schools next year. "
     "\"Nous sommes très fiers de ce projet,\" she told reporters, adding that work starts in May. "
     "The schools will take 1,200 pupils between them. Parents welcomed the plan.", "en"),
    ("Lee Jae-yong met Kim Jong-un in Pyongyang. Moon Jae-in said so.", "en"),
    # Korean with Chinese characters and a Japanese company name
    ("與野는 13일 국회에서 내년 예산안을 합의했다고 밝혔다. 소니(ソニー)와 삼성전자는 반도체 협력을 논의했다. "
     "정부는 예산안이 다음 주 본회의를 통과할 것으로 내다봤다.", "ko"),
], ids=["en-quoting-fr", "en-names", "ko-hanja-kana"])
def test_mixed_text_whose_article_is_korean_or_english_still_works(client, text: str, lang: str) -> None:  # noqa: ANN001
    r = client.post("/v1/summarize", json={"text": text})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["source_lang"] == lang


@pytest.mark.parametrize("html", [
    "<nav>Home News</nav>",
    "<html><body><nav><a href='/'>Home</a> <a href='/n'>News</a> <a href='/s'>Sports</a></nav></body></html>",
    "<div role='navigation'><ul><li><a href='/'>Home</a></li><li><a href='/w'>World News</a></li></ul></div>",
])
def test_navigation_only_html_is_unprocessable(client, html: str) -> None:  # noqa: ANN001
    r = client.post("/v1/summarize", json={"html": html})
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["code"] == "unprocessable_text"


def test_article_wrapped_in_nav_still_summarized(client) -> None:  # noqa: ANN001
    body = (
        "<p>The council approved the new budget for the city's schools on Monday after a long debate.</p>"
        "<p>The plan adds 300 teachers over three years and repairs forty old buildings.</p>"
        "<p>Parents' groups welcomed the vote but warned that the money may not be enough.</p>")
    r = client.post("/v1/summarize", json={"html": f"<html><body><nav>{body}</nav></body></html>",
                                           "source_lang": "en"})
    assert r.status_code == 200, r.get_json()


RECEIPTS_EN = [
    "Supermarkets to stop printing receipts by default from July",
    "Customers can still ask for a printed copy at the till",
    "By Jane Doe, Business reporter",
    "The country's three largest supermarket chains will stop printing paper receipts by default from July, "
    "the industry association said on Monday.",
    "Shoppers will instead receive a receipt in the chains' mobile apps, and a printed copy only when they ask "
    "for one at the checkout.",
    "The association said the change would save about 1,500 tonnes of thermal paper a year, most of which "
    "cannot be recycled.",
    "Consumer groups welcomed the move but said older customers without smartphones must not be left out.",
]
RECEIPTS_KO = [
    "대형마트 3사, 7월부터 종이 영수증 기본 발급 중단",
    "\"원하면 출력 가능\"…모바일 영수증으로 전환",
    "김하늘 기자 입력 2026.05.12 10:30",
    "이마트와 롯데마트, 홈플러스 등 대형마트 3사가 7월부터 종이 영수증을 기본으로 발급하지 않기로 했다고 12일 밝혔다.",
    "고객은 앞으로 각 사의 모바일 앱으로 전자 영수증을 받게 되며, 계산대에서 요청할 때만 종이 영수증을 받을 수 있다.",
    "업계는 이번 조치로 재활용이 어려운 감열지 사용을 연간 약 1천500t 줄일 수 있을 것으로 내다봤다.",
    "소비자단체는 환영하면서도 스마트폰이 없는 고령층이 불편을 겪지 않도록 해야 한다고 지적했다.",
]
MENU = {"en": ["Skip to main content", "Daily Herald", "News", "Business", "Sport", "Opinion", "Business > Retail"],
        "ko": ["본문 바로가기", "한빛일보", "정치", "경제", "사회", "국제", "경제 > 유통"]}


@pytest.mark.parametrize(("lines", "lang"), [(RECEIPTS_EN, "en"), (RECEIPTS_KO, "ko")], ids=["en", "ko"])
def test_headline_is_the_title_when_a_deck_follows(client, lines: list[str], lang: str) -> None:  # noqa: ANN001
    for page in (lines, MENU[lang] + lines):
        body = client.post("/v1/summarize", json={"text": "\n".join(page)}).get_json()
        assert body["title"] == lines[0], body.get("title")
        assert all(lines[1] not in b["text"] and lines[2] not in b["text"] for b in body["bullets"])


@pytest.mark.parametrize(("lines", "sep"), [(RECEIPTS_EN, "\n"), (RECEIPTS_KO, "\n\n")], ids=["en", "ko"])
def test_an_article_pasted_twice_gives_the_bullets_of_one(client, lines: list[str], sep: str) -> None:  # noqa: ANN001
    once = "\n".join(lines)
    single = client.post("/v1/summarize", json={"text": once}).get_json()
    double = client.post("/v1/summarize", json={"text": once + sep + once}).get_json()
    assert "bullets" in double, double
    assert [b["text"] for b in double["bullets"]] == [b["text"] for b in single["bullets"]]
    assert all(s["end"] <= len(once) for b in double["bullets"] for s in b["sources"])  # from the first copy


def test_korean_channel_page_with_long_menu_and_ticker(engine) -> None:  # noqa: ANN001
    """A news channel's pasted page: a 150-line menu, a ticker of other headlines above and below the
    article, the tip line, copyright and a browser notice (written for this project)."""
    from models import SummarizeRequest

    sections = ["본문 바로가기", "한빛TV", "뉴스", "정치", "경제", "사회", "전국", "국제", "과학", "문화",
                "스포츠", "연예", "날씨", "랭킹", "영상", "오피니언", "이슈", "팩트체크", "생방송", "편성표",
                "다시보기"]
    ticker = ["[속보] 한은, 기준금리 3.25%로 동결", "서울 아침 영하 5도…내일 전국 곳곳 눈",
              "국회, 내년도 예산안 본회의 통과", "[단독] 검찰, 전직 장관 소환 조사 방침",
              "프로야구 FA 시장 개막…최대어는 누구", "해외직구 급증에 소비자 피해도 늘어"]
    body = ["정부가 내년부터 전국 모든 초등학교에 늘봄학교를 전면 도입하기로 했다.",
            "교육부는 12일 이런 내용을 담은 '늘봄학교 추진 방안'을 발표했다.",
            "이에 따라 초등학교 1학년 학생은 희망하면 누구나 오후 8시까지 학교에 머물며 "
            "다양한 프로그램에 참여할 수 있다.",
            "교육부는 필요한 인력 확보를 위해 교사 업무를 덜어줄 전담 인력 2천여 명을 새로 채용할 계획이다.",
            "다만 교원단체들은 현장 준비가 충분하지 않다며 속도 조절이 필요하다고 지적했다."]
    headline = "늘봄학교 내년 전면 도입…초1은 누구나 오후 8시까지"
    page = "\n".join([
        *sections * 7, headline, "이하늘 기자 입력 2026.12.12 10:30", *ticker[:3], *body,
        "이하늘 기자 sky@hanbit.example",
        "※ '당신의 제보가 뉴스가 됩니다' 한빛TV는 여러분의 소중한 제보를 기다립니다.",
        "[저작권자(c) 한빛TV 무단전재, 재배포 및 AI 데이터 활용 금지]", "많이 본 뉴스", *ticker,
        "사용 중이신 인터넷 익스플로러(Internet Explorer)에서는 일부 기능 사용에 제한이 발생할 수 있습니다.",
    ])
    result = engine.summarize(SummarizeRequest(text=page))
    assert result.title == headline
    assert len(result.bullets) == 3 and result.bullets[0].text == body[0]
    assert all(any(s.text in line for line in body) for b in result.bullets for s in b.sources)
