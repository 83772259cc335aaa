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
