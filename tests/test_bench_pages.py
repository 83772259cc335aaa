"""bench.pages: several data files run together, figures per language and mode, and the by-site table.

The pages here are written for this test; score_pages.py is copied from the evaluation folder at
test time (bench.pages reads it from the data file's folder)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench import pages

ROOT = Path(__file__).resolve().parent.parent
SCORER = ROOT.parent / "shared" / "eval" / "score_pages.py"
needs_scorer = pytest.mark.skipif(not SCORER.exists(), reason=f"{SCORER} (the evaluation folder's scorer) is missing")

EN_BODIES = [
    "The city council approved a new budget for public libraries on Tuesday. The plan adds evening hours "
    "at six branches and hires twelve librarians. Council members said demand for study space had grown "
    "every year since the pandemic. The changes start in September and cost about two million dollars.",
    "A small bakery in the harbour district has won a national bread award. Its owner bakes sourdough "
    "with flour from a mill two miles away. The judges praised the crust and the long fermentation. "
    "The bakery plans to open a second shop next spring near the train station.",
    "Researchers tracked migrating birds with tiny solar tags for three years. The data show that storms "
    "push flocks far off their usual routes. Younger birds recovered their course more slowly than older "
    "ones. The team hopes the tags will help protect resting sites along the coast.",
]
KO_BODIES = [
    "시의회가 화요일 공공도서관 예산안을 통과시켰다. "
    "예산안은 여섯 곳의 분관에서 저녁 운영 시간을 늘리고 사서 열두 명을 새로 뽑는 내용을 담았다. "
    "의원들은 학습 공간 수요가 해마다 늘었다고 설명했다. 바뀐 운영 시간은 9월부터 적용된다.",
    "항구 근처의 작은 빵집이 전국 제빵 대회에서 상을 받았다. "
    "주인은 가까운 방앗간에서 받은 밀가루로 천연발효 빵을 굽는다. "
    "심사위원들은 겉껍질과 긴 발효 과정을 높게 평가했다. 빵집은 내년 봄 기차역 근처에 두 번째 가게를 열 계획이다.",
]


def _html(title: str, body: str, lang: str) -> str:
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in body.split(".") if s.strip())
    menu = "Home News Sports Weather" if lang == "en" else "홈 뉴스 스포츠 날씨"
    footer = "Copyright 2025 Example Media. All rights reserved."
    if lang == "ko":
        footer = "저작권 2025 예시미디어. 무단 전재 금지."
    items = "".join(f'<li><a href="/">{w}</a></li>' for w in menu.split())
    return (f'<!doctype html><html lang="{lang}"><head><title>{title}</title></head><body>'
            f"<nav><ul>{items}</ul></nav>"
            f"<main><article><h1>{title}</h1>{paragraphs}</article></main>"
            f"<footer><p>{footer}</p></footer></body></html>")


def _rows() -> tuple[list[dict], list[dict]]:
    en_urls = ["https://www.example.com/news/library-budget", "https://example.com/food/bakery-award",
               "https://blog.example.org/birds"]
    en = [{"id": f"en-{i}", "lang": "en", "url": url, "html": _html(f"Story {i}", body, "en"), "body": body}
          for i, (url, body) in enumerate(zip(en_urls, EN_BODIES))]
    # the site field wins over the url's host: both Korean pages are one site
    ko_urls = ["https://www.one.example.kr/a/1", "https://two.example.kr/b/2"]
    ko = [{"id": f"ko-{i}", "lang": "ko", "site": "news.example.kr", "url": url,
           "html": _html(f"기사 {i}", body, "ko"), "body": body}
          for i, (url, body) in enumerate(zip(ko_urls, KO_BODIES))]
    return en, ko


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _table(text: str) -> dict[tuple[str, str], list[str]]:
    """Rows of a markdown table keyed by (first cell, second cell)."""
    out = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| language"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            out[(cells[0], cells[1])] = cells[2:]
    return out


def test_site_of() -> None:
    assert pages.site_of({"site": "mk.co.kr", "url": "https://www.other.com/x"}) == "mk.co.kr"
    assert pages.site_of({"url": "https://www.example.com/a?b=1"}) == "example.com"
    assert pages.site_of({"url": "https://blog.example.org/"}) == "blog.example.org"
    assert pages.site_of({"id": "x"}) == "?"


def test_load_all_limits_each_file_and_refuses_duplicate_ids(tmp_path: Path) -> None:
    en, ko = _rows()
    _write(tmp_path / "en.jsonl", en)
    _write(tmp_path / "ko.jsonl", ko)
    rows = pages.load_all([str(tmp_path / "en.jsonl"), str(tmp_path / "ko.jsonl")], limit=1)
    assert [r["id"] for r in rows] == ["en-0", "ko-0"]
    with pytest.raises(SystemExit, match="en-0"):
        pages.load_all([str(tmp_path / "en.jsonl"), str(tmp_path / "en.jsonl")])


@needs_scorer
def test_per_page_scores_add_up_per_site() -> None:
    scorer = pages._score_pages(SCORER.parent)
    en, _ = _rows()
    preds = {
        "en-0": ["The city council approved a new budget for public libraries on Tuesday."],
        "en-1": ["Its owner bakes sourdough with flour from a mill two miles away.",
                 "Subscribe to our newsletter for the best deals every week"],  # not in the body: leaks
        "en-2": ["Younger birds recovered their course more slowly than older ones."],
    }
    scores = pages.score_each_page(scorer, en, preds)
    assert [(s["bullets"], s["leaking"], s["has_leak"]) for s in scores.values()] == [(1, 0, False), (2, 1, True),
                                                                                       (1, 0, False)]
    t = pages.tally(scores.values())
    assert (t["pages"], t["bullets"], t["leaking"], t["with_leak"]) == (3, 4, 1, 1)
    assert t["leak_rate"] == pytest.approx(25.0)
    site = pages.by_site(en, scores)
    assert (site["sites"], site["sites_with_bullets"], site["sites_with_leak"]) == (2, 2, 1)
    # example.com: 1 of 3 bullets, 1 of 2 pages; blog.example.org: none
    assert site["leak_rate"]["min"] == 0.0
    assert site["leak_rate"]["max"] == pytest.approx(100 / 3)
    assert site["leak_rate"]["max_sites"] == ["example.com"]
    assert site["page_leak_rate"]["median"] == pytest.approx(25.0)
    whole = scorer.score(en, preds, baseline=False)["en"]["system"]
    assert (whole["bullets"], whole["leaking"]) == (t["bullets"], t["leaking"])


@needs_scorer
def test_main_reports_each_language_mode_and_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir, out_dir = tmp_path / "eval", tmp_path / "out"
    data_dir.mkdir()
    shutil.copy(SCORER, data_dir / "score_pages.py")
    en, ko = _rows()
    _write(data_dir / "pages_en.jsonl", en)
    _write(data_dir / "pages_ko.jsonl", ko)
    code = pages.main(["--data", str(data_dir / "pages_en.jsonl"), str(data_dir / "pages_ko.jsonl"),
                       "--out", str(out_dir)])
    text = capsys.readouterr().out
    assert code in (0, 1), text
    for lang in ("en", "ko"):
        for mode in ("html", "pasted"):
            assert f"[{lang} {mode}] targets:" in text

    main_text, _, site_text = text.partition("By site")
    assert site_text, text
    table = _table(main_text)
    preds = {mode: [json.loads(line) for line in (out_dir / f"pred_{mode}.jsonl").read_text("utf-8").splitlines()]
             for mode in ("html", "pasted")}
    for mode in ("html", "pasted"):
        assert [p["id"] for p in preds[mode]] == ["en-0", "en-1", "en-2", "ko-0", "ko-1"]
        for lang, n in (("en", 3), ("ko", 2), ("all", 5)):
            row = table[(lang, mode)]
            assert int(row[0]) == n, (lang, mode, row)
            bullets = sum(len(p["bullets"]) for p in preds[mode] if lang == "all" or p["id"].startswith(lang))
            assert int(row[1]) == bullets, (lang, mode, row)
            assert bullets > 0
    for lang in ("en", "ko"):  # extraction F1: html mode only
        assert float(table[(lang, "html")][5]) > 50, table[(lang, "html")]
        assert table[(lang, "pasted")][5] == "—"
    for lang in ("en", "ko"):
        row = table[(lang, "naive baseline (first 3 lines, score_pages.py)")]
        assert int(row[0]) == {"en": 3, "ko": 2}[lang]

    sites = _table(site_text)
    for mode in ("html", "pasted"):
        assert int(sites[("en", mode)][0]) == 2   # example.com (www. stripped) and blog.example.org
        assert int(sites[("ko", mode)][0]) == 1   # the site field, not the two hosts
        assert int(sites[("all", mode)][0]) == 3
        assert sites[("ko", mode)][-1].endswith("of 1)")
