"""lazy=True: batches preprocessed when fetched, frame of paths kept as it is."""

import numpy as np
import pytest

from skmm import ModalityDict, MultimodalClassifier
from skmm.data.lazy import LazyModalityDataset
from skmm.estimators.data import predict_dataset
from skmm.preprocessing import decode_cache

FAST = dict(max_epochs=8, batch_size=16, hidden_size=16, lr=5e-3, random_state=0, verbose=0)


def test_lazy_fit_predicts_like_the_eager_one(frame, make_prep):
    X, y = frame
    # A lazy set knows no lengths before decoding, so it cannot batch by length: both random.
    eager = MultimodalClassifier(make_prep(), length_aware_batching=False, **FAST).fit(X, y)
    decode_cache.clear()
    lazy = MultimodalClassifier(make_prep(), lazy=True, length_aware_batching=False, **FAST).fit(X, y)
    assert decode_cache.stats()["entries"] == 0  # lazily read media are not kept
    assert isinstance(predict_dataset(lazy, X), LazyModalityDataset)
    # With every row in the fitting sample, the two see the same data and seeds.
    np.testing.assert_allclose(lazy.predict_proba(X), eager.predict_proba(X), atol=1e-5)
    assert lazy.score(X, y) > 0.8


def test_lazy_fit_rows_sample_the_preprocessor(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), lazy=True, lazy_fit_rows=30, **FAST).fit(X, y)
    vocab = clf.preprocessor_.named_transformers_["text"].vocabulary_
    assert len(vocab) > 0 and clf.predict(X).shape == (len(X),)


def test_lazy_with_worker_processes(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), lazy=True, num_workers=2, **{**FAST, "max_epochs": 2}).fit(X, y)
    assert clf.net_.get_iterator(predict_dataset(clf, X), training=False).num_workers == 2
    assert clf.predict(X).shape == (len(X),)


def test_lazy_needs_the_preprocessor_inside(frame, make_prep):
    X, y = frame
    with pytest.raises(ValueError, match="lazy=True needs the preprocessor inside the estimator"):
        MultimodalClassifier(lazy=True, **FAST).fit(make_prep().fit_transform(X), y)


def test_public_inference_path_in_lazy_mode(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), lazy=True, fusion="attention", **FAST).fit(X, y)
    data = clf.preprocess(X)  # decoded once, into memory
    assert isinstance(data, ModalityDict) and sorted(data) == sorted(clf.modalities_)
    np.testing.assert_allclose(clf.predict_proba(data), clf.predict_proba(X), atol=1e-5)
    assert clf.score(data, y) == clf.score(X, y)
    # modality_weights reads the raw frame batch by batch, like predict.
    weights = clf.modality_weights(X)
    assert (weights.index == X.index).all()
    np.testing.assert_allclose(weights.to_numpy(), clf.modality_weights(data).to_numpy(), atol=1e-5)
    alone = clf.without(data, "text")
    assert (alone["text"] == 0).all() and alone["image"] is data["image"]
    assert (clf.modality_weights(alone)["text"] == 0).all()  # an absent modality weighs nothing
