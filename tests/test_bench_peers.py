"""bench.peers: every peer picks k valid sentences in article order, and a set's table ranks the project.

The articles are the project's own samples (samples/) and two short ones written for this test; a
stand-in scorer (unigram overlap) replaces score.py, so nothing of ../shared is needed."""
from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench import peers

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

EN_SHORT = (
    "The city council approved a new budget for public libraries on Tuesday. The library budget adds "
    "evening hours at six branches and hires twelve librarians. Council members said demand for library "
    "study space had grown every year. A local bakery also opened a second shop near the station. The "
    "library changes start in September and cost about two million dollars. Residents welcomed the longer "
    "library hours at a council meeting."
)
KO_SHORT = (
    "시의회가 화요일 공공도서관 예산안을 통과시켰다.\n"
    "도서관 예산안은 여섯 곳의 도서관 분관에서 저녁 운영 시간을 늘리는 내용을 담았다.\n"
    "의원들은 도서관 학습 공간 수요가 해마다 늘었다고 설명했다.\n"
    "항구 근처의 작은 빵집은 두 번째 가게를 열었다.\n"
    "도서관 운영 시간은 9월부터 바뀌고 예산은 약 20억 원이다.\n"
    "주민들은 시의회 회의에서 도서관 운영 시간 연장을 환영했다."
)


def _articles(lang: str) -> list[str]:
    if lang == "en":
        return [(SAMPLES / "en.txt").read_text(encoding="utf-8"), EN_SHORT]
    return [(SAMPLES / "ko.txt").read_text(encoding="utf-8"),
            (SAMPLES / "ko_no_periods.txt").read_text(encoding="utf-8"), KO_SHORT]


def test_every_language_has_its_peers() -> None:
    names = {lang: {p.name for p in peers.peers_for(lang)} for lang in ("en", "ko")}
    assert {"sumy LexRank", "sumy TextRank", "sumy SumBasic", "sumy LSA", "summa TextRank",
            "TF-IDF centroid"} <= names["en"]
    assert {"sumy TextRank", "sumy LexRank", "textrankr", "krwordrank"} <= names["ko"]
    assert all(not n.lower().startswith("lead") for n in names["en"] | names["ko"])


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_each_peer_picks_k_sentences_in_article_order(engine, lang: str, k: int) -> None:
    for text in _articles(lang):
        sents, spans = peers.article_sentences(engine, {"text": text}, lang)
        texts = [s.text for s in sents]
        assert len(texts) > k and len(spans) == len(texts)
        for peer in peers.peers_for(lang):
            got = peer.pick(texts, lang, k)  # straight from the library: no fallback hides a failure
            assert len(got) == k, (peer.name, got)
            assert got == sorted(set(got)), (peer.name, got)
            assert all(0 <= i < len(texts) for i in got), (peer.name, got)


def test_a_failing_peer_falls_back_to_the_first_sentences() -> None:
    def broken(sentences, lang, k):  # noqa: ANN001, ANN202
        raise peers.PeerFailed("no keyword")

    peer = peers.Peer("broken", ("en",), broken, "")
    assert peers.pick(peer, ["a b.", "c d.", "e f.", "g h."], "en", 3) == ([0, 1, 2], True)
    assert peers.pick(peer, [], "en", 3) == ([], False)


def _stand_in_scorer() -> SimpleNamespace:
    """score.py's result shape, from unigram F1 against the reference (no picked figures)."""

    def f1(ref: str, hyp: str) -> float:
        r, h = set(re.findall(r"\w+", ref.lower())), set(re.findall(r"\w+", hyp.lower()))
        return 0.0 if not r or not h else round(100 * 2 * len(r & h) / (len(r) + len(h)), 2)

    def lead3_sentences(row: dict) -> list[str]:
        return [s for s in re.split(r"(?<=[.!?다])\s+", row["text"]) if s.strip()][:3]

    def score(rows: list[dict], preds: dict[str, list[str]]) -> dict:
        out = {}
        for lang in {r["lang"] for r in rows}:
            items = [r for r in rows if r["lang"] == lang]
            sys_r = sum(f1(r["reference"], "\n".join(preds.get(r["id"], []))) for r in items) / len(items)
            lead = sum(f1(r["reference"], "\n".join(lead3_sentences(r))) for r in items) / len(items)
            figs = {"system": {t: sys_r for t in ("rouge1", "rouge2", "rougeL")},
                    "lead3": {t: lead for t in ("rouge1", "rouge2", "rougeL")}}
            figs["delta"] = {t: round(sys_r - lead, 2) for t in figs["system"]}
            n = sum(len(preds.get(r["id"], [])) for r in items)
            out[lang] = {"main": figs, "bullets_per_item": n / len(items)}
        return out

    return SimpleNamespace(score=score, lead3_sentences=lead3_sentences)


