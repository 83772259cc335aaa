"""Tier 1: ranking on the project's own small examples."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from models.pipeline import DEFAULT_WEIGHTS
from models.text.extractive import (
    MAX_RANKED_SENTENCES,
    VOCAB_BLOCK,
    RankWeights,
    TermCounts,
    centroid_similarity,
    cosine_matrix,
    overlap_matrix,
    pick_best_first,
    position_prior,
    rank_sentences,
    sentence_features,
    textrank,
)


def _dense_tfidf(docs: list[list[str]]) -> np.ndarray:
    """The L2-normalized TF-IDF rows, written out independently of the blocked sparse product."""
    vocab = sorted({t for d in docs for t in d})
    n = len(docs)
    df = Counter(t for d in docs for t in set(d))
    mat = np.zeros((n, len(vocab)))
    for i, d in enumerate(docs):
        for t, c in Counter(d).items():
            mat[i, vocab.index(t)] = (1 + math.log(c)) * (math.log((1 + n) / (1 + df[t])) + 1)
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return mat / norms


def _dense_cosine(docs: list[list[str]]) -> np.ndarray:
    """The textbook cosine: the Gram matrix of the TF-IDF rows."""
    rows = _dense_tfidf(docs)
    return rows @ rows.T


def test_sparse_cosine_matches_the_dense_computation() -> None:
    docs = [["a", "b", "b"], ["b", "c"], [], ["c", "d", "a", "a"], ["e"]]
    assert np.allclose(cosine_matrix(docs), _dense_cosine(docs))


def test_cosine_and_overlap_over_a_vocabulary_of_several_blocks() -> None:
    # the production block size: a vocabulary of 2.5 blocks, words shared across block edges
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(int(VOCAB_BLOCK * 2.5))]
    docs = [list(rng.choice(words, size=1500)) for _ in range(6)]
    docs.append(words[VOCAB_BLOCK - 3 : VOCAB_BLOCK + 3] * 2)  # straddles the first block edge
    assert len({t for d in docs for t in d}) > 2 * VOCAB_BLOCK
    assert np.allclose(cosine_matrix(docs), _dense_cosine(docs))
    shared = np.array([[len(set(a) & set(b)) for b in docs] for a in docs], dtype=float)
    loglen = np.log(np.array([len(d) for d in docs]) + 1.0)
    expected = shared / (loglen[:, None] + loglen[None, :])
    np.fill_diagonal(expected, 0.0)
    assert np.allclose(overlap_matrix(docs), expected)
    assert overlap_matrix(docs)[6].max() > 0  # the straddling document shares words


def test_centroid_similarity_is_the_cosine_to_the_mean_tfidf_vector() -> None:
    docs = [["a", "b", "b"], ["b", "c"], [], ["c", "d", "a", "a"], ["e"], ["a", "b", "c"]]
    rows = _dense_tfidf(docs)
    centroid = rows.mean(axis=0)
    expected = rows @ (centroid / np.linalg.norm(centroid))
    got = centroid_similarity(TermCounts.of(docs))
    assert np.allclose(got, expected)
    assert int(np.argmax(got)) == 5 and got[2] == 0.0  # the sentence with the shared words; the empty one
    assert np.allclose(centroid_similarity(TermCounts.of([[], []])), 0.0)


def test_the_centroid_weight_moves_the_choice() -> None:
    """The lead wins on position alone; weighed by the centroid alone, the late hub of the vocabulary."""
    tokens = [["mayor", "opens", "bridge"], ["bridge", "traffic", "toll", "river"],
              ["toll", "river", "traffic", "commuters"], ["river", "traffic", "toll", "bridge", "commuters"]]
    lead = RankWeights(centrality=0.0, position=1.0, title=0.0, short_penalty=0.0)
    f = sentence_features(tokens, list(range(4)))
    assert f.centroid_sim.argmax() == 3
    assert rank_sentences(tokens, list(range(4)), 1, weights=lead) == [0]
    assert rank_sentences(tokens, list(range(4)), 1, weights=replace(lead, position=0.0, centroid=1.0)) == [3]


def test_overlap_is_textranks_word_overlap() -> None:
    docs = [["a", "b", "b"], ["b", "c"], [], ["a", "b", "c", "d"]]
    sim = overlap_matrix(docs)
    # shared distinct words / (log(len+1) + log(len+1)), written out by hand
    assert sim[0, 1] == pytest.approx(1 / (math.log(4) + math.log(3)))
    assert sim[0, 3] == pytest.approx(2 / (math.log(4) + math.log(5)))
    assert sim[1, 3] == pytest.approx(2 / (math.log(3) + math.log(5)))
    assert sim[2].sum() == 0 and np.allclose(np.diag(sim), 0) and np.allclose(sim, sim.T)


def test_textrank_prefers_the_hub() -> None:
    sim = np.array([[0, 0.9, 0.9], [0.9, 0, 0.0], [0.9, 0.0, 0]])
    scores = textrank(sim)
    assert scores.argmax() == 0 and scores[1] < 0.9 and scores[2] < 0.9


def test_position_prior_is_the_named_decay() -> None:
    prior = position_prior(np.array([0.0, 3.0, 6.0]), 3.0)
    assert np.allclose(prior, [1.0, math.exp(-1), math.exp(-2)])


# the weights production ranks with (models.pipeline.DEFAULT_WEIGHTS: TextRank's word-overlap graph,
# the cross-validated mix), not RankWeights()'s defaults, which no request uses
PRODUCTION = pytest.mark.parametrize("lang", sorted(DEFAULT_WEIGHTS))


@PRODUCTION
def test_rank_prefers_central_and_early_and_avoids_repeats(lang: str) -> None:
    tokens = [
        ["bus", "electric", "city", "launch"],       # 0 lead, central
        ["bus", "electric", "city", "launch"],       # 1 duplicate of the lead
        ["battery", "bus", "charge", "depot"],       # 2
        ["weather", "sunny", "weekend"],             # 3 off-topic
        ["city", "electric", "cost", "bus", "budget"],  # 4
    ]
    chosen = rank_sentences(tokens, list(range(5)), 3, weights=DEFAULT_WEIGHTS[lang])
    # both languages weigh a lead prior (cross-validated, bench.learn / bench.tune): the lead first
    assert chosen[0] == 0
    assert not {0, 1} <= set(chosen)  # a near-duplicate of a pick is never taken (RankWeights.duplicate)
    assert 3 not in chosen  # not central, not early


def test_best_first_is_by_score_not_by_position() -> None:
    """The pick order follows the score; a late sentence with the best score comes first."""
    sim = np.zeros((4, 4))
    scores = np.array([0.2, 0.1, 0.9, 0.5])
    assert pick_best_first(scores, sim, 3, RankWeights()) == [2, 3, 0]
    assert pick_best_first(scores, sim, 1, RankWeights()) == [2]


@PRODUCTION
def test_without_the_position_prior_a_central_late_sentence_wins(lang: str) -> None:
    tokens = [
        ["weather", "sunny"],
        ["ferry", "strike", "port", "union"],
        ["strike", "union", "wage", "ferry"],
        ["strike", "port", "ferry", "wage", "union"],
    ]
    no_prior = replace(DEFAULT_WEIGHTS[lang], position=0.0, short_penalty=0.0)
    lead_heavy = replace(DEFAULT_WEIGHTS[lang], position=10.0, centrality=1.0, short_penalty=0.0)
    assert rank_sentences(tokens, list(range(4)), 1, weights=no_prior) == [3]
    assert rank_sentences(tokens, list(range(4)), 1, weights=lead_heavy) == [0]


def test_ranking_is_bounded_to_the_window() -> None:
    n = MAX_RANKED_SENTENCES * 10
    tokens = [["plan", f"w{i % 50}"] for i in range(n)]
    f = sentence_features(tokens, list(range(n)))
    assert f.n == MAX_RANKED_SENTENCES and f.sim.shape == (MAX_RANKED_SENTENCES,) * 2
    chosen = rank_sentences(tokens, list(range(n)), 5, weights=DEFAULT_WEIGHTS["en"])
    assert len(chosen) == 5 and max(chosen) < MAX_RANKED_SENTENCES


def test_rank_handles_tiny_inputs() -> None:
    assert rank_sentences([], [], 3) == []
    assert rank_sentences([["a"]], [0], 3) == [0]
    assert rank_sentences([[], []], [0, 1], 3) == [0, 1]
