"""Page chrome in pasted text: what a select-all-and-copy of a news page brings besides the article.

A pasted page carries the site's furniture around the article: breadcrumbs and menus, print /
share / subscribe / log-in / comment prompts, copyright lines, related-article lists, photo
captions (often printed twice) with their credits, bylines, reporter and e-mail lines. None of it
may become a bullet. :func:`strip_chrome` drops it line by line, in Korean and English, and reports
the headline (a first line shaped like one) as the title.

Every rule is general (a shape, a phrase any site uses), not a site's markup: the single-line
rules are listed in :data:`LINE_RULES` and their cases in tests/test_chrome.py. Some look at a
line's neighbours: a line repeated verbatim, a run of short unpunctuated lines (a menu or a list
of headlines), a caption above its credit line, a standfirst above the byline, a comment section
after the article. One looks at the whole text, when it is a page (:data:`PAGE_EVIDENCE`): lines
outside the article's block of running prose (:func:`body_block`).
"""
from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .sentences import LATIN, Sentence, is_foreign_in_en

_LINE = re.compile(r"[^\n]+")
_SPACES = re.compile(r"\s+")
_EN_END = re.compile(r"[.!?…][\"'’”)\]]*$")
_KO_END = re.compile(r"(?:다|요|죠|까|니다|습니다)[.!?…]*[\"'’”)\]]*$|[.!?…][\"'’”)\]]*$")
# an e-mail address: a contact line here, never bullet material in models.text.bullets
EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_URL_ONLY = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$")

# --- line rules: (reason, pattern, most words a matching line may have) ---------------------
# A phrase that is chrome in a short line ("Share this article") can be prose in a long one
# ("He declined to share the data"), so most rules apply only to lines up to a word count.

_AGENCIES = (r"REUTERS|AP|AFP|EPA|YONHAP|NEWS1|NEWSIS|XINHUA|BLOOMBERG|GETTY IMAGES|AP PHOTO|"
             r"KYODO|ANADOLU|SHUTTERSTOCK|JOONGANG|JOONGANG ILBO|NEWSIS|KOREA HERALD|ILGAN SPORTS")
_STOCK = (r"Getty Images|Shutterstock|iStock(?:photo)?|Depositphotos|Unsplash|Pexels|Alamy|Adobe Stock|Pixabay|"
          r"Wikimedia Commons")

Rule = tuple[str, "re.Pattern[str]", int]


def _rules(lang_rules: Sequence[tuple[str, str, int]], flags: int = 0) -> list[Rule]:
    return [(reason, re.compile(p, flags), words) for reason, p, words in lang_rules]


