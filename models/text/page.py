"""A web page's HTML -> its article text and title, offline and bounded.

trafilatura does the extraction (chosen by measurement against readability-lxml, resiliparse,
newspaper4k and goose3: ``python -m bench.pages --compare-extractors``; the figures are in docs/pages.md).
Nothing is fetched: the HTML is parsed as given, with libxml2's network access off, no URL is
passed on, and links, images and frames are never followed.

A page a crawler decoded with the wrong charset ("â€™" for "’") has its text and title repaired
by ftfy (``fix_encoding`` only: nothing else about the text changes).

Bounds, all checked before trafilatura runs:

* size: at most ``max_bytes`` of UTF-8 (the service passes ``SUMMARIZER_MAX_HTML_BYTES``);
* nesting: libxml2 stops building the tree 256 levels deep (``huge_tree`` stays off), so a
  nesting bomb yields a short tree, not a deep one;
* entities: the HTML parser expands no DTD entities (a "billion laughs" document stays a few
  literal ``&name;`` strings) and never loads external ones;
* elements: trafilatura's time grows faster than linearly with the element count (20,000
  link-list items took 2.6 s), so a page over :data:`MAX_ELEMENTS` is first thinned (hidden and
  navigation elements removed, inline formatting unwrapped, text kept) and refused if still over.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass

from ..errors import InputRejected

# The engine's own ceiling (the batch CLI, `summarize --html`); the HTTP API applies the smaller
# SUMMARIZER_MAX_HTML_BYTES (default 1,000,000, inside the 1 MiB body limit) before this.
MAX_HTML_BYTES = 4_000_000
# The largest dev page has 3,746 elements; just under 10,000 the slowest shapes tried (text
# <div>s, lists of links, unclosed <p>s) take 0.6-2.1 s, a real page far less.
MAX_ELEMENTS = 10_000
MAX_TITLE_CHARS = 300
# Under this many characters, trafilatura's precision mode is taken to have missed the article.
MIN_PRECISE_CHARS = 200

# Never article text; removed first when a page is over MAX_ELEMENTS.
_THIN_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "nav",
              "footer", "aside", "form", "select", "button", "canvas", "video", "audio", "picture")
_INLINE = ("a", "span", "b", "i", "em", "strong", "font", "small", "u", "abbr", "cite", "sup", "sub",
           "mark", "time", "label", "code", "s", "strike", "bdi", "bdo", "q", "var", "ins", "del")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class Page:
    """What a page holds for summarizing: the article's text (paragraphs on their own lines) and
    its headline when one was found."""

    text: str
    title: str | None = None


def _parse(html: str):  # noqa: ANN202 - an lxml.html.HtmlElement
    import lxml.etree
    import lxml.html

    parser = lxml.html.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, huge_tree=False, recover=True,
        default_doctype=False,
    )
    try:
        return lxml.html.document_fromstring(html, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None  # nothing parseable: an empty document, say


def _count(tree) -> int:  # noqa: ANN001
    return sum(1 for _ in tree.iter())


def _thin(tree) -> None:  # noqa: ANN001
    """Remove elements that are never article text and unwrap inline ones (their text stays)."""
    import lxml.etree

    for el in list(tree.iter(*_THIN_DROP)):
        if el.getparent() is not None:
            el.drop_tree()
    lxml.etree.strip_tags(tree, *_INLINE)


def _title(tree) -> str | None:  # noqa: ANN001
    """The page's headline: Open Graph or Twitter title, else trafilatura's pick among <h1> and
    <title> (a " | Site name" tail removed)."""
    from trafilatura.metadata import extract_title

    for xpath in ('//meta[@property="og:title"]/@content', '//meta[@name="twitter:title"]/@content'):
        found = tree.xpath(xpath)
        if found and str(found[0]).strip():
            title = str(found[0])
            break
    else:
        title = extract_title(tree) or ""
    title = re.sub(r"\s+", " ", _CONTROL.sub("", _fix_mojibake(title))).strip()
    return title[:MAX_TITLE_CHARS] or None


def _trafilatura_text(tree, favor_precision: bool) -> str:  # noqa: ANN001
    import trafilatura

    doc = trafilatura.bare_extraction(tree, favor_precision=favor_precision, include_comments=False,
                                      include_tables=True, include_images=False, include_links=False)
    return (getattr(doc, "text", None) or "") if doc is not None else ""


# schema.org types whose articleBody is a page's article (JSON-LD, the structured data news sites
# publish for search engines)
_ARTICLE_TYPES = frozenset({"Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle",
                            "BackgroundNewsArticle", "OpinionNewsArticle", "ReviewNewsArticle",
                            "BlogPosting", "Report", "TechArticle", "ScholarlyArticle"})


def _json_ld_body(tree) -> str:  # noqa: ANN001
    """The longest ``articleBody`` of an article in the page's JSON-LD, as plain text ("" if none).

    The last resort where trafilatura finds (almost) nothing, or nothing but labels and menu items:
    a page that draws its article with a script from data it carries still publishes the text for
    search engines this way (trafilatura's own fallback reads it too, but flattened into one line,
    and not where the page's menus already gave it 200 characters)."""
    best = ""
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text_content())
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                kinds = item.get("@type")
                kinds = set(kinds) if isinstance(kinds, list) else {kinds}
                body = item.get("articleBody")
                if kinds & _ARTICLE_TYPES and isinstance(body, str) and len(body) > len(best):
                    best = body
                stack.extend(v for v in item.values() if isinstance(v, list | dict))
    if "<" in best:  # some sites put the article's HTML there
        parsed = _parse(best)
        best = "\n\n".join(t.strip() for t in parsed.xpath("//text()") if t.strip()) if parsed is not None else ""
    return best.strip()