def _data_set(tmp_path: Path, lang: str) -> tuple[list[dict], Path]:
    """The test articles of ``lang`` as a data set file (each one's first line its reference)."""
    rows = [{"id": f"{lang}-{i}", "lang": lang, "text": text, "reference": text.splitlines()[0]}
            for i, text in enumerate(_articles(lang))]
    data = tmp_path / "set.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return rows, data


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_set_is_scored_and_its_table_names_and_ranks_the_project(engine, tmp_path: Path, lang: str) -> None:
    rows, data = _data_set(tmp_path, lang)
    report = peers.run_set(engine, _stand_in_scorer(), data, lang, 2, progress=False)
    names = set(report["systems"])
    assert names == {peers.PROJECT, "Lead-2"} | {p.name for p in peers.peers_for(lang)}
    for name, picks in report["picks"].items():
        assert set(picks) == {r["id"] for r in rows}, name
        assert all(len(v) <= 2 and v == sorted(set(v)) for v in picks.values()), name
    assert all(0 < len(v) <= 2 for v in report["picks"][peers.PROJECT].values())  # mapped back to sentences
    place, count = map(int, report["rank"]["r1"].split("/"))
    assert count == 1 + len(peers.peers_for(lang)) and 1 <= place <= count
    table = peers.format_set(report)
    assert f"* {peers.PROJECT}" in table and f"project rank: R1 {place}/{count}" in table
    assert "Lead-3 (scorer)" in table


def test_project_rank_counts_only_better_systems() -> None:
    systems = {peers.PROJECT: {"r1": 40.0, "picked": 70.0}, "a": {"r1": 45.0, "picked": 60.0},
               "b": {"r1": 40.0, "picked": 50.0}, "Lead-1": {"r1": 99.0, "picked": 99.0}}
    assert peers.project_rank(systems) == {"r1": "2/3", "picked": "1/3"}


LONG_EN = ("The committee that had met in the old town hall every Thursday evening for nineteen years running "
           "without a single cancellation or postponement or even a late start voted in favour of the longer "
           "plan on its final night there in front of three hundred residents and their children and their "
           "grandparents")


def test_a_peer_pick_too_long_to_be_a_bullet_gives_way_to_its_next_pick(engine) -> None:
    """--as-bullets shapes a peer's picks as the project shapes its own: a pick past the ceiling with
    no grammatical shortening is replaced by the peer's next pick, never cut or kept whole."""
    text = f"{LONG_EN}. " + EN_SHORT
    sents, _ = peers.article_sentences(engine, {"text": text}, "en")
    assert len(sents[0].text) > engine.ceiling(140)  # the long sentence is past the ceiling
    got = peers.as_bullets(engine, sents, "en", 2, [0, 1], [0, 1, 2, 3])
    assert got == [sents[1].text, sents[2].text]
    assert all(len(b) <= engine.ceiling(140) for b in got)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_as_bullets_adds_both_same_footing_systems_and_their_ranks(engine, tmp_path: Path, lang: str) -> None:
    _, data = _data_set(tmp_path, lang)
    report = peers.run_set(engine, _stand_in_scorer(), data, lang, 2, progress=False, bullets_too=True)
    names = set(report["systems"])
    assert {p.name + peers.AS_BULLETS for p in peers.peers_for(lang)} | {peers.PROJECT_WHOLE} <= names
    count = 1 + len(peers.peers_for(lang))
    for key in ("rank", "rank_as_bullets", "rank_whole"):
        place, n = map(int, report[key]["r1"].split("/"))
        assert n == count and 1 <= place <= n, (key, report[key])
    table = peers.format_set(report)
    assert "rank, the project among the peers' picks as bullets: R1" in table
    assert "rank, the project's ranker whole among the peers' picks whole: R1" in table
