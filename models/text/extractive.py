"""The no-weights default summarizer: sentence centrality, a named position prior, and MMR.

Each candidate sentence gets a score that is an explicit weighted sum of measured features
(:func:`sentence_scores`):

- ``centrality``: TextRank over a sentence similarity graph (tokens are Korean morphemes or
  English word stems), scaled so the article's most central sentence scores 1. The graph is a
  per-language choice (``RankWeights.graph``): TF-IDF cosine, or the original TextRank word
  overlap (Mihalcea & Tarau 2004: shared words over the sum of the log lengths), which favours
  longer, information-dense sentences;
- ``position``: a prior for early sentences, ``exp(-p / position_decay)`` for the p-th candidate
  (news puts the point first; its weight is tuned and reported like any other);
- ``title``: cosine similarity to the headline, when there is one;
- ``centroid``: cosine similarity to the article's TF-IDF centroid (the mean of its candidates'
  TF-IDF vectors): how much of the article's vocabulary a sentence carries, the score of the
  TF-IDF centroid summarizer (Radev et al. 2004) that leads the BBC peers (docs/peers.md);
- penalties for fragments, run-ons and sentences that are mostly a direct quote.

Sentences are then picked best first with maximal marginal relevance (a redundancy penalty
against what was already picked). Work is bounded whatever the input: only the first
:data:`MAX_RANKED_SENTENCES` candidates are ranked, and similarity is a matrix product over a
sparse sentence x vocabulary matrix taken :data:`VOCAB_BLOCK` columns at a time, so time and memory
grow with the window, not with the text.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# News articles have tens of sentences (the longest dev article: about 150); anything past this
# many candidates is not ranked at all, which bounds the n x n similarity work at any text size.
# Traded: a sentence after the 300th candidate can never become a bullet.
MAX_RANKED_SENTENCES = 300


@dataclass(frozen=True, slots=True)
class RankWeights:
    """The ranker's weights; the defaults in models.pipeline are cross-validated (bench.tune)."""

    centrality: float = 1.0
    position: float = 1.0
    position_decay: float = 3.0  # in candidate sentences: the prior falls to 1/e after this many
    title: float = 0.5
    centroid: float = 0.0  # cosine to the article's TF-IDF centroid
    redundancy: float = 0.7
    damping: float = 0.85
    duplicate: float = 0.8  # cosine above this: a repeat, never picked
    short_tokens: int = 5  # fewer content tokens than this: penalized as a fragment
    short_penalty: float = 0.5
    long_tokens: int = 45  # more content tokens than this: penalized (run-on or caption merge)
    long_penalty: float = 0.3
    quote: float = 0.0  # penalty for a sentence that is mostly a direct quote
    graph: str = "tfidf"  # centrality graph: "tfidf" (cosine) or "overlap" (TextRank's word overlap)


GRAPHS = ("tfidf", "overlap")


@dataclass(frozen=True, slots=True)
class SentenceFeatures:
    """Everything the score needs about one article's candidates, computed once."""

    sim: np.ndarray  # n x n cosine similarity, zero diagonal (redundancy and duplicates)
    centrality: dict[str, np.ndarray]  # TextRank per graph asked for ("tfidf", "overlap"), max 1
    title_sim: np.ndarray  # cosine to the headline (zeros without one)
    centroid_sim: np.ndarray  # cosine to the mean TF-IDF vector of the candidates
    positions: np.ndarray  # candidate positions, 0 = first
    lengths: np.ndarray  # content tokens
    quoted: np.ndarray  # 1.0 where the sentence is mostly a direct quote

    @property
    def n(self) -> int:
        return int(self.positions.shape[0])


# Vocabulary columns per dense block of the term matrix: similarity is a matrix product, done a
# block of columns at a time, so memory stays n x VOCAB_BLOCK whatever the vocabulary (an article's
# ranking window has a few hundred to a few thousand distinct tokens: one block, two at most).
VOCAB_BLOCK = 2048


