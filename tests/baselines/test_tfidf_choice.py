"""TfidfChoice: the candidate most like the context and question in TF-IDF."""

import numpy as np
import pandas as pd
import pytest

from skmm.baselines import TfidfChoice

X = pd.DataFrame({
    "subtitles": ["the fox ran", "a boat on the sea", "snow on the hill", "the fox slept"],
    "question": ["what ran?", "where is the boat?", "what is on the hill?", "who slept?"],
    "a": ["a fox", "a hill", "snow", None],
    "b": ["the sea", "the sea", "a boat", "the fox"],
})


def test_it_picks_the_overlapping_candidate_and_skips_missing_ones():
    model = TfidfChoice(["a", "b"], question="question", context=["subtitles"]).fit(X)
    np.testing.assert_array_equal(model.predict(X), [0, 1, 0, 1])
    scores = model.decision_function(X)
    assert scores.shape == (4, 2) and scores[3, 0] == -1
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert model.score(X, [0, 1, 0, 1]) == 1.0
    assert model.score(X, ["a fox", "the sea", "snow", "the fox"]) == 1.0
    assert list(model.classes_) == [0, 1]


def test_it_needs_something_to_compare_with():
    with pytest.raises(ValueError, match="question or context"):
        TfidfChoice(["a", "b"]).fit(X)
    with pytest.raises(ValueError, match="choices must name"):
        TfidfChoice(["a"], question="question").fit(X)
