"""SequencePadder: padding, truncation, scaling, missing and inconsistent series, in a net."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.data.inputs import describe, to_tensors
from skmm.preprocessing import SequencePadder

FAST = dict(max_epochs=15, batch_size=16, hidden_size=16, lr=1e-2, random_state=0, verbose=0)


def test_pads_with_nan_and_scales_each_feature_over_real_steps():
    rng = np.random.RandomState(0)
    series = [rng.normal([5, -100], [2, 30], size=(t, 2)) for t in (4, 9, 6)]
    padder = SequencePadder()
    out = padder.fit_transform(series)
    assert out.shape == (3, 9, 2) and out.dtype == np.float32
    assert padder.max_len_ == 9 and padder.n_step_features_ == 2
    real = np.concatenate([out[i, :t] for i, t in enumerate((4, 9, 6))])
    assert not np.isnan(real).any()
    np.testing.assert_allclose(real.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(real.std(axis=0), 1, atol=1e-5)
    assert np.isnan(out[0, 4:]).all() and np.isnan(out[2, 6:]).all()
    np.testing.assert_allclose(padder.transform(series), out, equal_nan=True)
    # The frames kind: lengths are the real steps.
    assert to_tensors({"s": out}, describe({"s": out}))["s"]["lengths"].tolist() == [4, 9, 6]


def test_one_dimensional_cells_lists_and_truncation():
    X = pd.Series([[1, 2, 3, 4, 5], np.array([6.0]), (7, 8)], name="ts")
    padder = SequencePadder(max_len=3, normalize=False)
    out = padder.fit_transform(X)
    np.testing.assert_array_equal(out[..., 0], [[1, 2, 3], [6, np.nan, np.nan], [7, 8, np.nan]])
    # Fitted on a shorter longest series: longer ones at transform are cut to it.
    short = SequencePadder(normalize=False).fit([[1, 2], [3]])
    assert short.transform([[1, 2, 3, 4]]).shape == (1, 2, 1)
    # Statistics come from the steps kept.
    assert SequencePadder(max_len=1).fit([[0.0, 100.0], [2.0]]).mean_.tolist() == [1.0]


def test_missing_and_empty_series_absent_under_mask_else_named():
    X = pd.Series([[1.0, 2.0], None, np.nan, []], index=list("abcd"), name="ts")
    out = SequencePadder(on_missing="mask").fit_transform(X)
    assert not np.isnan(out[0]).any() and np.isnan(out[1:]).all()
    tensors = to_tensors({"ts": out}, describe({"ts": out}))["ts"]
    assert tensors["present"].tolist() == [True, False, False, False]
    with pytest.raises(ValueError, match=r"column 'ts', row 'b': series is missing"):
        SequencePadder().fit(X)
    with pytest.raises(ValueError, match=r"column 'ts', row 'd': the sequence is empty"):
        SequencePadder().fit(X[["a", "d"]])
    with pytest.raises(ValueError, match=r"column 'ts': every series is missing"):
        SequencePadder(on_missing="mask").fit(X[["b", "c"]])


def test_inconsistent_features_and_bad_cells_name_the_row():
    X = pd.Series([np.zeros((3, 2)), np.zeros((4, 2)), np.zeros((2, 3))], index=[10, 11, 12], name="ts")
    with pytest.raises(ValueError, match=r"column 'ts', row 12: the series has 3 feature\(s\) per step, but column 'ts', row 10 has 2"):
        SequencePadder().fit(X)
    padder = SequencePadder().fit(X.iloc[:2])
    with pytest.raises(ValueError, match=r"row 0: the series has 1 feature\(s\) per step, but the series seen in fit have 2"):
        padder.transform([[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"column 'ts', row 1: expected a sequence .* got float"):
        SequencePadder().fit(pd.Series([[1.0], 3.5], name="ts"))
    with pytest.raises(TypeError, match=r"row 0: expected a sequence .* got str"):
        SequencePadder().fit(["1,2,3"])
    with pytest.raises(ValueError, match=r"row 1: cannot read the sequence as numbers"):
        SequencePadder().fit([[1.0], ["a", "b"]])
    with pytest.raises(ValueError, match=r"row 0: a sequence must have shape \(T,\) or \(T, d\)"):
        SequencePadder().fit([np.zeros((2, 2, 2))])
    with pytest.raises(ValueError, match=r"row 1: step 2 holds NaN or infinite values"):
        SequencePadder().fit([[1.0], [1.0, 2.0, np.inf]])
    with pytest.raises(ValueError, match="max_len"):
        SequencePadder(max_len=0).fit([[1.0]])


def _frame(n=80, seed=0):
    """Label: whether the series rises or falls; lengths 3..12, some rows lack it."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    series = []
    for label in y:
        t = rng.randint(3, 13)
        slope = 1.0 if label else -1.0
        series.append(np.c_[slope * np.arange(t) + rng.normal(0, 0.3, t), rng.normal(0, 1, t)])
    X = pd.DataFrame({"ts": series, "x": rng.normal(size=n)})
    X.loc[[5, 17], "ts"] = None
    return X, y


def test_in_a_network_grid_search_pickle_and_safe_format(tmp_path):
    X, y = _frame()
    before = X.copy()

    def make_prep():
        return ModalityTransformer([("ts", SequencePadder(on_missing="mask"), "ts"), ("x", "passthrough", ["x"])])

    pipe = Pipeline([("prep", make_prep()), ("net", MultimodalClassifier(**FAST))])
    search = GridSearchCV(pipe, {"prep__ts__max_len": [4, None]}, cv=2).fit(X, y)
    assert search.best_score_ > 0.8  # the slope is learned over the steps
    pd.testing.assert_frame_equal(X, before)
    clf = MultimodalClassifier(make_prep(), **FAST).fit(X, y)
    assert clf.score(X, y) > 0.8
    # Series are frames: read by the frames' default encoder (convolutions over time).
    assert clf.net_.module_.encoders["ts"].__class__.__name__ == "TemporalConvEncoder"
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    clf.save_params(tmp_path / "clf.pt")
    torch.load(tmp_path / "clf.pt", weights_only=True)
    loaded = MultimodalClassifier(make_prep(), **FAST).load_params(tmp_path / "clf.pt")
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    padder = clf.preprocessor_.named_transformers_["ts"]
    assert clone(padder).get_params() == padder.get_params() and not hasattr(clone(padder), "mean_")


def test_safe_format_checks_what_it_rebuilds():
    from skmm.persistence import params_file as persistence

    plain = persistence.to_plain(SequencePadder(max_len=4).fit([[1.0, 2.0], [3.0]]))
    assert isinstance(persistence.from_plain(plain), SequencePadder)
    bad_width = {**plain, "fitted": {**plain["fitted"], "n_step_features_": 3}}
    with pytest.raises(persistence.UnsafeFileError, match="mean_ and std_ of that length"):
        persistence.from_plain(bad_width)
    bad_param = {**plain, "params": {**plain["params"], "max_len": -5}}
    with pytest.raises(persistence.UnsafeFileError, match=r"'max_len' parameter of SequencePadder must be an int in the range \[1, inf\)"):
        persistence.from_plain(bad_param)
