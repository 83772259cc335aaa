"""Page chrome in pasted text (models/text/chrome.py): table-driven line cases in both languages, then
the rules that look at neighbours (repeats, menus, comments, the article's block) and the title.

Every example here was written for this project; none is copied from the evaluation pages.
"""
from __future__ import annotations

from collections import Counter

import pytest

from models.text.bullets import is_noise
from models.text.chrome import classify_lines, ends_like_sentence, line_chrome, strip_chrome
from models.text.rules import RULES, sentence_reason
from models.text.sentences import SentenceSplitter

# (line, reason): reason None means the line may be article text and must be kept
EN_LINES = [
    ("Save any story for later by clicking the bookmark icon beside its headline.", "prompt"),
    ("By clicking Continue you agree to receive our daily briefing.", "prompt"),
    ("The full interview is exclusive to our subscribers.", "prompt"),
    ("Harbor Daily is committed to protecting your privacy.", "prompt"),
    ("We use your personal data only to run your account.", "prompt"),
    ("Pick the topics you follow and we will order stories based on your preferences.", "prompt"),
    ("Residents clicked through hundreds of photos to find the missing dog.", None),
    ("Home > Business > Industry", "breadcrumb"),
    ("News / World / Asia-Pacific", "breadcrumb"),
    ("print dictionary print", "prompt"),
    ("Share this article", "prompt"),
    ("Log in to Twitter or Facebook account to connect", "prompt"),
    ("To write comments, please log in to one of the accounts.", "prompt"),
    ("Sign up for our morning newsletter to get the day's top stories.", "prompt"),
    ("We use cookies to improve your experience on our site.", "prompt"),
    ("Get started today with a free trial of our planning tools.", "prompt"),
    ("Copyright 2026 Harbor Daily. All rights reserved.", "copyright"),
    ("© 2026 Example Media Group", "copyright"),
    ("Terms of Use | Privacy Policy", "legal"),
    ("Related Articles", "related"),
    ("You may also like", "related"),
    ("Most Read", "related"),
    ("BY PARK EUN-JEE, YONHAP [park.eunjee@example.com]", "byline"),
    ("By Jane Doe and John Roe", "byline"),
    ("Reporter: Min Seo-yeon", "byline"),
    ("Published: March 3, 2026 at 9:14 a.m.", "dateline"),
    ("March 3, 2026 09:14 KST", "dateline"),
    ("5 min read", "reading-time"),
    ("The mayor speaks at a press conference in City Hall on Monday. [REUTERS]", "caption"),
    ("Firefighters work at the scene of the blaze on Tuesday. (AP Photo/Sam Lee)", "caption"),
    ("Photo: Harbor Daily archive", "caption"),
    ("Image credit: Getty Images", "caption"),
    ("Contact: desk@example.com", "email"),
    ("If you buy something through our links, we may earn a commission.", "disclosure"),
    # article prose, including sentences that mention the same words as chrome does
    ("The council approved the budget on Monday after a six-hour debate.", None),
    ("He declined to comment on the report, citing the ongoing investigation.", None),
    ("Shares of the company rose 4 percent after it said it would share its data with regulators.", None),
    ("The photo agency said it had licensed more than 2,000 images from the archive last year.", None),
    ("By the end of the year, the city expects to hire 300 more teachers.", None),
    ("Bake the cookies for 12 minutes, until the edges turn golden.", None),
    ("2 hours ago", "dateline"),
    ("Scroll down for video", "prompt"),
    ("Skip to contentSkip to site index", "prompt"),
    ("Story continues below advertisement", "prompt"),
    ("Continue reading the main story", "prompt"),
    ("A version of this article appears in print on March 4, 2026, Section B, Page 1 of the City edition.", "legal"),
    ("Jane Doe covers transportation for the Harbor Daily.", "byline"),
    ("John Roe is a senior political correspondent for Harbor Radio.", "byline"),
    ("The first ferry docked at the pier on Tuesday.Credit...Jane Roe for Harbor Daily", "caption"),
    # prose about people who cover or report things stays
    ("The council covers half of the cost, and the state pays the rest.", None),
    ("Officials said Jane Doe is a reporter who had covered the port for years.", None),
    ("Click to play the full interview", "prompt"),
    ("Transport correspondent", "byline"),
    ("Political editor", "byline"),
    # a credit closing a caption's line; a photo mentioned in prose is no credit
    ("Cranes unload containers at the harbor on Monday. Photo by John Roe/Harbor Daily", "caption"),
    ("Crowds gather at the pier before the ferry leaves. Photograph: Jane Doe", "caption"),
    ("She showed the crew a photo of the ship. Photographs of it were shared widely afterwards.", None),
    # another language on an English page: the site's own footer, never the article
    ("Wir sind eine Agentur für Webdesign und Markenführung aus München.", "foreign"),
    ("The café on the corner reopened after the flood.", None),
]

