"""The open-source summarizers a user would pick instead, beside the project, on every dev set.

    python -m bench.peers --eval ../shared/eval                 # 3 bullets, every summary set
    python -m bench.peers --eval ../shared/eval --k 1 --sets dev_bbc.jsonl --json peers.json
    python -m bench.peers --eval ../shared/eval --as-bullets    # also both on the same footing

Every peer sees the project's own sentences: each article is normalized and split through
``Engine.article_sentences`` (what a request runs), and a peer only ranks those sentences and
returns the indices of the ``k`` it picks; its bullets are those sentences as they stand. Where a
library would download data (nltk's punkt for sumy) or split text itself (summa, textrankr), it is
given the project's sentences instead, one per line, and its picks are mapped back (a sentence the
library cuts in two takes its best part's rank). The project's own bullets come from the batch
path ``bench.quality`` scores (``models.jobs.summarize_row``, sentence style, ``k`` bullets).
Everything is scored by ``score.py`` beside the data, exactly as ``bench.quality`` does: ROUGE
beside Lead-3 and, where the references are extractive, ``picked``. One table per data set and
language, best ROUGE-1 first, with the project's rank. The data is read where it lies and never
copied into the repository. ``run_peers`` is the entry point for another benchmark.

A peer's sentences are scored as they stand, at any length, while the project's bullets must fit
the target (or the ceiling): not the same footing. ``--as-bullets`` adds both comparisons that are:
each peer's picks shaped by the project's own shaping (``Engine.extractive_bullets``: compressed to
the target, whole up to the ceiling, past it the peer's next pick, from its picks at
k + SPARE_CANDIDATES), and the project's ranker with its k picks left whole (``Engine.extract``);
each with its own rank line.
"""
from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from bench.tune import load_scorer

FILES = ("dev.jsonl", "dev_cnndm.jsonl", "dev_bbc.jsonl", "dev_ko_news.jsonl")
PROJECT = "project (extractive)"
# --as-bullets: the same picks on the same footing. The project's ranker with its picks left whole
# (as the peers' are), and each peer's picks shaped as the project shapes its own (compressed to the
# target, whole up to the ceiling, past it the peer's next pick: its picks at k + SPARE_CANDIDATES)
PROJECT_WHOLE = "project ranker, whole"
AS_BULLETS = " as bullets"
# peers a user would try that this benchmark cannot run, and why (printed with every report)
NOT_RUN = {
    "lexrankr (ko)": "not installable here: its wheel requires the 'sklearn' stub package, which refuses "
                     "to install, so it is not in the dev lock",
}

PickFn = Callable[[Sequence[str], str, int], list[int]]


class PeerFailed(Exception):
    """A peer that could not rank an article (e.g. krwordrank found no keyword)."""


class Peer(NamedTuple):
    name: str
    langs: tuple[str, ...]
    pick: PickFn  # (the article's sentences, language, k) -> indices of the picks, sorted
    fed: str  # how the library is fed: its tokens and its sentences


# --- tokens -------------------------------------------------------------------------------------

_EN_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# kiwipiepy tags kept as Korean content words (sumy's own Korean tokenizer takes konlpy Kkma's
# nouns): common and proper nouns, numerals, foreign words, hanja, numbers
_KO_NOUN_TAGS = frozenset({"NNG", "NNP", "NR", "SL", "SH", "SN"})


@cache
def _kiwi() -> Any:  # noqa: ANN401 - kiwipiepy has no type information
    """The process's one kiwipiepy analyser (the project's splitter's), built once."""
    from models.text.shared import shared_splitter

    return shared_splitter().kiwi


