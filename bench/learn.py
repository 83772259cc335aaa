"""Learned ranker weights: a logistic regression over the ranker's named features, cross-validated
beside bench.tune's grid.

    python -m bench.learn --eval ../shared/eval [--lang en|ko] [--folds 5] [--no-grid] [--write]

Every candidate sentence of every article (the ranking window, through bench.tune's ``Harness``: the
pipeline's own split, chrome, candidates and features) becomes one row of the features that
``sentence_scores`` weighs (:data:`COLUMNS`): TextRank centrality over one graph, the position prior
at one decay, similarity to the title, the fragment and run-on flags, the quote flag. Its label:

- BBC and the Korean sets (extractive references): the candidate is a picked sentence, by
  score.py's rule (at least PICK_SHARE of its tokens inside one reference sentence);
- CNN/DailyMail (abstractive highlights): an oracle label, the up to three candidates that, added
  greedily, most raise ROUGE-1 + ROUGE-2 F1 against the highlights.

For each fold a scikit-learn ``LogisticRegression`` is fitted on the other folds only (each data
set weighs the same, and within it both classes, as ``class_weight="balanced"`` does), for each
graph and decay; its coefficients, scaled so that centrality keeps the shipped magnitude
(:data:`CENTRALITY`), become a ``RankWeights``; the graph, the decay and the MMR redundancy are then
chosen by bench.tune's objective on the training folds, and the choice is scored on the held-out
fold through the same ``Harness.summary``. The grid's cross-validation (``bench.tune``) runs on
the same articles in the same process, and both are printed side by side (held-out mean and
min..max spread per data set). ``--write`` prints the weights fitted on all the articles the same
way, as the Python of ``DEFAULT_WEIGHTS``: the rows are in the data's order, the solver is
deterministic, the coefficients are rounded to two decimals.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
from rouge_score.rouge_scorer import _create_ngrams, _score_ngrams
from sklearn.linear_model import LogisticRegression

from bench.tune import (
    FOLDS,
    Article,
    Harness,
    cross_validate,
    fold_of,
    harness_args,
    harnesses,
    objective,
    print_report,
    smoothed,
)
from models.pipeline import DEFAULT_WEIGHTS
from models.text.extractive import GRAPHS, RankWeights, SentenceFeatures, position_prior

# The columns, in RankWeights' terms (a penalty is a negative coefficient).
COLUMNS = ("centrality", "position", "title", "centroid", "short", "long", "quote")
PENALTIES = ("short", "long", "quote")  # the COLUMNS whose RankWeights term is subtracted
DECAYS = (2.0, 4.0, 8.0)
REDUNDANCY = (0.3, 0.7, 1.0, 1.5)
# The lead prior's weight as a multiple of the fitted one. The per-sentence fit weighs a candidate's
# label, not the three bullets' score: on the English sets its position weight left CNN/DM's ROUGE
# well under the lead's (bench.frontier), so the objective chooses the scale on the training folds.
LEAD_SCALES = (1.0, 1.5, 2.0, 2.5, 3.0)
# The centrality weight the learned coefficients are scaled to (the shipped weights' reference).
CENTRALITY = 2.0
C = 1.0  # inverse regularization strength: modest, the features are all in 0..1
ORACLE_K = 3


def feature_rows(f: SentenceFeatures, graph: str, decay: float, base: RankWeights) -> np.ndarray:
    """One row per candidate, the columns of :data:`COLUMNS` as ``sentence_scores`` sees them."""
    return np.column_stack([
        f.centrality[graph],
        position_prior(f.positions, decay),
        f.title_sim,
        f.centroid_sim,
        (f.lengths < base.short_tokens).astype(float),
        (f.lengths > base.long_tokens).astype(float),
        f.quoted,
    ])


def labels(h: Harness, art: Article) -> np.ndarray:
    """1 for a candidate the reference stands for (picked rule, or the ROUGE oracle), else 0."""
    n = art.features.n
    texts = [c.text for c in art.cands[:n]]
    refs = h._ref_counters(art.row)
    y = np.zeros(n)
    if refs:
        for i, t in enumerate(texts):
            bt = Counter(h._pick_tokens(t))
            size = sum(bt.values())
            if size and any(sum((bt & r).values()) >= h.score.PICK_SHARE * size for r in refs):
                y[i] = 1.0
        return y
    ref = art.ref_tokens
    grams = {k: _create_ngrams(ref, k) for k in (1, 2)}
    toks = [h._tokens(t) for t in texts]

    def gain(hyp: list[str]) -> float:
        return sum(_score_ngrams(grams[k], _create_ngrams(hyp, k)).fmeasure for k in (1, 2))

    chosen: list[int] = []
    best = 0.0
    while len(chosen) < ORACLE_K:
        current = [t for i in chosen for t in toks[i]]
        scores = [(gain(current + toks[i]), -i) for i in range(n) if i not in chosen]
        if not scores:
            break
        value, neg_i = max(scores)
        if value <= best:
            break
        best = value
        chosen.append(-neg_i)
    y[chosen] = 1.0
    return y


class Learner:
    """Rows and labels of every article, built once; fits per training set."""

    def __init__(self, h: Harness, signed: bool = False) -> None:
        self.h = h
        self.signed = signed  # let a penalty's learned weight turn into a bonus
        self.base = DEFAULT_WEIGHTS[h.lang]
        self.arts = [a for a in h.articles if a.features is not None]
        self.y = {id(a): labels(h, a) for a in self.arts}
        self.rows = {(id(a), g, d): feature_rows(a.features, g, d, self.base)
                     for a in self.arts for g in GRAPHS for d in DECAYS}

    def fit(self, train: list[Article], graph: str, decay: float) -> np.ndarray:
        arts = [a for a in train if a.features is not None]
        x = np.vstack([self.rows[(id(a), graph, decay)] for a in arts])
        y = np.concatenate([self.y[id(a)] for a in arts])
        sets = np.concatenate([[a.dataset] * a.features.n for a in arts])
        # each data set weighs the same, and within it both classes (class_weight="balanced" per set)
        weight = np.zeros(len(y))
        names = sorted(set(sets))
        for name in names:
            for cls in (0.0, 1.0):
                sel = (sets == name) & (y == cls)
                if sel.any():
                    weight[sel] = 1.0 / (2 * len(names) * sel.sum())
        weight *= len(y)  # mean 1: C keeps its usual meaning
        model = LogisticRegression(C=C, max_iter=2000)
        model.fit(x, y, sample_weight=weight)
        return model.coef_[0]

    def weights(self, coef: np.ndarray, graph: str, decay: float, redundancy: float) -> RankWeights:
        """The coefficients as RankWeights, scaled so centrality weighs :data:`CENTRALITY` (or the
        largest coefficient does, should centrality's not be positive)."""
        scale = CENTRALITY / (coef[0] if coef[0] > 0 else np.abs(coef).max())
        c = {name: round(float(v * scale), 2) for name, v in zip(COLUMNS, coef, strict=True)}
        if not self.signed:
            # a penalty stays a penalty: BBC's references keep its short lines ("he said."), which
            # would otherwise teach a bonus for fragments that no bullet should be
            c.update({name: min(c[name], 0.0) for name in PENALTIES})
        return replace(self.base, centrality=c["centrality"], position=c["position"], position_decay=decay,
                       title=c["title"], centroid=c["centroid"], short_penalty=0.0 - c["short"],
                       long_penalty=0.0 - c["long"], quote=0.0 - c["quote"], redundancy=redundancy, graph=graph)

    def choose(self, train: list[Article]) -> tuple[RankWeights, float]:
        """The learned weights for ``train``: graph, decay, redundancy and the lead prior's scale
        (:data:`LEAD_SCALES`) by the training objective, smoothed along the scale (each scale's value
        averaged with its neighbours', so a plateau beats a lone peak)."""
        best: tuple[float, float, RankWeights] | None = None
        for graph in GRAPHS:
            for decay in DECAYS:
                coef = self.fit(train, graph, decay)
                for red in REDUNDANCY:
                    ws = [self.scaled(self.weights(coef, graph, decay, red), s) for s in LEAD_SCALES]
                    raw = [objective(self.h.lang, self.h.summary(train, w)) for w in ws]
                    for i, w in enumerate(ws):
                        smooth = smoothed(raw[i], [raw[j] for j in (i - 1, i + 1) if 0 <= j < len(raw)])
                        if best is None or smooth > best[0] + 1e-9:
                            best = (smooth, raw[i], w)
        assert best is not None
        return best[2], best[1]

    @staticmethod
    def scaled(w: RankWeights, scale: float) -> RankWeights:
        """``w`` with its lead prior ``scale`` times the fitted weight."""
        return replace(w, position=round(w.position * scale, 2))

    def cross_validate(self, folds: int = FOLDS) -> dict:
        fold = [fold_of(a.row["id"], folds) for a in self.h.articles]
        results = []
        for k in range(folds):
            train = [a for i, a in enumerate(self.h.articles) if fold[i] != k]
            test = [a for i, a in enumerate(self.h.articles) if fold[i] == k]
            w, value = self.choose(train)
            results.append({"fold": k, "chosen": w, "train_objective": value, "test": self.h.summary(test, w),
                            "test_objective": objective(self.h.lang, self.h.summary(test, w))})
        w, value = self.choose(self.h.articles)
        return {"folds": results, "all_data_choice": w, "all_data_objective": value}


def fold_spread(values: list[float]) -> str:
    """Per-fold values as mean (min..max), signed."""
    return f"{statistics.fmean(values):+6.2f} ({min(values):+6.2f}..{max(values):+6.2f})"


def compare(h: Harness, grid: dict | None, learned: dict, folds: int = FOLDS) -> str:
    """Per data set and approach: the held-out folds pooled (every article scored with the weights
    chosen without it: mean R1/R2, picked share, each over Lead-3), then each metric's difference
    from Lead-3 per fold, mean (min..max); last, the objective per fold."""
    base = DEFAULT_WEIGHTS[h.lang]
    chosen = {"learned": {r["fold"]: r["chosen"] for r in learned["folds"]}}
    per_fold = {"learned": [r["test"] for r in learned["folds"]]}
    if grid is not None:
        grid_base = RankWeights(**grid["base"]) if "base" in grid else base
        chosen["grid"] = {r["fold"]: replace(grid_base, **r["chosen"]) for r in grid["folds"]}
        per_fold["grid"] = [r["test"] for r in grid["folds"]]
        chosen["shipped"] = {r["fold"]: base for r in grid["folds"]}
        per_fold["shipped"] = [r["default_test"] for r in grid["folds"]]
    order = [n for n in ("grid", "learned", "shipped") if n in chosen]
    pooled = {n: h.summary_by(h.articles, lambda a, n=n: chosen[n][fold_of(a.row["id"], folds)]) for n in order}
    lines = [f"[{h.lang}] held-out: all folds pooled, value (over Lead-3) | per fold over Lead-3, mean (min..max)"]
    for name in pooled[order[0]]:
        for n in order:
            s = pooled[n][name]
            parts, spread = [], []
            for key in ("rouge1", "rouge2", "picked"):
                if key in s:
                    parts.append(f"{key} {s[key]:5.2f} ({s[f'd_{key}']:+6.2f})")
                    spread.append(f"{key} " + fold_spread([r[name][f"d_{key}"] for r in per_fold[n] if name in r]))
            lines.append(f"  {name:8} {n:8} " + " ".join(parts) + " | " + "; ".join(spread))
        lines.append(f"  {name:8} {'Lead-3':8} " + " ".join(
            f"{key} {pooled[order[0]][name][f'lead3_{key}']:5.2f}" for key in ("rouge1", "rouge2", "picked")
            if f"lead3_{key}" in pooled[order[0]][name]))
    for n in order:
        lines.append(f"  objective {n:8} pooled {objective(h.lang, pooled[n]):+6.2f} | per fold "
                     + fold_spread([objective(h.lang, r) for r in per_fold[n]]))
    return "\n".join(lines)


def plain_base(lang: str) -> RankWeights:
    """The shipped weights with the terms only the learner sets (the fragment and run-on
    penalties, the centroid) back at RankWeights' own values: a grid on this base uses
    nothing fitted on the held-out folds."""
    plain = RankWeights()
    return replace(DEFAULT_WEIGHTS[lang], short_penalty=plain.short_penalty, long_penalty=plain.long_penalty,
                   centroid=plain.centroid)


def python_of(w: RankWeights) -> str:
    return (f'RankWeights(centrality={w.centrality}, position={w.position}, position_decay={w.position_decay}, '
            f'title={w.title}, centroid={w.centroid}, redundancy={w.redundancy}, short_penalty={w.short_penalty}, '
            f'long_penalty={w.long_penalty}, quote={w.quote}, graph="{w.graph}")')


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness_args(ap)
    ap.add_argument("--no-grid", action="store_true", help="skip the grid's cross-validation")
    ap.add_argument("--grid-json", default=None,
                    help="read the grid's cross-validation from this bench.tune report folder (tune_<lang>.json) "
                         "instead of running it")
    ap.add_argument("--signed", action="store_true",
                    help="keep a penalty whose learned weight is a bonus (by default it is clipped to zero)")
    ap.add_argument("--write", action="store_true", help="print the weights learned on all the articles")
    ap.add_argument("--grid-base", choices=["plain", "shipped"], default="plain",
                    help="the weights the grid does not set: RankWeights' own penalties and no centroid term "
                         "(plain: nothing fitted on the held-out folds), or the shipped ones (fitted on all the data)")
    args = ap.parse_args(argv)
    for lang, h, out, t0 in harnesses(args):
        learner = Learner(h, signed=args.signed)
        learned = learner.cross_validate(args.folds)
        print(f"[{lang}] learned, chosen per fold:")
        for r in learned["folds"]:
            print(f"  fold {r['fold']}: {python_of(r['chosen'])}")
        grid = None
        if args.grid_json:
            grid = json.loads((Path(args.grid_json) / f"tune_{lang}.json").read_text(encoding="utf-8"))
        elif not args.no_grid:
            grid = cross_validate(h, args.folds, plain_base(lang) if args.grid_base == "plain" else None)
            print_report(lang, grid)
        print(compare(h, grid, learned, args.folds))
        if args.write:
            print(f'    "{lang}": {python_of(learned["all_data_choice"])},  '
                  f'# training objective {learned["all_data_objective"]:.2f}')
        print(f"  ({len(h.articles)} articles, {time.perf_counter() - t0:.0f} s)")
        (out / f"learn_{lang}.json").write_text(
            json.dumps({"learned": learned, "grid": grid}, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