KO_LINES = [
    ("홈 > 경제 > 산업", "breadcrumb"),
    ("인쇄 공유", "prompt"),
    ("글자크기 설정", "prompt"),
    ("댓글을 작성하려면 로그인하세요", "prompt"),
    ("저작권자 ⓒ 한빛뉴스, 무단전재 및 재배포 금지", "copyright"),
    ("ⓒ 한빛일보", "copyright"),
    ("관련기사", "related"),
    ("많이 본 뉴스", "related"),
    ("(서울=한빛뉴스) 김하늘 기자 =", "byline"),
    ("김하늘 기자 sky@hanbit.example", "byline"),
    ("[한빛일보 박서준 기자]", "byline"),
    ("입력 2026.03.03 09:14", "dateline"),
    ("13일 서울 중구 시청 앞 광장에서 시민들이 행사를 즐기고 있다. [사진 = 한빛뉴스]", "caption"),
    ("사진 제공 = 한빛시", "caption"),
    ("시민들이 새로 문을 연 도서관을 둘러보고 있다. /연합뉴스", "caption"),
    ("새 전시관 내부 모습. [한빛시 제공]", "caption"),
    ("한빛시가 추진하는 도심 트램 노선도. 한빛시 제공", "caption"),
    ("정부가 정부서울청사에서 전세사기 예방 대책을 발표하고 있다. 사진=한빛뉴스", "caption"),
    ("문의 news@hanbit.example", "email"),
    # 기사 본문: 같은 낱말이 들어 있어도 문장이면 남는다
    ("시는 이번 사업에 모두 120억 원을 투입해 내년 말까지 공사를 마칠 계획이라고 밝혔다.", None),
    ("사진 작가 김모 씨는 30년 동안 찍은 작품을 시에 기증했다.", None),
    ("업계 관계자는 \"공유 경제 모델이 자리를 잡으려면 제도 정비가 필요하다\"고 말했다.", None),
]


@pytest.mark.parametrize(("line", "reason"), EN_LINES)
def test_english_lines(line: str, reason: str | None) -> None:
    assert line_chrome(line, "en") == reason


@pytest.mark.parametrize(("line", "reason"), KO_LINES)
def test_korean_lines(line: str, reason: str | None) -> None:
    assert line_chrome(line, "ko") == reason


@pytest.mark.parametrize(("line", "lang", "ends"), [
    ("The plan starts next year.", "en", True),
    ("Is it ready?", "en", True),
    ("Zuckerberg to visit Korea", "en", False),
    ("정부는 새 정책을 발표했다", "ko", True),
    ("메타 저커버그 이달 방한", "ko", False),
])
def test_ends_like_sentence(line: str, lang: str, ends: bool) -> None:
    assert ends_like_sentence(line, lang) is ends


ARTICLE_EN = [
    "The port authority will open a second container terminal in the harbor next spring, officials said.",
    "The terminal is expected to double the port's capacity and create about 1,200 jobs in the region.",
    "Construction began two years ago and has cost 3.4 billion dollars so far, according to the authority.",
    "Shipping companies have welcomed the plan, saying the old terminal was operating at its limit.",
]


def _reasons(text: str, lang: str) -> dict[str, str | None]:
    return {text[s:e]: r for s, e, r in classify_lines(text, lang)}


def test_repeated_caption_menu_title_and_comments() -> None:
    text = "\n".join([
        "Port to open second container terminal",
        "Home",
        "News",
        "Business",
        "Sport",
        "Cranes unload a ship at the harbor on Monday",
        "Cranes unload a ship at the harbor on Monday",
        *ARTICLE_EN,
        "3 Comments",
        "This is great news for the town and I hope they hire locally this time.",
    ])
    reasons = _reasons(text, "en")
    assert reasons["Port to open second container terminal"] == "title"
    assert {reasons[m] for m in ("Home", "News", "Business", "Sport")} == {"menu"}
    assert reasons["Cranes unload a ship at the harbor on Monday"] == "repeated"
    assert all(reasons[line] is None for line in ARTICLE_EN)
    assert reasons["This is great news for the town and I hope they hire locally this time."] == "comments"