@dataclass(frozen=True, slots=True)
class TermCounts:
    """A sparse documents x vocabulary count matrix in coordinate form (one entry per distinct
    token of a document)."""

    rows: np.ndarray  # document index of each entry
    cols: np.ndarray  # vocabulary index of each entry
    counts: np.ndarray  # occurrences of the token in the document
    n_docs: int
    n_terms: int
    lengths: np.ndarray  # tokens per document, repeats included

    @classmethod
    def of(cls, docs: Sequence[Sequence[str]]) -> TermCounts:
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        for i, doc in enumerate(docs):
            for tok, count in Counter(doc).items():
                rows.append(i)
                cols.append(vocab.setdefault(tok, len(vocab)))
                counts.append(count)
        return cls(np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp),
                   np.asarray(counts, dtype=np.float64), len(docs), len(vocab),
                   np.asarray([len(d) for d in docs], dtype=np.float64))

    def head(self, n: int) -> TermCounts:
        """The first ``n`` documents only (same vocabulary indices)."""
        keep = self.rows < n
        return TermCounts(self.rows[keep], self.cols[keep], self.counts[keep], n, self.n_terms,
                          self.lengths[:n])

    def gram(self, values: np.ndarray) -> np.ndarray:
        """``M @ M.T`` for the sparse matrix with ``values`` at this matrix's entries: n x n,
        computed over dense blocks of :data:`VOCAB_BLOCK` vocabulary columns."""
        n = self.n_docs
        out = np.zeros((n, n), dtype=np.float64)
        for first in range(0, self.n_terms, VOCAB_BLOCK):
            width = min(VOCAB_BLOCK, self.n_terms - first)
            sel = (self.cols >= first) & (self.cols < first + width)
            block = np.zeros((n, width), dtype=np.float64)
            block[self.rows[sel], self.cols[sel] - first] = values[sel]
            out += block @ block.T
        return out


def tfidf_weights(terms: TermCounts) -> np.ndarray:
    """L2-normalized TF-IDF weight of each entry of ``terms`` (sublinear tf, smoothed idf)."""
    df = np.bincount(terms.cols, minlength=terms.n_terms)
    idf = np.log((1 + terms.n_docs) / (1 + df)) + 1.0
    w = (1 + np.log(terms.counts)) * idf[terms.cols]
    norm = np.sqrt(np.bincount(terms.rows, weights=w * w, minlength=terms.n_docs))
    norm[norm == 0] = 1.0
    return w / norm[terms.rows]


def cosine_matrix(docs: Sequence[Sequence[str]] | TermCounts) -> np.ndarray:
    """Cosine similarity of TF-IDF vectors of token lists (diagonal included): the Gram matrix of
    the sparse TF-IDF rows, memory n x n plus one block of n x :data:`VOCAB_BLOCK`."""
    terms = docs if isinstance(docs, TermCounts) else TermCounts.of(docs)
    return terms.gram(tfidf_weights(terms))


def centroid_similarity(terms: TermCounts) -> np.ndarray:
    """Cosine of each document's TF-IDF vector (:func:`tfidf_weights`) to the documents' centroid, the
    mean of those vectors; computed on the sparse entries, no dense matrix."""
    w = tfidf_weights(terms)
    centroid = np.bincount(terms.cols, weights=w, minlength=terms.n_terms)
    norm = float(np.linalg.norm(centroid))
    if norm == 0:
        return np.zeros(terms.n_docs)
    return np.bincount(terms.rows, weights=w * centroid[terms.cols] / norm, minlength=terms.n_docs)


def overlap_matrix(docs: Sequence[Sequence[str]] | TermCounts) -> np.ndarray:
    """TextRank's sentence similarity: |shared distinct words| / (log(len a + 1) + log(len b + 1)).

    (Mihalcea & Tarau 2004, with +1 so one-word sentences do not divide by zero.) The shared-word
    counts are the Gram matrix of the binary document x word matrix, computed like
    :func:`cosine_matrix`; the diagonal is zero.
    """
    terms = docs if isinstance(docs, TermCounts) else TermCounts.of(docs)
    shared = terms.gram(np.ones_like(terms.counts))
    loglen = np.log(terms.lengths + 1.0)
    denom = loglen[:, None] + loglen[None, :]
    out = np.divide(shared, denom, out=np.zeros_like(shared), where=denom > 0)
    np.fill_diagonal(out, 0.0)
    return out


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


_QUOTED = re.compile(r"[\"“”‘’`']{1,2}[^\"“”‘’`']{12,}[\"“”‘’`']{1,2}")
_QUOTE_OPEN = re.compile(r"^\s*[\"“‘`']")


def quote_share(text: str) -> float:
    """How much of ``text`` is direct quotation (0-1); a sentence opening with a quote counts fully."""
    if _QUOTE_OPEN.match(text):
        return 1.0
    quoted = sum(len(m.group()) for m in _QUOTED.finditer(text[:2000]))
    return min(1.0, quoted / max(len(text), 1))