@lru_cache(maxsize=65536)
def _ko_morphs(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((t.form, t.tag) for t in _kiwi().tokenize(text))


def en_words(text: str) -> list[str]:
    return _EN_WORD.findall(text)


def ko_nouns(text: str) -> list[str]:
    """kiwipiepy's nouns, numbers and foreign words of ``text``."""
    return [form.lower() for form, tag in _ko_morphs(text) if tag in _KO_NOUN_TAGS]


def ko_morphemes(text: str) -> list[str]:
    """Every kiwipiepy morpheme of ``text`` but punctuation and symbols (textrankr's README feeds
    it every morpheme of konlpy's Okt)."""
    return [form.lower() for form, tag in _ko_morphs(text)
            if not tag.startswith("S") or tag in ("SL", "SH", "SN")]


class _SumyWords:
    """sumy's word-tokenizer interface (``to_words``) over a function, instead of nltk's punkt."""

    def __init__(self, words: Callable[[str], list[str]]) -> None:
        self._words = words

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(self._words(sentence))


_SUMY_WORDS = {"en": _SumyWords(en_words), "ko": _SumyWords(ko_nouns)}


@cache
def _sumy_content_words(lang: str) -> _SumyWords:
    """Words without sumy's stop words, dropped here rather than by sumy: sumy 0.12's SumBasic
    raises KeyError on a word whose stem is a stop word when the word is not ('named' -> 'name')."""
    from sumy.nlp.stemmers import Stemmer
    from sumy.utils import get_stop_words

    language = _SUMY_LANG[lang]
    stop, stem = get_stop_words(language), Stemmer(language)
    words = en_words if lang == "en" else ko_nouns
    return _SumyWords(lambda text: [w for w in words(text) if w.lower() not in stop and stem(w.lower()) not in stop])


_SUMY_LANG = {"en": "english", "ko": "korean"}


# --- helpers ------------------------------------------------------------------------------------

def _top(scores: Sequence[float], k: int) -> list[int]:
    """The ``k`` best-scored indices (ties: the earlier sentence), in article order."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return sorted(order[:k])


def _owners(sentences: Sequence[str], pieces: Sequence[str]) -> list[int | None]:
    """For pieces of ``"\\n".join(sentences)`` (in order, as a library split it): the sentence each
    piece lies in (None where it cannot be found: the library altered its text)."""
    joined = "\n".join(sentences)
    starts, pos = [], 0
    for s in sentences:
        starts.append(pos)
        pos += len(s) + 1
    owners: list[int | None] = []
    cursor = 0
    for piece in pieces:
        at = joined.find(piece, cursor) if piece else -1
        if at < 0:
            owners.append(None)
            continue
        cursor = at + len(piece)
        i = next(j for j in range(len(starts) - 1, -1, -1) if starts[j] <= at)
        owners.append(i)
    return owners


# --- the peers ------------------------------------------------------------------------------------

_SUMY = {
    "LexRank": "sumy.summarizers.lex_rank.LexRankSummarizer",
    "TextRank": "sumy.summarizers.text_rank.TextRankSummarizer",
    "SumBasic": "sumy.summarizers.sum_basic.SumBasicSummarizer",
    "LSA": "sumy.summarizers.lsa.LsaSummarizer",
}


@cache
def _sumy_summarizer(method: str, lang: str) -> Any:  # noqa: ANN401 - sumy has no type information
    import importlib

    from sumy.nlp.stemmers import Stemmer
    from sumy.utils import get_stop_words

    language = _SUMY_LANG[lang]
    module, cls = _SUMY[method].rsplit(".", 1)
    summarizer = getattr(importlib.import_module(module), cls)(Stemmer(language))  # Korean: sumy's null stemmer
    if method != "SumBasic":  # (SumBasic gets words without them: _sumy_content_words)
        summarizer.stop_words = get_stop_words(language)  # the lists inside sumy's wheel
    return summarizer


def _sumy(method: str) -> PickFn:
    def pick(sentences: Sequence[str], lang: str, k: int) -> list[int]:
        import numpy
        from sumy.models.dom import ObjectDocumentModel, Paragraph
        from sumy.models.dom import Sentence as SumySentence

        words = _sumy_content_words(lang) if method == "SumBasic" else _SUMY_WORDS[lang]
        doc = ObjectDocumentModel([Paragraph([SumySentence(s, words) for s in sentences])])
        where = {id(s): i for i, s in enumerate(doc.sentences)}
        with numpy.errstate(invalid="ignore", divide="ignore"):  # LexRank on sentences sharing no word
            got = _sumy_summarizer(method, lang)(doc, k)
        return sorted(where[id(s)] for s in got)

    pick.__name__ = f"sumy_{method.lower()}"
    return pick


def summa_textrank(sentences: Sequence[str], lang: str, k: int) -> list[int]:
    """summa's TextRank (its own stemmer and stop words) over the sentences, one per line."""
    from summa.summarizer import summarize

    # ratio=1 and scores=True: every sentence with its rank, in article order
    scored = summarize("\n".join(sentences), ratio=1.0, language="english", scores=True)
    if not scored:
        raise PeerFailed("summa ranked no sentence")
    best = [float("-inf")] * len(sentences)
    for owner, (_, score) in zip(_owners(sentences, [t for t, _ in scored]), scored):
        if owner is not None:
            best[owner] = max(best[owner], score)
    return _top(best, k)


def textrankr_pick(sentences: Sequence[str], lang: str, k: int) -> list[int]:
    """textrankr's TextRank with kiwipiepy morphemes over the sentences, one per line.

    textrankr splits again (at periods, ``!`` and ``?``) and returns its top pieces; where two come
    from one sentence it is asked for one more, until ``k`` sentences or no more pieces."""
    from textrankr import TextRank

    ranker = TextRank(ko_morphemes if lang == "ko" else en_words)
    text = "\n".join(sentences)
    n = k
    while True:
        pieces = ranker.summarize(text, num_sentences=n, verbose=False)
        picked = sorted({o for o in _owners(sentences, pieces) if o is not None})
        if len(picked) >= k or len(pieces) < n:
            break
        n += 1
    if not picked:
        raise PeerFailed("textrankr kept no sentence (each has fewer than two tokens?)")
    return picked[:k]


def krwordrank_pick(sentences: Sequence[str], lang: str, k: int) -> list[int]:
    """krwordrank's key sentences (KR-WordRank keywords learnt from the article's own sentences).

    The library's default ``min_count`` of 5 is for a corpus; one article is a small one, so a
    subword needs 2 occurrences."""
    from krwordrank.sentence import summarize_with_sentences

    try:
        _, picked = summarize_with_sentences(list(sentences), num_keysents=k, min_count=2, max_length=10)
    except (ValueError, ZeroDivisionError, IndexError) as e:  # no keyword: an empty vocabulary
        raise PeerFailed(f"krwordrank: {type(e).__name__}: {e}") from None
    free = {}
    for i, s in enumerate(sentences):
        free.setdefault(s, []).append(i)
    out = set()
    for s in picked:
        if free.get(s):
            out.add(free[s].pop(0))
    if not out:
        raise PeerFailed("krwordrank picked no sentence")
    return sorted(out)[:k]


def tfidf_centroid(sentences: Sequence[str], lang: str, k: int) -> list[int]:
    """The sentences nearest (cosine) the mean TF-IDF vector of the article's sentences
    (scikit-learn; English: its stop-word list; Korean: kiwipiepy nouns)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    words = en_words if lang == "en" else ko_nouns
    vec = TfidfVectorizer(tokenizer=words, token_pattern=None, lowercase=True,
                          stop_words="english" if lang == "en" else None)
    try:
        x = vec.fit_transform(sentences)
    except ValueError:  # no word at all
        raise PeerFailed("no words for TF-IDF") from None
    centroid = x.mean(axis=0)
    sims = cosine_similarity(x, centroid.A if hasattr(centroid, "A") else centroid).ravel()
    return _top(list(sims), k)


PEERS: tuple[Peer, ...] = (
    *(Peer(f"sumy {m}", ("en",), _sumy(m), "project sentences; regex words, Snowball stemmer and stop "
           "words from sumy's wheel (SumBasic: stop words dropped by the tokenizer)")
      for m in ("LexRank", "TextRank", "SumBasic", "LSA")),
    Peer("summa TextRank", ("en",), summa_textrank, "project sentences one per line; summa's own words, "
         "stemmer and stop words"),
    Peer("TF-IDF centroid", ("en", "ko"), tfidf_centroid, "project sentences; scikit-learn TF-IDF over regex "
         "words (en, sklearn stop words) or kiwipiepy nouns (ko)"),
    *(Peer(f"sumy {m}", ("ko",), _sumy(m), "project sentences; kiwipiepy nouns (sumy's own Korean tokenizer "
           "takes Kkma's nouns), sumy's Korean stop words, no stemmer") for m in ("TextRank", "LexRank")),
    Peer("textrankr", ("ko",), textrankr_pick, "project sentences one per line; kiwipiepy morphemes"),
    Peer("krwordrank", ("ko",), krwordrank_pick, "project sentences; its own subwords (min_count 2)"),
)


def peers_for(lang: str) -> list[Peer]:
    return [p for p in PEERS if lang in p.langs]


def pick(peer: Peer, sentences: Sequence[str], lang: str, k: int) -> tuple[list[int], bool]:
    """``peer``'s picks, and whether it failed: then the first ``k`` sentences stand in (counted
    in the report as fallbacks, so a failing peer is not scored as an empty summary)."""
    if not sentences:
        return [], False
    try:
        got = peer.pick(sentences, lang, k)
    except PeerFailed:
        return list(range(min(k, len(sentences)))), True
    return got, False


# --- one data set ---------------------------------------------------------------------------------

def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def article_sentences(engine: Any, row: dict, lang: str) -> tuple[list[Any], list[tuple[int, int]]]:  # noqa: ANN401
    """The project's sentences of ``row`` (the request path: normalized, split, page chrome
    dropped) and each one's span in the row's text as sent."""
    sents, spans, _ = _article(engine, row, lang)
    return sents, spans


def _article(engine: Any, row: dict, lang: str) -> tuple[list[Any], list[tuple[int, int]], str | None]:  # noqa: ANN401
    from models.pipeline import to_original
    from models.text.normalize import normalize_text

    norm = normalize_text(row["text"])
    given = normalize_text(row["title"]).text if row.get("title") else None
    chrome, title = engine.article_sentences(norm.text, lang, given)
    spans = [(o.start, o.end) for o in (to_original(s, norm) for s in chrome.sentences)]
    return list(chrome.sentences), spans, title


def as_bullets(engine: Any, sents: Sequence[Any], lang: str, k: int, picks: Sequence[int],  # noqa: ANN401
               spares: Sequence[int]) -> list[str]:
    """A peer's ``picks`` shaped into bullets by the project's own shaping, its ``spares`` (its
    further picks, in article order) standing in for a pick that cannot be a bullet."""
    chosen = set(picks)
    ranked = [sents[i] for i in picks] + [sents[i] for i in spares if i not in chosen]
    return [b.text for b in engine.extractive_bullets(ranked, lang, k)]


def whole_picks(engine: Any, sents: Sequence[Any], lang: str, k: int, title: str | None) -> list[str]:  # noqa: ANN401
    """The project ranker's ``k`` best sentences left whole, in article order (no shaping, as a
    peer's picks are scored)."""
    best = engine.extract(sents, lang, k, title)
    return [s.text for s in sorted(best, key=lambda s: s.start)]


