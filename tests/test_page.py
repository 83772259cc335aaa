"""HTML -> article text and title (models/text/page.py): extraction, the size and element limits, and
bombs (deep nesting, entity expansion, external entities) answered without blowing up.

Bounded time is shown structurally, not with timing asserts: over the element limit trafilatura
is never called, and a bomb's text is never expanded.
"""
from __future__ import annotations

import socket

import pytest

from models import InputRejected
from models.text import page as page_mod
from models.text.page import MAX_ELEMENTS, MAX_HTML_BYTES, extract_page

PARAGRAPHS = [
    "The port authority will open a second container terminal in the harbor next spring, officials said on Monday.",
    "The terminal is expected to double the port's capacity and to create about 1,200 jobs in the region.",
    "Construction began two years ago and has cost 3.4 billion dollars so far, according to the authority.",
    "Shipping companies welcomed the plan, saying the old terminal had been operating at its limit for years.",
]


def page(body: str = "", head: str = "<title>Port to open second terminal | Harbor Daily</title>") -> str:
    article = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<!DOCTYPE html><html><head>{head}<script>var tracking = 1;</script></head><body>"
        "<header><nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li>"
        "<li><a href='/sport'>Sport</a></li></ul></nav></header>"
        f"<main><article><h1>Port to open second terminal</h1>{article}{body}</article></main>"
        "<aside><h2>Most read</h2><ul><li><a href='/a'>Council approves budget after long debate</a></li>"
        "<li><a href='/b'>Storm closes coastal road for two days</a></li></ul></aside>"
        "<footer><p>Copyright 2026 Harbor Daily. All rights reserved.</p></footer></body></html>"
    )


def test_article_text_and_title() -> None:
    result = extract_page(page())
    # the headline, then one paragraph a line; no menu, aside, footer or script
    assert result.text.split("\n") == ["Port to open second terminal", *PARAGRAPHS]
    assert result.title == "Port to open second terminal"


def test_open_graph_title_wins() -> None:
    head = '<meta property="og:title" content="Second container terminal to open in spring"><title>x</title>'
    assert extract_page(page(head=head)).title == "Second container terminal to open in spring"


def test_nothing_is_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the extraction tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    html = page(body="<img src='http://203.0.113.9/a.jpg'><iframe src='http://203.0.113.9/f.html'></iframe>"
                     "<link rel='stylesheet' href='http://203.0.113.9/s.css'>")
    assert extract_page(html).text.split("\n")[1:5] == PARAGRAPHS


def test_size_limit_at_the_default() -> None:
    filler = "<!--" + "x" * (MAX_HTML_BYTES - len(page()) - 7) + "-->"
    at_limit = page() + filler
    assert len(at_limit.encode()) == MAX_HTML_BYTES
    assert PARAGRAPHS[0] in extract_page(at_limit).text
    with pytest.raises(InputRejected) as err:
        extract_page(at_limit + "x")
    assert err.value.details == {"field": "html", "limit_bytes": MAX_HTML_BYTES}


def test_size_limit_counts_utf8_bytes() -> None:
    with pytest.raises(InputRejected):
        extract_page("<p>" + "한" * 400 + "</p>", max_bytes=1_000)  # 1,200 bytes in 400 characters


