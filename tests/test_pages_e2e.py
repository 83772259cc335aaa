"""Real pages end to end: pasted pages (English and Korean, shaped like the issue's JoongAng Daily
example) and raw HTML through the engine, the HTTP contract for ``html``, the CLI and the batch job.

The pages are written for this project; no evaluation page is copied here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from models import Engine, InputRejected, SummarizeRequest
from models.jobs import run_batch
from service import Settings, create_app

EN_BODY = [
    "Meta CEO Mark Zuckerberg will visit Korea this month to meet Samsung Electronics executives about AI chips, "
    "industry sources said Tuesday.",
    "The visit would be his first to Korea in nearly ten years, and the talks are expected to focus on custom "
    "semiconductors for Meta's AI data centers.",
    "Meta has been spending heavily on computing capacity as it races rivals to build larger language models.",
    "Samsung declined to confirm the schedule but said it keeps close ties with global technology companies.",
]
EN_CAPTION = ("Meta's CEO Mark Zuckerberg testifies during the Senate Judiciary Committee hearing on online child "
              "safety at the U.S. Capitol in Washington on Jan. 31. [REUTERS]")
EN_PASTED = "\n".join([
    "Zuckerberg to visit Korea, meet Samsung on AI chips",
    "Home > Business > Industry",
    "print dictionary print",
    EN_CAPTION,
    EN_CAPTION,
    *EN_BODY,
    "BY PARK EUN-JEE, YONHAP [park.eunjee@example.com]",
    "Log in to Twitter or Facebook account to connect",
    "with the Korea JoongAng Daily",
    "help-image Social comment?",
    "lock icon",
    "To write comments, please log in to one of the accounts.",
    "Standards Board Policy (0/250)",
])

KO_BODY = [
    "마크 저커버그 메타 최고경영자가 이달 말 한국을 찾아 삼성전자 경영진과 인공지능 반도체 협력 방안을 논의할 "
    "예정이라고 업계 관계자들이 13일 밝혔다.",
    "저커버그의 방한은 약 10년 만으로, 삼성과의 만남에서는 메타의 AI 데이터센터용 맞춤형 반도체가 주요 의제가 될 "
    "것으로 보인다.",
    "메타는 대형 언어모델 경쟁에서 앞서기 위해 연산 설비에 막대한 투자를 하고 있으며 자체 설계한 칩의 공급처를 "
    "늘리려 한다.",
    "삼성전자는 일정을 확인해 주지 않았지만 글로벌 기술 기업들과 긴밀한 관계를 유지하고 있다고 말했다.",
]
KO_CAPTION = ("지난달 31일 미국 워싱턴 의사당에서 열린 상원 청문회에서 마크 저커버그 메타 최고경영자가 증언하고 있다. "
              "[사진 = 로이터]")
KO_PASTED = "\n".join([
    "저커버그, 이달 방한…삼성과 AI 반도체 협력 논의",
    "홈 > 경제 > 산업",
    "인쇄 공유",
    KO_CAPTION,
    KO_CAPTION,
    "(서울=한빛뉴스) 김하늘 기자 = " + KO_BODY[0],
    *KO_BODY[1:],
    "김하늘 기자 sky@hanbit.example",
    "저작권자 ⓒ 한빛뉴스, 무단전재 및 재배포 금지",
    "관련기사",
    "삼성전자, 차세대 AI 칩 양산 돌입",
    "메타, AI 투자 확대 발표",
    "SK하이닉스, 고대역폭 메모리 공급 계약 체결",
    "댓글을 작성하려면 로그인하세요",
])


def html_page(title: str, body: list[str], lang: str = "en") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body)
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><title>{title} | Daily</title>"
        "<script>window.ads = [];</script><style>p { margin: 0 }</style></head><body>"
        "<nav><a href='/'>Home</a> <a href='/business'>Business</a> <a href='/login'>Log in</a></nav>"
        f"<article><h1>{title}</h1><figure><img src='https://203.0.113.5/p.jpg'>"
        "<figcaption>Photo caption under the picture [REUTERS]</figcaption></figure>"
        f"{paragraphs}</article>"
        "<aside><h3>Related</h3><ul><li><a href='/x'>Another story about chips</a></li></ul></aside>"
        "<footer>Copyright 2026 Daily. All rights reserved.</footer></body></html>"
    )


def _in_body(bullet_sources: list, text: str, body: list[str]) -> bool:
    return all(any(text[s.start:s.end] in para for para in body) for s in bullet_sources)


@pytest.mark.parametrize(("pasted", "body", "visit", "caption"), [
    (EN_PASTED, EN_BODY, "visit Korea", EN_CAPTION),
    (KO_PASTED, KO_BODY, "한국을 찾아", KO_CAPTION),
])
def test_pasted_page_gives_three_bullets_from_the_article(
    engine: Engine, pasted: str, body: list[str], visit: str, caption: str
) -> None:
    result = engine.summarize(SummarizeRequest(text=pasted, method="extractive"))
    bullets = result.bullets
    assert len(bullets) == 3
    assert visit in bullets[0].text  # the article's point comes first
    for b in bullets:
        assert _in_body(b.sources, pasted, body), b.text
        assert not b.text.endswith(("…", "...")), b.text
        assert b.text not in caption and "REUTERS" not in b.text and "로이터" not in b.text
        assert all(pasted[s.start:s.end] == s.text for s in b.sources)
    assert result.title == pasted.split("\n")[0]  # the headline is the title signal, not a bullet
    assert result.text is None  # plain text: offsets point into the submitted text


@pytest.mark.parametrize("text", [
    "(서울=한빛뉴스) 김하늘 기자 =",
    "BY JANE DOE [jane@example.com]\nHome > News",
    # a headline and chrome: the headline is never a bullet on its own
    "Port to open second container terminal\nBy Jane Doe\nShare this article",
])
def test_chrome_only_text_is_unprocessable(engine: Engine, text: str) -> None:
    with pytest.raises(InputRejected):
        engine.summarize(SummarizeRequest(text=text))


def test_a_short_article_on_one_line_above_the_share_bar_is_summarized(engine: Engine) -> None:
    article = ("The port authority will open a second container terminal next spring, officials said. "
               "The terminal is expected to double capacity and create 1,200 jobs. Construction began two years ago.")
    text = "\n".join(["Home", "News", "World", "Port to open second terminal", "By Jane Doe", article,
                      "Share this article"])
    result = engine.summarize(SummarizeRequest(text=text))
    assert [b.text for b in result.bullets] == [
        "The port authority will open a second container terminal next spring, officials said.",
        "The terminal is expected to double capacity and create 1,200 jobs.",
        "Construction began two years ago.",
    ]


@pytest.mark.parametrize(("title", "body", "lang", "visit"), [
    ("Zuckerberg to visit Korea, meet Samsung on AI chips", EN_BODY, "en", "visit Korea"),
    ("저커버그, 이달 방한…삼성과 AI 반도체 협력 논의", KO_BODY, "ko", "한국을 찾아"),
])
def test_html_page_through_the_engine(engine: Engine, title: str, body: list[str], lang: str, visit: str) -> None:
    result = engine.summarize(SummarizeRequest(html=html_page(title, body, lang), method="extractive"))
    assert result.title == title
    assert result.text is not None and all(p in result.text for p in body)
    assert "Copyright" not in result.text and "Related" not in result.text
    assert len(result.bullets) == 3 and visit in result.bullets[0].text
    for b in result.bullets:
        assert all(result.text[s.start:s.end] == s.text for s in b.sources)
        assert _in_body(b.sources, result.text, body)
    assert "extract" in result.timings_ms and "chrome" in result.timings_ms


# --- HTTP -----------------------------------------------------------------------------------


@pytest.fixture()
def prod_client(engine: Engine):
    """The production limits: SUMMARIZER_MAX_HTML_BYTES and SUMMARIZER_MAX_BODY_BYTES at their defaults."""
    return create_app(Settings(), engine=engine).test_client()


def test_http_html_response_carries_text_and_title(client) -> None:
    html = html_page("Zuckerberg to visit Korea, meet Samsung on AI chips", EN_BODY)
    resp = client.post("/v1/summarize", json={"html": html})
    assert resp.status_code == 200, resp.get_json()
    data = resp.get_json()
    assert data["title"] == "Zuckerberg to visit Korea, meet Samsung on AI chips"
    for bullet in data["bullets"]:
        for src in bullet["sources"]:
            assert data["text"][src["start"]:src["end"]] == src["sentence"]


@pytest.mark.parametrize(("path", "extra"), [("/v1/summarize", {}), ("/v1/translate", {"target_lang": "en"})])
@pytest.mark.parametrize("body", [{}, {"text": "The council met.", "html": "<p>The council met.</p>"}])
def test_exactly_one_of_text_and_html(client, path: str, extra: dict, body: dict) -> None:
    resp = client.post(path, json={**body, **extra})
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "validation_error"
    assert "'text'" in err["message"] and "'html'" in err["message"]


@pytest.mark.parametrize("field", ["text", "html"])
def test_null_text_or_html_is_refused(client, field: str) -> None:
    other = "html" if field == "text" else "text"
    resp = client.post("/v1/summarize", json={field: None, other: "<p>The council met on Monday.</p>"})
    assert resp.status_code == 422 and field in resp.get_json()["error"]["message"]


def _page_of_size(size: int) -> str:
    page = html_page("Zuckerberg to visit Korea, meet Samsung on AI chips", EN_BODY)
    filler = size - len(page.encode()) - len("<!---->")
    return page + "<!--" + "x" * filler + "-->"


def test_413_over_the_default_html_limit(prod_client) -> None:
    limit = Settings().max_html_bytes
    assert limit == 1_000_000
    at_limit = _page_of_size(limit)
    assert len(at_limit.encode()) == limit
    resp = prod_client.post("/v1/summarize", json={"html": at_limit})
    assert resp.status_code == 200, resp.get_json()
    resp = prod_client.post("/v1/summarize", json={"html": at_limit + "x"})
    assert resp.status_code == 413
    err = resp.get_json()["error"]
    assert err["code"] == "payload_too_large" and err["details"] == {"field": "html", "limit_bytes": limit}
    resp = prod_client.post("/v1/translate", json={"html": at_limit + "x", "target_lang": "ko"})
    assert resp.status_code == 413


def test_batch_items_with_html(prod_client) -> None:
    limit = Settings().max_html_bytes
    items = [
        {"html": html_page("Zuckerberg to visit Korea, meet Samsung on AI chips", EN_BODY)},
        {"text": "x", "html": "<p>x</p>"},
        {"html": "<p>" + "a" * limit + "</p>"},
        {"text": EN_PASTED},
    ]
    resp = prod_client.post("/v1/summarize/batch", json={"items": items})
    assert resp.status_code == 200
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == [200, 422, 413, 200]
    first = results[0]["result"]
    assert first["title"] and all(
        first["text"][s["start"]:s["end"]] == s["sentence"] for b in first["bullets"] for s in b["sources"]
    )
    assert "text" not in results[3]["result"]  # plain text: sources point into the submitted text


@pytest.mark.parametrize(("html", "status"), [
    ("<div>" * 50_000 + "<p>deep</p>", {200, 422}),
    ("<div><p>word</p></div>" * 6_000, {422}),
    ('<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
     '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><p>&c;&c;&c;&c;&c;&c;</p><p>' + EN_BODY[0] + "</p>", {200, 422}),
])
def test_bombs_get_an_answer(prod_client, html: str, status: set[int]) -> None:
    resp = prod_client.post("/v1/summarize", json={"html": html})
    assert resp.status_code in status, resp.get_json()
    if resp.status_code == 422:
        assert resp.get_json()["error"]["code"] == "unprocessable_text"
    else:
        assert "aaaaaaaaaa" not in resp.get_json()["text"]


def test_byline_only_korean_is_422(client) -> None:
    resp = client.post("/v1/summarize", json={"text": "(서울=한빛뉴스) 김하늘 기자 ="})
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "unprocessable_text"


def test_translate_html(model_client) -> None:
    resp = model_client.post("/v1/translate", json={"html": html_page("Port news", EN_BODY[:2]), "target_lang": "ko"})
    assert resp.status_code == 200, resp.get_json()
    data = resp.get_json()
    assert data["title"] == "Port news" and EN_BODY[0] in data["source_text"]
    for s in data["sentences"]:
        assert data["source_text"][s["source"]["start"]:s["source"]["end"]] == s["source"]["sentence"]


# --- CLI and batch job ------------------------------------------------------------------------


def test_cli_summarize_html(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import service.__main__ as cli

    page = tmp_path / "page.html"
    page.write_text(html_page("Zuckerberg to visit Korea, meet Samsung on AI chips", EN_BODY), encoding="utf-8")
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    assert cli.main(["summarize", "--html", str(page), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["title"] == "Zuckerberg to visit Korea, meet Samsung on AI chips"
    assert len(data["bullets"]) == 3 and "visit Korea" in data["bullets"][0]["text"]


def test_batch_job_rows_with_html(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {"id": "page", "html": html_page("Zuckerberg to visit Korea, meet Samsung on AI chips", EN_BODY)},
        {"id": "both", "text": "x", "html": "<p>x</p>"},
        {"id": "pasted", "text": KO_PASTED},
    ]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    report = run_batch(engine, src, out, progress=False)
    assert report.done == 2 and [f["id"] for f in report.failed] == ["both"]
    results = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    page = results["page"]
    assert page["title"] and len(page["sources"]) == len(page["bullets"]) == 3
    # every source span slices the row's extracted text to exactly one sentence of the article's body
    # (each paragraph of EN_BODY and KO_BODY is one sentence)
    for spans in page["sources"]:
        assert spans and all(page["text"][s["start"]:s["end"]] in EN_BODY for s in spans), spans
    pasted = results["pasted"]
    assert "text" not in pasted and pasted["title"] == KO_PASTED.split("\n")[0]
    # for text rows the spans slice the text as sent
    for spans in pasted["sources"]:
        assert spans and all(KO_PASTED[s["start"]:s["end"]] in KO_BODY for s in spans), spans


# --- the web page -----------------------------------------------------------------------------

from tests.test_browser import _submit, _wait, base, browser  # noqa: E402,F401 - shared fixtures


@pytest.mark.parametrize("kind", ["auto", "html"])
def test_web_page_takes_html_and_highlights_in_the_extracted_text(browser, base: str, kind: str) -> None:  # noqa: F811
    d = browser
    d.get(base + "/")
    _submit(d, html_page("Zuckerberg to visit Korea, meet Samsung on AI chips", EN_BODY), input_kind=kind)
    _wait(d, lambda drv: len(drv.find_elements("css selector", "#bullets li")) == 3)
    assert "input: HTML" in d.find_element("id", "meta").text
    assert d.find_element("id", "page_title").text == "Title: Zuckerberg to visit Korea, meet Samsung on AI chips"
    article = d.find_element("id", "article").text
    assert "<p>" not in article and "Copyright" not in article and EN_BODY[1] in article
    d.find_elements("css selector", "#bullets li")[0].click()
    marks = [m.text for m in d.find_elements("css selector", "#article mark.active")]
    assert marks and all(any(m in p for p in EN_BODY) for m in marks)


def test_web_page_pasted_page_stays_text(browser, base: str) -> None:  # noqa: F811
    d = browser
    d.get(base + "/")
    _submit(d, EN_PASTED)
    _wait(d, lambda drv: len(drv.find_elements("css selector", "#bullets li")) == 3)
    assert "input: text" in d.find_element("id", "meta").text
    assert "visit Korea" in d.find_elements("css selector", "#bullets li")[0].text
    assert d.find_element("id", "page_title").text.startswith("Title: Zuckerberg to visit Korea")


def test_html_limit_setting() -> None:
    from service.config import SettingsError

    assert Settings.from_env({"SUMMARIZER_MAX_HTML_BYTES": "2000000"}).max_html_bytes == 2_000_000
    with pytest.raises(SettingsError, match="SUMMARIZER_MAX_HTML_BYTES"):
        Settings.from_env({"SUMMARIZER_MAX_HTML_BYTES": "100"})


def test_a_bigger_page_with_both_limits_raised(engine: Engine) -> None:
    client = create_app(Settings(max_html_bytes=2_000_000, max_body_bytes=2_200_000), engine=engine).test_client()
    resp = client.post("/v1/summarize", json={"html": _page_of_size(1_500_000)})
    assert resp.status_code == 200 and resp.get_json()["title"]



# A wire-style English page and a Korean news-portal page, as select-all-and-copy gives them: the
# headline under a section name, a caption whose credit closes its line, a dateline before a dash,
# newsletter, related and "more from" lists, reactions, comments (tests/data/pasted_*.txt, written
# for this project). The body is the run of lines from ``first`` to ``last``.
def _pasted(name: str, first: str, last: str) -> tuple[str, list[str]]:
    text = (Path(__file__).parent / "data" / name).read_text(encoding="utf-8")
    lines = text.split("\n")
    return text, lines[lines.index(next(x for x in lines if x.startswith(first))) : lines.index(last) + 1]


WIRE = _pasted("pasted_wire_en.txt", "Eastbay, California",
               "The board's vote follows a year of record imports of electronics and cars through the port.")
PORTAL = _pasted("pasted_portal_ko.txt", "(서울=한빛뉴스)", "삼성전자는 이달 말 부문별 세부 실적을 발표할 예정이다.")
BROADCASTER = _pasted("pasted_bbc_style_en.txt", "A plan to build",
                      "Work is expected to start next spring, subject to final approval from the Department for "
                      "Transport.")
PAPER = _pasted("pasted_paper_ko.txt", "한빛시가 2030년까지", "착공은 국토교통부 승인을 거쳐 내년 봄으로 예정돼 있다.")
NEWSPAPER = _pasted("pasted_paper_en.txt", "Harbor Town will replace",
                    "Ferry operators elsewhere are watching closely. Two other coastal cities have asked for the "
                    "council’s technical studies.")
PORTAL2 = _pasted("pasted_portal2_ko.txt", "[한빛뉴스 김하늘 기자]",
                  "국토부 관계자는 “보증보험 의무화로 피해 규모를 크게 줄일 수 있을 것”이라고 말했다.")


@pytest.mark.parametrize(("page", "headline", "caption"), [
    (WIRE, "Port of Eastbay to build second container terminal as trade rebounds", "Cranes unload containers"),
    (PORTAL, "삼성전자, 2분기 영업이익 10조 원 돌파…반도체 회복세", "서초사옥"),
    # the headline above "2 hours ago", the writer's role on its own line, "Getty Images" over a caption
    (BROADCASTER, "Council approves plan for city's first tram line in 60 years", "Trams last ran"),
    # a Korean headline ending in 다 above the dateline: the title, never a bullet; "... 한빛시 제공"
    (PAPER, "한빛시, 2030년까지 도심 트램 14㎞ 깐다", "노선도"),
    # a skip link glued to the next, "Story continues below advertisement", a print-edition note, a bio line
    (NEWSPAPER, None, "docked at the main pier"),
    # "[한빛뉴스 김하늘 기자]" opening the first sentence, "... 사진=한빛뉴스", reactions, comment sorting
    (PORTAL2, "“전세사기 피해 막는다”…정부, 보증보험 가입 의무화 추진", "정부서울청사"),
])
def test_news_pages_pasted_whole(engine: Engine, page: tuple[str, list[str]], headline: str | None,
                                 caption: str) -> None:
    pasted, body = page
    assert len(body) >= 6  # the article lines found (prompts between them included)
    result = engine.summarize(SummarizeRequest(text=pasted, method="extractive"))
    assert result.title == headline  # found under its section name, above the byline (none: not found, not invented)
    assert len(result.bullets) == 3
    for b in result.bullets:
        assert _in_body(b.sources, pasted, body), b.text
        assert b.text != headline
        assert caption not in b.text and "Photo by" not in b.text
        assert not b.text.startswith(("Eastbay, California", "(서울=", "[한빛뉴스")), b.text  # no dateline or tag
        assert not b.text.endswith(("…", "...")), b.text
