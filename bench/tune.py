"""Cross-validated tuning of the extractive ranker's weights on the dev sets.

    python -m bench.tune --eval ../shared/eval [--folds 5] [--lang en|ko] [--verify] [--cache artifacts/cache]

(``bench.learn`` fits the weights instead, over the same Harness and folds; docs/ranking.md.)

Every article is normalized, split, stripped of page chrome and analysed once through the
pipeline's own steps (``normalize_text``, ``Engine.article_sentences``, ``Engine.ranking_features``:
what a request runs); each weight setting on a small grid then only re-scores, picks
(``pick_best_first``) and shapes bullets (``Engine.extractive_bullets``), and is scored with the
functions of the project's scorer (``score.py`` beside the data: the same ROUGE scorers and the
same ``picked`` rule), beside Lead-3 computed once per article.

k-fold cross-validation: for each fold the setting with the best *smoothed* objective on the
other folds (its own objective averaged with its grid neighbours', so a plateau beats a lone
peak) is chosen and scored on the held-out fold; the table reports the held-out mean and the
spread (min..max) across folds for each data set. An article's fold comes from a hash of its id
(:func:`fold_of`), so ``bench.quality`` reports the shipped weights over the very same folds.
``--verify`` first checks that the bullets scored here under the shipped weights are the service's
own (``Engine.summarize``) on every article, and stops if one differs. The data is read where it
lies and never copied into the repository.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import itertools
import json
import pickle
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import ModuleType

from rouge_score.rouge_scorer import _create_ngrams, _score_ngrams

from models import Engine, SummarizeRequest
from models.pipeline import DEFAULT_WEIGHTS, SPARE_CANDIDATES
from models.text.extractive import GRAPHS, RankWeights, pick_best_first, sentence_scores
from models.text.normalize import normalize_text

# The data sets, by language. CNN/DM = the English rows of dev.jsonl plus dev_cnndm.jsonl (both
# CNN/DailyMail with highlights); BBC = dev_bbc.jsonl (extractive references); ko = the Korean
# IT/science rows of dev.jsonl, ko_news = dev_ko_news.jsonl (regional news); both have the sentences
# annotators picked.
SETS = {
    "en": {"cnndm": [("dev.jsonl", "en"), ("dev_cnndm.jsonl", "en")], "bbc": [("dev_bbc.jsonl", "en")]},
    "ko": {"ko": [("dev.jsonl", "ko")], "ko_news": [("dev_ko_news.jsonl", "ko")]},
}

GRID = {
    "en": {
        "graph": ["tfidf", "overlap"],
        "position": [0.0, 0.5, 1.0, 2.0],
        "position_decay": [2.0, 4.0, 8.0],
        "title": [0.0, 0.5, 1.0],
        "redundancy": [0.3, 0.7],
        "quote": [0.0, 0.5],
    },
    "ko": {
        "graph": ["tfidf", "overlap"],
        "position": [0.0, 0.5, 1.0, 2.0],
        "position_decay": [2.0, 4.0, 8.0],
        "title": [0.0, 0.5, 1.0],
        "redundancy": [0.3, 0.7],
    },
}


FOLDS = 5


def fold_of(article_id: str, folds: int = FOLDS) -> int:
    """The cross-validation fold of an article, from a hash of its id: the same in bench.tune and
    bench.quality, whatever files or order the rows come in."""
    return int(hashlib.sha1(str(article_id).encode("utf-8")).hexdigest(), 16) % folds


def load_scorer(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_score", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@dataclass
class Article:
    row: dict
    dataset: str
    cands: list = field(default_factory=list)
    features: object = None
    lead3: dict = field(default_factory=dict)  # metric -> value
    cache: dict = field(default_factory=dict)  # picked indices -> metrics
    by_weights: dict = field(default_factory=dict)  # weights -> metrics
    ref_tokens: list = field(default_factory=list)


def read_rows(eval_dir: Path, lang: str) -> list[tuple[str, dict]]:
    rows = []
    for name, parts in SETS[lang].items():
        for fname, row_lang in parts:
            with open(eval_dir / fname, encoding="utf-8") as f:
                rows += [(name, r) for r in map(json.loads, f) if r["lang"] == row_lang]
    return rows


# The source files the analysis of an article runs (normalize, split, chrome, candidates, features);
# shaping bullets (compress/, style.py) and the seq2seq backends are run afresh on every score.
ANALYSIS_SOURCES = ("pipeline.py", "contracts.py", "text/bullets.py", "text/chrome.py", "text/extractive.py",
                    "text/language.py", "text/normalize.py", "text/page.py", "text/sentences.py", "text/shared.py")


def cache_key(eval_dir: Path, lang: str) -> str:
    """What the analysed articles depend on: the data files read and the analysis's source files
    (a change to splitting, chrome, candidates or features is a new key, so a stale cache is never read)."""
    h = hashlib.sha1(lang.encode())
    for fname in sorted({f for parts in SETS[lang].values() for f, _ in parts}):
        h.update((eval_dir / fname).read_bytes())
    models = Path(__file__).resolve().parent.parent / "models"
    for src in ANALYSIS_SOURCES:
        h.update(src.encode() + b"\0" + (models / src).read_bytes())
    return h.hexdigest()[:16]


class Harness:
    def __init__(self, eval_dir: Path, lang: str, max_bullets: int = 3, cache_dir: Path | None = None) -> None:
        self.lang = lang
        self.k = max_bullets
        self.score = load_scorer(eval_dir / "score.py")
        self.engine = Engine()
        self.engine.warm_up()
        self.rouge = self.score._SCORERS[(lang, "main")]
        self.pick_tok = self.score._PICK_TOK[lang]
        self.articles: list[Article] = []
        self._tok_cache: dict[str, list[str]] = {}
        self._ref_cache: dict[str, list[Counter]] = {}
        self._pick_cache: dict[str, list[str]] = {}
        # the analysed articles (never their bullets) may be kept between runs, outside the repository's
        # tracked files (artifacts/ is ignored): the key changes with the data and with models/
        cached = cache_dir / f"articles_{lang}_{cache_key(eval_dir, lang)}.pickle" if cache_dir else None
        if cached is not None and cached.exists():
            with open(cached, "rb") as f:
                self.articles = [Article(row, name, cands, feats, lead3, ref_tokens=ref)
                                 for name, row, cands, feats, lead3, ref in pickle.load(f)]
            return
        for name, row in read_rows(eval_dir, lang):
            text = normalize_text(row["text"]).text
            given = normalize_text(row["title"]).text if row.get("title") else None
            chrome, title = self.engine.article_sentences(text, lang, given)
            cands, feats = self.engine.ranking_features(chrome.sentences, lang, title, GRAPHS)
            art = Article(row, name, cands, feats)
            art.ref_tokens = self.rouge._tokenizer.tokenize(row["reference"])
            art.lead3 = self.metrics(row, self.score.lead3_sentences(row), art.ref_tokens)
            self.articles.append(art)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            with open(cached, "wb") as f:
                pickle.dump([(a.dataset, a.row, a.cands, a.features, a.lead3, a.ref_tokens)
                             for a in self.articles], f)

    def metrics(self, row: dict, bullets: Sequence[str], ref_tokens: list | None = None) -> dict[str, float]:
        """R1/R2 exactly as score.py computes them (its scorer's tokens; a tokenizer that drops
        non-word characters gives the joined text's tokens as the bullets' tokens in turn)."""
        ref = ref_tokens if ref_tokens is not None else self.rouge._tokenizer.tokenize(row["reference"])
        hyp = [t for b in bullets for t in self._tokens(b)]
        out = {"bullets": float(len(bullets)), "chars": float(sum(len(b) for b in bullets))}
        for n in (1, 2):
            out[f"rouge{n}"] = 100 * _score_ngrams(_create_ngrams(ref, n), _create_ngrams(hyp, n)).fmeasure
        refs = self._ref_counters(row)
        if refs:
            # score.py's rule (_picked): PICK_SHARE of the bullet's tokens, as a multiset, in one sentence
            n = 0
            for b in bullets:
                bt = Counter(self._pick_tokens(b))
                size = sum(bt.values())
                if size and any(sum((bt & r).values()) >= self.score.PICK_SHARE * size for r in refs):
                    n += 1
            out["picked"] = float(n)
        return out

    def _ref_counters(self, row: dict) -> list[Counter]:
        key = row["id"]
        if key not in self._ref_cache:
            refs = self.score.reference_sentences(row) or []
            self._ref_cache[key] = [Counter(self.pick_tok.tokenize(s)) for s in refs]
        return self._ref_cache[key]

    def _pick_tokens(self, text: str) -> list[str]:
        if text not in self._pick_cache:
            self._pick_cache[text] = self.pick_tok.tokenize(text)
        return self._pick_cache[text]

    def _tokens(self, text: str) -> list[str]:
        if text not in self._tok_cache:
            self._tok_cache[text] = self.rouge._tokenizer.tokenize(text)
        return self._tok_cache[text]

    def article_metrics(self, art: Article, w: RankWeights) -> dict[str, float]:
        if w in art.by_weights:
            return art.by_weights[w]
        if art.features is None:
            return self.metrics(art.row, [], art.ref_tokens)
        f = art.features
        order = tuple(pick_best_first(sentence_scores(f, w), f.sim, self.k + SPARE_CANDIDATES, w))
        if order not in art.cache:
            ranked = [art.cands[i] for i in order]
            bullets = self.engine.extractive_bullets(ranked, self.lang, self.k)
            art.cache[order] = self.metrics(art.row, [b.text for b in bullets], art.ref_tokens)
        art.by_weights[w] = art.cache[order]
        return art.cache[order]

    def bullets(self, art: Article, w: RankWeights) -> list[str]:
        """The bullets this harness scores for ``art`` under ``w``."""
        if art.features is None:
            return []
        f = art.features
        order = pick_best_first(sentence_scores(f, w), f.sim, self.k + SPARE_CANDIDATES, w)
        return [b.text for b in self.engine.extractive_bullets([art.cands[i] for i in order], self.lang, self.k)]

    def verify(self) -> list[str]:
        """Ids of the articles whose bullets here (shipped weights) differ from the service's own."""
        differ = []
        for art in self.articles:
            req = SummarizeRequest(text=art.row["text"], title=art.row.get("title"), source_lang=self.lang,
                                   method="extractive", max_bullets=self.k)
            try:
                served = [b.text for b in self.engine.summarize(req).bullets]
            except Exception:  # noqa: BLE001 - a refused article serves no bullets
                served = []
            if served != self.bullets(art, DEFAULT_WEIGHTS[self.lang]):
                differ.append(str(art.row["id"]))
        return differ

    def summary(self, arts: Iterable[Article], w: RankWeights | None) -> dict[str, dict[str, float]]:
        """Per data set: mean R1/R2/RL, picked share, and the same for Lead-3, and deltas."""
        return self.summary_by(arts, lambda a: w)

    def summary_by(self, arts: Iterable[Article], weights_of: Callable[[Article], RankWeights | None],
                   ) -> dict[str, dict[str, float]]:
        """:meth:`summary` with each article's own weights (e.g. its held-out fold's choice)."""
        by: dict[str, list[tuple[dict, dict]]] = {}
        for a in arts:
            w = weights_of(a)
            m = self.article_metrics(a, w) if w is not None else a.lead3
            by.setdefault(a.dataset, []).append((m, a.lead3))
        out = {}
        for name, pairs in by.items():
            res: dict[str, float] = {"items": len(pairs)}
            # mean characters per bullet (Lead-3's sentences are not bullets: no length beside them)
            res["chars"] = sum(m.get("chars", 0.0) for m, _ in pairs) / max(sum(m["bullets"] for m, _ in pairs), 1)
            for key in ("rouge1", "rouge2"):
                res[key] = statistics.fmean(m[key] for m, _ in pairs)
                res[f"lead3_{key}"] = statistics.fmean(l3[key] for _, l3 in pairs)
                res[f"d_{key}"] = res[key] - res[f"lead3_{key}"]
            if "picked" in pairs[0][0]:
                for label, which in (("picked", 0), ("lead3_picked", 1)):
                    got = sum(p[which]["picked"] for p in pairs)
                    res[label] = 100 * got / max(sum(p[which]["bullets"] for p in pairs), 1)
                res["d_picked"] = res["picked"] - res["lead3_picked"]
            out[name] = res
        return out


