"""Tier 1: ranking on the project's own small examples."""
from __future__ import annotations

import numpy as np

from models.extractive import rank_sentences, textrank, tfidf_matrix


def test_tfidf_rows_are_unit_length() -> None:
    mat = tfidf_matrix([["a", "b"], ["b", "c"], []])
    norms = np.linalg.norm(mat, axis=1)
    assert np.allclose(norms[:2], 1.0) and norms[2] == 0.0


def test_textrank_prefers_the_hub() -> None:
    sim = np.array([[0, 0.9, 0.9], [0.9, 0, 0.0], [0.9, 0.0, 0]])
    scores = textrank(sim)
    assert scores.argmax() == 0 and scores.max() == 1.0


def test_rank_prefers_central_and_early_and_avoids_repeats() -> None:
    tokens = [
        ["bus", "electric", "city", "launch"],       # 0 lead, central
        ["bus", "electric", "city", "launch"],       # 1 duplicate of the lead
        ["battery", "bus", "charge", "depot"],       # 2
        ["weather", "sunny", "weekend"],             # 3 off-topic
        ["city", "electric", "cost", "bus", "budget"],  # 4
    ]
    chosen = rank_sentences(tokens, list(range(5)), 3)
    assert chosen[0] == 0
    assert 1 not in chosen  # redundancy penalty
    assert 3 not in chosen  # not central, not early


def test_rank_handles_tiny_inputs() -> None:
    assert rank_sentences([], [], 3) == []
    assert rank_sentences([["a"]], [0], 3) == [0]