def sentence_features(
    tokens: Sequence[Sequence[str]],
    positions: Sequence[int],
    title_tokens: Sequence[str] | None = None,
    texts: Sequence[str] | None = None,
    damping: float = 0.85,
    graphs: Sequence[str] = GRAPHS,
) -> SentenceFeatures:
    """Features of the first :data:`MAX_RANKED_SENTENCES` candidates (the rest are not ranked),
    with centrality over each of ``graphs`` (the service asks for the one its weights use)."""
    n = min(len(tokens), MAX_RANKED_SENTENCES)
    docs = [list(t) for t in tokens[:n]]
    if title_tokens:
        docs.append(list(title_tokens))
    terms = TermCounts.of(docs)
    sim_all = cosine_matrix(terms)
    sim = sim_all[:n, :n].copy()
    np.fill_diagonal(sim, 0.0)
    title_sim = sim_all[:n, n].copy() if title_tokens else np.zeros(n)
    quoted = np.array(
        [float(quote_share(t) >= 0.5) for t in texts[:n]] if texts is not None else [0.0] * n
    )
    graph_matrix = {"tfidf": lambda: sim, "overlap": lambda: overlap_matrix(terms.head(n))}
    return SentenceFeatures(
        sim=sim,
        centrality={g: textrank(graph_matrix[g](), damping) for g in graphs},
        title_sim=title_sim,
        centroid_sim=centroid_similarity(terms.head(n)),  # the candidates' own centroid, the title left out
        positions=np.asarray(positions[:n], dtype=np.float64),
        lengths=terms.lengths[:n].copy(),  # content tokens of the candidates (the title row left out)
        quoted=quoted,
    )


def position_prior(positions: np.ndarray, decay: float) -> np.ndarray:
    """The named lead prior: 1 for the first candidate, falling by exp(-p / decay)."""
    return np.exp(-positions / max(decay, 1e-6))


def sentence_scores(f: SentenceFeatures, w: RankWeights) -> np.ndarray:
    """Each candidate's score before redundancy: the weighted sum described in the module doc."""
    score = w.centrality * f.centrality[w.graph] + w.position * position_prior(f.positions, w.position_decay)
    score = score + w.title * f.title_sim + w.centroid * f.centroid_sim
    score = score - w.short_penalty * (f.lengths < w.short_tokens)
    score = score - w.long_penalty * (f.lengths > w.long_tokens)
    return score - w.quote * f.quoted


def pick_best_first(scores: np.ndarray, sim: np.ndarray, k: int, w: RankWeights) -> list[int]:
    """Up to ``k`` indices, best first, by maximal marginal relevance.

    Each step takes the candidate with the highest ``score - redundancy * max cosine to the
    already picked``; near-duplicates (cosine >= ``duplicate``) of a pick are never taken.
    Ties go to the earlier sentence.
    """
    n = scores.shape[0]
    chosen: list[int] = []
    alive = np.ones(n, dtype=bool)
    max_sim = np.zeros(n)
    while len(chosen) < k:
        mmr = np.where(alive, scores - w.redundancy * max_sim, -np.inf)
        if n == 0 or not np.isfinite(mmr).any():
            break
        best = int(np.argmax(mmr))  # argmax returns the first maximum: the earlier sentence
        chosen.append(best)
        alive[best] = False
        max_sim = np.maximum(max_sim, sim[best])
        alive &= sim[best] < w.duplicate
    return chosen


def rank_sentences(
    tokens: Sequence[Sequence[str]],
    positions: Sequence[int],
    k: int,
    title_tokens: Sequence[str] | None = None,
    weights: RankWeights = RankWeights(),
    texts: Sequence[str] | None = None,
) -> list[int]:
    """Indices (into ``tokens``) of up to ``k`` sentences to keep, best first.

    ``positions`` is each candidate's position among the article's candidates (0 = first);
    ``texts`` (optional) lets the quote penalty see the sentences. Only the first
    :data:`MAX_RANKED_SENTENCES` candidates are considered.
    """
    if not tokens or k <= 0:
        return []
    f = sentence_features(tokens, positions, title_tokens, texts, weights.damping, (weights.graph,))
    return pick_best_first(sentence_scores(f, weights), f.sim, k, weights)
