"""The normalization at the door (models/text/normalize.py): each character class it folds, the
offset map (property-based), and whole articles in every form giving the clean text's bullets with
offsets into the text as sent."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import Engine, SummarizeRequest
from models.text.normalize import normalize_text

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize(("sent", "analysed"), [
    (unicodedata.normalize("NFD", "한국어 기사"), "한국어 기사"),  # decomposed Hangul
    ("Cafe\u0301 de\u0301ja\u0300", "Café déjà"),  # Latin letter + combining accent
    ("전기\u200b버스", "전기버스"),  # zero-width space
    ("co\u00adoperate", "cooperate"),  # soft hyphen
    ("\ufeffBOM", "BOM"),  # byte order mark
    ("a\u200cb\u200dc\u2060d", "abcd"),  # ZWNJ, ZWJ, word joiner
    ("\u200eleft\u200f \u202aemb\u202c \u2066iso\u2069 \u061c", "left emb iso "),  # bidirectional marks
    ("3\u00a0월 10\u202f% 한\u3000국 a\u2009b", "3 월 10 % 한 국 a b"),  # no-break and other spaces
    ("one\r\ntwo\rthree\u2028four\u2029five\x85six", "one\ntwo\nthree\nfour\nfive\nsix"),  # line breaks
    ("２０２６년 ＡＩ （주）", "2026년 AI (주)"),  # full-width ASCII
    ("① ㈜ ™ … ﬁ ㄱㅏ 😀", "① ㈜ ™ … ﬁ ㄱㅏ 😀"),  # kept: other compatibility characters, emoji
])
def test_each_class(sent: str, analysed: str) -> None:
    norm = normalize_text(sent)
    assert norm.text == analysed
    # every analysed character maps back to where it came from
    for i, ch in enumerate(norm.text):
        a, b = norm.span(i, i + 1)
        assert normalize_text(sent[a:b]).text == ch


def test_clean_text_is_returned_as_is() -> None:
    text = "서울시가 내년 3월부터 전기버스를 투입한다.\nThe ferry runs on batteries."
    norm = normalize_text(text)
    assert norm.identity and norm.text is text and norm.span(3, 9) == (3, 9)


_ALPHABET = st.sampled_from(list("ab 한국어.\n") + [
    "\u1100", "\u1161", "\u11a8", "\u0301", "\u0323", "\u200b", "\u00ad", "\u200e", "\u00a0",
    "\u3000", "\r", "\u2028", "\uff21", "\uff10", "\ufeff", "\u0b47", "\u0b3e", "e",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_map_is_monotone_and_slices_back(text: str) -> None:
    norm = normalize_text(text)
    n = len(norm.text)
    # composition is canonical: the analysed text is NFC
    assert unicodedata.is_normalized("NFC", norm.text)
    # the whole analysed text maps into the original, in order
    if norm.starts is not None:
        assert len(norm.starts) == len(norm.ends) == n
        assert list(norm.starts) == sorted(norm.starts) and list(norm.ends) == sorted(norm.ends)
        assert all(0 <= a < b <= len(text) for a, b in zip(norm.starts, norm.ends))
    # any span between two source clusters slices back to text that normalizes to the span
    cuts = [0] + [i for i in range(1, n) if norm.span(i, i + 1)[0] != norm.span(i - 1, i)[0]] + [n]
    for i in cuts:
        for j in cuts:
            if i < j:
                a, b = norm.span(i, j)
                assert normalize_text(text[a:b]).text == norm.text[i:j]


def _variants(text: str) -> dict[str, str]:
    """The same article as people send it: each form the normalization folds."""
    fullwidth = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789"})
    return {
        "nfd": unicodedata.normalize("NFD", text),
        "zero-width": text.replace(" ", " \u200b").replace("다.", "다\u200d."),
        "soft-hyphen": text.replace("tion", "ti\u00adon").replace("버스", "버\u00ad스"),
        "bidi": "\u200e" + text.replace("\n", "\u200f\n\u202a") + "\u202c",
        "nbsp": text.replace(" ", "\u00a0"),
        "ideographic-space": text.replace(" ", "\u3000"),
        "crlf": text.replace("\n", "\r\n"),
        "line-separator": text.replace("\n", "\u2028"),
        "bom": "\ufeff" + text,
        "fullwidth-digits": text.translate(fullwidth),
        "all": "\ufeff" + unicodedata.normalize("NFD", text).replace("\n", "\r\n").replace(" ", "\u00a0\u200b"),
    }


ARTICLES = {
    "ko": (ROOT / "samples" / "ko.txt").read_text(encoding="utf-8"),
    "en": (ROOT / "samples" / "en.txt").read_text(encoding="utf-8"),
    "ko-pasted": (DATA / "pasted_portal_ko.txt").read_text(encoding="utf-8"),
    "en-pasted": (DATA / "pasted_wire_en.txt").read_text(encoding="utf-8"),
    "ko-paper": (DATA / "pasted_paper_ko.txt").read_text(encoding="utf-8"),
}


def _bullets(engine: Engine, text: str, style: str = "sentence") -> list[str]:
    result = engine.summarize(SummarizeRequest(text=text, method="extractive", style=style))
    for bullet in result.bullets:
        for s in bullet.sources:
            assert text[s.start:s.end] == s.text  # offsets slice the text as sent
    return [b.text for b in result.bullets]


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_every_form_gives_the_clean_bullets(engine: Engine, name: str) -> None:
    clean = ARTICLES[name]
    expected = _bullets(engine, clean)
    assert expected
    for form, text in _variants(clean).items():
        assert _bullets(engine, text) == expected, form


@pytest.mark.parametrize("name", ["ko", "ko-paper"])
def test_concise_style_of_decomposed_korean(engine: Engine, name: str) -> None:
    clean = ARTICLES[name]
    assert _bullets(engine, unicodedata.normalize("NFD", clean), "concise") == _bullets(engine, clean, "concise")


def test_http_offsets_point_into_the_text_as_sent(client) -> None:  # noqa: ANN001
    text = unicodedata.normalize("NFD", ARTICLES["ko"]).replace("\n", "\r\n")
    body = client.post("/v1/summarize", json={"text": text}).get_json()
    clean = client.post("/v1/summarize", json={"text": ARTICLES["ko"]}).get_json()
    assert [b["text"] for b in body["bullets"]] == [b["text"] for b in clean["bullets"]]
    for bullet in body["bullets"]:
        assert unicodedata.is_normalized("NFC", bullet["text"])  # bullets come out composed
        for s in bullet["sources"]:
            assert text[s["start"]:s["end"]] == s["sentence"]
            assert not unicodedata.is_normalized("NFC", s["sentence"])  # the caller's own form
    assert "normalize" in body["timings_ms"]


def test_html_article_is_normalized_after_extraction(client) -> None:  # noqa: ANN001
    from tests.test_pages_e2e import KO_BODY, html_page

    page = html_page("저커버그 방한", [unicodedata.normalize("NFD", p).replace(" ", "&nbsp;") for p in KO_BODY], "ko")
    body = client.post("/v1/summarize", json={"html": page}).get_json()
    clean = client.post("/v1/summarize", json={"html": html_page("저커버그 방한", KO_BODY, "ko")}).get_json()
    assert [b["text"] for b in body["bullets"]] == [b["text"] for b in clean["bullets"]]
    assert body["text"] == clean["text"]  # the returned article is the normalized one
    for bullet in body["bullets"]:
        for s in bullet["sources"]:
            assert body["text"][s["start"]:s["end"]] == s["sentence"]