def objective(lang: str, s: dict[str, dict[str, float]]) -> float:
    """What the grid search maximizes, in the units of the targets.

    English: CNN/DM R1 and R2 over Lead-3 and BBC picked over Lead-3 (a quarter point per
    point of picked, as a 12-point target weighs about as much as a 1-3 point ROUGE target);
    Korean: per set (IT/science, regional news, each counted once whatever its size), R1 over
    Lead-3 plus picked share over Lead-3 (a quarter point per point).
    """
    if lang == "en":
        total = 0.0
        if "cnndm" in s:
            total += s["cnndm"]["d_rouge1"] + s["cnndm"]["d_rouge2"]
        if "bbc" in s:
            total += s["bbc"]["d_picked"] / 4
        return total
    return sum(s[name]["d_rouge1"] + s[name].get("d_picked", 0.0) / 4 for name in ("ko", "ko_news") if name in s)


def grid_points(lang: str, base: RankWeights) -> list[RankWeights]:
    names = list(GRID[lang])
    return [replace(base, **dict(zip(names, vals))) for vals in itertools.product(*GRID[lang].values())]


def neighbours(lang: str, w: RankWeights, points: dict[tuple, RankWeights]) -> list[RankWeights]:
    names = list(GRID[lang])
    key = tuple(getattr(w, n) for n in names)
    out = []
    for i, n in enumerate(names):
        axis = GRID[lang][n]
        j = axis.index(key[i])
        for jj in (j - 1, j + 1):
            if 0 <= jj < len(axis):
                nk = key[:i] + (axis[jj],) + key[i + 1 :]
                out.append(points[nk])
    return out


