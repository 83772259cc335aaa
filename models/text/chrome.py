"""Page chrome in pasted text: what a select-all-and-copy of a news page brings besides the article.

A pasted page carries the site's furniture around the article: breadcrumbs and menus, print /
share / subscribe / log-in / comment prompts, copyright lines, related-article lists, photo
captions (often printed twice) with their credits, bylines, reporter and e-mail lines. None of it
may become a bullet. :func:`strip_chrome` drops it line by line, in Korean and English, and reports
the headline (a first line shaped like one) as the title.

Every rule is general (a shape, a phrase any site uses), not a site's markup: the single-line
rules are the "line" rows of the one table of chrome and noise, :data:`models.text.rules.RULES`,
and their cases are in tests/test_chrome.py. Some look at a
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

from .rules import AGENCIES as _AGENCIES
from .rules import EMAIL, Screen, line_reason, norm_line, screen_for
from .sentences import Sentence

_LINE = re.compile(r"[^\n]+")
_EN_END = re.compile(r"[.!?…][\"'’”)\]]*$")
_KO_END = re.compile(r"(?:다|요|죠|까|니다|습니다)[.!?…]*[\"'’”)\]]*$|[.!?…][\"'’”)\]]*$")

# A credit on a line of its own ("Image: Courtesy of ...", "[사진 = 한빛뉴스]"): the line just above
# it is the caption it credits.
_CREDIT_LINE = re.compile(
    r"^\W*(?:photo|image|picture|illustration|graphic|credit|courtesy|source)s?\b\s*(?::|by\b|courtesy\b)|"
    r"^\W*(?:사진|그래픽|자료|영상|이미지|출처)\s*[=:]|^\W*[\[(][^\])]{0,40}(?:제공|=)[^\])]{0,40}[\])]\W*$|"
    r"^\W*[\[(](?:" + _AGENCIES + r")[\])]\W*$", re.I)
CAPTION_WORDS = 40

_norm = norm_line


def _words(line: str) -> int:
    return len(line.split())


def ends_like_sentence(line: str, lang: str) -> bool:
    """True when a line ends the way a finished sentence does (final punctuation; in Korean also a
    final ending such as 다 or 요)."""
    return bool((_KO_END if lang == "ko" else _EN_END).search(line.rstrip()))


def line_chrome(line: str, lang: str) -> str | None:
    """The reason a line, on its own, is page chrome (``"byline"``, ``"caption"``...), or None:
    the line rows of :data:`models.text.rules.RULES`."""
    return line_reason(line, lang)


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
    # the request's verdicts of models.text.rules.RULES, for the stages after this one
    screen: Screen | None = field(default=None, repr=False, compare=False)


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


def classify_lines(text: str, lang: str, screen: Screen | None = None) -> list[tuple[int, int, str | None]]:
    """Every non-blank line of ``text`` as ``(start, end, reason)``: reason is None for a line
    that may hold article text, else why it is chrome (``"title"`` for the headline). The line
    rules are read through ``screen`` (the request's; a new one by default)."""
    screen = screen_for(screen, lang)
    spans = [(m.start(), m.end()) for m in _LINE.finditer(text) if m.group().strip()]
    lines = [_norm(text[s:e]) for s, e in spans]
    reasons: list[str | None] = [screen.line(line) for line in lines]
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
    sentence_filter: Callable[[str], bool] | None = None, screen: Screen | None = None,
) -> ChromeResult:
    """Drop the sentences on chrome lines of ``text`` (``sentences`` are its split, offsets into
    it); the headline line is reported as ``title`` and kept when it lacks a final ending (the
    ranking reads such leading lines as the title signal and never makes them bullets while a
    complete sentence is left); on a page (where the caller passes ``title`` to the ranking) it is
    dropped when it reads as a finished sentence (a Korean headline ending in 다 would otherwise
    be a candidate; a plain article keeps its first line as it always has).
    ``sentence_filter`` may reject more sentences. The rules are read through ``screen`` (a new
    one by default), which the result carries on for the request's later stages."""
    screen = screen_for(screen, lang)
    classified = classify_lines(text, lang, screen)
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
            inner = screen.line(sent.text)  # a byline or caption sharing a line with prose
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
    return ChromeResult(kept, title, dropped, page, screen)