LINE_RULES: dict[str, list[Rule]] = {
    "en": _rules([
        # Home > Business > Industry ; News / World / Asia
        ("breadcrumb", r"^[^.!?]{1,40}(?:\s(?:>|›|»|/|\|)\s[^.!?>›»|]{1,40}){2,}$|"
                       r"^(?:home|main)\s*(?:>|›|»|/)", 15),
        ("prompt", r"^(?:print|share|e-?mail|tweet|comment|comments|reply|like|save|bookmark|copy link|"
                   r"listen|font size|text size|zoom|dictionary|close|menu|search|subscribe|log ?in|"
                   r"sign ?in|sign ?up|register|follow|skip to(?: main)? content|back to top|top|"
                   r"advertisement|sponsored|ad|next|previous|more)(?:\W+(?:print|share|e-?mail|"
                   r"dictionary|this|article|story|page|facebook|twitter|x|linkedin|whatsapp|"
                   r"comments?|on|us|now|here|content|top|link|options))*\W*$", 8),
        ("prompt", r"\b(?:log ?in|sign ?in|sign ?up|subscribe|register)\b.{0,60}\b(?:to|for)\b.{0,40}"
                   r"\b(?:connect|comment|continue|read|access|newsletter|updates|account|free)\b", 25),
        ("prompt", r"\bnewsletters?\b|\bsubscribe\b|\bsubscription\b|\bunsubscribe\b", 30),
        ("prompt", r"\b(?:leave|post|add|write|view|show|load|read)\s+(?:a|your|the|all|more)?\s*"
                   r"(?:comments?|repl(?:y|ies)|responses?)\b|\bcomments? (?:are|is) (?:closed|moderated)\b|"
                   r"\bcomment (?:policy|guidelines)\b|^\d+\s+comments?$", 20),
        # instructions for the page's controls, privacy notices, member-only prompts
        ("prompt", r"\bby clicking\b|\bclick(?:ing)? (?:the|on|this|below)\b.{0,40}\b(?:icon|button|link)\b|"
                   r"\bexclusive to (?:our )?(?:subscribers|members)\b|\b(?:protecting|respecting) your privacy\b|"
                   r"\byour personal (?:data|information)\b|\bbased on your preferences\b", 40),
        ("prompt", r"\b(?:share|follow us|find us|join us|like us) on\b|\bshare this\b|"
                   r"\b(?:download|get) (?:our|the) app\b|\bclick here\b|\btap here\b", 20),
        ("prompt", r"\b(?:we|this (?:site|website)) uses? cookies\b|\bcookie (?:policy|settings|preferences)\b|"
                   r"\baccept (?:all )?cookies\b|\benable javascript\b|\bjavascript is (?:disabled|required)\b|"
                   r"\bupdate your browser\b|\bad ?blocker\b", 40),
        ("prompt", r"\bcookies?\b.{0,80}\b(?:consent|gdpr|necessary|browser|analytics|opt[- ]out|preferences)\b|"
                   r"\b(?:gdpr|consent)\b.{0,80}\bcookies?\b|\bcookies? (?:is|are) (?:set|used|stored)\b", 40),
        ("disclosure", r"\b(?:earn|receive|get)s?\b.{0,30}\b(?:a |an )?(?:small )?(?:commission|affiliate)|"
                       r"\baffiliate (?:links?|commission|partner)|"
                       r"\b(?:purchases?|buy)\b.{0,40}\bthrough (?:our |these )?links\b|\bpaid promotion\b|"
                       r"\bindependently (?:selected|chosen|reviewed)\b|"
                       r"\bsponsored (?:content|post|by)\b", 40),
        ("prompt", r"^(?:get started|start (?:your|a) free|try (?:it |us )?(?:for )?free|"
                   r"book a (?:demo|call|consultation)|"
                   r"request a (?:demo|quote|call)|schedule a (?:demo|call|consultation)|shop now|buy now|order now|"
                   r"learn more|find out more|discover more|see (?:pricing|plans)|contact (?:us|sales)|call us|"
                   r"talk to (?:us|sales|an expert))\b", 30),
        ("legal", r"\bterms (?:of (?:use|service)|and conditions)\b|\bprivacy (?:policy|notice|settings)\b|"
                  r"\bdo not sell\b|\bcontact us\b|\babout us\b|\bsite ?map\b|\bcareers\b", 12),
        ("copyright", r"©|\(c\)\s*\d{4}|\bcopyright\b|\ball rights reserved\b|\bno part of this\b", 30),
        ("related", r"^(?:related(?: articles?| stories| posts| news| content| coverage| topics)?|"
                    r"recommended(?: for you| stories| articles| reading)?|more (?:from|on|in|stories|news|"
                    r"articles|like this)\b.*|(?:most|top) (?:read|popular|viewed|shared)(?: stories| articles)?|"
                    r"trending(?: now| stories)?|popular(?: now| posts| stories)?|latest(?: news| stories| posts)?|"
                    r"you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|read (?:more|next|also)\b.*|"
                    r"see also|also read|don'?t miss|editor'?s picks?|tags?|topics?|categories|filed under.*|"
                    r"in (?:this|other) news|what to read next|up next|more headlines)\W*$", 12),
        # BY PARK EUN-JEE, YONHAP [park.eunjee@joongang.co.kr] ; By Jane Doe and John Roe, Reuters
        ("byline", r"^(?:written |posted |reported |story |words |text )?by\s+(?-i:[A-Z][\w.'’-]*)"
                   r"(?:\s+(?:(?-i:[A-Z][\w.'’-]*)|and|&|de|van|von|da|al))*\s*"
                   r"(?:[,|/–—-].{0,80}|[\[(<]?[\w.+-]+@[\w.-]+[\])>]?|\d{1,2},?\s+\d{4}\b.{0,40})?$", 25),
        ("byline", r"^(?:author|reporter|correspondent|editor|staff writer|contributor|reviewed by|"
                   r"fact[- ]checked by|edited by|photographs? by|photos? by|illustrations? by)\b.{0,80}$", 15),
        # the writer's role on its own line, under the name: "Transport correspondent", "Political editor"
        ("byline", r"^(?:[A-Z][\w&-]*\s+){0,3}(?:correspondent|reporter|editor|writer|columnist)$", 4),
        ("byline", r"^[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}\s*(?:\||·|•|,|—|–)\s*"
                   r"(?:staff (?:writer|reporter)|reporter|correspondent|contributor|editor|senior writer|"
                   r"columnist)\b.{0,60}$", 15),
        ("dateline", r"^(?:published|updated|posted|last (?:updated|modified)|first published|modified)"
                     r"\b\s*(?:on|at)?\s*:?\s*.{0,60}$", 14),
        ("dateline", r"^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+"
                     r"\d{4}\b.{0,40}$|^\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)"
                     r"[a-z]*\.?\s+\d{4}\b.{0,40}$|^\d{4}[./-]\d{1,2}[./-]\d{1,2}\b.{0,40}$", 12),
        ("reading-time", r"^\d+\s*(?:min(?:ute)?s?|hours?)\s+(?:read|listen|watch)\b.{0,30}$", 8),
        # "Skip to content" (glued to the next link too), "Story continues below advertisement",
        # "Continue reading the main story", "Order Reprints", "Scroll down for video", "Click to
        # play", "Watch the video below"
        ("prompt", r"^(?:skip to\b|story continues\b|continue reading\b|order reprints\b|scroll down\b|"
                   r"click (?:here )?to (?:play|watch|see|view)\b|(?:watch|play) the video\b)", 8),
        ("legal", r"^a version of this (?:article|story) (?:appears|appeared) in print\b", 60),
        # a video's transcript, with its stage directions: "[MUSIC PLAYING] Welcome back to ..."
        ("transcript", r"\[(?-i:MUSIC(?: PLAYING)?|APPLAUSE|LAUGHTER|LAUGHS|INAUDIBLE|CROSSTALK|SOUNDBITE|SOUND BITE|"
                       r"COMMERCIAL BREAK|(?:BEGIN|END) VIDEO(?: CLIP| TAPE)?|NATURAL SOUND|CHEERING|BLEEP)\]", 200),
        # an author's bio line closing the article: "Jane Doe covers transportation for the Harbor Times."
        ("byline", r"^(?-i:[A-Z][\w.'’-]+)(?:\s+(?-i:[A-Z][\w.'’-]+)){1,3}\s+(?:covers|writes about|reports on|"
                   r"is (?:a|an|the) (?:[\w-]+\s+){0,3}(?:reporter|correspondent|writer|editor|columnist|journalist))"
                   r"\b.{0,120}$", 30),
        # "... on Tuesday.Credit...Jane Roe for Harbor Times": a caption with its credit glued on
        ("caption", r"\bcredit(?:\.\.\.|…)", 60),
        # a relative time stamp under a headline ("2 hours ago"); after the article it marks comments
        ("dateline", r"^(?:published\s+|updated\s+)?\d{1,2}\s+(?:minutes?|mins?|hours?|hrs?|days?)\s+ago$", 5),
        # Meta's CEO testifies ... on Jan. 31. [REUTERS] ; ... (AP Photo/Jane Doe) ; Photo: Getty Images
        ("caption", r"[\[(](?:" + _AGENCIES + r")(?:\s*(?:/|,)\s*[^\])]{1,60})?[\])]\s*$", 80),
        ("caption", r"\((?:[A-Z][\w&.]*\s+){0,3}(?:photo|photograph|image|picture|illustration|graphic|file|"
                    r"screenshot|video)s?\b[^)]{0,80}\)\s*$", 80),
        ("caption", r"^(?:photo|photograph|image|picture|illustration|graphic|credit|caption|source|"
                    r"pictured|above|top|left|right|main image|file photo)s?\s*(?::|by\b|courtesy\b|credit\b)", 80),
        ("caption", r"\b(?:photo|image|picture)s?\s*(?:credit|courtesy)\b|\b(?:" + _STOCK + r")\b", 40),
        # a credit closing the caption's line: "... on Monday. Photo by John Roe/Harbor News"
        ("caption", r"[.!?]\s+(?:photo|photograph|image|picture|video|illustration)s?"
                    r"(?:\s+(?:by|credit|courtesy(?:\s+of)?))?\s*:?\s+(?-i:[A-Z])[^.!?]{1,80}$", 60),
        ("email", r"^\W*(?:e-?mail|contact|reach)?\W*" + EMAIL.pattern + r"\W*$", 8),
        ("url", _URL_ONLY.pattern, 3),
    ], re.I),
    "ko": _rules([
        ("breadcrumb", r"^[^.!?]{1,30}(?:\s*(?:>|›|»|/|\||·)\s*[^.!?>›»|·]{1,30}){2,}$|"
                       r"^(?:홈|메인|home)\s*(?:>|›|»|/)", 15),
        ("prompt", r"(?:로그인|회원가입|구독(?:하기|신청)?|댓글|공유(?:하기)?|인쇄|프린트|스크랩|글자\s*크기|"
                   r"글씨\s*(?:크게|작게|키우기|줄이기)|페이스북|트위터|카카오(?:톡|스토리)|네이버\s*블로그|"
                   r"밴드|URL\s*복사|링크\s*복사|기사\s*(?:제보|저장|보내기)|닫기|메뉴|검색|전체\s*메뉴|"
                   r"바로\s*가기|좋아요|싫어요|추천|구독자|알림\s*받기|본문\s*듣기|음성\s*듣기|번역)", 6),
        ("prompt", r"(?:로그인|회원가입|구독|뉴스레터|앱\s*(?:설치|다운)|카카오톡\s*채널|채널\s*추가|"
                   r"제보(?:하기|는)?|기사\s*제보)\S*\s.{0,80}(?:하세요|해\s*주세요|바랍니다|가능합니다|됩니다)", 25),
        ("copyright", r"ⓒ|©|무단\s*전재|재배포\s*금지|저작권자|all rights reserved|copyright", 30),
        ("related", r"^(?:관련\s*(?:기사|뉴스|콘텐츠)|많이\s*본\s*(?:기사|뉴스)|인기\s*(?:기사|뉴스)|"
                    r"추천\s*(?:기사|뉴스)|"
                    r"최신\s*(?:기사|뉴스)|주요\s*(?:기사|뉴스)|이\s*시각\s*(?:주요\s*)?뉴스|함께\s*(?:보면|볼만한)\s*"
                    r"좋은\s*(?:기사|뉴스)|이\s*기사를\s*(?:본|읽은).*|(?:오늘|지금)의\s*(?:주요\s*)?뉴스|"
                    r"핫\s*이슈|포토\s*뉴스|랭킹\s*뉴스|태그|키워드)\W*$", 8),
        # (서울=한빛뉴스) 김하늘 기자 = ; 김하늘 기자 sky@example.com ; [한빛뉴스 김하늘 기자]
        ("byline", r"^\W*(?:[\[(【]\s*[가-힣A-Za-z ]{1,12}\s*=\s*[가-힣A-Za-z0-9 ]{1,15}\s*[\])】])?\s*"
                   r"(?:[가-힣A-Za-z0-9]{1,12}\s+)?[가-힣]{2,4}\s*(?:기자|특파원|객원기자|통신원|리포터|"
                   r"선임기자|전문기자|기상캐스터|앵커)(?:\s*[=·,]?\s*\S*@\S*|\s*=)?\W*$", 8),
        # the byline and the time stamp on one line: "김하늘 기자 입력 2026.05.12 10:30 수정 ..."
        ("byline", r"^\W*[가-힣]{2,4}\s*(?:기자|특파원|객원기자|선임기자|전문기자)\s*[|·,]?\s*"
                   r"(?:입력|수정|승인|등록|기사\s*입력|업데이트)\s*:?\s*\d{4}[./-].{0,60}$", 14),
        ("byline", r"[가-힣]{2,4}\s*(?:기자|특파원)\s*[\w.+-]+@", 10),
        ("byline", r"^\W*(?:글|사진|영상|편집|정리|취재|그래픽)\s*[=:·]?\s*[가-힣]{2,4}"
                   r"(?:\s*(?:기자|PD|작가))?\W*$", 6),
        ("dateline", r"^\W*(?:입력|수정|승인|등록|발행|업데이트|기사\s*입력|최종\s*수정)\s*:?\s*\d{4}[./-]", 10),
        ("dateline", r"^\W*\d{4}[./-]\s*\d{1,2}[./-]\s*\d{1,2}\.?\s*(?:\d{1,2}:\d{2})?(?::\d{2})?\W*$", 4),
        # [사진 = 연합뉴스] ; 사진 제공 = 한빛시 ; ... 모습. /연합뉴스 ; [한빛시 제공]
        ("caption", r"[\[<(]\s*(?:사진|그래픽|자료|영상|이미지|출처)\s*[=:]|"
                    r"^\W*(?:사진|그래픽|자료|영상|이미지|출처)\s*[=:]", 80),
        ("caption", r"(?:사진|자료|영상|이미지)\s*제공|[\[(]\s*[가-힣A-Za-z0-9 ]{1,20}\s*제공\s*[\])]", 80),
        # a credit closing the caption's line: "... 트램 노선도. 한빛시 제공", "... 있다. 사진=한빛뉴스"
        ("caption", r"[.!?]\s+[가-힣A-Za-z0-9·]{1,20}\s*제공\s*$|"
                    r"[.!?]\s+(?:사진|그래픽|자료|영상)\s*[=:]\s*[가-힣A-Za-z0-9 ·/]{1,24}$", 80),
        ("caption", r"/\s*(?:연합뉴스|뉴스1|뉴시스|한빛뉴스|AP|AFP|로이터|EPA|게티이미지(?:뱅크|코리아)?|"
                    r"[가-힣]{2,8}(?:일보|신문|뉴스|통신|기자))\s*[\])]?\s*$", 80),
        ("caption", r"[\[(](?:" + _AGENCIES + r"|연합뉴스|뉴스1|뉴시스|로이터|게티이미지(?:뱅크)?)[\])]\s*$", 80),
        # the photo caption's own shapes (none matched any of 2,828 Korean article sentences of the
        # dev sets, the dev pages' bodies and NTREX): a position marker naming who is where in the
        # picture, "김민석(왼쪽부터) 전 국무총리, ..."; and a caption line's grammar: a subject in
        # 이/가, a day, a place in 에서 and the present progressive, "...가 15일 경남 하동군 화개장터
        # 입구에서 ... 라이브를 하고 있다." (an article says what happened: 했다, 밝혔다)
        ("caption", r"\((?:사진\s*)?(?:왼쪽|오른쪽|가운데|앞줄|뒷줄|윗줄|아랫줄|맨\s*왼쪽|맨\s*오른쪽)"
                    r"(?:부터|에서)?(?:\s*(?:두|세|네)\s*번째)?\)", 60),
        ("caption", r"^[^.!?]{2,50}?[이가]\s+(?:지난\s*)?\d{1,2}일\s[^.!?]{0,80}?에서\s[^.!?]{0,120}고\s*있다\.?$",
         40),
        # the site's notices about the reader's browser: "사용 중이신 인터넷 익스플로러(Internet
        # Explorer)에서는 일부 기능 사용에 제한이 발생할 수 있습니다."
        ("prompt", r"(?:인터넷\s*익스플로러|Internet Explorer|브라우저).{0,80}"
                   r"(?:지원|제한|권장|업데이트|최적화|이용)", 30),
        ("email", r"^\W*(?:이메일|메일|문의|제보)?\W*" + EMAIL.pattern + r"\W*$", 8),
        ("url", _URL_ONLY.pattern, 3),
    ], re.I),
}


