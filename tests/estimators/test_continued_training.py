"""partial_fit (one epoch at a time, fitted preprocessing kept) and warm_start."""

import numpy as np
import pytest
import torch

from skmm import ModalityDict, MultimodalClassifier, MultimodalRegressor

FAST = dict(batch_size=16, hidden_size=16, lr=5e-3, verbose=0, random_state=0)


def _state(clf):
    return {k: v.clone() for k, v in clf.net_.module_.state_dict().items()}


def test_partial_fit_trains_one_epoch_per_call_and_loss_decreases(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), **FAST)
    for _ in range(8):
        clf.partial_fit(X, y)
    losses = clf.history_[:, "train_loss"]
    assert len(losses) == 8
    assert losses[-1] < 0.8 * losses[0]


def test_partial_fit_keeps_the_first_fits_preprocessing(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), **FAST).partial_fit(X.iloc[:45], y.iloc[:45])
    prep = clf.preprocessor_
    vocabulary = dict(prep.named_transformers_["text"].vocabulary_)
    before = _state(clf)
    new = X.iloc[45:].copy()
    new["text"] = "zebra " + new["text"]  # words the first fit never saw
    clf.partial_fit(new, y.iloc[45:])
    assert clf.preprocessor_ is prep
    assert prep.named_transformers_["text"].vocabulary_ == vocabulary
    after = _state(clf)
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert len(clf.history_) == 2


def test_partial_fit_classes_and_unseen_class():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3)).astype("float32")
    y = np.array(["a", "b", "c"])[np.arange(60) % 3]
    first = y[:20] != "c"
    clf = MultimodalClassifier(**FAST).partial_fit(X[:20][first], y[:20][first], classes=["a", "b", "c"])
    assert clf.classes_.tolist() == ["a", "b", "c"]
    assert clf.predict_proba(X).shape == (60, 3)
    clf.partial_fit(X[20:], y[20:])  # "c" now appears: it was declared
    with pytest.raises(ValueError, match=r"holds classes \['d'\] not among the classes"):
        clf.partial_fit(X[:4], np.array(["a", "b", "d", "a"]))
    with pytest.raises(ValueError, match="differs from the classes of the first call"):
        clf.partial_fit(X[:4], y[:4], classes=["a", "b"])
    # Without classes=, the first call learns them from y; a later class is refused.
    fresh = MultimodalClassifier(**FAST).partial_fit(X[:20][first], y[:20][first])
    with pytest.raises(ValueError, match=r"\['c'\]"):
        fresh.partial_fit(X[20:], y[20:])


def test_partial_fit_checks_features():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3)).astype("float32")
    reg = MultimodalRegressor(**FAST).partial_fit(X, X[:, 0])
    with pytest.raises(ValueError, match="3 features"):
        reg.partial_fit(X[:, :2], X[:, 0])
    with pytest.raises(ValueError, match="missing from X"):
        MultimodalRegressor(**FAST).partial_fit(ModalityDict(a=X), X[:, 0]).partial_fit(ModalityDict(b=X), X[:, 0])


def test_regressor_partial_fit_keeps_target_scaling():
    X = np.linspace(-1, 1, 40, dtype="float32")[:, None]
    reg = MultimodalRegressor(**FAST).partial_fit(X[:20], 3 * X[:20, 0] + 1)
    mean, scale = reg.y_mean_.copy(), reg.y_scale_.copy()
    reg.partial_fit(X[20:], 3 * X[20:, 0] + 1)
    np.testing.assert_array_equal(reg.y_mean_, mean)
    np.testing.assert_array_equal(reg.y_scale_, scale)


def test_warm_start_continues_from_the_fitted_network(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), max_epochs=4, warm_start=True, **FAST).fit(X, y)
    prep, module = clf.preprocessor_, clf.net_.module_
    first = clf.history_[:, "train_loss"]
    clf.fit(X, y)
    assert len(clf.history_) == 8
    assert clf.preprocessor_ is prep and clf.net_.module_ is module
    # The second fit starts where the first ended, not from a fresh network.
    assert clf.history_[4, "train_loss"] < first[0]
    assert clf.history_[4, "train_loss"] < 2 * first[-1]
    # warm_start=False: a fresh network and history.
    clf.set_params(warm_start=False).fit(X, y)
    assert len(clf.history_) == 4 and clf.net_.module_ is not module


def test_warm_start_refuses_new_classes():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype("float32")
    clf = MultimodalClassifier(max_epochs=2, warm_start=True, **FAST).fit(X, np.arange(40) % 2)
    with pytest.raises(ValueError, match=r"holds classes \[2\]"):
        clf.fit(X, np.arange(40) % 3)