def test_a_comments_link_above_the_article_starts_no_comments() -> None:
    promo = "Save 20 percent on your first order of our organic coffee beans this week only."
    text = "\n".join([
        "Port to open second container terminal",
        "Home", "Business", "Sport",
        promo,
        "Share", "Comments",  # the share bar above the article, after one promo line
        "By Jane Doe",
        *ARTICLE_EN,
        "2 Comments",
        "Great news for the town, I hope they hire locally this time.",
    ])
    reasons = _reasons(text, "en")
    assert all(reasons[line] is None for line in ARTICLE_EN)
    assert reasons["Great news for the town, I hope they hire locally this time."] == "comments"


def test_a_duration_line_is_not_a_comments_age() -> None:
    # "15 min" inside an article (a timing, a reading time) is no comment's "15 min ago"
    text = "\n".join(["Home", "News", "Sport", "By Jane Doe", *ARTICLE_EN[:2], "Crossing time", "15 min",
                      *ARTICLE_EN[2:], "3 hours ago", "Great news for the town, I hope they hire locally."])
    reasons = _reasons(text, "en")
    assert all(reasons[line] is None for line in ARTICLE_EN)
    assert reasons["Great news for the town, I hope they hire locally."] == "comments"


def test_a_split_byline_and_a_standfirst_above_the_share_bar() -> None:
    dek = "Officials say the new terminal will double the port's capacity."
    text = "\n".join([
        "Home", "News", "Business",
        "Port to open second container terminal",
        "March 3, 2026",
        "Written By",
        "Jane Doe",
        dek,
        "Share:",
        *ARTICLE_EN,
    ])
    reasons = _reasons(text, "en")
    assert reasons["Written By"] == reasons["Jane Doe"] == "byline"
    assert reasons[dek] == "standfirst"
    assert all(reasons[line] is None for line in ARTICLE_EN)
    # without the share bar after it, the line after the byline is the article's first paragraph
    reasons = _reasons(text.replace("Share:\n", ""), "en")
    assert reasons[dek] is None
    # and a short article on one line above the share bar is the article, not a standfirst
    short = "\n".join(["Home", "News", "World", "Port to open second terminal", "By Jane Doe",
                       " ".join(ARTICLE_EN[:2]), "Share this article"])
    assert _reasons(short, "en")[" ".join(ARTICLE_EN[:2])] is None


def test_a_headline_under_a_section_name_is_the_title() -> None:
    # the headline sits in a run of short lines (section name above it), right above the byline
    text = "\n".join(["Home", "World", "Business", "Business", "Port to open second container terminal",
                      "By Jane Doe, Harbor Daily", "4 minute read", *ARTICLE_EN])
    reasons = _reasons(text, "en")
    assert reasons["Port to open second container terminal"] == "title"
    assert all(reasons[line] is None for line in ARTICLE_EN)
    # a headline-shaped line with no article prose after it is not taken for one
    menu_only = "\n".join(["Home", "World", "Business", "Port to open second container terminal",
                           "By Jane Doe, Harbor Daily", "Sign in", "Subscribe"])
    assert "title" not in _reasons(menu_only, "en").values()


def test_another_languages_footer_ends_the_article_block() -> None:
    footer = [
        "Wir sind eine Agentur für Webdesign und Markenführung aus München und Köln.",
        "Unsere Leistungen: Webdesign / Suchmaschinenoptimierung / Markenführung / Fotografie für Händler",
        "We would be glad to support your next digital project with our experience in design and development.",
    ]
    text = "\n".join(["Home", "News", "Events", "By Jane Doe", *ARTICLE_EN, *footer, "Contact", "Name", "Send"])
    reasons = _reasons(text, "en")
    assert all(reasons[line] is None for line in ARTICLE_EN)
    assert reasons[footer[2]] == "outside-article"


