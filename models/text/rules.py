"""What must never become a bullet, in one table: page chrome and noise, in Korean and English.

Every rule is a row of :data:`RULES`: the ``reason`` it names ("byline", "caption", "prompt"...),
its ``lang`` ("en", "ko", or "any"), what it looks for (a regular ``pattern``, or for a few a
``test`` function), and ``where`` it applies:

* ``"line"``: a whole line of a pasted page, up to ``max_words`` words (a phrase that is chrome in
  a short line, "Share this article", can be prose in a long one, "He declined to share the
  data"). :func:`line_reason` returns the first row that matches, so within a language the line
  rows are in order of precedence. models.text.chrome reads every line of a text with them
  (``line_chrome``), and a sentence sharing a line with prose too, keeping only some reasons.
  A Korean line with a Latin letter is also read with the English rows of
  :data:`EN_REASONS_ON_KO_LINES` (a Korean page quotes English chrome: "Copyright", "Share").
* ``"sentence"``: any sentence that may become a bullet, and every bullet shaped (a model's
  too), at any length: :func:`sentence_reason` (``models.text.bullets.is_noise``). A long
  sentence is read at its ends only (its first 600 and last 300 characters), but for the rows
  with ``whole_text``; the ``optional`` row (headings and menu runs) only when asked for.

The two scopes hold rows for the same things (bylines, captions, credits, copyright, prompts),
each worded for what it reads: a line rule may match a whole short line ("By Jane Doe"), a
sentence rule must hold inside prose run together with it. One request reads them through one
:class:`Screen`, which keeps each verdict, so no rule runs twice over the same text in a request.
Their cases are in tests/test_chrome.py and tests/test_text.py; tests/test_bullets.py counts them.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from .sentences import LATIN, is_foreign_in_en

Where = Literal["line", "sentence"]

_SPACES = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# an e-mail address: a contact line in a page, never bullet material
EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
URL = re.compile(r"https?://\S+|www\.\S+")
_URL_ONLY = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$")

AGENCIES = (r"REUTERS|AP|AFP|EPA|YONHAP|NEWS1|NEWSIS|XINHUA|BLOOMBERG|GETTY IMAGES|AP PHOTO|"
            r"KYODO|ANADOLU|SHUTTERSTOCK|JOONGANG|JOONGANG ILBO|NEWSIS|KOREA HERALD|ILGAN SPORTS")
_STOCK = (r"Getty Images|Shutterstock|iStock(?:photo)?|Depositphotos|Unsplash|Pexels|Alamy|Adobe Stock|Pixabay|"
          r"Wikimedia Commons")

# A sentence over this many characters is read at its ends only (the patterns look at the ends;
# regex work stays bounded).
LONG_SENTENCE = 1_000


def norm_line(line: str) -> str:
    """``line`` with its runs of white space made one space, stripped."""
    return _SPACES.sub(" ", line).strip()


def no_letters(text: str) -> bool:
    """True for a text with no letter at all: emoji, digits, symbols."""
    return not _LETTER.search(text)


def is_heading_or_menu_en(sentence: str) -> bool:
    """At least 4 words and 80% of those after the first capitalized: a heading, a menu run, a
    team sheet ("I Need Legal Help", "How It Works Exploring Channels FAQs"). On the English dev
    articles 0.4% of candidate sentences match, all line-ups, shouted quotes and show titles."""
    words = _WORD.findall(sentence[:1000])
    if len(words) < 4:
        return False
    return sum(w[0].isupper() for w in words[1:]) >= 0.8 * (len(words) - 1)


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of :data:`RULES` (see the module's docstring)."""

    reason: str
    lang: str  # "en", "ko" or "any"
    where: Where
    pattern: re.Pattern[str] | None = None
    test: Callable[[str], bool] | None = None  # where a function, not a pattern, says it
    max_words: int | None = None  # line rules: a longer line never matches
    whole_text: bool = False  # sentence rules: read all of a long sentence, not only its ends
    optional: bool = False  # sentence rules: only when the caller asks (headings and menu runs)

    def matches(self, text: str) -> bool:
        """Whether this rule finds ``text`` chrome or noise (the one place a rule is run)."""
        if self.pattern is not None:
            return self.pattern.search(text) is not None
        return self.test is not None and self.test(text)