def smoothed(value: float, near: Sequence[float]) -> float:
    """A setting's objective averaged half and half with its neighbours' mean, so a plateau beats a
    lone peak; with no neighbour, its own."""
    return 0.5 * value + 0.5 * statistics.fmean(near) if near else value


def cross_validate(h: Harness, folds: int = FOLDS, base: RankWeights | None = None) -> dict:
    """The grid's cross-validation: per fold, the setting with the best smoothed objective on the
    other folds, scored on the held-out one. ``base`` gives the weights the grid does not set
    (default: the shipped ones); "current defaults" are always the shipped weights."""
    names = list(GRID[h.lang])
    shipped = DEFAULT_WEIGHTS[h.lang]
    base = shipped if base is None else base
    pts = grid_points(h.lang, base)
    points = {tuple(getattr(w, n) for n in names): w for w in pts}
    fold = [fold_of(a.row["id"], folds) for a in h.articles]

    def smooth_grid(raw: dict[tuple, float]) -> dict[tuple, float]:
        return {key: smoothed(raw[key], [raw[tuple(getattr(x, n) for n in names)]
                                         for x in neighbours(h.lang, w, points)])
                for key, w in points.items()}

    results = []
    for f in range(folds):
        train = [a for i, a in enumerate(h.articles) if fold[i] != f]
        test = [a for i, a in enumerate(h.articles) if fold[i] == f]
        raw = {key: objective(h.lang, h.summary(train, w)) for key, w in points.items()}
        smooth = smooth_grid(raw)
        best_key = max(smooth, key=lambda k: (smooth[k], k))
        results.append({"fold": f, "chosen": dict(zip(names, best_key)), "train_objective": raw[best_key],
                        "test": h.summary(test, points[best_key]),
                        "default_test": h.summary(test, shipped)})
    # the setting chosen on all the data, the same way
    raw = {key: objective(h.lang, h.summary(h.articles, w)) for key, w in points.items()}
    smooth = smooth_grid(raw)
    best_key = max(smooth, key=lambda k: (smooth[k], k))
    return {"folds": results, "all_data_choice": dict(zip(names, best_key)),
            "all_data_objective": raw[best_key], "default_objective": objective(h.lang, h.summary(h.articles, shipped)),
            "default_all": h.summary(h.articles, shipped), "base": asdict(base)}