def test_prose_outside_the_article_block_is_dropped_on_a_page() -> None:
    promo = "Save 20 percent on your first order of our organic coffee beans this week only."
    text = "\n".join([
        "Menu", "Shop", "Blog", "About",
        promo,
        "Shop", "Cart", "Account",
        "Second container terminal",
        *ARTICLE_EN,
        "Copyright 2026 Harbor Daily. All rights reserved.",
    ])
    reasons = _reasons(text, "en")
    assert reasons[promo] == "outside-article"
    assert all(reasons[line] is None for line in ARTICLE_EN)


def test_a_plain_article_is_left_alone() -> None:
    # no chrome at all: short lines are not cut away as being outside an article block
    text = "\n".join(["Short first line.", *ARTICLE_EN, "It opens in May."])
    assert all(r is None for r in _reasons(text, "en").values())


def test_korean_comments_and_related_list() -> None:
    article = [
        "한빛시가 내년 봄 항만에 두 번째 컨테이너 부두를 연다고 13일 밝혔다.",
        "새 부두가 문을 열면 항만의 처리 능력은 두 배로 늘고 일자리 1200개가 생길 것으로 시는 내다봤다.",
        "공사는 2년 전에 시작됐으며 지금까지 3조4000억 원이 들었다.",
    ]
    text = "\n".join([
        "한빛항 두 번째 컨테이너 부두 내년 봄 개장",
        *article,
        "관련기사",
        "한빛항 물동량 사상 최대",
        "항만공사 새 사장 취임",
        "부두 노동자 처우 개선 합의",
        "댓글 3",
        "드디어 부두가 생기는군요. 지역 경제에 도움이 되길 바랍니다.",
    ])
    reasons = _reasons(text, "ko")
    assert reasons["한빛항 두 번째 컨테이너 부두 내년 봄 개장"] == "title"
    assert all(reasons[line] is None for line in article)
    assert reasons["관련기사"] == "related"
    assert reasons["항만공사 새 사장 취임"] == "menu"
    assert reasons["드디어 부두가 생기는군요. 지역 경제에 도움이 되길 바랍니다."] == "comments"


@pytest.fixture(scope="module")
def splitter() -> SentenceSplitter:
    return SentenceSplitter()


def test_strip_chrome_keeps_offsets_and_drops_questions(splitter: SentenceSplitter) -> None:
    text = "\n".join([
        "Port to open second container terminal",
        "Why does the port need it? " + ARTICLE_EN[0],
        *ARTICLE_EN[1:],
        "BY JANE DOE [jane@example.com]",
    ])
    result = strip_chrome(text, splitter.split(text, "en"), "en")
    assert result.title == "Port to open second container terminal"
    kept = [s.text for s in result.sentences]
    assert kept == ["Port to open second container terminal", *ARTICLE_EN]  # the headline stays, for ranking
    assert all(text[s.start:s.end] == s.text for s in result.sentences)
    reasons = {s.text: r for s, r in result.dropped}
    assert reasons["Why does the port need it?"] == "question"
    assert reasons["BY JANE DOE [jane@example.com]"] == "byline"


def test_byline_only_korean_text_keeps_nothing(splitter: SentenceSplitter) -> None:
    text = "(서울=한빛뉴스) 김하늘 기자 ="
    assert strip_chrome(text, splitter.split(text, "ko"), "ko").sentences == []


@pytest.mark.parametrize(("caption", "credit", "lang"), [
    ("The mayor opens the new library on Monday.", "Image: Courtesy of City Hall", "en"),
    ("Visitors walk along the renovated pier at sunset.", "Photo: Harbor Daily", "en"),
    ("시민들이 새로 문을 연 도서관을 둘러보고 있다.", "[사진 = 한빛뉴스]", "ko"),
    ("새 전시관 내부 모습.", "[한빛시 제공]", "ko"),
])
def test_caption_above_its_credit_line(caption: str, credit: str, lang: str) -> None:
    prose = ARTICLE_EN if lang == "en" else [
        "한빛시는 새 도서관이 하루 평균 3000명의 방문객을 맞을 것으로 내다봤다고 13일 밝혔다.",
        "도서관은 지하 2층, 지상 5층 규모로 지어졌으며 장서 20만 권을 갖췄다.",
    ]
    text = "\n".join([prose[0], caption, credit, *prose[1:]])
    reasons = _reasons(text, lang)
    assert reasons[caption] == "caption"
    assert all(reasons[line] is None for line in prose)