# A credit on a line of its own ("Image: Courtesy of ...", "[사진 = 한빛뉴스]"): the line just above
# it is the caption it credits.
_CREDIT_LINE = re.compile(
    r"^\W*(?:photo|image|picture|illustration|graphic|credit|courtesy|source)s?\b\s*(?::|by\b|courtesy\b)|"
    r"^\W*(?:사진|그래픽|자료|영상|이미지|출처)\s*[=:]|^\W*[\[(][^\])]{0,40}(?:제공|=)[^\])]{0,40}[\])]\W*$|"
    r"^\W*[\[(](?:" + _AGENCIES + r")[\])]\W*$", re.I)
CAPTION_WORDS = 40


def _norm(line: str) -> str:
    return _SPACES.sub(" ", line).strip()


def _words(line: str) -> int:
    return len(line.split())


def ends_like_sentence(line: str, lang: str) -> bool:
    """True when a line ends the way a finished sentence does (final punctuation; in Korean also a
    final ending such as 다 or 요)."""
    return bool((_KO_END if lang == "ko" else _EN_END).search(line.rstrip()))


def line_chrome(line: str, lang: str) -> str | None:
    """The reason a line, on its own, is page chrome (``"byline"``, ``"caption"``...), or None."""
    text = _norm(line)
    if not text:
        return None
    if not re.search(r"[^\W\d_]", text):
        return "symbols"
    words = _words(text)
    for reason, pattern, max_words in LINE_RULES.get(lang, LINE_RULES["en"]):
        if words <= max_words and pattern.search(text):
            return reason
    if lang == "en" and is_foreign_in_en(text):
        return "foreign"  # another language's line on an English page: the site's, not the article's
    # a Korean page quotes English chrome too (Copyright, Share, Photo: ...); only a line with a Latin
    # letter can hold it (the one English pattern without one, "©", is a Korean rule as well)
    if lang == "ko" and LATIN.search(text):
        for reason, pattern, max_words in _EN_RULES_ON_KO:
            if words <= max_words and pattern.search(text):
                return reason
    return None


