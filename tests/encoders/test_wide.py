"""Sparse features stay sparse into a linear "wide" encoder."""

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.data.sparse import SparseRows
from skmm.encoders import SparseLinearEncoder


def _texts(n, seed):
    """Class = which of 20 cue words appear (linear in counts), among 300 noise words."""
    rng = np.random.RandomState(seed)
    cues = [[f"cue{c}w{i}" for i in range(10)] for c in range(2)]
    y = rng.randint(0, 2, n)
    texts = []
    for label in y:
        words = list(rng.choice([f"noise{i}" for i in range(300)], 8))
        words += list(rng.choice(cues[label], 2)) + list(rng.choice(cues[1 - label], rng.randint(0, 2)))
        texts.append(" ".join(rng.permutation(words)))
    return pd.DataFrame({"text": texts}), y


def test_transformer_keeps_sparse_output_sparse():
    X, _ = _texts(30, 0)
    out = ModalityTransformer([("tfidf", TfidfVectorizer(), "text")]).fit_transform(X)
    assert sp.issparse(out["tfidf"]) and out["tfidf"].dtype == np.float32
    assert out[[0, 2]]["tfidf"].shape[0] == 2 and out.shape == (30,)


def test_sparse_batches_reach_the_encoder_sparse(monkeypatch):
    X, y = _texts(80, 0)
    seen = []
    forward = SparseLinearEncoder.forward

    def spy(self, x, lengths=None):
        seen.append(x.is_sparse)
        return forward(self, x, lengths)

    monkeypatch.setattr(SparseLinearEncoder, "forward", spy)
    # Densifying a scipy matrix anywhere on the way would call toarray().
    monkeypatch.setattr(sp.csr_matrix, "toarray", lambda *a, **k: (_ for _ in ()).throw(AssertionError("densified")))
    prep = ModalityTransformer([("tfidf", TfidfVectorizer(), "text")])
    clf = MultimodalClassifier(prep, max_epochs=2, random_state=0, verbose=0).fit(X, y)
    assert clf.modalities_["tfidf"].kind == "sparse"
    assert clf.predict(X).shape == (80,)
    assert seen and all(seen)


def test_sparse_rows_index_a_batch():
    matrix = sp.random(20, 7, density=0.3, format="csr", random_state=0, dtype=np.float32)
    rows = SparseRows(matrix)
    batch = rows[torch.tensor([3, 0, 19])]
    assert batch.is_sparse
    np.testing.assert_allclose(batch.to_dense().numpy(), matrix[[3, 0, 19]].toarray())


def test_wide_part_matches_logistic_regression_on_a_linear_text_task():
    X, y = _texts(600, 0)
    X_test, y_test = _texts(400, 1)
    linear = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=2000)).fit(X["text"], y)
    baseline = linear.score(X_test["text"], y_test)
    prep = ModalityTransformer([("tfidf", TfidfVectorizer(), "text")])
    net = MultimodalClassifier(prep, random_state=0, verbose=0).fit(X, y)
    assert baseline > 0.85
    assert net.score(X_test, y_test) >= baseline - 0.03


def test_a_sparse_matrix_as_X_is_one_sparse_modality():
    X, y = _texts(60, 0)
    features = TfidfVectorizer().fit_transform(X["text"])
    clf = MultimodalClassifier(max_epochs=2, random_state=0, verbose=0)
    for matrix in (features.tocoo(), features.tocsc(), sp.csr_array(features)):
        assert clf.fit(matrix, y).modalities_["x"].kind == "sparse"
        assert clf.predict(matrix).shape == (60,)


def test_a_wide_and_deep_net_saves_and_loads_identically(tmp_path):
    from skmm.preprocessing import TextSequencer

    X, y = _texts(80, 0)
    prep = ModalityTransformer([("tfidf", TfidfVectorizer(), "text"), ("words", TextSequencer(max_len=8), "text")])
    clf = MultimodalClassifier(prep, max_epochs=2, random_state=0, verbose=0).fit(X, y)
    # The text's own linear part too (no media encoder beside it: NGram(wide="auto")).
    assert sorted(clf.net_.module_.wide) == ["tfidf", "words"] and sorted(clf.net_.module_.encoders) == ["words"]
    clf.save_params(tmp_path / "wide.pt")
    loaded = MultimodalClassifier(prep, max_epochs=2, random_state=0, verbose=0).load_params(tmp_path / "wide.pt")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
