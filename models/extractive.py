"""The no-weights default summarizer: sentence centrality with a position prior.

Scores each candidate sentence by TextRank centrality over a TF-IDF cosine similarity graph
(tokens are Korean morphemes or English word stems), adds a prior for early sentences (news puts
the point first), then picks greedily with a redundancy penalty (maximal marginal relevance).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class RankWeights:
    """Tuned on the dev split for what generalizes: position, centrality, redundancy, length."""

    centrality: float = 1.0
    position: float = 1.0
    position_decay: float = 3.0  # sentences; the prior halves-ish every few sentences
    title: float = 0.5
    redundancy: float = 0.7
    damping: float = 0.85
    duplicate: float = 0.8  # cosine above this: a repeat, never picked
    short_tokens: int = 5  # fewer content tokens than this: penalized as a fragment
    long_tokens: int = 45  # more content tokens than this: penalized (run-on or caption merge)
    overflow: float = 0.0  # penalty per bullet-length of text beyond the bullet limit (it would be cut)
    quote: float = 0.0  # penalty for a sentence that is mostly a direct quote


def tfidf_matrix(docs: Sequence[Sequence[str]]) -> np.ndarray:
    """L2-normalized TF-IDF rows for token lists (sublinear tf, smoothed idf)."""
    vocab: dict[str, int] = {}
    for doc in docs:
        for tok in doc:
            vocab.setdefault(tok, len(vocab))
    mat = np.zeros((len(docs), max(len(vocab), 1)), dtype=np.float64)
    df = Counter(tok for doc in docs for tok in set(doc))
    n = len(docs)
    for i, doc in enumerate(docs):
        for tok, count in Counter(doc).items():
            idf = math.log((1 + n) / (1 + df[tok])) + 1.0
            mat[i, vocab[tok]] = (1 + math.log(count)) * idf
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return mat / norms


def textrank(sim: np.ndarray, damping: float = 0.85, iterations: int = 50) -> np.ndarray:
    """PageRank scores over a weighted similarity graph, scaled so the maximum is 1."""
    n = sim.shape[0]
    if n == 0:
        return np.zeros(0)
    w = sim.copy()
    np.fill_diagonal(w, 0.0)
    out_weight = w.sum(axis=1, keepdims=True)
    out_weight[out_weight == 0] = 1.0
    transition = w / out_weight
    scores = np.full(n, 1.0 / n)
    for _ in range(iterations):
        new = (1 - damping) / n + damping * transition.T @ scores
        if np.abs(new - scores).sum() < 1e-9:
            scores = new
            break
        scores = new
    top = scores.max()
    return scores / top if top > 0 else scores


def rank_sentences(
    tokens: Sequence[Sequence[str]],
    positions: Sequence[int],
    k: int,
    title_tokens: Sequence[str] | None = None,
    weights: RankWeights = RankWeights(),
    penalty: Sequence[float] | None = None,
) -> list[int]:
    """Indices (into ``tokens``) of the ``k`` sentences to keep, best first.

    ``positions`` is each candidate's position among the article's sentences (0 = first);
    ``penalty`` is subtracted from each candidate's score (see :func:`sentence_penalties`).
    """
    n = len(tokens)
    if n == 0 or k <= 0:
        return []
    docs = [list(t) for t in tokens]
    if title_tokens:
        docs.append(list(title_tokens))
    mat = tfidf_matrix(docs)
    sim_all = mat @ mat.T
    sim = sim_all[:n, :n]
    central = textrank(sim, weights.damping)
    pos = np.array([math.exp(-p / weights.position_decay) for p in positions])
    score = weights.centrality * central + weights.position * pos
    if title_tokens:
        score += weights.title * sim_all[:n, n]
    lengths = np.array([len(t) for t in tokens])
    score -= 0.5 * (lengths < weights.short_tokens)
    score -= 0.3 * (lengths > weights.long_tokens)
    if penalty is not None:
        score -= np.asarray(penalty, dtype=np.float64)

    chosen: list[int] = []
    remaining = set(range(n))
    while remaining and len(chosen) < k:
        remaining = {i for i in remaining if all(sim[i, j] < weights.duplicate for j in chosen)}
        if not remaining:
            break
        def mmr(i: int) -> float:
            redundancy = max((sim[i, j] for j in chosen), default=0.0)
            return float(score[i] - weights.redundancy * redundancy)

        best = max(sorted(remaining), key=mmr)
        chosen.append(best)
        remaining.discard(best)
    return chosen


_QUOTED = re.compile(r"[\"“”‘’`']{1,2}[^\"“”‘’`']{12,}[\"“”‘’`']{1,2}")
_QUOTE_OPEN = re.compile(r"^\s*[\"“‘`']")


def quote_share(text: str) -> float:
    """How much of ``text`` is direct quotation (0-1); a sentence opening with a quote counts fully."""
    if _QUOTE_OPEN.match(text):
        return 1.0
    quoted = sum(len(m.group()) for m in _QUOTED.finditer(text))
    return min(1.0, quoted / max(len(text), 1))


def sentence_penalties(texts: Sequence[str], limit: int, weights: RankWeights) -> list[float]:
    """Per-sentence penalties: running past the bullet limit, being mostly a direct quote."""
    return [
        weights.overflow * max(0, len(t) - limit) / limit + weights.quote * (quote_share(t) >= 0.5)
        for t in texts
    ]