_EN_RULES_ON_KO = [rule for rule in LINE_RULES["en"] if rule[0] in ("copyright", "caption", "prompt", "legal")]


# A menu or a list of headlines: at least MENU_RUN consecutive lines, none of which ends like a
# sentence and each of at most MENU_WORDS words (headlines of related articles are that short).
MENU_RUN = 3
MENU_WORDS = 16


def _menu_lines(lines: Sequence[str], reasons: Sequence[str | None], lang: str) -> set[int]:
    """Lines in runs of short unpunctuated ones; lines already known as chrome are skipped (a
    breadcrumb or a prompt inside a menu neither counts nor breaks the run)."""
    out: set[int] = set()
    run: list[int] = []
    for i, line in enumerate([*lines, ""]):
        if i < len(lines) and reasons[i] is not None:
            continue
        short = bool(line) and _words(line) <= MENU_WORDS and not ends_like_sentence(line, lang)
        if short:
            run.append(i)
            continue
        if len(run) >= MENU_RUN:
            out.update(run)
        run = []
    return out


# Running prose: a line at least this long (characters), or half as long and ending like a sentence.
PROSE_CHARS = {"en": 80, "ko": 40}
# What a line that is not prose (a heading, a menu item, a caption, chrome) costs the article block
# it sits in, in characters of prose: the block grows past such lines while prose outweighs them.
BLOCK_GAP_COST = 60
# Chrome that costs an article block nothing: found inside articles as often as around them.
BLOCK_FREE = frozenset({"caption", "byline", "email", "dateline", "reading-time", "prompt", "disclosure",
                        "symbols", "url", "question"})