def _has_prose(text: str) -> bool:
    """True where a line of ``text`` has PROSE_WORDS words or more: not only menu items and labels."""
    return any(len(line.split()) >= PROSE_WORDS for line in text.splitlines())


def _fix_mojibake(text: str) -> str:
    """UTF-8 that a crawler decoded as Latin-1 or cp1252 ("â€™" for "’") decoded right, by ftfy;
    text without such sequences is returned unchanged."""
    import ftfy

    return ftfy.fix_encoding(text)


# Text a reader could take for the page's content: outside the head, scripts and navigation (the
# <nav> and <menu> elements, ARIA's navigation and menu roles). A page with none of it and no run of
# prose anywhere (PROSE_WORDS words in one text node) is navigation only: link labels, no article,
# however the extractor's fallback reads it ({"html": "<nav>Home News</nav>"} had answered the
# bullet "Home News"). The prose test is there because real pages do wrap the whole article in a
# <nav> (1 of the 204 dev pages); headers, footers and asides are not excluded for the same reason
# (on 4 of the 180 English dev pages the article sits inside a <header> or a banner).
_VISIBLE = "not(ancestor::head or ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)"
_CONTENT_TEXT = (
    f"//text()[normalize-space() and {_VISIBLE} and not(ancestor::nav or ancestor::menu"
    " or ancestor::*[@role='navigation' or @role='menu' or @role='menubar'])]"
)
PROSE_WORDS = 8


def _has_content(tree) -> bool:  # noqa: ANN001
    """False for a page of navigation only: no text with a letter outside navigation, and no text
    node of PROSE_WORDS words or more anywhere."""
    if any(re.search(r"[^\W\d_]", t) for t in tree.xpath(_CONTENT_TEXT)):
        return True
    return any(len(t.split()) >= PROSE_WORDS for t in tree.xpath(f"//text()[{_VISIBLE}]"))


def extract_page(html: str, max_bytes: int = MAX_HTML_BYTES) -> Page:
    """The article text and headline of a page; raises :class:`InputRejected` for a page over
    ``max_bytes`` or :data:`MAX_ELEMENTS`, or one with no article text."""
    size = len(html.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise InputRejected(f"html must be at most {max_bytes} bytes (got {size})",
                            {"field": "html", "limit_bytes": max_bytes})
    tree = _parse(_CONTROL.sub("", html))
    if tree is None:
        raise InputRejected("the html has no article text", {"field": "html"})
    structured = _json_ld_body(tree)  # before thinning drops the scripts
    n = _count(tree)
    if n > MAX_ELEMENTS:
        _thin(tree)
        n = _count(tree)
        if n > MAX_ELEMENTS:
            raise InputRejected(
                f"the html has {n} elements after removing navigation and inline markup; at most "
                f"{MAX_ELEMENTS} are read", {"field": "html", "limit_elements": MAX_ELEMENTS},
            )
    if not _has_content(tree) and not structured:
        raise InputRejected("the html has no article text (only navigation)",
                            {"field": "html"})
    title = _title(tree)
    # Precision first: bullets must come from the article alone (on the dev pages, leaking bullets
    # 3.8% -> 2.9% for 2 points of body F1); a page where that finds (almost) nothing is read again
    # with trafilatura's defaults, so that it still gets bullets.
    spare = copy.deepcopy(tree)
    text = _trafilatura_text(tree, favor_precision=True)
    if len(text) < MIN_PRECISE_CHARS:
        text = _trafilatura_text(spare, favor_precision=False)
    if structured and (len(text) < MIN_PRECISE_CHARS or not _has_prose(text)):
        text = structured
    text = _BLANK_LINES.sub("\n\n", _CONTROL.sub("", _fix_mojibake(text))).strip()
    if not re.search(r"[^\W\d_]", text):
        raise InputRejected("the html has no article text", {"field": "html"})
    return Page(text=text, title=title)
