"""skmm.metrics: recall@k over ranked gallery positions, and its scorer."""

import pickle

import numpy as np
import pytest

from skmm.metrics import recall_at_k, recall_scorer, relevance


def test_recall_counts_a_right_row_among_the_top_k():
    ranked = np.array([[1, 0, 2], [0, 1, 2], [2, 1, 0]])
    assert recall_at_k(None, ranked, k=1) == pytest.approx(1 / 3)
    assert recall_at_k(None, ranked, k=2) == 1.0
    relevant = np.array([[1, 0, 0], [0, 0, 1], [0, 0, 1]], dtype=bool)
    assert recall_at_k(relevant, ranked, k=1) == pytest.approx(1 / 3)
    # A gallery of other rows, with labels of its own.
    assert recall_at_k(["x", "y"], np.array([[1], [0]]), gallery_labels=["y", "x", "x"]) == 1.0
    assert recall_at_k(["x", "y"], np.array([[1], [0]]), gallery_labels=["x", "x", "y"]) == 0.5


def test_bad_inputs_say_what_is_wrong():
    ranked = np.array([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="needs 3"):
        recall_at_k(None, ranked, k=3)
    with pytest.raises(ValueError, match="positive int"):
        recall_at_k(None, ranked, k=0)
    with pytest.raises(ValueError, match="gallery positions"):
        recall_at_k(None, ranked.astype(float))
    with pytest.raises(ValueError, match="queries"):
        relevance(None, 2, 3)
    with pytest.raises(ValueError, match="shape"):
        relevance(np.zeros((2, 4), dtype=bool), 2, 3)


class _Ranker:
    def retrieve(self, X_query, X_gallery, k=10):
        return np.tile(np.arange(k), (len(X_query), 1))


def test_the_scorer_calls_retrieve_and_pickles():
    scorer = pickle.loads(pickle.dumps(recall_scorer(2)))
    assert scorer(_Ranker(), np.zeros((4, 1))) == 0.5  # rows 0 and 1 find themselves in the top 2
    assert scorer(_Ranker(), np.zeros((4, 1)), np.array([0, 0, 1, 1])) == 0.5