# Lines caught by the rules above (menus aside) that make a text a page and not a plain article:
# only then are menus and lines outside the article's block dropped.
PAGE_EVIDENCE = 2
_TEASER = re.compile(r"(?:…|\.\.\.|\[(?:…|\.\.\.)\]|\((?:…|\.\.\.)\))\s*$|"
                     r"\b(?:read more|continue reading|read the (?:full|rest)|more)\s*(?:»|›|>|→)\s*$", re.I)
TEASER_WORDS = 50  # a longer line ending in "..." is a paragraph trailing off, unless marked "[…]"
_CUT_MARK = re.compile(r"[\[(](?:…|\.\.\.)[\])]\s*$")
# A comment section's header; once the article has begun, everything after it is readers' comments.
_COMMENTS = {
    "en": re.compile(r"^(?:\d+\s+)?(?:comments?|responses?|replies|discussion)(?:\s*\(\d+\))?\W*$|"
                     r"^(?:leave|post|add|write) a (?:comment|reply|response)\b|^(?:load|show|view|read) (?:all |more |"
                     r"\d+ )?(?:comments?|replies)\b|^join the (?:discussion|conversation)\b|"
                     r"^comments? (?:filter|policy|section)\b|^\d+ (?:thoughts|responses|comments) on\b", re.I),
    "ko": re.compile(r"^댓글(?:\s*\d+\s*개?)?\W*$|^댓글\s*(?:쓰기|작성|보기|목록|달기)|^\d+\s*개의?\s*댓글|"
                     r"^(?:전체\s*)?댓글\s*\[?\d+\]?\W*$"),
}
COMMENTS_AFTER = {"en": 200, "ko": 100}  # characters of prose (2.5 prose lines' worth)
# A comment's age on a line of its own ("8d", "3 hours ago", "2일 전"): readers' comments start there.
# A spelled-out unit needs its "ago": a bare "15 min" is the reading time under a headline.
_COMMENT_AGE = re.compile(r"^\d{1,2}(?:[smhdwy]|mo)$|"
                          r"^\d{1,2}\s*(?:[smhdwy]|mo|mins?|minutes?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago$|"
                          r"^\d{1,2}\s*(?:초|분|시간|일|주|개월|달|년)\s*전$", re.I)