def project_pick(engine: Any, row: dict, lang: str, k: int, spans: Sequence[tuple[int, int]]  # noqa: ANN401
                 ) -> tuple[list[str], list[int], bool]:
    """The project's bullets for ``row`` (``bench.quality``'s path), the indices of the sentences
    they come from, and whether the engine refused the article."""
    from models.jobs import summarize_row

    try:
        out = summarize_row(engine, {**row, "lang": lang}, None, k, "sentence")
    except Exception:  # noqa: BLE001 - a refused article serves no bullets (scored as such)
        return [], [], True
    idx = []
    for sources in out["sources"]:
        start = sources[0]["start"] if sources else -1
        hit = next((i for i, (a, b) in enumerate(spans) if a <= start < b), None)
        if hit is not None:
            idx.append(hit)
    return out["bullets"], sorted(set(idx)), False


def _figures(res: dict) -> dict[str, float | None]:
    main = res["main"]
    out: dict[str, float | None] = {
        "r1": main["system"]["rouge1"], "r2": main["system"]["rouge2"], "rl": main["system"]["rougeL"],
        "d_r1": main["delta"]["rouge1"], "d_r2": main["delta"]["rouge2"], "d_rl": main["delta"]["rougeL"],
        "bullets_per_item": res["bullets_per_item"], "chars_median": res.get("chars_per_bullet_median"),
    }
    if "picked" in res:
        out["picked"] = res["picked"]["system"]["share"]
        out["d_picked"] = res["picked"]["delta"]
    return out


