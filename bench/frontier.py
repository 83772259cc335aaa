"""The English trade-off between the lead and the central sentences, measured: a sweep of the lead prior.

    python -m bench.frontier --eval ../shared/eval [--cache artifacts/cache] [--peers peers.json]

Issue 22's English targets ask for CNN/DailyMail ROUGE above Lead-3 (R1 + 0.5, R2 - 0.5) and for BBC
``picked`` at least Lead-3 + 20 points and the best peer's. This command shows where one English
ranker can stand between them. It reports three things, every bullet shaped by the service's own
code through bench.tune's ``Harness``:

1. **The sweep.** The shipped English weights with the position prior's weight set to each of
   :data:`POSITION_WEIGHTS` (at the shipped decay and at :data:`SECOND_DECAY`), nothing else changed:
   CNN/DM ΔR1 and ΔR2 and BBC picked (Δ over Lead-3), on all the articles and per fold (the
   weights are fixed, so the folds show the spread, not a choice), mean bullet length per set, and which
   targets the row meets on all the articles and in every fold. The lead's end of the sweep is
   :data:`LEAD` (the first candidates in article order), its other end the shipped weights with no
   position prior. Beside it, the shipped weights with the centroid term (the score of the BBC
   peers' leader) at each of :data:`CENTROID_WEIGHTS`.
2. **Which articles want the lead.** Per data set, the share of articles where the first three
   candidates score higher than the shipped ranker without its position prior, the same, or lower
   (CNN/DM: R1 + R2; BBC: sentences picked).
3. **Whether an article tells its genre.** Per data set, the mean of article features the ranker
   could read (candidates, content tokens per candidate, the lead's, the lead's centrality above
   the article's mean, the share of quoted sentences, a headline present), and how well a
   logistic regression on them tells the two sets apart (ROC AUC, 5-fold stratified), without
   and with the headline.

``--peers`` reads a ``bench.peers --json`` report for the best peer's BBC picked share; without it
that target is not checked.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench.learn import fold_spread
from bench.tune import FOLDS, Article, fold_of, harness_args, harnesses
from models.pipeline import DEFAULT_WEIGHTS
from models.text.extractive import RankWeights, SentenceFeatures

POSITION_WEIGHTS = (0.0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.5, 3.0, 4.0, 6.0)
SECOND_DECAY = 4.0
# The BBC leader's own score (the TF-IDF centroid, docs/peers.md) added to the shipped weights.
CENTROID_WEIGHTS = (0.5, 1.0, 2.0)
# The first candidates in article order: only the position prior, no duplicate skipped.
LEAD = RankWeights(centrality=0.0, position=1.0, position_decay=8.0, title=0.0, redundancy=0.0, duplicate=2.0,
                   short_penalty=0.0, long_penalty=0.0, quote=0.0)
BBC_FILE = "dev_bbc.jsonl en"


@dataclass(frozen=True)
class Target:
    name: str
    dataset: str
    key: str  # a key of Harness.summary's per-set figures
    floor: float


def targets(peer_picked: float | None) -> list[Target]:
    """Issue 22's English targets in Harness.summary's terms (the peer's only when it is known)."""
    out = [Target("CNN/DM R1 >= Lead-3 + 0.5", "cnndm", "d_rouge1", 0.5),
           Target("CNN/DM R2 >= Lead-3 - 0.5", "cnndm", "d_rouge2", -0.5),
           Target("BBC picked >= Lead-3 + 20", "bbc", "d_picked", 20.0)]
    if peer_picked is not None:
        out.append(Target(f"BBC picked >= best peer ({peer_picked:.2f} %)", "bbc", "picked", peer_picked))
    return out


class Scores:
    """What the sweep needs from a harness: per-set figures of a set of articles under fixed weights."""

    def __init__(self, articles: Sequence[Article], summary: Callable[[Iterable[Article], RankWeights],
                                                                        dict[str, dict[str, float]]],
                 folds: int = FOLDS) -> None:
        self.articles = list(articles)
        self.summary = summary
        self.fold = [fold_of(str(a.row["id"]), folds) for a in self.articles]
        self.folds = folds

    def row(self, w: RankWeights, goals: Sequence[Target]) -> dict:
        """All-data figures, per-fold figures and the targets met, for weights ``w``."""
        whole = self.summary(self.articles, w)
        per_fold = [self.summary([a for a, f in zip(self.articles, self.fold) if f == k], w)
                    for k in range(self.folds)]
        met = {}
        for t in goals:
            values = [s[t.dataset][t.key] for s in per_fold if t.dataset in s]
            met[t.name] = {"all": whole[t.dataset][t.key] >= t.floor,
                           "every_fold": bool(values) and min(values) >= t.floor}
        return {"all": whole, "folds": per_fold, "met": met}


def sweep(scores: Scores, base: RankWeights, goals: Sequence[Target],
          weights: Sequence[float] = POSITION_WEIGHTS, decays: Sequence[float] | None = None,
          centroids: Sequence[float] = CENTROID_WEIGHTS) -> list[dict]:
    """One row per (decay, position weight) on ``base`` (no position prior: once), one per centroid
    weight on ``base``, and one for :data:`LEAD`, last."""
    settings: list[tuple[str, RankWeights]] = []
    for decay in decays or (base.position_decay, SECOND_DECAY):
        for p in weights:
            if p == 0 and any(w.position == 0 for _, w in settings):
                continue  # without a position prior the decay does nothing
            settings.append((f"position {p:g}, decay {decay:g}", replace(base, position=p, position_decay=decay)))
    for c in centroids:
        settings.append((f"shipped, centroid {c:g}", replace(base, centroid=c)))
    settings.append(("lead (first candidates)", LEAD))
    return [{"label": label, "weights": w, **scores.row(w, goals)} for label, w in settings]


def _value(m: dict[str, float], dataset: str) -> float:
    return m["rouge1"] + m["rouge2"] if dataset == "cnndm" else m.get("picked", 0.0)


def winners(articles: Sequence[Article], metrics: Callable[[Article, RankWeights], dict[str, float]],
            lead: RankWeights, central: RankWeights) -> dict[str, dict[str, float]]:
    """Per data set: the share of articles where ``lead`` scores above, level with or below ``central``."""
    out: dict[str, dict[str, float]] = {}
    for name in sorted({a.dataset for a in articles}):
        arts = [a for a in articles if a.dataset == name and a.features is not None]
        diff = np.array([_value(metrics(a, lead), name) - _value(metrics(a, central), name) for a in arts])
        out[name] = {"articles": len(arts), "lead_better": float(np.mean(diff > 1e-9)),
                     "level": float(np.mean(np.abs(diff) <= 1e-9)), "central_better": float(np.mean(diff < -1e-9))}
    return out


ARTICLE_FEATURES = ("candidates", "tokens per candidate", "lead tokens", "lead centrality over mean",
                    "quoted share", "headline")


def article_features(a: Article, graph: str) -> list[float]:
    f = a.features
    assert isinstance(f, SentenceFeatures)
    c = f.centrality[graph]
    return [float(f.n), float(f.lengths.mean()), float(f.lengths[0]), float(c[:3].mean() - c.mean()),
            float(f.quoted.mean()), float(f.title_sim.max() > 0)]


def genre_signal(articles: Sequence[Article], graph: str, seed: int = 0) -> dict:
    """Per-set means of :data:`ARTICLE_FEATURES` and the cross-validated ROC AUC of telling the first
    set from the second by them (without the headline, and with it)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    arts = [a for a in articles if a.features is not None]
    names = sorted({a.dataset for a in arts})
    x = np.array([article_features(a, graph) for a in arts])
    y = np.array([a.dataset == names[0] for a in arts])
    means = {n: dict(zip(ARTICLE_FEATURES, x[y == (n == names[0])].mean(axis=0).round(3).tolist())) for n in names}
    auc = {}
    if len(names) == 2 and min(y.sum(), (~y).sum()) >= 5:
        cv = StratifiedKFold(5, shuffle=True, random_state=seed)
        for label, cols in (("content", slice(0, 5)), ("content and headline", slice(0, 6))):
            model = make_pipeline(StandardScaler(), LogisticRegression())
            folds = cross_val_score(model, x[:, cols], y, cv=cv, scoring="roc_auc")
            auc[label] = {"mean": float(folds.mean()), "min": float(folds.min()), "max": float(folds.max())}
    return {"sets": names, "means": means, "auc": auc}


def peer_picked(path: str | None) -> float | None:
    """The best peer's BBC picked share in a ``bench.peers --json`` report (peers and their
    as-bullets rows; the project's own rows left out)."""
    if not path:
        return None
    report = json.loads(Path(path).read_text(encoding="utf-8"))
    systems = report["sets"][BBC_FILE]["systems"]
    shares = [s["picked"] for n, s in systems.items()
              if not n.startswith(("project", "Lead-")) and s.get("picked") is not None]
    return max(shares) if shares else None


def format_sweep(rows: Sequence[dict], goals: Sequence[Target]) -> str:
    lines = ["sweep of the lead prior (shipped English weights otherwise); all articles (chars: mean characters per "
             "bullet, CNN/DM/BBC), then per fold mean (min..max):",
             f"  {'weights':26} {'CNN/DM dR1':>10} {'dR2':>6} {'BBC picked (d)':>15} {'chars':>7} | per fold: "
             "CNN/DM dR1; dR2; BBC dpicked | targets met (all / every fold)"]
    for r in rows:
        cnn, bbc = r["all"]["cnndm"], r["all"]["bbc"]
        folds = "; ".join(fold_spread([s[d][k] for s in r["folds"] if d in s])
                          for d, k in (("cnndm", "d_rouge1"), ("cnndm", "d_rouge2"), ("bbc", "d_picked")))
        met = sum(m["all"] for m in r["met"].values()), sum(m["every_fold"] for m in r["met"].values())
        lines.append(f"  {r['label']:26} {cnn['d_rouge1']:+10.2f} {cnn['d_rouge2']:+6.2f} "
                     f"{bbc['picked']:7.2f} ({bbc['d_picked']:+5.1f}) {cnn['chars']:3.0f}/{bbc['chars']:3.0f} "
                     f"| {folds} | "
                     f"{met[0]} / {met[1]} of {len(goals)}")
    lines.append("  targets: " + "; ".join(t.name for t in goals))
    best = max(rows, key=lambda r: (sum(m["all"] for m in r["met"].values()),
                                    sum(m["every_fold"] for m in r["met"].values())))
    lines.append(f"  most targets met: {best['label']} ("
                 + ", ".join(n for n, m in best["met"].items() if m["all"]) + ")")
    return "\n".join(lines)


def format_winners(w: dict[str, dict[str, float]]) -> str:
    lines = ["articles where the first three candidates score above / level with / below the shipped ranker "
             "without its lead prior (CNN/DM: R1 + R2; BBC: sentences picked):"]
    for name, s in w.items():
        lines.append(f"  {name:6} {s['articles']:4d} articles: lead better {100 * s['lead_better']:5.1f} %, "
                     f"level {100 * s['level']:5.1f} %, central better {100 * s['central_better']:5.1f} %")
    return "\n".join(lines)


def format_signal(g: dict) -> str:
    lines = ["article features by set (means):",
             "  " + f"{'':28}" + "".join(f"{n:>10}" for n in g["sets"])]
    for feat in ARTICLE_FEATURES:
        lines.append(f"  {feat:28}" + "".join(f"{g['means'][n][feat]:10.3f}" for n in g["sets"]))
    for label, a in g["auc"].items():
        lines.append(f"  telling {g['sets'][0]} from {g['sets'][1]} by {label}: ROC AUC {a['mean']:.3f} "
                     f"({a['min']:.3f}..{a['max']:.3f} over 5 folds)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness_args(ap)
    ap.add_argument("--peers", default=None,
                    help="a bench.peers --json report: checks BBC picked against the best peer")
    args = ap.parse_args(argv)
    if args.lang == "ko":
        ap.error("bench.frontier measures the English sets (CNN/DM against BBC); --lang ko has no such trade")
    args.lang = "en"  # the two English genres are what conflict
    goals = targets(peer_picked(args.peers))
    for lang, h, out, t0 in harnesses(args):
        base = DEFAULT_WEIGHTS[lang]
        scores = Scores(h.articles, h.summary, args.folds)
        rows = sweep(scores, base, goals)
        print(format_sweep(rows, goals))
        won = winners(h.articles, h.article_metrics, LEAD, replace(base, position=0.0))
        print(format_winners(won))
        signal = genre_signal(h.articles, base.graph)
        print(format_signal(signal))
        print(f"  ({len(h.articles)} articles, {time.perf_counter() - t0:.0f} s)")
        (out / "frontier_en.json").write_text(json.dumps(
            {"sweep": rows, "winners": won, "signal": signal}, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
