"""LinearRetrieval: CCA / PLS between two sides' classical features, with the embedder's API."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skmm import ModalityTransformer, MultimodalEmbedder
from skmm.baselines import LinearRetrieval
from skmm.metrics import recall_at_k
from skmm.preprocessing import ImageLoader, TextSequencer


def linear_pairs(n=150, seed=0):
    rng = np.random.RandomState(seed)
    z = rng.normal(size=(n, 3))
    a = z @ rng.normal(size=(3, 6)) + 0.1 * rng.normal(size=(n, 6))
    b = z @ rng.normal(size=(3, 4)) + 0.1 * rng.normal(size=(n, 4))
    return pd.DataFrame(np.c_[a, b], columns=[f"a{i}" for i in range(6)] + [f"b{i}" for i in range(4)])


QUERY = {f"a{i}": "numeric" for i in range(6)}
TARGET = {f"b{i}": "numeric" for i in range(4)}


@pytest.mark.parametrize("method", ["cca", "pls"])
def test_linear_views_are_retrieved(method):
    X = linear_pairs()
    model = LinearRetrieval(QUERY, TARGET, method=method, n_components=3).fit(X)
    q, t = model.embed(X, "query"), model.embed(X, "target")
    assert q.shape == t.shape == (150, 3)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1)
    ranked = model.retrieve(X, X, k=5)
    assert model.score(X) == recall_at_k(None, ranked, k=1)
    assert recall_at_k(None, ranked, k=5) > 0.5  # chance 5/150
    if method == "cca":
        assert model.correlations_[0] > 0.9 and model.score(X) > 0.3


def test_text_and_image_columns(media_frame):
    X, _ = media_frame
    model = LinearRetrieval({"text": "text"}, {"image": "image"}, n_components=4).fit(X)
    assert model.retrieve(X, k=3).shape == (len(X), 3)
    with pytest.raises(ValueError, match="kind"):
        LinearRetrieval({"text": "words"}, {"image": "image"}).fit(X)
    with pytest.raises(ValueError, match="side"):
        LinearRetrieval({"text": "text"}, {"image": "image"}).fit(X).embed(X, side="gallery")


def test_one_grid_search_over_the_baseline_and_the_embedder(media_frame):
    X, _ = media_frame
    prep = ModalityTransformer([("text", TextSequencer(max_len=6), "text"),
                                ("image", ImageLoader(size=(14, 14)), "image")])
    embedder = MultimodalEmbedder(prep, query="text", target="image", embedding_dim=8, hidden_size=8,
                                  max_epochs=2, random_state=0, verbose=0)
    grid = [{"model": [LinearRetrieval({"text": "text"}, {"image": "image"})], "model__n_components": [2, 4]},
            {"model": [embedder]}]
    search = GridSearchCV(Pipeline([("model", embedder)]), grid, cv=2).fit(X)
    assert len(search.cv_results_["params"]) == 3
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