def run_set(engine: Any, scorer: Any, path: Path, lang: str, k: int, progress: bool = True,  # noqa: ANN401
            bullets_too: bool = False) -> dict:
    """Every peer of ``lang`` and the project on the ``lang`` rows of ``path``, scored; with
    ``bullets_too``, also each peer as bullets and the project's ranker whole (:data:`AS_BULLETS`)."""
    from models.pipeline import SPARE_CANDIDATES

    rows = [r for r in _rows(path) if r.get("lang") == lang]
    preds: dict[str, dict[str, list[str]]] = {PROJECT: {}}
    picks: dict[str, dict[str, list[int]]] = {PROJECT: {}}
    peers = peers_for(lang)
    fallbacks = {p.name: 0 for p in peers}
    seconds = {p.name: 0.0 for p in peers} | {PROJECT: 0.0}
    refused = 0
    for p in peers:
        preds[p.name], picks[p.name] = {}, {}
        if bullets_too:
            preds[p.name + AS_BULLETS] = {}
    if bullets_too:
        preds[PROJECT_WHOLE] = {}
    for n, row in enumerate(rows, 1):
        sents, spans, title = _article(engine, row, lang)
        texts = [s.text for s in sents]
        if bullets_too:
            preds[PROJECT_WHOLE][row["id"]] = whole_picks(engine, sents, lang, k, title)
        t0 = time.perf_counter()
        bullets, idx, bad = project_pick(engine, row, lang, k, spans)
        seconds[PROJECT] += time.perf_counter() - t0
        refused += bad
        preds[PROJECT][row["id"]], picks[PROJECT][row["id"]] = bullets, idx
        for p in peers:
            t0 = time.perf_counter()
            idx, failed = pick(p, texts, lang, k)
            seconds[p.name] += time.perf_counter() - t0
            if idx != sorted(set(idx)) or any(not 0 <= i < len(texts) for i in idx):
                raise AssertionError(f"{p.name} returned {idx} for {len(texts)} sentences ({row['id']})")
            fallbacks[p.name] += failed
            preds[p.name][row["id"]], picks[p.name][row["id"]] = [texts[i] for i in idx], idx
            if bullets_too:
                more, _ = pick(p, texts, lang, k + SPARE_CANDIDATES)
                preds[p.name + AS_BULLETS][row["id"]] = as_bullets(engine, sents, lang, k, idx, more)
        if progress and (n % 100 == 0 or n == len(rows)):
            print(f"  {path.name} [{lang}]: {n}/{len(rows)} articles", file=sys.stderr, flush=True)
    if k != 3:  # the scorer's Lead-3 sentences, cut to k: the same-length baseline
        preds[f"Lead-{k}"] = {r["id"]: scorer.lead3_sentences(r)[:k] for r in rows}
    systems: dict[str, dict] = {}
    lead3: dict | None = None
    for name, pr in preds.items():
        res = scorer.score(rows, pr)[lang]
        systems[name] = _figures(res)
        systems[name]["ms_per_article"] = round(1000 * seconds[name] / max(len(rows), 1), 1) if name in seconds \
            else None
        systems[name]["fallbacks"] = fallbacks.get(name, refused if name == PROJECT else 0)
        if lead3 is None:
            base = res["main"]["lead3"]
            lead3 = {"r1": base["rouge1"], "r2": base["rouge2"], "rl": base["rougeL"],
                     "d_r1": 0.0, "d_r2": 0.0, "d_rl": 0.0, "bullets_per_item": None}
            if "picked" in res:
                lead3["picked"], lead3["d_picked"] = res["picked"]["lead3"]["share"], 0.0
    report = {"file": path.name, "lang": lang, "items": len(rows), "k": k, "systems": systems, "lead3": lead3,
              "picks": picks}
    whole = {n: v for n, v in systems.items() if n != PROJECT_WHOLE and not n.endswith(AS_BULLETS)}
    report["rank"] = project_rank(whole)
    if bullets_too:
        report["rank_as_bullets"] = project_rank(
            {n: v for n, v in systems.items() if n == PROJECT or n.endswith(AS_BULLETS)})
        report["rank_whole"] = project_rank({**whole, PROJECT: systems[PROJECT_WHOLE]})
    return report