def test_element_bomb_is_refused_before_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("trafilatura ran on a page over the element limit")

    monkeypatch.setattr(trafilatura, "bare_extraction", never)
    with pytest.raises(InputRejected) as err:
        extract_page("<div><p>word</p></div>" * (MAX_ELEMENTS // 2 + 1))
    assert err.value.details["limit_elements"] == MAX_ELEMENTS


def test_inline_markup_is_thinned_not_refused() -> None:
    # a real page over the limit only because of links and spans is read after unwrapping them
    links = "".join(f"<a href='/t{i}'><span>tag {i}</span></a>" for i in range(MAX_ELEMENTS))
    result = extract_page(page(body=f"<div class='tags'>{links}</div>"))
    assert all(p in result.text for p in PARAGRAPHS)


def test_nesting_bomb() -> None:
    # libxml2 stops 256 levels down: the tree stays shallow, the call returns or refuses, no RecursionError
    bomb = "<div>" * 100_000 + "<p>deep</p>" + "</div>" * 100_000
    try:
        result = extract_page(page(body=bomb))
    except InputRejected:
        return
    assert len(result.text) < 10_000


def test_entity_bomb_is_not_expanded() -> None:
    defs = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip("abcdefg", "bcdefgh")
    )
    bomb = f"<!DOCTYPE html [{defs}]><html><body><article>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    bomb += "<p>" + "&h;" * 50 + "</p></article></body></html>"
    result = extract_page(bomb)
    assert len(result.text) < 5_000  # 10^8 characters had the entities been expanded
    assert "aaaaaaaaaa" not in result.text


def test_external_entity_is_not_loaded(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRETVALUE", encoding="utf-8")
    html = (f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x SYSTEM "file://{secret}">]>'
            "<html><body><article>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "<p>&x;</p></article></body></html>")
    assert "TOPSECRETVALUE" not in extract_page(html).text


@pytest.mark.parametrize("html", ["", "   ", "<html><body></body></html>", "<script>alert(1)</script>",
                                  "<html><body><!-- nothing --><div> </div></body></html>"])
def test_no_article_text(html: str) -> None:
    with pytest.raises(InputRejected) as err:
        extract_page(html)
    assert err.value.details["field"] == "html"


def test_control_characters_are_removed() -> None:
    result = extract_page(page(body="<p>Officials said the \x00terminal\x07 would open in April of next year.</p>"))
    assert "\x00" not in result.text and "\x07" not in result.text


def test_public_limits_are_the_documented_ones() -> None:
    assert page_mod.MAX_HTML_BYTES == 4_000_000 and page_mod.MAX_ELEMENTS == 10_000


def test_article_drawn_by_script_is_read_from_json_ld() -> None:
    """A page whose article a script draws from data it carries: the markup holds only a shell, and
    the text is in the JSON-LD it publishes for search engines (articleBody), here with HTML in it."""
    import json as _json

    paragraphs = ["The city council approved a new budget for its schools on Monday after a long debate.",
                  "The plan adds 300 teachers over three years and repairs forty old buildings.",
                  "Parents' groups welcomed the vote but warned that the money may not be enough."]
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "name": "Council"},
        {"@type": ["NewsArticle"], "headline": "Council approves school budget",
         "articleBody": "".join(f"<p>{p}</p>" for p in paragraphs)}]}
    html = ("<html><head><title>Council approves school budget</title>"
            f"<script type='application/ld+json'>{_json.dumps(ld)}</script></head>"
            "<body><div id='app'></div><script>render(window.__DATA__)</script></body></html>")
    page = extract_page(html)
    assert all(p in page.text for p in paragraphs)  # trafilatura's own fallback reads it, flattened
    # a short article in a shell full of menus: trafilatura reads the menus (more text than the
    # article), which hold no line of prose; the JSON-LD article is read instead
    short = paragraphs[:2]
    ld["@graph"][1]["articleBody"] = "".join(f"<p>{p}</p>" for p in short)
    menus = "".join(f"<div class='m'><a href='/s{i}'>Section number {i}</a></div>" for i in range(30))
    html = html.replace("<div id='app'></div>", f"<div id='app'>{menus}</div>").replace(
        html[html.index("{"):html.index("</script>")], _json.dumps(ld))
    assert extract_page(html).text.split("\n\n") == short


def test_json_ld_is_only_a_last_resort() -> None:
    """Where trafilatura finds the article, a JSON-LD articleBody (here a different text) is not read."""
    import json as _json

    body = "".join(f"<p>{'The council approved the budget after a long debate on Monday evening. ' * 3}</p>"
                   for _ in range(4))
    ld = {"@type": "NewsArticle", "articleBody": "Something else entirely. " * 40}
    html = (f"<html><head><script type='application/ld+json'>{_json.dumps(ld)}</script></head>"
            f"<body><article>{body}</article></body></html>")
    assert "Something else" not in extract_page(html).text