@pytest.mark.parametrize("line", [
    "더불어민주당 후보 김민석(왼쪽부터) 전 국무총리, 박영희 의원이 13일 국회에서 열린 토론회에 자리하고 있다.",
    "농민 유튜버 김모 씨가 15일 경남 하동군 화개장터 입구에서 녹차를 들고 라이브를 하고 있다.",
    "시민들이 지난 3일 서울 광화문광장에서 우산을 쓴 채 걸어가고 있다.",
    "한덕수 총리(가운데)가 회의에 참석하고 있다.",
])
def test_korean_caption_shapes(line: str) -> None:
    assert line_chrome(line, "ko") == "caption"


@pytest.mark.parametrize("line", [
    "사용 중이신 인터넷 익스플로러(Internet Explorer)에서는 일부 기능 사용에 제한이 발생할 수 있습니다.",
    "원활한 서비스 이용을 위해 최신 브라우저로 업데이트해 주세요.",
])
def test_korean_browser_notices(line: str) -> None:
    assert line_chrome(line, "ko") == "prompt"


@pytest.mark.parametrize("line", [
    # article sentences close to the caption shapes: what happened, or a topic in 은/는
    "경찰은 15일 현장에서 정확한 사고 원인을 조사하고 있다.",
    "시민단체가 15일 시청 앞에서 기자회견을 열고 대책 마련을 촉구했다.",
    "정부는 새 브라우저 보안 기준을 내년부터 적용한다고 밝혔다.",
    "왼쪽 날개가 부러진 채 발견된 독수리는 보호소로 옮겨졌다.",
])
def test_korean_article_sentences_near_those_shapes_stay(line: str) -> None:
    assert line_chrome(line, "ko") is None


@pytest.mark.parametrize(("line", "reason"), [
    ("[MUSIC PLAYING] Welcome back to the show, today we test five budget blenders.", "transcript"),
    ("JANE DOE: Thank you. [APPLAUSE] It is good to be here.", "transcript"),
    ("(CNN) A North Pacific gray whale has earned a spot in the record books.", None),  # an agency tag
    ("The band's [sic] music played on as the crowd left.", None),
])
def test_transcript_stage_directions(line: str, reason: str | None) -> None:
    assert line_chrome(line, "en") == reason


# --- the one table of chrome and noise rules (models/text/rules.py) ------------------------

# How many rows each scope and language holds, and under which reasons: a rule lost (or one added)
# fails here until this is changed with it, on purpose.
TABLE_REASONS = {
    ("line", "any"): {"symbols": 1},
    ("line", "en"): {"breadcrumb": 1, "prompt": 10, "disclosure": 1, "legal": 2, "copyright": 1, "related": 1,
                     "byline": 5, "dateline": 3, "reading-time": 1, "transcript": 1, "caption": 6, "email": 1,
                     "url": 1, "foreign": 1},
    ("line", "ko"): {"breadcrumb": 1, "prompt": 3, "copyright": 1, "related": 1, "byline": 4, "dateline": 2,
                     "caption": 7, "email": 1, "url": 1},
    ("sentence", "any"): {"symbols": 1, "email": 1, "url": 1},
    ("sentence", "en"): {"heading": 1, "foreign": 1, "byline": 3, "dateline": 1, "prompt": 5, "related": 1,
                         "caption": 4, "copyright": 1},
    ("sentence", "ko"): {"byline": 3, "copyright": 1, "caption": 2, "marker": 1, "prompt": 1},
}