# A standfirst (dek): a short paragraph between the headline and the byline, the editor's summary
# rather than the article.
DEK_WORDS = 40
DOUBLE_PASTE_RUN = 3  # prose lines repeated in order ...
DOUBLE_PASTE_SHARE = 0.8  # ... making up this share of the prose: the article pasted twice
# the lines around a headline a standfirst follows, when a share bar (a prompt) comes after it
_HEAD = frozenset({"title", "byline", "dateline", "reading-time", "standfirst", "repeated"})
_BY_ALONE = re.compile(r"^(?:(?:written|posted|reported|words|story|text)\s+)?by:?$|^(?:author|writer):?$", re.I)
_NAME = re.compile(r"^[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|van|von|da|al|and|&)){1,4}$")
QUESTION_WORDS = 25  # longer, it is more likely sentences run together than a heading
_QUESTION = re.compile(r"\?[\"'’”)\]]*$")


def _is_prose(line: str, lang: str) -> bool:
    chars = PROSE_CHARS.get(lang, PROSE_CHARS["en"])
    return len(line) >= chars or (len(line) >= chars // 2 and ends_like_sentence(line, lang))


def body_block(lines: Sequence[str], reasons: Sequence[str | None], lang: str) -> tuple[int, int]:
    """``(first, last)`` line of the article: the run of lines with the most prose once each
    non-prose line inside it costs BLOCK_GAP_COST (the maximum-sum run, as Finn et al.'s Body
    Text Extraction does with tags)."""
    best, best_span = 0, (0, len(lines) - 1)
    run, start = 0, 0
    for i, (line, reason) in enumerate(zip(lines, reasons)):
        if reason is None and _is_prose(line, lang):
            gain = len(line)
        elif reason in BLOCK_FREE:
            continue  # a caption, byline or prompt sits inside articles as often as outside
        else:
            gain = -BLOCK_GAP_COST
        if run <= 0:
            run, start = 0, i
        run += gain
        if run > best:
            best, best_span = run, (start, i)
    return best_span


@dataclass(slots=True)
class ChromeResult:
    """The sentences kept, the title signal found, and each dropped sentence with its reason."""

    sentences: list[Sentence]
    title: str | None = None
    dropped: list[tuple[Sentence, str]] = field(default_factory=list)
    page: bool = False  # chrome lines found: the text is a page, not a plain article


def _headline(line: str, lang: str) -> bool:
    words = _words(line)
    return (2 <= words <= 30 and len(line) <= 200 and not ends_like_sentence(line, lang)
            and not EMAIL.search(line))


def _headline_above_byline(line: str, lang: str) -> bool:
    """A headline where a byline or dateline follows: four words or more; in Korean it may end in
    a final ending ("... 트램 14㎞ 깐다"), only not with a full stop."""
    if _words(line) < 4:
        return False
    if lang == "ko":
        return len(line) <= 200 and not _EN_END.search(line) and not EMAIL.search(line)
    return _headline(line, lang)


def _pasted_twice(lines: Sequence[str], lang: str) -> set[int]:
    """The first copy of the article where the text is an article pasted twice: runs of
    DOUBLE_PASTE_RUN or more prose lines that come again later in the same order, holding (both
    copies together) at least DOUBLE_PASTE_SHARE of the text's prose lines. A block printed twice
    on a page (a caption, a pull quote, a news site's AI summary box above and below the headline)
    is a small part of the page's prose and stays "repeated", every copy of it."""
    earlier: dict[str, int] = {}
    prev: list[int | None] = []
    for i, line in enumerate(lines):
        key = line.casefold()
        prev.append(earlier.get(key))
        earlier.setdefault(key, i)
    originals: set[int] = set()
    copies = 0
    i = 0
    while i < len(lines):
        start = prev[i]
        if start is None:
            i += 1
            continue
        j = i
        while j + 1 < len(lines) and prev[j + 1] is not None and prev[j + 1] == start + (j + 1 - i):
            j += 1
        prose = sum(_is_prose(lines[k], lang) for k in range(i, j + 1))
        if prose >= DOUBLE_PASTE_RUN:
            originals.update(range(start, start + j + 1 - i))
            copies += prose
        i = j + 1
    total = sum(_is_prose(line, lang) for line in lines)
    return originals if total and 2 * copies >= DOUBLE_PASTE_SHARE * total else set()


def classify_lines(text: str, lang: str) -> list[tuple[int, int, str | None]]:
    """Every non-blank line of ``text`` as ``(start, end, reason)``: reason is None for a line
    that may hold article text, else why it is chrome (``"title"`` for the headline)."""
    spans = [(m.start(), m.end()) for m in _LINE.finditer(text) if m.group().strip()]
    lines = [_norm(text[s:e]) for s, e in spans]
    reasons: list[str | None] = [line_chrome(line, lang) for line in lines]
    # lines printed twice (a caption under the photo and in the gallery, a pull quote, a menu
    # header and footer): page furniture, every copy of it
    counts = Counter(line.casefold() for line in lines if len(line) >= 12)
    originals = _pasted_twice(lines, lang)
    for i, line in enumerate(lines):
        if reasons[i] is None and counts.get(line.casefold(), 0) >= 2 and i not in originals:
            reasons[i] = "repeated"
    # "Written By" on a line of its own, the author's name on the next
    for i in range(len(lines) - 1):
        if _BY_ALONE.match(lines[i]) and _NAME.match(lines[i + 1]):
            reasons[i] = reasons[i + 1] = "byline"
    for i in range(1, len(lines)):
        if reasons[i] in ("caption", "byline") and reasons[i - 1] is None and _CREDIT_LINE.search(lines[i]) \
                and _words(lines[i - 1]) <= CAPTION_WORDS:
            reasons[i - 1] = "caption"
    for i in _menu_lines(lines, reasons, lang):
        if reasons[i] is None:
            reasons[i] = "menu"
    for i, line in enumerate(lines):
        if reasons[i] is None and _TEASER.search(line) and (_words(line) <= TEASER_WORDS or _CUT_MARK.search(line)):
            reasons[i] = "teaser"  # a cut-off summary of another article, or a "Read more »"
    # the headline: the first line left, when shaped like one and followed by more text
    for i, line in enumerate(lines):
        if reasons[i] in (None, "menu", "repeated"):
            # a menu's items are a word or three; a headline opening a menu run is still one
            if _headline(line, lang) and i + 1 < len(lines) and (reasons[i] != "menu" or _words(line) >= 4):
                reasons[i] = "title"
            break
    # no headline first: the headline-shaped line right above the byline or dateline (a page's
    # headline often sits under a section name, inside what reads as a menu run)
    if "title" not in reasons:
        for i in range(len(lines) - 1):
            if reasons[i] in (None, "menu", "repeated") and _headline_above_byline(lines[i], lang) \
                    and reasons[i + 1] in ("byline", "dateline", "reading-time") \
                    and any(r is None and _is_prose(x, lang) for x, r in zip(lines[i + 2:], reasons[i + 2:])):
                # headline, deck, byline: the deck (standfirst) sits right above the byline and
                # the headline above it, when that line is shaped like a headline too
                if i > 0 and reasons[i - 1] in (None, "menu", "repeated") \
                        and _headline_above_byline(lines[i - 1], lang):
                    reasons[i - 1], reasons[i] = "title", "standfirst"
                else:
                    reasons[i] = "title"
                break
    # prose lines from each line to the end: a standfirst is never the article's last prose
    prose_after = [0] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        prose_after[i] = prose_after[i + 1] + (reasons[i] is None and _is_prose(lines[i], lang))
    for i, line in enumerate(lines):
        if reasons[i] is None and _words(line) <= DEK_WORDS and i > 0 and reasons[i - 1] is not None \
                and prose_after[i + 1] > 0 \
                and (any(r in ("byline", "dateline") for r in reasons[i + 1 : i + 3])
                     or (reasons[i - 1] in _HEAD and i + 1 < len(lines) and reasons[i + 1] == "prompt")):
            # between the headline and the byline, or between the byline and the share bar
            reasons[i] = "standfirst"
    # readers' comments: everything after a comment section's header once the article has begun
    # (COMMENTS_AFTER characters of prose seen: a promo line or two above a share bar's "Comments"
    # link is not an article yet)
    after = COMMENTS_AFTER.get(lang, COMMENTS_AFTER["en"])
    prose_seen = 0
    comments = _COMMENTS.get(lang, _COMMENTS["en"])
    for i, line in enumerate(lines):
        if prose_seen >= after and (comments.search(line) or _COMMENTS["en"].search(line)
                                             or _COMMENT_AGE.search(line)):
            for j in range(i, len(lines)):
                reasons[j] = reasons[j] or "comments"
            break
        prose_seen += len(line) if reasons[i] is None and _is_prose(line, lang) else 0
    page = sum(r not in (None, "title", "menu") for r in reasons) >= PAGE_EVIDENCE
    # a page (chrome found): lines outside the article's block are the page's, not the article's
    if page:
        first, last = body_block(lines, reasons, lang)
        for i in range(len(lines)):
            if reasons[i] is None and not first <= i <= last:
                reasons[i] = "outside-article"
    else:
        # a plain article: short unpunctuated lines in a row are its subheads and captions, which
        # ranking reads (as the title signal) and never makes bullets; kept as they were
        reasons = [None if r == "menu" else r for r in reasons]
    return [(s, e, r) for (s, e), r in zip(spans, reasons)]


def strip_chrome(
    text: str, sentences: Sequence[Sentence], lang: str,
    sentence_filter: Callable[[str], bool] | None = None,
) -> ChromeResult:
    """Drop the sentences on chrome lines of ``text`` (``sentences`` are its split, offsets into
    it); the headline line is reported as ``title`` and kept when it lacks a final ending (the
    ranking reads such leading lines as the title signal and never makes them bullets while a
    complete sentence is left); on a page (where the caller passes ``title`` to the ranking) it is
    dropped when it reads as a finished sentence (a Korean headline ending in 다 would otherwise
    be a candidate; a plain article keeps its first line as it always has).
    ``sentence_filter`` may reject more sentences."""
    classified = classify_lines(text, lang)
    starts = [s for s, _, _ in classified]
    title: str | None = None
    page = sum(r not in (None, "title", "menu") for _, _, r in classified) >= PAGE_EVIDENCE
    kept: list[Sentence] = []
    dropped: list[tuple[Sentence, str]] = []
    for s, e, reason in classified:
        if reason == "title":
            title = _norm(text[s:e])
            break
    on_title_line = 0  # kept sentences that are the headline's
    for sent in sentences:
        i = bisect.bisect_right(starts, sent.start) - 1
        reason = classified[i][2] if i >= 0 and sent.start < classified[i][1] else None
        title_line = reason == "title"
        if reason == "title":
            # an incomplete headline is kept: ranking reads leading lines without a final ending as
            # the title signal and never makes them bullets; one that reads as a finished sentence
            # (a Korean headline ending in 다) would be a candidate, so it goes and ``title`` carries it
            reason = "title" if sent.complete and page else None
        if reason is None:
            inner = line_chrome(sent.text, lang)  # a byline or caption sharing a line with prose
            if inner in ("byline", "caption", "email", "copyright", "prompt"):
                reason = inner
        if reason is None and _QUESTION.search(sent.text) and _words(sent.text) <= QUESTION_WORDS:
            reason = "question"  # a heading, an FAQ entry or a rhetorical hook: never a bullet
        if reason is None and sentence_filter is not None and sentence_filter(sent.text):
            reason = "noise"
        if reason is None:
            kept.append(sent)
            on_title_line += title_line
        else:
            dropped.append((sent, reason))
    if kept and on_title_line == len(kept):
        # the headline is all that is left of the text: it is never a bullet on its own
        dropped.extend((sent, "title") for sent in kept)
        kept = []
    return ChromeResult(kept, title, dropped, page)