def project_rank(systems: dict[str, dict]) -> dict[str, str]:
    """The project's place among the project and the peers (baselines left out) by each figure,
    as 'place/count'."""
    ranked = {n: s for n, s in systems.items() if not n.startswith("Lead-")}
    out = {}
    for key in ("r1", "r2", "rl", "picked"):
        if ranked.get(PROJECT, {}).get(key) is None:
            continue
        mine = ranked[PROJECT][key]
        place = 1 + sum(1 for n, s in ranked.items() if n != PROJECT and (s.get(key) or 0) > mine)
        out[key] = f"{place}/{len(ranked)}"
    return out


def _sort_key(item: tuple[str, dict]) -> tuple[float, float]:
    s = item[1]
    return -s["r1"], -(s.get("picked") or 0.0)


def format_set(report: dict) -> str:
    """One data set's table, best ROUGE-1 first, Lead-3 last, and the project's rank."""
    has_pk = report["lead3"].get("picked") is not None
    bullets = f"{report['k']} bullet" + ("s" if report["k"] != 1 else "")
    head = (f"== {report['file']} [{report['lang']}]: {report['items']} articles, {bullets} "
            f"(sorted by R1; deltas vs the scorer's Lead-3)")
    cols = f"  {'#':>2} {'system':<22} {'R1':>6} {'R2':>6} {'RL':>6} {'dR1':>6} {'dR2':>6}"
    if has_pk:
        cols += f" {'picked':>7} {'dpick':>6}"
    cols += f" {'b/art':>5} {'chars':>5} {'ms/art':>7} {'fallbk':>6}"
    lines = [head, cols]

    def row(place: str, name: str, s: dict) -> str:
        line = (f"  {place:>2} {name[:22]:<22} {s['r1']:6.2f} {s['r2']:6.2f} {s['rl']:6.2f} "
                f"{s['d_r1']:+6.2f} {s['d_r2']:+6.2f}")
        if has_pk:
            pk, dpk = s.get("picked"), s.get("d_picked")
            line += f" {pk:6.2f}%" if pk is not None else "    n/a "
            line += f" {dpk:+6.2f}" if dpk is not None else "    n/a"
        ms = s.get("ms_per_article")
        bpa, chars = s.get("bullets_per_item"), s.get("chars_median")
        line += f" {bpa:5.2f}" if bpa is not None else f" {'':5}"
        line += f" {chars:5.0f}" if chars is not None else f" {'':5}"
        line += f" {ms:7.1f}" if ms is not None else f" {'':7}"
        line += f" {s.get('fallbacks', 0):6d}"
        return line

    place = 0
    for name, s in sorted(report["systems"].items(), key=_sort_key):
        if name.startswith("Lead-"):
            lines.append(row("-", name + " (baseline)", s))
            continue
        place += 1
        lines.append(row(str(place), ("* " if name == PROJECT else "") + name, s))
    lines.append(row("-", "Lead-3 (scorer)", report["lead3"]))
    lines.append(f"  project rank: {_rank_text(report['rank'])}")
    for key, what in (("rank_whole", "the project's ranker whole among the peers' picks whole"),
                      ("rank_as_bullets", "the project among the peers' picks as bullets")):
        if key in report:
            lines.append(f"  rank, {what}: {_rank_text(report[key])}")
    return "\n".join(lines)