# (where, the rows' language, the text's language, text, reason): one case for every reason of
# every scope and language in the table
TABLE_CASES = [
    ("line", "any", "ko", "★★★ 2026 ☆", "symbols"),
    ("line", "en", "en", "Home > Business > Industry", "breadcrumb"),
    ("line", "en", "en", "Share this article", "prompt"),
    ("line", "en", "en", "If you buy something through our links, we may earn a commission.", "disclosure"),
    ("line", "en", "en", "Terms of Use | Privacy Policy", "legal"),
    ("line", "en", "en", "© 2026 Example Media Group", "copyright"),
    ("line", "en", "en", "Related Articles", "related"),
    ("line", "en", "en", "By Jane Doe and John Roe", "byline"),
    ("line", "en", "en", "Published: March 3, 2026 at 9:14 a.m.", "dateline"),
    ("line", "en", "en", "5 min read", "reading-time"),
    ("line", "en", "en", "[MUSIC PLAYING] Welcome back to the evening news.", "transcript"),
    ("line", "en", "en", "Photo: Harbor Daily archive", "caption"),
    ("line", "en", "en", "Contact: desk@example.com", "email"),
    ("line", "en", "en", "https://example.com/news/ferry", "url"),
    ("line", "en", "en", "Wir sind eine Agentur für Webdesign und Markenführung aus München.", "foreign"),
    ("line", "en", "ko", "Photo: Hanbit archive", "caption"),  # English chrome on a Korean page
    ("line", "ko", "ko", "홈 > 경제 > 산업", "breadcrumb"),
    ("line", "ko", "ko", "인쇄 공유", "prompt"),
    ("line", "ko", "ko", "ⓒ 한빛일보", "copyright"),
    ("line", "ko", "ko", "관련기사", "related"),
    ("line", "ko", "ko", "[한빛일보 박서준 기자]", "byline"),
    ("line", "ko", "ko", "입력 2026.03.03 09:14", "dateline"),
    ("line", "ko", "ko", "사진 제공 = 한빛시", "caption"),
    ("line", "ko", "ko", "문의 news@hanbit.example", "email"),
    ("line", "ko", "ko", "www.hanbit.example/news", "url"),
    ("sentence", "any", "ko", "★ 2026 ☆", "symbols"),
    ("sentence", "any", "en", "Write to the newsroom at desk@example.com for details.", "email"),
    ("sentence", "any", "en", "The full plan is at https://example.com/plan for anyone to read.", "url"),
    ("sentence", "en", "en", "I Need Legal Help", "heading"),
    ("sentence", "en", "en", "Wir entwickeln Apps für unsere Kunden aus aller Welt.", "foreign"),
    ("sentence", "en", "en", "By Jane Doe, Science Reporter", "byline"),
    ("sentence", "en", "en", "Updated 3 March 2026 at noon.", "dateline"),
    ("sentence", "en", "en", "Scroll down for video", "prompt"),
    ("sentence", "en", "en", "Read more: the ferry's first year at sea.", "related"),
    ("sentence", "en", "en", "The ferry is pictured during sea trials outside Oslo in January.", "caption"),
    ("sentence", "en", "en", "Copyright 2026 Example News.", "copyright"),
    ("sentence", "ko", "ko", "[김하늘 기자]", "byline"),
    ("sentence", "ko", "ko", "ⓒ 한빛뉴스, 무단 전재 및 재배포 금지", "copyright"),
    ("sentence", "ko", "ko", "사진=서울시 제공", "caption"),
    ("sentence", "ko", "ko", "▶ 관련 기사 더 보기", "marker"),
    ("sentence", "ko", "ko", "자세한 내용은 여기를 클릭하세요", "prompt"),
]


def test_the_table_holds_every_rule_once() -> None:
    shape = {key: dict(Counter(r.reason for r in RULES if (r.where, r.lang) == key)) for key in TABLE_REASONS}
    assert shape == TABLE_REASONS
    assert len(RULES) == sum(sum(v.values()) for v in TABLE_REASONS.values()) == 85
    assert len(set(RULES)) == len(RULES)  # no row twice
    for rule in RULES:
        assert (rule.pattern is None) != (rule.test is None), rule  # a pattern or a test, not both
        if rule.where == "line":  # a line pattern has its word limit; the scopes' own options stay theirs
            assert (rule.max_words is not None) == (rule.pattern is not None) and not rule.whole_text, rule
            assert not rule.optional, rule
        else:
            assert rule.max_words is None, rule


@pytest.mark.parametrize(("where", "rows", "lang", "text", "reason"), TABLE_CASES)
def test_a_case_for_each_reason(where: str, rows: str, lang: str, text: str, reason: str) -> None:
    found = line_chrome(text, lang) if where == "line" else sentence_reason(text, lang)
    assert found == reason
    assert any(r.matches(text) for r in RULES if (r.where, r.lang, r.reason) == (where, rows, reason))
    if where == "sentence":
        assert is_noise(text, lang)


def test_the_cases_cover_every_reason_of_the_table() -> None:
    assert {(w, rows, reason) for w, rows, _, _, reason in TABLE_CASES} == {(r.where, r.lang, r.reason) for r in RULES}