def _spread(values: list[float]) -> str:
    return f"{statistics.fmean(values):+.2f} ({min(values):+.2f}..{max(values):+.2f})"


def print_report(lang: str, cv: dict) -> None:
    print(f"[{lang}] chosen per fold:")
    for r in cv["folds"]:
        print(f"  fold {r['fold']}: {r['chosen']}")
    print(f"  on all data: {cv['all_data_choice']} (objective {cv['all_data_objective']:.2f}; "
          f"current defaults {cv['default_objective']:.2f})")
    sets = cv["folds"][0]["test"].keys()
    for name in sets:
        for which in ("test", "default_test"):
            label = "tuned, held-out fold" if which == "test" else "current defaults    "
            parts = []
            for key in ("rouge1", "rouge2", "picked"):
                vals = [r[which][name][f"d_{key}"] for r in cv["folds"]
                        if name in r[which] and f"d_{key}" in r[which][name]]
                if vals:
                    parts.append(f"{key} - lead3 {_spread(vals)}")
            print(f"  {name:6} {label}: " + "; ".join(parts))


def harness_args(ap: argparse.ArgumentParser) -> None:
    """The options bench.tune and bench.learn share: the data, the languages, the folds, where the
    reports go and where the analysed articles are kept."""
    ap.add_argument("--eval", required=True, help="the folder with score.py and the dev sets")
    ap.add_argument("--lang", choices=["en", "ko", "both"], default="both")
    ap.add_argument("--folds", type=int, default=FOLDS)
    ap.add_argument("--out", default="artifacts/tune", help="folder for the JSON report")
    ap.add_argument("--cache", default=None,
                    help="a folder to keep the analysed articles in between runs (e.g. artifacts/cache)")


def harnesses(args: argparse.Namespace) -> Iterator[tuple[str, Harness, Path, float]]:
    """Per language asked for (``harness_args``): the language, its harness, the report folder (made)
    and when building the harness began (``time.perf_counter``)."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for lang in (["en", "ko"] if args.lang == "both" else [args.lang]):
        t0 = time.perf_counter()
        yield lang, Harness(Path(args.eval), lang, cache_dir=Path(args.cache) if args.cache else None), out, t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness_args(ap)
    ap.add_argument("--verify", action="store_true", help="first check the harness's bullets are the service's")
    args = ap.parse_args(argv)
    for lang, h, out, t0 in harnesses(args):
        if args.verify:
            differ = h.verify()
            print(f"[{lang}] bullets scored here vs the service's: {len(h.articles) - len(differ)} of "
                  f"{len(h.articles)} the same" + (f"; differ: {', '.join(differ[:10])}" if differ else ""))
            if differ:
                return 1
        cv = cross_validate(h, args.folds)
        print_report(lang, cv)
        print(f"  ({len(h.articles)} articles, {time.perf_counter() - t0:.0f} s)")
        (out / f"tune_{lang}.json").write_text(json.dumps(cv, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