def _rank_text(rank: dict[str, str]) -> str:
    return ", ".join(f"{key.upper() if key != 'picked' else 'picked'} {v}" for key, v in rank.items())


def format_report(report: dict) -> str:
    parts = [format_set(r) for r in report["sets"].values()]
    parts.append("not run: " + "; ".join(f"{n}: {why}" for n, why in report["not_run"].items()))
    parts.append("b/art: bullets per article; chars: median characters per bullet; ms/art: time per article "
                 "(peers: ranking only, on sentences already split; the project: its whole request); fallbk: "
                 "articles where the peer failed and the first k sentences stood in (for the project: articles "
                 "it refused, scored as empty)")
    return "\n\n".join(parts)


def default_sets(eval_dir: Path) -> list[str]:
    return [name for name in FILES if (eval_dir / name).exists()]


def run_peers(eval_dir: Path | str, sets: Sequence[str] | None = None, k: int = 3, engine: Any = None,  # noqa: ANN401
              progress: bool = True, bullets_too: bool = False) -> dict:
    """Peers and the project on ``sets`` (file names in ``eval_dir``, each split by language; a
    ``FILE:LANG`` entry keeps one language), scored by ``eval_dir/score.py``. Returns
    ``{"k", "date", "sets": {"FILE LANG": report}, "not_run"}``; :func:`format_report` prints it."""
    eval_dir = Path(eval_dir)
    scorer = load_scorer(eval_dir / "score.py")
    if engine is None:
        from models import Engine

        engine = Engine()
        engine.warm_up()
    out: dict[str, Any] = {"k": k, "date": datetime.date.today().isoformat(), "sets": {}, "not_run": NOT_RUN}
    for spec in sets or default_sets(eval_dir):
        name, _, only = spec.partition(":")
        langs = [only] if only else sorted({r["lang"] for r in _rows(eval_dir / name)}, key=["ko", "en"].index)
        for lang in langs:
            out["sets"][f"{name} {lang}"] = run_set(engine, scorer, eval_dir / name, lang, k, progress,
                                                         bullets_too)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", default="../shared/eval", help="folder with score.py and the dev sets")
    ap.add_argument("--k", type=int, default=3, help="sentences (bullets) per article")
    ap.add_argument("--sets", nargs="+", help=f"files in --eval, FILE or FILE:LANG (default: those of {FILES})")
    ap.add_argument("--json", help="write every figure (and each system's picks) here")
    ap.add_argument("--as-bullets", action="store_true",
                    help="also each peer's picks shaped as the project's bullets (its next picks as spares) and "
                         "the project's ranker with its picks whole: the two systems on the same footing")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    report = run_peers(args.eval, args.sets, args.k, bullets_too=args.as_bullets)
    print(format_report(report))
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