def _rows(where: Where, lang: str, rows: Sequence[tuple[str, str, int | None]], flags: int = 0) -> list[Rule]:
    return [Rule(reason, lang, where, re.compile(p, flags), max_words=words) for reason, p, words in rows]


# --- the table --------------------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    # ---- lines of a pasted page ----
    Rule("symbols", "any", "line", test=no_letters),
    *_rows("line", "en", [
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
        ("caption", r"[\[(](?:" + AGENCIES + r")(?:\s*(?:/|,)\s*[^\])]{1,60})?[\])]\s*$", 80),
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
    # another language's line on an English page: the site's, not the article's
    Rule("foreign", "en", "line", test=is_foreign_in_en),
    *_rows("line", "ko", [
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
        ("caption", r"[\[(](?:" + AGENCIES + r"|연합뉴스|뉴스1|뉴시스|로이터|게티이미지(?:뱅크)?)[\])]\s*$", 80),
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
    # ---- sentences and bullets ----
    Rule("symbols", "any", "sentence", test=no_letters, whole_text=True),
    Rule("email", "any", "sentence", EMAIL),
    Rule("url", "any", "sentence", URL),
    Rule("heading", "en", "sentence", test=is_heading_or_menu_en, optional=True),
    Rule("foreign", "en", "sentence", test=is_foreign_in_en),
    *_rows("sentence", "en", [
        ("byline", r"^\s*by\s+\.?\s*[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}\s*(?:\.|,|and|for|$)", None),
        ("byline", r"^\s*(?:by\s+)?associated press\b", None),
        ("dateline", r"\b(?:published|updated|last updated)\s*:?\s*\d", None),
        ("prompt", r"\bscroll down\b", None),
        ("prompt", r"\bclick here\b", None),
        ("related", r"\b(?:read|see) more\b\s*:?", None),
        ("prompt", r"^\s*advertisement\s*$", None),
        ("prompt", r"\bsign up (?:for|to)\b", None),
        ("prompt", r"\bfollow (?:us|@\w+|him|her) on\b", None),
        ("caption", r"^\s*(?:photo|image|picture|video|credit|caption)s?\s*:", None),
        ("caption", r"\((?:photo|picture|image)s?\b[^)]*\)", None),
        ("caption", r"\b(?:getty images|reuters/|ap photo|afp/|photo credit)\b", None),
        ("copyright", r"\bcopyright\b|\ball rights reserved\b|©", None),
        ("byline", r"^\s*\(?cnn\)?\s*$", None),  # an agency tag alone
        ("caption", r"\bpictured\b", None),
    ], re.I),
    *_rows("sentence", "ko", [
        ("byline", r"^\s*[\[(]?[가-힣]{2,4}\s*(?:기자|특파원|객원기자|통신원|리포터)\s*[\])]?\s*=?\s*$", None),
        ("byline", r"[가-힣]{2,4}\s*(?:기자|특파원)\s*[\w.+-]+@", None),
        ("byline", r"(?:기자|특파원)\s*[\])]?\s*$", None),
        ("copyright", r"ⓒ|©|무단\s*전재|재배포\s*금지|저작권자", None),
        ("caption", r"^\s*[\[<(]?\s*(?:사진|그래픽|자료|영상|출처)\s*[=:]", None),
        ("caption", r"(?:사진|그래픽|자료)\s*[=:]\s*[가-힣A-Za-z]+\s*[\])>]?\s*$", None),
        ("marker", r"^\s*[▶■◆●▲△☞※]", None),  # a list or link marker opening the line
        ("prompt", r"(?:바로가기|구독하기|클릭하세요)", None),
    ]),
)
LANGS = ("en", "ko")
# The English line rows a Korean line with a Latin letter is read with too (only such a line can
# hold them; "©", the one of their patterns without a Latin letter, is a Korean row as well).
EN_REASONS_ON_KO_LINES = frozenset({"copyright", "caption", "prompt", "legal"})


def rules(where: Where, lang: str) -> list[Rule]:
    """The rows of :data:`RULES` that apply ``where`` in ``lang``, in the table's order."""
    return [r for r in RULES if r.where == where and r.lang in (lang, "any")]


_LINE: dict[str, list[Rule]] = {lang: rules("line", lang) for lang in LANGS}
# another language reads the English patterns (and finds nothing foreign in itself)
_LINE_OTHER = [r for r in _LINE["en"] if r.lang == "any" or r.pattern is not None]
_EN_ON_KO = [r for r in RULES if r.where == "line" and r.lang == "en" and r.reason in EN_REASONS_ON_KO_LINES]
_SENTENCE: dict[str, list[Rule]] = {lang: [r for r in rules("sentence", lang) if not r.optional] for lang in LANGS}
_SENTENCE_OTHER = [r for r in RULES if r.where == "sentence" and r.lang == "any" and not r.optional]
_OPTIONAL: dict[str, list[Rule]] = {lang: [r for r in rules("sentence", lang) if r.optional] for lang in LANGS}


def _line_rules_reason(text: str, lang: str) -> str | None:
    words = len(text.split())
    for rule in _LINE.get(lang, _LINE_OTHER):
        if (rule.max_words is None or words <= rule.max_words) and rule.matches(text):
            return rule.reason
    if lang == "ko" and LATIN.search(text):
        for rule in _EN_ON_KO:
            if (rule.max_words is None or words <= rule.max_words) and rule.matches(text):
                return rule.reason
    return None


def line_reason(line: str, lang: str) -> str | None:
    """The reason ``line``, on its own, is page chrome (``"byline"``, ``"caption"``...), or None."""
    text = norm_line(line)
    return _line_rules_reason(text, lang) if text else None


def _ends(text: str) -> str:
    return text if len(text) <= LONG_SENTENCE else text[:600] + " " + text[-300:]


def _first(rules: Sequence[Rule], text: str) -> str | None:
    ends = _ends(text)
    for rule in rules:
        if rule.matches(text if rule.whole_text else ends):
            return rule.reason
    return None


def sentence_reason(text: str, lang: str, headings: bool = True) -> str | None:
    """The reason ``text`` is never a bullet (a byline, a caption, a credit, an address, another
    language...), or None; the optional rows (headings and menu runs) only with ``headings``."""
    reason = _first(_SENTENCE.get(lang, _SENTENCE_OTHER), text)
    if reason is None and headings:
        reason = _first(_OPTIONAL.get(lang, []), text)
    return reason


class Screen:
    """One request's reading of :data:`RULES` in ``lang``: each verdict is worked out once per
    text and kept, so the stages of a request (page chrome, candidates, the title's lead lines,
    bullet shaping) never run a rule twice over the same text. Not shared between requests."""

    __slots__ = ("lang", "_lines", "_sentences", "_optional")

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._lines: dict[str, str | None] = {}
        self._sentences: dict[str, str | None] = {}
        self._optional: dict[str, str | None] = {}

    def line(self, line: str) -> str | None:
        """:func:`line_reason` of ``line`` (white space normalized)."""
        text = norm_line(line)
        if not text:
            return None
        if text not in self._lines:
            self._lines[text] = _line_rules_reason(text, self.lang)
        return self._lines[text]

    def sentence(self, text: str, headings: bool = True) -> str | None:
        """:func:`sentence_reason` of ``text``."""
        if text not in self._sentences:
            self._sentences[text] = _first(_SENTENCE.get(self.lang, _SENTENCE_OTHER), text)
        reason = self._sentences[text]
        if reason is None and headings:
            if text not in self._optional:
                self._optional[text] = _first(_OPTIONAL.get(self.lang, []), text)
            reason = self._optional[text]
        return reason

    def noise(self, text: str, headings: bool = True) -> bool:
        """True when ``text`` is never a bullet (``models.text.bullets.is_noise``)."""
        return self.sentence(text, headings) is not None


def screen_for(screen: Screen | None, lang: str) -> Screen:
    """``screen`` where it reads ``lang``, else a new one."""
    return screen if screen is not None and screen.lang == lang else Screen(lang)
